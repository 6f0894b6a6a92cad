"""Deploy bodies as `checkly deploy` sends them (gzipped JSON), for the project tests."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx2

from tests.support.harness import Persona

PROJECT = {"logicalId": "shop-monitoring", "name": "Shop monitoring"}


def api_check(logical_id: str, name: str, url: str, **extra: Any) -> dict[str, Any]:
    """An ApiCheck construct's synthesis (checkly 9.5.0)."""
    payload = {
        "name": name,
        "locations": ["local"],
        "tags": ["shop"],
        "frequency": 10,
        "groupId": None,
        "useGlobalAlertSettings": True,
        "runParallel": False,
        "runtimeId": "2025.04",
        "environmentVariables": [],
        "checkType": "API",
        "request": {
            "method": "GET",
            "url": url,
            "assertions": [
                {
                    "source": "STATUS_CODE",
                    "comparison": "EQUALS",
                    "property": "",
                    "target": "200",
                    "regex": None,
                }
            ],
        },
        **extra,
    }
    return {"logicalId": logical_id, "type": "check", "member": True, "payload": payload}


def group(logical_id: str, name: str, **extra: Any) -> dict[str, Any]:
    """A CheckGroupV2 construct's synthesis."""
    payload = {
        "name": name,
        "tags": ["grouped"],
        "locations": [],
        "apiCheckDefaults": {
            "headers": [],
            "queryParameters": [],
            "url": "",
            "basicAuth": {"username": "", "password": ""},
        },
        "environmentVariables": [{"key": "GREETING", "value": "hello"}],
        "v": 2,
        **extra,
    }
    return {"logicalId": logical_id, "type": "check-group", "member": True, "payload": payload}


def resource(kind: str, logical_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"logicalId": logical_id, "type": kind, "member": True, "payload": payload}


def body(*resources: dict[str, Any], project: dict[str, Any] = PROJECT) -> dict[str, Any]:
    return {"project": project, "sharedFiles": [], "resources": list(resources), "repoInfo": None}


async def deploy(
    persona: Persona, deploy_body: dict[str, Any], *, dry_run: bool = False, **params: str
) -> httpx2.Response:
    """POST /v1/projects/deploy as the CLI does: gzip, no Content-Length."""
    query = {"dryRun": str(dry_run).lower(), "scheduleOnDeploy": "true", **params}
    return await persona.post(
        "/v1/projects/deploy",
        params=query,
        content=gzip.compress(json.dumps(deploy_body).encode()),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )


async def followed(persona: Persona, response: httpx2.Response) -> dict[str, Any]:
    """The deployment a 202 answered, once it has ended, as the CLI's long-poll reads it."""
    assert response.status_code == 202, response.text
    deployment = response.json()
    path = f"/v1/projects/{deployment['logicalId']}/deployments/{deployment['id']}/completion"
    while True:
        completion = await persona.get(path, params={"maxWaitSeconds": 5})
        if completion.status_code != 408:
            assert completion.status_code == 200, completion.text
            ended: dict[str, Any] = completion.json()
            return ended


async def deployed(persona: Persona, deploy_body: dict[str, Any], **params: str) -> dict[str, Any]:
    """A real deploy, followed until it ended: the finished deployment."""
    return await followed(persona, await deploy(persona, deploy_body, dry_run=False, **params))


def actions(diff: list[dict[str, Any]]) -> dict[str, str]:
    return {d["logicalId"]: d["action"] for d in diff}


def physical(diff: list[dict[str, Any]]) -> dict[str, Any]:
    return {d["logicalId"]: d["physicalId"] for d in diff}
