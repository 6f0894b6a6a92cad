"""Vantage: self-hosted synthetic monitoring with a Checkly-compatible API."""
