#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests in tests/ui/browser/ (Playwright for Python
# drives it through `executable_path`: no browser download by Playwright).
#
# Idempotent: does nothing when `chromium` is already on PATH. Needs apt-get and root (CI runs
# as root on Debian); elsewhere it says what to install and exits non-zero.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "Chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo unknown version))"
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found: installing Debian's chromium with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
else
  echo "install-chromium.sh: chromium was not found on PATH." >&2
  echo "Install it first, e.g. on Debian:  sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "Chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo unknown version))"
