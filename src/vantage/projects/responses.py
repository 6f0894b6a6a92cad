"""The bodies `/v1/projects` takes and answers, as `/openapi.json` documents them. The resources'
payloads are the constructs' own (a check's is a check body), validated when they are applied."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from vantage.projects.planning import KINDS


class ProjectRef(BaseModel):
    logicalId: str = Field(min_length=1, max_length=255)
    name: str = Field(min_length=1, max_length=500)
    repoUrl: str | None = None


# Envelopes ignore keys they do not know: newer CLIs add some (`sourceFile` came in 9.x), and
# Checkly's older backends ignore them too.


class MemberResource(BaseModel):
    """A construct of the project: its object is made, updated and deleted by the deploys."""

    logicalId: str = Field(min_length=1, max_length=255)
    type: Literal[KINDS]  # type: ignore[valid-type]
    member: Literal[True] = True
    physicalId: int | str | None = None
    payload: dict[str, Any]
    sourceFile: str | None = None


class ReferenceResource(BaseModel):
    """An object made outside the project that constructs refer to (`CheckGroupV2.fromId(7)`)."""

    logicalId: str = Field(min_length=1, max_length=255)
    type: Literal[KINDS]  # type: ignore[valid-type]
    member: Literal[False]
    physicalId: int | Annotated[str, Field(min_length=1, max_length=64)]
    payload: None = None
    sourceFile: str | None = None


class DeployBody(BaseModel):
    """What `checkly deploy` sends (gzipped): the project and its constructs' synthesis."""

    project: ProjectRef
    resources: list[MemberResource | ReferenceResource]
    sharedFiles: list[Any] = Field(default_factory=list)
    repoInfo: dict[str, Any] | None = None


class Project(BaseModel):
    id: str
    logicalId: str
    name: str
    repoUrl: str | None
    createdAt: str
    updatedAt: str | None


class DiffEntry(BaseModel):
    type: str
    logicalId: str
    physicalId: str | int | None
    action: Literal["CREATE", "UPDATE", "DELETE", "DETACHED"]


class DeployResult(BaseModel):
    """A dry run's answer, and a finished deployment's `result`; `project` is null when a destroy
    found no such project."""

    project: Project | None
    diff: list[DiffEntry]


class Deployment(BaseModel):
    id: str
    logicalId: str
    status: Literal["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]
    dryRun: bool
    progress: int
    error: dict[str, Any] | None
    result: DeployResult | None
    createdAt: str
    startedAt: str | None
    endedAt: str | None
    cancelRequestedAt: str | None
