"""A BrowserCheck's or MultiStepCheck's `dependencies` as the Checkly CLI sends them (pure).

checkly 9.x bundles a construct's `code: { entrypoint }` itself, for `checkly test` and
`checkly deploy` alike: the entry file arrives inline (`script`, with its `scriptPath` relative to
the project), and every local file it imports arrives once per body in `sharedFiles[{path,
content}]`, which each check that imports it names by its index in `dependencies`. The check API
takes `dependencies` as `[{path, content}]`; this turns the one into the other.
"""

from __future__ import annotations

from typing import Any

from vantage.errors import BadRequest


def shared_files(value: Any) -> list[Any]:
    """The body's `sharedFiles` (absent: none). Each entry is checked where a check uses it, by
    the check's own validation of `dependencies`."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest('"sharedFiles" must be an array', keys=["sharedFiles"])
    return value


def with_dependencies(
    payload: dict[str, Any], files: list[Any], where: str, keys: list[str]
) -> dict[str, Any]:
    """`payload` with each index in its `dependencies` replaced by that shared file; `where` and
    `keys` name the construct in the 400 for an index the body does not have."""
    dependencies = payload.get("dependencies")
    if not isinstance(dependencies, list):
        return payload
    resolved: list[Any] = []
    for index, dependency in enumerate(dependencies):
        if isinstance(dependency, bool) or not isinstance(dependency, int):
            # A `{path, content}` given inline, as the check API takes it.
            resolved.append(dependency)
            continue
        if not 0 <= dependency < len(files):
            raise BadRequest(
                f'"{where}.dependencies[{index}]" names sharedFiles[{dependency}], '
                f"but the body has {len(files)} shared files",
                keys=[*keys, "dependencies", str(index)],
            )
        resolved.append(files[dependency])
    return {**payload, "dependencies": resolved}
