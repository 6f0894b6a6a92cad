"""Alert channels as `/openapi.json` documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from vantage.alerting.schemas import AlertChannel
from vantage.alerting.windows import MaintenanceWindow


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


class AlertNotificationAnswer(BaseModel):
    id: str
    type: str
    status: str
    alertConfig: dict[str, Any]
    notificationResult: str | None
    timestamp: datetime | None
    checkType: str | None
    checkId: str
    checkAlertId: str | None
    alertChannelId: int
    checkResultId: str | None
    alertType: str
    attempts: int


class MaintenanceWindowAnswer(MaintenanceWindow):
    id: int
    created_at: datetime
    updated_at: datetime | None


class MaintenanceUpdateAnswer(BaseModel):
    """A status update on an occurrence (Checkly's `Model62`)."""

    id: str
    maintenanceWindowId: int
    maintenanceId: str
    status: str
    description: str
    notifySubscribers: bool
    created_at: datetime
    previousStatus: str | None
    previousStartsAt: datetime | None
    previousEndsAt: datetime | None
    dateAdjustments: dict[str, datetime] | None


class MaintenanceAnswer(BaseModel):
    """An occurrence of a maintenance window (Checkly's `MaintenanceWindowMaintenance`)."""

    id: str
    maintenanceWindowId: int
    startsAt: datetime
    endsAt: datetime
    status: Literal["SCHEDULED", "IN_PROGRESS", "COMPLETED"]
    created_at: datetime
    updated_at: datetime
    # Newest first.
    updates: list[MaintenanceUpdateAnswer]


class CheckAlertAnswer(BaseModel):
    id: str
    name: str
    checkId: str
    alertType: str
    checkType: str
    runLocation: str | None
    responseTime: float | None
    error: str | None
    statusCode: int | None
    created_at: datetime
    startedAt: datetime | None
