"""The sandbox ends every process of a run: at the timeout, over the memory budget, and when the
run ends with children left behind in a session of their own (as Chromium is)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from tests.probes.browser.test_warm_browser import gone
from vantage.probes.browser.probe import runner_python
from vantage.probes.browser.sandbox import Limits, Outcome, RunAs, run_isolated

MiB = 1024 * 1024
# A child in a session of its own, as Playwright starts Chromium, then the given behaviour.
LEAVES_A_CHILD = "import subprocess; subprocess.Popen(['sleep', '600'], start_new_session=True); "


async def run(code: str, tmp_path: Path, **limits: float) -> Outcome:
    with tempfile.TemporaryFile() as output:
        return await run_isolated(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin"},
            limits=Limits(
                wall_seconds=limits.get("wall", 30), tree_rss_bytes=int(limits.get("rss", 1e9))
            ),
            run_as=None,
            output=output,
        )


async def test_a_run_past_its_timeout_is_killed_with_its_detached_children(tmp_path: Path) -> None:
    outcome = await run(LEAVES_A_CHILD + "import time; time.sleep(600)", tmp_path, wall=2)
    assert outcome.killed_for == "timeout"
    assert len(outcome.pids) == 2
    assert await gone(outcome.pids)


async def test_a_run_over_its_memory_budget_is_killed(tmp_path: Path) -> None:
    hog = "kept = []\nwhile True: kept.append(bytearray(8 << 20))"
    outcome = await run(hog, tmp_path, rss=200 * MiB)
    assert outcome.killed_for == "memory"
    assert outcome.peak_tree_rss_bytes > 200 * MiB


async def test_children_left_behind_by_a_finished_run_are_killed(tmp_path: Path) -> None:
    outcome = await run(LEAVES_A_CHILD + "import time; time.sleep(0.5)", tmp_path)
    assert outcome.killed_for is None
    assert outcome.exit_code == 0
    assert await gone(outcome.pids)


def test_under_uvloop_the_run_switches_to_the_runner_user() -> None:
    # The server's loop is uvloop, whose subprocesses take no `user` argument.
    import os
    import pwd

    import uvloop

    if os.geteuid() != 0:
        return
    nobody = pwd.getpwnam("nobody")
    # A directory the runner user may enter (pytest's own are root's alone).
    tmp_path = Path(tempfile.mkdtemp())
    tmp_path.chmod(0o777)
    code = "import os; open('uid', 'w').write(str(os.getuid()))"

    run_as = RunAs(nobody.pw_uid, nobody.pw_gid)
    interpreter = runner_python(run_as)
    assert interpreter is not None

    async def main() -> Outcome:
        with tempfile.TemporaryFile() as output:
            return await run_isolated(
                [
                    sys.executable if sys.executable.startswith("/usr") else "/usr/bin/python3",
                    "-c",
                    code,
                ],
                cwd=tmp_path,
                env={"PATH": "/usr/bin:/bin"},
                limits=Limits(wall_seconds=30, tree_rss_bytes=10**9),
                run_as=run_as,
                output=output,
            )

    try:
        outcome = uvloop.run(main())
        assert outcome.exit_code == 0
        assert (tmp_path / "uid").read_text() == str(nobody.pw_uid)
    finally:
        shutil.rmtree(tmp_path)
