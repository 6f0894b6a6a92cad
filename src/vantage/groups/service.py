"""Check groups: validation against Checkly's CheckGroup, storage, and the checks as their groups
make them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.alerting import service as alerting
from vantage.checks import service as checks_service
from vantage.checks.service import CHECK_NOT_FOUND, StoredCheck
from vantage.dashboards.badge_cache import forget_shown
from vantage.errors import BadRequest, Conflict, NotFound
from vantage.groups import repository
from vantage.groups.effective import effective_config
from vantage.groups.schemas import READ_ONLY_FIELDS, CheckGroup, CheckGroupV2
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request
from vantage.variables.masking import Seal, keep_secret_values, without_secret_values

GROUP_NOT_FOUND = "No such check group."


def validate(payload: Any, model: type[CheckGroup] = CheckGroup) -> dict[str, Any]:
    """Validate a create payload; return the group's config with every default applied."""
    if not isinstance(payload, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    # Clients that read a group, edit it and send it back include its read-only fields.
    body = {k: v for k, v in payload.items() if k not in READ_ONLY_FIELDS}
    try:
        return model.model_validate(body).model_dump(mode="json")
    except ValidationError as exc:
        raise bad_request(_without_union_branches(exc, body)) from None


def _without_union_branches(exc: ValidationError, body: dict[str, Any]) -> list[Any]:
    """`retryStrategy` is an object or "FALLBACK": report only the errors of the form the client
    sent, under the field's own name (pydantic reports both, under the branches' names)."""
    sent = body.get("retryStrategy")
    wanted = "RetryStrategy" if isinstance(sent, dict) else "literal['FALLBACK']"
    errors: list[Any] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if loc[:1] == ("retryStrategy",) and len(loc) > 1:
            if loc[1] != wanted:
                continue
            error = {**error, "loc": (loc[0], *loc[2:])}
        errors.append(error)
    return errors


@dataclass(frozen=True, slots=True)
class StoredGroup:
    id: int
    config: dict[str, Any]
    created_at: Any
    updated_at: Any

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.config,
            "environmentVariables": without_secret_values(
                self.config.get("environmentVariables") or []
            ),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


def _stored(row: Any) -> StoredGroup:
    return StoredGroup(
        id=int(row.id), config=row.config, created_at=row.created_at, updated_at=row.updated_at
    )


def _columns(config: dict[str, Any]) -> dict[str, Any]:
    return {"name": config["name"], "activated": config["activated"], "tags": config["tags"]}


async def create(
    conn: AsyncConnection, account_id: str, payload: Any, *, seal: Seal, version: int = 1
) -> StoredGroup:
    """`version` 2: Checkly's `/v2/check-groups`, whose nulls mean "inherit" (CheckGroupV2);
    `seal` seals secret variable values (vantage.sealing)."""
    config = validate(payload, CheckGroupV2 if version == 2 else CheckGroup)
    config["environmentVariables"] = keep_secret_values([], config["environmentVariables"], seal)
    await checks_service.check_locations(conn, config, account_id)
    await alerting.prepare_target(conn, account_id, config, sent=True)
    now = utcnow()
    group_id = await repository.insert(
        conn,
        {
            "account_id": account_id,
            **_columns(config),
            "config": config,
            "created_at": now,
            "updated_at": None,
        },
    )
    await alerting.store_target(conn, account_id, config, group_id=group_id)
    forget_shown(conn)  # a badge asked for it before it existed
    return StoredGroup(group_id, config, now, None)


async def get(conn: AsyncConnection, account_id: str, group_id: int) -> StoredGroup:
    row = await repository.get(conn, account_id, group_id)
    if row is None:
        raise NotFound(GROUP_NOT_FOUND)
    return _stored(row)


async def update(
    conn: AsyncConnection,
    account_id: str,
    group_id: int,
    payload: Any,
    *,
    seal: Seal,
    version: int = 1,
) -> StoredGroup:
    current = await get(conn, account_id, group_id)
    if not isinstance(payload, dict):
        raise BadRequest('"value" must be of type object', keys=["value"])
    model = CheckGroupV2 if version == 2 else CheckGroup
    config = validate(
        checks_service.merge_partial(current.config, payload, "apiCheckDefaults", model), model
    )
    config["environmentVariables"] = keep_secret_values(
        current.config.get("environmentVariables") or [], config["environmentVariables"], seal
    )
    await checks_service.check_locations(conn, config, account_id)
    await alerting.prepare_target(conn, account_id, config, sent=True)
    now = utcnow()
    await repository.update(
        conn, account_id, group_id, {**_columns(config), "config": config, "updated_at": now}
    )
    await alerting.store_target(conn, account_id, config, group_id=group_id)
    forget_shown(conn)  # its name shows on its badge and on dashboards (showGroupNames)
    return StoredGroup(group_id, config, current.created_at, now)


async def delete(conn: AsyncConnection, account_id: str, group_id: int) -> None:
    if not await repository.exists(conn, account_id, group_id, for_update=True):
        raise NotFound(GROUP_NOT_FOUND)
    count = await repository.count_checks(conn, account_id, group_id)
    if count:
        noun = "check" if count == 1 else "checks"
        raise Conflict(
            f"Check group {group_id} still has {count} {noun}: move them to another group "
            "(groupId) or delete them before deleting the group."
        )
    await repository.delete(conn, account_id, group_id)
    forget_shown(conn)  # its badge is a 404 from now on


async def list_page(
    conn: AsyncConnection,
    account_id: str,
    *,
    tags: Sequence[str],
    name: str | None,
    limit: int,
    page: int,
) -> tuple[list[StoredGroup], int]:
    rows = list(await repository.list_all(conn, account_id))
    if tags:
        rows = [row for row in rows if set(tags) & set(row.tags)]
    if name:
        rows = [row for row in rows if name.lower() in row.name.lower()]
    start = (page - 1) * limit
    return [_stored(row) for row in rows[start : start + limit]], len(rows)


def _group_of(check: StoredCheck, groups: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    group_id = check.config.get("groupId")
    return None if group_id is None else groups.get(int(group_id))


def _effective(check: StoredCheck, group: dict[str, Any] | None) -> StoredCheck:
    return dataclasses.replace(
        check, config=effective_config(check.check_type, check.config, group)
    )


async def apply_group_settings(
    conn: AsyncConnection, account_id: str, checks: Sequence[StoredCheck]
) -> list[StoredCheck]:
    """The checks as their groups make them (`applyGroupSettings=true`), in one group query."""
    wanted = {int(c.config["groupId"]) for c in checks if c.config.get("groupId") is not None}
    groups = await repository.configs_by_id(conn, wanted, account_id=account_id)
    return [_effective(c, _group_of(c, groups)) for c in checks]


async def list_checks_page(
    conn: AsyncConnection, account_id: str, group_id: int, *, limit: int, page: int
) -> tuple[list[StoredCheck], int]:
    group = await get(conn, account_id, group_id)
    rows = await repository.list_checks(conn, account_id, group_id)
    start = (page - 1) * limit
    items = [checks_service.stored_check(row) for row in rows[start : start + limit]]
    return [_effective(c, group.config) for c in items], len(rows)


async def get_check(
    conn: AsyncConnection, account_id: str, group_id: int, check_id: str
) -> StoredCheck:
    group = await get(conn, account_id, group_id)
    check = await checks_service.get(conn, account_id, check_id)
    if check.config.get("groupId") != group_id:
        raise NotFound(CHECK_NOT_FOUND)
    return _effective(check, group.config)
