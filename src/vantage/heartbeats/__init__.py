"""Heartbeat checks: the monitored job pings a URL of the server; a ping missing at the end of
period + grace makes a FAILED result and session, with no agent involved."""
