"""Machine paths taken out of what a script run returns: its logs, errors and steps name the
run's temporary directory and the agent's installation (Playwright's stack lines do), which say
nothing to the check's owner and tell a reader of the result how the agent's machine is laid out.

Pure: the replacements are worked out from the run's directory and the runtime's, and applied
to every string of the result except inline assets.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# What a path inside the system's temporary directory becomes once the known ones are replaced:
# its first segment is a mkdtemp name (a browser's profile, Playwright's artifacts).
TEMP_NAME = "<tmp>"
RUNTIME_NAME = "<runtime>"
# A path segment: up to a separator, whitespace, quote, bracket or a `:line:column` suffix.
_SEGMENT = r"[^/\s:'\"()\[\]]+"


def replacements(run_dir: Path, runtime_dirs: Sequence[str]) -> list[tuple[str, str]]:
    """(path, what it becomes), longest first: files of the run's directory become relative to it
    (`check.spec.ts:5:3`, as in the user's project); the runtime's directories (Playwright,
    Node) become `<runtime>`."""
    pairs: list[tuple[str, str]] = []
    for directory in {str(run_dir), os.path.realpath(run_dir)}:
        pairs += [(directory + "/", ""), (directory, ".")]
    for directory in runtime_dirs:
        for path in {directory, os.path.realpath(directory)}:
            if path and path != "/":
                pairs.append((path, RUNTIME_NAME))
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


def _temp_pattern(temp_dirs: Sequence[str]) -> re.Pattern[str]:
    roots = "|".join(re.escape(d.rstrip("/")) for d in sorted(temp_dirs, key=len, reverse=True))
    # Not inside a longer path (`/var/tmp/x` is not `/tmp/x`).
    return re.compile(rf"(?<![\w./-])(?:{roots})/{_SEGMENT}")


def without_paths(
    value: Any, pairs: Sequence[tuple[str, str]], temp_dirs: Sequence[str] | None = None
) -> Any:
    """`value` with each path of `pairs` replaced in its strings, then any other path inside a
    temporary directory (`/tmp/...`) cut to `<tmp>`; inline assets (`data:` URLs) untouched."""
    if temp_dirs is None:
        temp_dirs = sorted({tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir())})
    temp = _temp_pattern(temp_dirs)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            if item.startswith("data:"):
                return item
            for path, name in pairs:
                item = item.replace(path, name)
            return temp.sub(TEMP_NAME, item)
        if isinstance(item, list):
            return [walk(x) for x in item]
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        return item

    return walk(value)
