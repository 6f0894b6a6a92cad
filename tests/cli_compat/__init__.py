"""Runs the real `checkly` CLI (npm, 9.x, on Node 22) against a real `vantage server`."""
