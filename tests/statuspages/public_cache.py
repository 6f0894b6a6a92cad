"""The public pages' short cache is per process; tests that change a page and read it at once
start from an empty one (the API's own writes clear it, a run's incident too)."""

from __future__ import annotations

from vantage.statuspages.public_cache import forget_pages


def fresh() -> None:
    forget_pages()
