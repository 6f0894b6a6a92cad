"""The runtimes Vantage lists (pure data). Checkly's clients check a project's `runtimeId` against
`/v1/runtimes` before they send anything, so every runtime name Checkly accepts is listed.
Vantage runs no JavaScript: no runtime supports multi-step checks, none carries Node.js or
dependencies, and the account's runtime is the current one."""

from __future__ import annotations

from typing import Any, Final, Literal, get_args

# The runtime Checkly's CLI sees for every account.
RUNTIME_ID: Final = "2025.04"
# Every runtime name Checkly's API accepts on checks and groups, newest first.
RuntimeId = Literal["2026.04", "2025.04", "2024.09", "2024.02", "2023.09", "2023.02", "2022.10"]
RUNTIME_IDS: Final[tuple[str, ...]] = get_args(RuntimeId)
NO_NODE: Final = "none"


def _runtime(name: str) -> dict[str, Any]:
    current = name == RUNTIME_ID
    return {
        "name": name,
        "multiStepSupport": False,
        "nodeJsVersion": NO_NODE,
        "stage": "CURRENT" if current else "STABLE",
        "default": current,
        "description": (
            f"Checkly's runtime {name}, by name only: Vantage runs API, URL, TCP and DNS checks "
            "and no JavaScript."
        ),
        "dependencies": {},
    }


RUNTIMES: Final = [_runtime(name) for name in RUNTIME_IDS]
