"""Test sessions: the ad-hoc runs of `checkly test` (checks sent in the request) and `checkly
trigger` (deployed checks), their REST endpoints, and their results on the MQTT channel."""
