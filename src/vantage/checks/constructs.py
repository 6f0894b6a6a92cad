"""A BrowserCheck's or MultiStepCheck's script as the Checkly CLI sends it (pure).

checkly 9.x bundles a construct's `code: { entrypoint }` itself, for `checkly test` and
`checkly deploy` alike: the entry file arrives inline (`script`, with its `scriptPath` relative to
the project), and every local file it imports arrives once per body in `sharedFiles[{path,
content}]`, which each check that imports it names by its index in `dependencies`. The check API
takes `dependencies` as `[{path, content}]`; this turns the one into the other.

The construct also says `snapshots`: the visual baselines of `toHaveScreenshot`, which the CLI
uploads to Checkly's storage and the check API does not take. An empty list is dropped; baselines
are refused, naming the field, since Vantage keeps none.
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


def construct_check(
    payload: dict[str, Any], files: list[Any], where: str, keys: list[str]
) -> dict[str, Any]:
    """`payload` as the check API takes it: each index in its `dependencies` replaced by that
    shared file, no `snapshots`. `where` and `keys` name the construct in a 400."""
    if payload.get("checkType") == "PLAYWRIGHT":
        # One line, as the CLI prints it: what is refused, and what runs instead.
        raise BadRequest(
            f'"{where}.checkType": PlaywrightCheck suites do not run on Vantage yet; '
            "use BrowserCheck or MultiStepCheck",
            keys=[*keys, "checkType"],
        )
    if "snapshots" in payload:
        if payload["snapshots"]:
            raise BadRequest(
                f'"{where}.snapshots": toHaveScreenshot baselines (visual snapshots) are not '
                "supported by Vantage yet; remove toHaveScreenshot or its snapshot files",
                keys=[*keys, "snapshots"],
            )
        payload = {k: v for k, v in payload.items() if k != "snapshots"}
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
