#!/usr/bin/env bash
# Install what the browser tests in tests/ui/browser/ drive: Debian's Chromium (Playwright for
# Python launches it through `executable_path`, so Playwright downloads no browser) and axe-core
# from npm into <repo>/.ui-tools/ (not committed), which the tests inject to check accessibility.
#
# And what agents run BROWSER and MULTI_STEP checks with: `@playwright/test` from npm at the
# version of the playwright-core that the `playwright` wheel's driver carries, into
# ${VANTAGE_BROWSER_RUNTIME:-<repo>/.browser-runtime}/ (not committed). The wheel's own node runs
# it; PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD keeps npm from fetching a browser. Set PYTHON to the
# interpreter whose `playwright` the agent uses (default: <repo>/.venv/bin/python).
#
# And Debian's ffmpeg, with which Playwright records the videos of browser runs.
#
# Idempotent: does nothing for what is already installed. Chromium needs apt-get and root (CI runs
# as root on Debian), and so does ffmpeg; elsewhere the script says what to install and exits
# non-zero.
# Override the axe-core version with AXE_CORE_VERSION.
set -euo pipefail

AXE_CORE_VERSION="${AXE_CORE_VERSION:-4.14.1}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${repo_root}/.ui-tools"

# Debian's package of a command, installed when it is missing and we may (root, apt-get).
ensure_debian() {
  local command_name=$1 package=$2
  command -v "${command_name}" >/dev/null 2>&1 && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "${command_name} not found: installing Debian's ${package} with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${package}" >/dev/null
  else
    echo "install-browser.sh: ${command_name} was not found on PATH." >&2
    echo "Install it first, e.g. on Debian:  sudo apt-get install -y --no-install-recommends ${package}" >&2
    exit 1
  fi
}

ensure_debian chromium chromium
echo "Chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo unknown version))"

# Debian's ffmpeg records BROWSER runs' videos (VANTAGE_BROWSER_VIDEO): Playwright's own ffmpeg is
# a download, so each run that records gets this one linked where Playwright looks for it.
ensure_debian ffmpeg ffmpeg
echo "ffmpeg:    $(command -v ffmpeg)"

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

python="${PYTHON:-${repo_root}/.venv/bin/python}"
runtime="${VANTAGE_BROWSER_RUNTIME:-${repo_root}/.browser-runtime}"
if ! driver="$("${python}" -c 'import os, playwright; print(os.path.dirname(playwright.__file__))' 2>/dev/null)/driver"; then
  echo "install-browser.sh: ${python} has no playwright (pip install 'playwright>=1.65,<2')." >&2
  exit 1
fi
pw_version="$("${driver}/node" -p "require('${driver}/package/package.json').version")"
have="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' \
  "${runtime}/node_modules/@playwright/test/package.json" 2>/dev/null | head -n 1 || true)"
if [[ "${have}" != "${pw_version}" ]]; then
  mkdir -p "${runtime}"
  if [[ ! -f "${runtime}/package.json" ]]; then
    printf '{\n  "name": "vantage-browser-runtime",\n  "private": true\n}\n' >"${runtime}/package.json"
  fi
  (cd "${runtime}" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund \
    --no-update-notifier --save-exact "@playwright/test@${pw_version}")
fi
# Scripts run as an unprivileged user, which must be able to read the runtime and run the node.
chmod -R a+rX "${runtime}"
echo "@playwright/test: ${pw_version} in ${runtime} (node: ${driver}/node)"
