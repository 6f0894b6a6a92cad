"""Retention: raw results and ended sessions older than the configured age are pruned."""
