"""Checkly's runtimes: the names its clients validate checks and projects against."""
