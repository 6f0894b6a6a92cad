"""The bodies `/v1/projects` takes and answers, as `/openapi.json` documents them. The resources'
payloads are the constructs' own (a check's is a check body), validated when they are applied."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from vantage.projects.planning import KINDS


class ProjectRef(BaseModel):
    logicalId: str = Field(min_length=1, max_length=255)
    name: str = Field(min_length=1, max_length=500)
    repoUrl: str | None = None


class DeployResource(BaseModel):
    logicalId: str = Field(min_length=1, max_length=255)
    type: Literal[KINDS]  # type: ignore[valid-type]
    member: bool = True
    payload: dict[str, Any]


class DeployBody(BaseModel):
    """What `checkly deploy` sends (gzipped): the project and its constructs' synthesis."""

    project: ProjectRef
    resources: list[DeployResource]
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
