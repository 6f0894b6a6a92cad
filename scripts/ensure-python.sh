#!/usr/bin/env bash
# Makes sure `python -m venv` works. Debian ships venv (and pip) in a separate package.
set -euo pipefail
python=${1:-python3}
if "$python" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then :; else
  echo "error: Vantage needs Python 3.11 or newer as '$python' (set PYTHON=... to choose another)" >&2
  exit 1
fi
if "$python" -m venv --help >/dev/null 2>&1 && "$python" -c 'import ensurepip' 2>/dev/null; then
  exit 0
fi
version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "installing python${version}-venv with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${version}-venv" >/dev/null
else
  echo "error: '$python -m venv' is not available: run 'sudo apt-get install python${version}-venv'" >&2
  exit 1
fi
