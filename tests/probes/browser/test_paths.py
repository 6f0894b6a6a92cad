"""Machine paths are taken out of what a script run returns (vantage.probes.browser.paths)."""

from __future__ import annotations

from pathlib import Path

from vantage.probes.browser.paths import replacements, without_paths

RUN_DIR = Path("/tmp/vantage-run-k2j3")
RUNTIME = "/srv/vantage/.browser-runtime"


def clean(value: object) -> object:
    return without_paths(value, replacements(RUN_DIR, [RUNTIME]), temp_dirs=["/tmp"])


def test_the_runs_own_files_become_relative_as_in_the_users_project() -> None:
    line = "    at /tmp/vantage-run-k2j3/checks/shop.spec.ts:5:3"

    assert clean(line) == "    at checks/shop.spec.ts:5:3"
    assert clean("cwd: /tmp/vantage-run-k2j3") == "cwd: ."


def test_the_runtimes_files_and_other_temporary_directories_are_named_not_shown() -> None:
    stack = (
        f"at Object.<anonymous> ({RUNTIME}/node_modules/playwright/lib/index.js:1:2)\n"
        "video at /tmp/playwright-artifacts-Xy12/video.webm, profile '/tmp/vantage-browser-9q'"
    )

    assert clean(stack) == (
        "at Object.<anonymous> (<runtime>/node_modules/playwright/lib/index.js:1:2)\n"
        "video at <tmp>/video.webm, profile '<tmp>'"
    )


def test_every_string_of_the_result_is_cleaned_but_inline_assets() -> None:
    screenshot = "data:image/png;base64,L3RtcC92YW50YWdlLXJ1bi1rMmoz"
    detail = {
        "errors": ["Error at /tmp/vantage-run-k2j3/a.spec.ts:1:1"],
        "jobLog": [{"msg": "/tmp/vantage-run-k2j3/a.spec.ts", "time": 1}],
        "jobAssets": [screenshot, "/tmp/vantage-run-k2j3/shot.png"],
    }

    assert clean(detail) == {
        "errors": ["Error at a.spec.ts:1:1"],
        "jobLog": [{"msg": "a.spec.ts", "time": 1}],
        "jobAssets": [screenshot, "shot.png"],
    }


def test_a_path_that_only_starts_like_the_temporary_directory_is_left_alone() -> None:
    assert clean("/tmpfs/data and /var/tmp/x") == "/tmpfs/data and /var/tmp/x"
