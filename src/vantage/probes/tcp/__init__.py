"""The TCP probe: connect, optionally send data, read the reply and judge it (`probe.py`)."""
