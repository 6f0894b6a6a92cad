"""The `vantage` command line as a real subprocess, for tests of what an operator types."""

from __future__ import annotations

import subprocess
import sys


def vantage(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vantage", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
