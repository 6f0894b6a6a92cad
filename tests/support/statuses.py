"""A check's status row written directly, as the intake leaves it after a FINAL result: lists that
filter by status need checks in each state without running them. The check's dashboard severity
is refreshed as the intake does."""

from __future__ import annotations

from tests.support.harness import Harness
from vantage.checks import severity
from vantage.db.tables import check_statuses
from vantage.timeutil import utcnow


async def set_status(vantage: Harness, account_id: str, check_id: str, **flags: bool) -> None:
    now = utcnow()
    async with vantage.runtime.db.write() as conn:
        await conn.execute(
            check_statuses.insert().values(
                check_id=check_id,
                account_id=account_id,
                has_failures=flags.get("has_failures", False),
                has_errors=flags.get("has_errors", False),
                is_degraded=flags.get("is_degraded", False),
                last_result_at=now,
                created_at=now,
            )
        )
        await severity.refresh(conn, [check_id])
