"""Analytics answers and the batch request as `/openapi.json` documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkIds: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=100)]],
        Field(min_length=1, max_length=100),
    ]


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkId: str
    checkType: str
    availability: float | None
    responseTime_avg: float | None
    responseTime_p50: float | None
    responseTime_p95: float | None
    responseTime_p99: float | None


class MetricMetadata(BaseModel):
    unit: str
    label: str
    aggregation: str | None = None


class Pagination(BaseModel):
    page: int
    limit: int


class SeriesEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    data: list[dict[str, float | None]]


class CheckAnalytics(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkId: str
    name: str
    checkType: str
    activated: bool
    muted: bool
    frequency: int
    tags: list[str]
    from_: datetime = Field(alias="from")
    to: datetime
    series: list[SeriesEntry]
    pagination: Pagination
    metadata: dict[str, MetricMetadata]


class ReportAggregate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    successRatio: float
    avg: float
    p95: float
    p99: float


class ReportBucket(ReportAggregate):
    from_: str = Field(alias="from")
    to: str


class ReportEntry(BaseModel):
    """`GET /v1/reporting`: one check; `aggregate` absent when it did not run in the window,
    `aggregates` instead with a `granularity`."""

    model_config = ConfigDict(extra="forbid")

    name: str
    checkId: str
    checkType: str
    deactivated: bool
    tags: list[str]
    aggregate: ReportAggregate | None = None
    aggregates: list[ReportBucket] | None = None
