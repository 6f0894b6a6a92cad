"""What a job is bound to: a location's id, not only its slug (see vantage.locations.service)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LocationRef:
    """A location's id, its slug, and its owner (None: the operator's, offered to every account)."""

    id: str
    slug: str
    account_id: str | None

    def usable_by(self, account_id: str) -> bool:
        return self.account_id is None or self.account_id == account_id
