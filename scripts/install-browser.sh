#!/usr/bin/env bash
# Install what the browser tests in tests/ui/browser/ drive: Debian's Chromium (Playwright for
# Python launches it through `executable_path`, so Playwright downloads no browser) and axe-core
# from npm into <repo>/.ui-tools/ (not committed), which the tests inject to check accessibility.
#
# Idempotent: does nothing for what is already installed. Chromium needs apt-get and root (CI runs
# as root on Debian); elsewhere the script says what to install and exits non-zero.
# Override the axe-core version with AXE_CORE_VERSION.
set -euo pipefail

AXE_CORE_VERSION="${AXE_CORE_VERSION:-4.14.1}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${repo_root}/.ui-tools"

if ! command -v chromium >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "chromium not found: installing Debian's chromium with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "install-browser.sh: chromium was not found on PATH." >&2
    echo "Install it first, e.g. on Debian:  sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
echo "Chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo unknown version))"

axe="${prefix}/node_modules/axe-core/axe.min.js"
have="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' \
  "${prefix}/node_modules/axe-core/package.json" 2>/dev/null | head -n 1 || true)"
if [[ "${have}" != "${AXE_CORE_VERSION}" || ! -f "${axe}" ]]; then
  if ! command -v npm >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "npm not found: installing Debian's npm with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-browser.sh: npm was not found on PATH (Debian: apt-get install -y npm)." >&2
    exit 1
  fi
  mkdir -p "${prefix}"
  if [[ ! -f "${prefix}/package.json" ]]; then
    printf '{\n  "name": "vantage-ui-tools",\n  "private": true\n}\n' >"${prefix}/package.json"
  fi
  (cd "${prefix}" && npm install --no-audit --no-fund --no-update-notifier --save-exact \
    "axe-core@${AXE_CORE_VERSION}")
fi
echo "axe-core:  ${axe}"
