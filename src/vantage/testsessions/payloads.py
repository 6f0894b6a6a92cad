"""The bodies of `POST /v1/test-sessions/run` and `/next/test-sessions/trigger` (pure).

A `checkRunJobs[]` entry is the CLI's construct synthesis (what `checkly deploy` sends as a
check's payload) plus run-only fields. The check is validated as `POST /v1/checks` validates it,
after the fields only a construct or a run carries are set aside; its group likewise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from vantage.checks.constructs import construct_check
from vantage.checks.schemas import RetryStrategy
from vantage.checks.service import validate as validate_check
from vantage.errors import BadRequest
from vantage.groups.schemas import CheckGroup, CheckGroupV2
from vantage.groups.service import validate as validate_group
from vantage.validation import bad_request

# What a decompressed body may grow to: a gzip bomb stops here, as a 413 would.
MAX_INFLATED_BYTES = 16 << 20
# The construct's own fields (synthesis), which Checkly's check API does not take.
CONSTRUCT_ONLY = frozenset(
    {"logicalId", "filePath", "sourceInfo", "group", "testRetryStrategy", "groupId", "scriptPath"}
)
# BROWSER and MULTI_STEP scripts keep their `scriptPath`: it names the file the script's
# relative imports (`dependencies`) resolve from, and its language.
SCRIPT_TYPES = frozenset({"BROWSER", "MULTI_STEP"})
GROUP_CONSTRUCT_ONLY = frozenset({"logicalId", "filePath", "alertChannelSubscriptions", "id", "v"})
RUNNABLE_TYPES = frozenset({"API", "URL", "TCP", "DNS", "ICMP", *SCRIPT_TYPES})
DEFAULT_REGION = "eu-central-1"


def json_of(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Invalid request payload JSON format") from None


@dataclass(frozen=True, slots=True)
class RunLocation:
    slug: str
    private: bool


def run_location(value: Any) -> RunLocation:
    """`{type: PUBLIC, region}` or `{type: PRIVATE, slugName}`; absent: the CLI's default."""
    if value is None:
        return RunLocation(DEFAULT_REGION, private=False)
    if not isinstance(value, dict):
        raise BadRequest('"runLocation" must be of type object', keys=["runLocation"])
    if value.get("type") == "PRIVATE":
        slug = value.get("slugName")
        if not isinstance(slug, str) or not slug:
            raise BadRequest('"runLocation.slugName" is required', keys=["runLocation", "slugName"])
        return RunLocation(slug, private=True)
    region = value.get("region", DEFAULT_REGION)
    if not isinstance(region, str) or not region:
        raise BadRequest('"runLocation.region" must be a string', keys=["runLocation", "region"])
    return RunLocation(region, private=False)


def retry_strategy(value: Any, keys: list[str]) -> dict[str, Any] | None:
    """`testRetryStrategy` (`--retries N`: FIXED, N retries, no backoff); null means none."""
    if value is None:
        return None
    # The check API reads `null` as "the default" (Go clients send it); the CLI never does, and
    # `/openapi.json` documents these fields as non-null, so here a null is refused.
    if isinstance(value, dict):
        for key in sorted(RetryStrategy.NULL_MEANS_DEFAULT):
            if key in value and value[key] is None:
                raise BadRequest(f'"{".".join([*keys, key])}" must not be null', keys=[*keys, key])
    try:
        return RetryStrategy.model_validate(value).model_dump(mode="json")
    except ValidationError as exc:
        inner = bad_request(exc)
        raise BadRequest(f"{'.'.join(keys)}: {inner.message}", keys=[*keys, *inner.keys]) from None


def variables(value: Any, keys: list[str]) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and isinstance(v.get("key"), str) for v in value
    ):
        raise BadRequest(f'"{".".join(keys)}" must be an array of {{key, value}}', keys=keys)
    return [{"key": v["key"], "value": str(v.get("value") or ""), "secret": False} for v in value]


@dataclass(frozen=True, slots=True)
class AdHocCheck:
    """One check of `checkly test`, as the API would store it, with its group's config."""

    logical_id: str
    file_path: str | None
    check_run_id: str | None
    check_type: str
    name: str
    config: dict[str, Any]
    group: dict[str, Any] | None
    retry: dict[str, Any] | None


def ad_hoc_check(job: Any, index: int, files: list[Any] | None = None) -> AdHocCheck:
    """`files`: the body's `sharedFiles`, which a script check's `dependencies` name by index."""
    where = f"checkRunJobs[{index}]"
    if not isinstance(job, dict):
        raise BadRequest(f'"{where}" must be of type object', keys=["checkRunJobs", str(index)])
    check_type = job.get("checkType")
    if check_type not in RUNNABLE_TYPES:
        raise BadRequest(
            f'"{where}.checkType" {check_type!r} cannot run on Vantage yet: it runs '
            f"{', '.join(sorted(RUNNABLE_TYPES))} checks",
            keys=["checkRunJobs", str(index), "checkType"],
        )
    logical_id = job.get("logicalId")
    if not isinstance(logical_id, str) or not logical_id:
        raise BadRequest(f'"{where}.logicalId" is required', keys=["checkRunJobs", str(index)])
    kept = {"scriptPath"} if check_type in SCRIPT_TYPES else set()
    body = {k: v for k, v in job.items() if k not in CONSTRUCT_ONLY - kept}
    body = construct_check(body, files or [], where, ["checkRunJobs", str(index)])
    try:
        config = validate_check(check_type, body)
    except BadRequest as exc:
        raise BadRequest(
            f"{where}: {exc.message}", keys=["checkRunJobs", str(index), *exc.keys]
        ) from None
    group = None
    if isinstance(job.get("group"), dict):
        group_body = {k: v for k, v in job["group"].items() if k not in GROUP_CONSTRUCT_ONLY}
        # CheckGroupV2 constructs say `v: 2`; they take the v2 group's fields.
        model = CheckGroupV2 if job["group"].get("v") == 2 else CheckGroup
        try:
            group = validate_group(group_body, model)
        except BadRequest as exc:
            raise BadRequest(
                f"{where}.group: {exc.message}", keys=["checkRunJobs", str(index), "group"]
            ) from None
    source: dict[str, Any] = job["sourceInfo"] if isinstance(job.get("sourceInfo"), dict) else {}
    return AdHocCheck(
        logical_id=logical_id,
        file_path=job.get("filePath") if isinstance(job.get("filePath"), str) else None,
        check_run_id=str(source["checkRunId"]) if source.get("checkRunId") else None,
        check_type=check_type,
        name=str(config.get("name") or logical_id),
        config=config,
        group=group,
        retry=retry_strategy(job.get("testRetryStrategy"), [where, "testRetryStrategy"]),
    )


def suite_of(jobs: list[Any]) -> str:
    """The checkRunSuiteId the CLI put in every job's sourceInfo: its result topics carry it."""
    for job in jobs:
        source = job.get("sourceInfo") if isinstance(job, dict) else None
        if isinstance(source, dict) and isinstance(source.get("checkRunSuiteId"), str):
            return str(source["checkRunSuiteId"])[:100]
    raise BadRequest(
        '"checkRunJobs[0].sourceInfo.checkRunSuiteId" is required',
        keys=["checkRunJobs", "0", "sourceInfo", "checkRunSuiteId"],
    )
