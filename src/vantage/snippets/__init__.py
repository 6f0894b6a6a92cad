"""Checkly's snippets (`/v1/snippets`)."""
