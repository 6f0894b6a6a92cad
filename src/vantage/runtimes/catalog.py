"""The runtimes Vantage lists (pure data). Checkly's clients check a project's `runtimeId` against
`/v1/runtimes` before they send anything, so every runtime name Checkly accepts is listed.
Whichever runtime a check names, an agent runs its BROWSER or MULTI_STEP script with the Node.js
of its `playwright` wheel and `@playwright/test` of the same version (vantage.probes.browser), so
every runtime supports multi-step checks and lists that one dependency; the account's runtime is
the current one."""

from __future__ import annotations

from typing import Any, Final, Literal, get_args

# The runtime Checkly's CLI sees for every account.
RUNTIME_ID: Final = "2025.04"
# Every runtime name Checkly's API accepts on checks and groups, newest first.
RuntimeId = Literal["2026.04", "2025.04", "2024.09", "2024.02", "2023.09", "2023.02", "2022.10"]
RUNTIME_IDS: Final[tuple[str, ...]] = get_args(RuntimeId)
# The Node.js that the pinned `playwright` wheel carries, and its Playwright version.
NODE_VERSION: Final = "26.13.1"
PLAYWRIGHT_VERSION: Final = "1.65.1"


def _runtime(name: str) -> dict[str, Any]:
    current = name == RUNTIME_ID
    return {
        "name": name,
        "multiStepSupport": True,
        "nodeJsVersion": NODE_VERSION,
        "stage": "CURRENT" if current else "STABLE",
        "default": current,
        "description": (
            f"Checkly's runtime {name}, by name: Vantage runs scripts with Node.js "
            f"{NODE_VERSION} and @playwright/test {PLAYWRIGHT_VERSION} on Debian's Chromium."
        ),
        "dependencies": {"@playwright/test": PLAYWRIGHT_VERSION},
    }


RUNTIMES: Final = [_runtime(name) for name in RUNTIME_IDS]
