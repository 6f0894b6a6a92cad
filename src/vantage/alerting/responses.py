"""Alert channels as `/openapi.json` documents them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from vantage.alerting.schemas import AlertChannel


class SubscriptionAnswer(BaseModel):
    id: int
    checkId: str | None
    groupId: int | None
    activated: bool


class AlertChannelAnswer(AlertChannel):
    id: int
    subscriptions: list[SubscriptionAnswer]  # type: ignore[assignment]
    created_at: datetime
    updated_at: datetime | None
