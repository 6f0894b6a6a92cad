"""`/v2/checks` and `/v3/checks`: the `/v1` check with Checkly's later read shapes (pure).

`/v2` adds `projectBindings` (the project whose deploys made the check, if any; Vantage records
owners only, so `references` is empty) and has no flat `project`, `logicalId`, `member` and
`pending` (`/v1` on Vantage has none either). `/v3` is `/v2` with the intent's
`requiredOutcomes` and `mustPreserve` as one `constraints` list of typed statements.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, create_model

from vantage.checks.responses import Check


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BindingProject(_Answer):
    id: str
    logicalId: str
    name: str


class BindingDetails(_Answer):
    # The check's logicalId within the project, as declared in code.
    logicalId: str
    # Vantage has no import plans: a binding exists once deployed.
    pending: bool


class ProjectBinding(_Answer):
    project: BindingProject
    binding: BindingDetails


class ProjectBindings(_Answer):
    owner: ProjectBinding | None
    references: list[ProjectBinding]


class Constraint(_Answer):
    type: Literal["REQUIRED_OUTCOME", "MUST_PRESERVE"]
    statement: str


class IntentV3(_Answer):
    goal: str
    constraints: list[Constraint]


_ANSWERS: tuple[type[BaseModel], ...] = get_args(get_args(Check)[0])


def _variant(base: type[BaseModel], suffix: str, **fields: Any) -> Any:
    return create_model(f"{base.__name__}{suffix}", __base__=base, **fields)


_V2 = [_variant(a, "V2", projectBindings=(ProjectBindings, ...)) for a in _ANSWERS]
_V3 = [
    _variant(a, "V3", projectBindings=(ProjectBindings, ...), intent=(IntentV3 | None, None))
    for a in _ANSWERS
]
CheckV2: Any = Annotated[reduce(operator.or_, _V2), Field(discriminator="checkType")]
CheckV3: Any = Annotated[reduce(operator.or_, _V3), Field(discriminator="checkType")]


def bindings(owner: Any | None) -> dict[str, Any]:
    """`owner`: the project row that owns the check (`projects.repository.check_owners`)."""
    if owner is None:
        return {"owner": None, "references": []}
    return {
        "owner": {
            "project": {
                "id": owner.project_id,
                "logicalId": owner.project_logical_id,
                "name": owner.project_name,
            },
            "binding": {"logicalId": owner.logical_id, "pending": False},
        },
        "references": [],
    }


def v2_wire(wire: dict[str, Any], owner: Any | None) -> dict[str, Any]:
    return {**wire, "projectBindings": bindings(owner)}


def v3_wire(wire: dict[str, Any], owner: Any | None) -> dict[str, Any]:
    out = v2_wire(wire, owner)
    intent = out.get("intent")
    if isinstance(intent, dict):
        out["intent"] = {
            "goal": intent["goal"],
            "constraints": [
                *(
                    {"type": "REQUIRED_OUTCOME", "statement": s}
                    for s in intent.get("requiredOutcomes") or []
                ),
                *(
                    {"type": "MUST_PRESERVE", "statement": s}
                    for s in intent.get("mustPreserve") or []
                ),
            ],
        }
    return out
