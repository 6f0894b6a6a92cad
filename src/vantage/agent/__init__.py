"""The agent: leases jobs for a location, runs their probes and hands back the results.

Its modules are imported by path (the server's embedded agent, `vantage agent`); the package
itself exports nothing, and tests/test_exported_members.py keeps it that way until it says so.
"""

__all__: list[str] = []
