#!/usr/bin/env bash
# The container image of the bridge, built without a Docker daemon:
#
#   cross/oci-image.sh OUT.tar [x86_64 aarch64 armv7]
#
# OUT.tar is an OCI image layout (oci-layout, index.json, blobs/sha256/) holding one image
# index tagged with the crate's version, which lists one image per architecture (linux/amd64,
# linux/arm64, linux/arm/v7; default: all three). Each image is what the top-level Dockerfile
# builds: no base (`FROM scratch`), the static binary of cross/build.sh as /openclaw-mattermost
# (root-owned, 0755) and nothing else; user 65534:65534, entrypoint the binary,
# OPENCLAW_STATE_DIR=/data, a volume at /data.
#
# Load it with any OCI tool, e.g.
#   skopeo copy oci-archive:OUT.tar:<version> docker-daemon:openclaw-mattermost:<version>
#   podman load -i OUT.tar
# (docs/container.md). The binaries must exist (cross/build.sh); cross/release.sh calls this.
#
# Tool: umoci (Debian's package; installed with apt on the first run, root or sudo): it writes
# OCI layouts directly, needs no daemon, no root and no registry. Dates are the commit's, so the
# same commit and binaries give the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { echo "oci-image: $*" >&2; }
die() { log "$*"; exit 1; }

out=${1:-}
[ -n "$out" ] || die "usage: cross/oci-image.sh OUT.tar [x86_64 aarch64 armv7]"
shift
ARCHES=()
for arg in "${@:-x86_64 aarch64 armv7}"; do
    for name in $arg; do ARCHES+=("$name"); done
done

if ! command -v umoci >/dev/null; then
    command -v apt-get >/dev/null || die "umoci not found, and no apt-get to install it with"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    log "installing umoci with apt"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends umoci \
        >/dev/null 2>&1 ||
        { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -q update >/dev/null 2>&1 || true
          $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends umoci; }
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
created=$(date -u -d "$(git log -1 --format=%cI 2>/dev/null || date -u +%FT%TZ)" +%FT%TZ)

work=$(mktemp -d "$ROOT/target/oci-stage.XXXXXX")
trap 'rm -rf "$work"' EXIT
layout=$work/layout
umoci init --layout "$layout"

# Per architecture: the Rust target, and the platform as OCI (Go) names it.
platform_of() {
    case "$1" in
        x86_64) echo "x86_64-unknown-linux-gnu amd64 -" ;;
        aarch64) echo "aarch64-unknown-linux-gnu arm64 -" ;;
        armv7) echo "armv7-unknown-linux-gnueabihf arm v7" ;;
        *) die "unknown architecture '$1' (use x86_64, aarch64 or armv7)" ;;
    esac
}

platforms=()
for arch in "${ARCHES[@]}"; do
    read -r triple goarch variant <<<"$(platform_of "$arch")"
    bin=target/$triple/release/openclaw-mattermost
    [ -f "$bin" ] || die "$bin is missing: cross/build.sh $arch builds it"
    # The layer's one file: mode and dates fixed, owner root. (`umoci insert` of Debian's umoci
    # 0.4.7 writes a layer tar without its end blocks, which Go's tar reader, as in containerd,
    # rejects; unpack + repack writes a whole one.)
    umoci new --image "$layout:$arch"
    umoci unpack --rootless --image "$layout:$arch" "$work/$arch" >/dev/null
    install -m 755 "$bin" "$work/$arch/rootfs/openclaw-mattermost"
    if [ "$(id -u)" = 0 ]; then chown 0:0 "$work/$arch/rootfs/openclaw-mattermost"; fi
    touch -d "$created" "$work/$arch/rootfs/openclaw-mattermost" "$work/$arch/rootfs"
    umoci repack --image "$layout:$arch" --history.created "$created" \
        --history.created_by "COPY target/$triple/release/openclaw-mattermost /openclaw-mattermost" \
        "$work/$arch"
    umoci config --image "$layout:$arch" --no-history --os linux --architecture "$goarch" \
        --created "$created" --author "openclaw-mattermost" \
        --config.user 65534:65534 --config.entrypoint /openclaw-mattermost \
        --config.env OPENCLAW_STATE_DIR=/data --config.volume /data \
        --config.label "org.opencontainers.image.title=openclaw-mattermost" \
        --config.label "org.opencontainers.image.version=$version" \
        --config.label "org.opencontainers.image.revision=$commit" \
        --config.label "org.opencontainers.image.licenses=MIT"
    platforms+=("$arch:$goarch:$variant")
done
umoci gc --layout "$layout"

# One image index over the per-arch images, the only entry of index.json (tagged <version>):
# `docker pull`-style tools pick the image for their platform from it. umoci tags images, not
# multi-platform indexes, so this step writes the index itself.
node - "$layout" "$version" "$commit" "$created" "${platforms[@]}" <<'EOF'
const fs = require("node:fs");
const { createHash } = require("node:crypto");
const [layout, version, revision, created, ...platforms] = process.argv.slice(2);
const INDEX = "application/vnd.oci.image.index.v1+json";
const top = JSON.parse(fs.readFileSync(`${layout}/index.json`, "utf8"));
const byTag = new Map(top.manifests.map((m) => [m.annotations["org.opencontainers.image.ref.name"], m]));
const manifests = platforms.map((p) => {
  const [tag, architecture, variant] = p.split(":");
  const m = byTag.get(tag);
  if (!m) throw new Error(`no image tagged ${tag} in ${layout}`);
  const platform = { architecture, os: "linux", ...(variant !== "-" ? { variant } : {}) };
  return { mediaType: m.mediaType, digest: m.digest, size: m.size, platform };
});
const annotations = {
  "org.opencontainers.image.title": "openclaw-mattermost",
  "org.opencontainers.image.version": version,
  "org.opencontainers.image.revision": revision,
  "org.opencontainers.image.created": created,
};
const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests, annotations }));
const hex = createHash("sha256").update(bytes).digest("hex");
fs.writeFileSync(`${layout}/blobs/sha256/${hex}`, bytes);
const ref = { mediaType: INDEX, digest: `sha256:${hex}`, size: bytes.length,
  annotations: { "org.opencontainers.image.ref.name": version } };
fs.writeFileSync(`${layout}/index.json`, JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [ref] }));
EOF

# Each image's one layer holds the binary alone, root-owned and executable by all.
for blob in "$layout"/blobs/sha256/*; do
    if gzip -t "$blob" 2>/dev/null; then
        listing=$(tar -tvzf "$blob")
        grep -qE '^-rwxr-xr-x 0/0 .* openclaw-mattermost$' <<<"$listing" &&
            [ "$(echo "$listing" | grep -vc '^d.* \.$')" = 1 ] ||
            die "unexpected layer $(basename "$blob"): $listing"
    fi
done

mkdir -p "$(dirname "$out")"
tar -C "$layout" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$created" \
    --mode=u=rwX,go=rX -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
log "$(basename "$out"): ${platforms[*]%%:*} ($(stat -c %s "$out") bytes, index $(sed 's/.*"digest":"\([^"]*\)".*/\1/' "$layout/index.json"))"
