"""Checkly's analytics: availability and response-time figures of checks over a time range."""
