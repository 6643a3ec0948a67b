#!/usr/bin/env bash
# Release artifacts from one command, into target/release-artifacts/:
#
#   cross/release.sh
#
#   openclaw-mattermost-<version>-<triple>.tar.gz   per arch (x86_64, aarch64, armv7): the static
#                                                    binary, README.md, LICENSE and the systemd unit
#   openclaw-mattermost-plugin-<version>.tgz        the npm package of the OpenClaw plugin
#                                                    (`npm pack`), carrying all three binaries as
#                                                    bin/linux-<x64|arm64|arm>/openclaw-mattermost
#                                                    with bin/SHA256SUMS, checked by the plugin
#   openclaw-mattermost-<version>-oci.tar           the container image as an OCI image layout
#                                                    (the Dockerfile's image, for linux/amd64,
#                                                    arm64 and arm/v7 in one index tagged
#                                                    <version>), built by cross/oci-image.sh
#                                                    with umoci, without a Docker daemon
#   SHA256SUMS                                       of every file above
#
# Builds the binaries with cross/build.sh first (a no-op when they are up to date).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/release-artifacts
log() { echo "release: $*" >&2; }
die() { log "$*"; exit 1; }

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
plugin_version=$(node -p 'require("./openclaw-plugin/package.json").version')
[ "$version" = "$plugin_version" ] ||
    die "Cargo.toml says $version, openclaw-plugin/package.json says $plugin_version: make them equal"

cross/build.sh x86_64 aarch64 armv7

# Rust target → the plugin's folder (Node's process.platform-process.arch).
TARGETS=(x86_64-unknown-linux-gnu:linux-x64 aarch64-unknown-linux-gnu:linux-arm64
    armv7-unknown-linux-gnueabihf:linux-arm)

rm -rf "$OUT"
mkdir -p "$OUT"
stage=$(mktemp -d "$ROOT/target/release-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Every binary names its own target (a mix-up fails here, not on a user's Pi).
for pair in "${TARGETS[@]}"; do
    triple=${pair%%:*}
    bin=target/$triple/release/openclaw-mattermost
    case $triple in
        aarch64-*) runner=qemu-aarch64-static ;; armv7-*) runner=qemu-arm-static ;; *) runner= ;;
    esac
    said=$($runner "$bin" --version)
    case $said in *"$version ($triple, commit "*) ;; *) die "$bin --version says '$said', not $version ($triple, …)" ;; esac
    log "$said"
done

# Per-arch tarballs: one folder, fixed owner and times from the commit, so that the same
# commit gives the same bytes.
mtime=$(git log -1 --format=%cI 2>/dev/null || date -u +%FT%TZ)
for pair in "${TARGETS[@]}"; do
    triple=${pair%%:*}
    name=openclaw-mattermost-$version-$triple
    mkdir -p "$stage/$name"
    install -m 755 "target/$triple/release/openclaw-mattermost" "$stage/$name/"
    install -m 644 README.md LICENSE contrib/openclaw-mattermost.service "$stage/$name/"
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" \
        -cf - "$name" | gzip -n -9 >"$OUT/$name.tar.gz"
    log "$name.tar.gz"
done

# The npm package: the plugin's published files (package.json "files") plus the binaries.
plugin=$stage/plugin
# The whole plugin folder: npm pack keeps what package.json "files" names (one list, there).
cp -R openclaw-plugin/. "$plugin/"
rm -rf "$plugin/test" "$plugin/e2e" "$plugin/node_modules" "$plugin/bin"
mkdir -p "$plugin/bin"
cp LICENSE "$plugin/"
for pair in "${TARGETS[@]}"; do
    triple=${pair%%:*} dir=${pair#*:}
    install -D -m 755 "target/$triple/release/openclaw-mattermost" "$plugin/bin/$dir/openclaw-mattermost"
done
(cd "$plugin/bin" && sha256sum */openclaw-mattermost >SHA256SUMS)
(cd "$plugin" && npm pack --silent --pack-destination "$OUT" >/dev/null)
tgz=$OUT/openclaw-mattermost-plugin-$version.tgz
[ -f "$tgz" ] || die "npm pack made no $tgz"
# What npm packed: every binary, executable, and the sums. (A here-string, not `echo | grep -q`:
# grep -q stops at its match, and under pipefail echo's SIGPIPE then failed the check: CI of
# 2026-12-01 13:57, with a listing that does hold the binary.)
listing=$(tar -tvzf "$tgz")
for pair in "${TARGETS[@]}"; do
    grep -qE "^-rwxr-xr-x .* package/bin/${pair#*:}/openclaw-mattermost$" <<<"$listing" ||
        die "$tgz lacks an executable bin/${pair#*:}/openclaw-mattermost"
done
grep -q ' package/bin/SHA256SUMS$' <<<"$listing" || die "$tgz lacks bin/SHA256SUMS"
# Every file package.json "files" names (not its globs) is in the package: npm pack skips a
# missing one silently (the setup entry was missing from the package of 2026-12-01 14:03).
for file in $(node -e 'for (const f of require(process.argv[1]).files) if (!/[*]/.test(f)) console.log(f)' \
    "$PWD/openclaw-plugin/package.json"); do
    grep -q " package/$file\$" <<<"$listing" || die "$tgz lacks $file, which package.json \"files\" names"
done
log "$(basename "$tgz") ($(stat -c %s "$tgz") bytes)"

cross/oci-image.sh "$OUT/openclaw-mattermost-$version-oci.tar"

(cd "$OUT" && sha256sum -- *.tar.gz *.tgz *.tar >SHA256SUMS)
log "done: $OUT"
ls -l "$OUT" >&2
