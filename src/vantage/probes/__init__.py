"""Probes: one module per check type. No database, no web framework: a probe takes a check's
configuration (its Checkly JSON) and returns a `ProbeResult`."""
