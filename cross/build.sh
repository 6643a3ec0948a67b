#!/usr/bin/env bash
# Static release binaries of the bridge for the Raspberry Pi / NAS (aarch64, armv7 hard-float)
# and x86_64, built with Debian 12's own Rust (rustc-web) and cross compilers:
#
#   cross/build.sh                    # all three
#   cross/build.sh aarch64 armv7      # some (x86_64, aarch64, armv7, or the full triples)
#
# Output: target/<triple>/release/openclaw-mattermost (static, stripped, at most 3 MB).
# Installs what it needs with apt on the first run (root or sudo); later runs skip apt.
# Why this recipe and not another: cross/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/target/cross            # Debian's cargo builds here, apart from rustup's builds
# The size budget of every binary.
MAX_BYTES=3000000

log() { echo "cross: $*" >&2; }
die() { log "$*"; exit 1; }

triple_of() {
    case "$1" in
        aarch64 | arm64 | aarch64-unknown-linux-gnu) echo aarch64-unknown-linux-gnu ;;
        armv7 | armhf | armv7-unknown-linux-gnueabihf) echo armv7-unknown-linux-gnueabihf ;;
        x86_64 | amd64 | x86_64-unknown-linux-gnu) echo x86_64-unknown-linux-gnu ;;
        *) die "unknown target '$1' (use x86_64, aarch64 or armv7)" ;;
    esac
}
# Per triple: Debian architecture (for the std package), C cross compiler prefix.
debian_arch() {
    case "$1" in
        aarch64-*) echo arm64 ;; armv7-*) echo armhf ;; x86_64-*) echo amd64 ;;
    esac
}
gcc_prefix() {
    case "$1" in
        aarch64-*) echo aarch64-linux-gnu- ;; armv7-*) echo arm-linux-gnueabihf- ;; x86_64-*) echo "" ;;
    esac
}

TRIPLES=()
for arg in "${@:-x86_64 aarch64 armv7}"; do
    for name in $arg; do TRIPLES+=("$(triple_of "$name")"); done
done

[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] ||
    die "this script runs on an x86_64 (amd64) Debian 12 machine"

# --- packages -------------------------------------------------------------------------------
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
apt_get() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

# The foreign std rlibs come from a private apt state under target/cross/apt (its own lists
# with arm64/armhf, its own download cache), so the machine's dpkg gets no foreign architecture.
PRIVATE=(-o "Dir::State::Lists=$WORK/apt/lists" -o "Dir::Cache=$WORK/apt/cache"
    -o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64" -o "APT::Architectures::=armhf"
    -o "APT::Sandbox::User=root")

installed_version() {
    { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null || true; } |
        sed -n 's/^install ok installed //p'
}
# Versions apt offers for a package (newest first), with the given extra apt options.
offered() {
    local pkg=$1; shift
    { apt-cache "$@" madison "$pkg" 2>/dev/null || true; } |
        awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -u | sort -r -V
}

HOST_PACKAGES=(gcc libc6-dev binutils gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user-static)

missing_host_packages() {
    local p
    for p in "${HOST_PACKAGES[@]}" rustc-web cargo-web; do
        [ -n "$(installed_version "$p")" ] || echo "$p"
    done
}

sysroot_ready() { # $1 = rustc version: every wanted std is in the sysroot
    local t
    for t in "${TRIPLES[@]}"; do
        [ -e "$WORK/sysroot-$1/.complete-$t" ] || return 1
    done
}

private_update() {
    mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial"
    log "apt-get update (private lists for arm64/armhf)"
    # A mirror that serves one stale index makes apt-get fail for the whole suite; the other
    # suites still count, and the version choice below only uses what every list offers.
    apt-get "${PRIVATE[@]}" -q update >"$WORK/apt/update.log" 2>&1 ||
        log "apt-get update reported errors (see $WORK/apt/update.log); going on with what it got"
    grep -E '^(E|W):' "$WORK/apt/update.log" | sed 's/^/cross:   /' >&2 || true
}

# rustc-web's version: the installed one when every wanted std exists for it, else the newest
# that Debian offers for the host and for every wanted foreign architecture (the std rlibs
# must come from the very same compiler build).
choose_version() {
    local v arch t ok
    for v in $( (installed_version rustc-web; offered rustc-web) | awk 'NF && !seen[$0]++'); do
        ok=1
        for t in "${TRIPLES[@]}"; do
            arch=$(debian_arch "$t")
            [ "$arch" = amd64 ] && continue
            offered "libstd-rust-web-dev:$arch" "${PRIVATE[@]}" | grep -qxF "$v" || ok=0
        done
        if [ "$ok" = 1 ] && offered rustc-web | grep -qxF "$v"; then
            echo "$v"
            return
        fi
    done
    die "no rustc-web version is offered for the host and for every target's std"
}

fetch_std() { # $1 = version, $2 = triple
    local v=$1 t=$2 arch deb tmp
    arch=$(debian_arch "$t")
    [ -e "$WORK/sysroot-$v/.complete-$t" ] && return
    mkdir -p "$WORK/sysroot-$v/lib/rustlib"
    if [ "$arch" = amd64 ]; then
        # The host's own std, installed with rustc-web.
        ln -sfn "/usr/lib/rustlib/$t" "$WORK/sysroot-$v/lib/rustlib/$t"
        touch "$WORK/sysroot-$v/.complete-$t"
        return
    fi
    log "fetching libstd-rust-web-dev:$arch=$v"
    (cd "$WORK/apt/cache/archives" && apt-get "${PRIVATE[@]}" -q download "libstd-rust-web-dev:$arch=$v" >/dev/null)
    deb=$(ls "$WORK"/apt/cache/archives/libstd-rust-web-dev_*_"$arch".deb | grep -F "_$(echo "$v" | sed 's/:/%3a/')_" | head -n1)
    tmp=$(mktemp -d "$WORK/unpack.XXXXXX")
    dpkg-deb -x "$deb" "$tmp"
    rm -rf "$WORK/sysroot-$v/lib/rustlib/$t"
    mv "$tmp/usr/lib/rustlib/$t" "$WORK/sysroot-$v/lib/rustlib/$t"
    rm -rf "$tmp" "$deb"
    touch "$WORK/sysroot-$v/.complete-$t"
}

VERSION=$(installed_version rustc-web)
if [ -n "$(missing_host_packages)" ] || [ -z "$VERSION" ] || ! sysroot_ready "$VERSION" ||
    [ "$(installed_version cargo-web)" != "$VERSION" ]; then
    command -v apt-get >/dev/null || die "apt-get not found: this script wants Debian 12 (bookworm)"
    log "apt-get update"
    apt_get -q update >/dev/null 2>&1 || log "apt-get update reported errors; going on"
    private_update
    VERSION=$(choose_version)
    MINOR=$(echo "$VERSION" | sed -E 's/^([0-9]+:)?([0-9]+\.[0-9]+).*/\2/')
    log "installing rustc-web $VERSION, cross compilers and qemu-user-static"
    apt_get install -y -q --no-install-recommends --allow-downgrades "${HOST_PACKAGES[@]}" \
        "rustc-web=$VERSION" "cargo-web=$VERSION" "libstd-rust-web-dev=$VERSION" \
        "libstd-rust-web-$MINOR=$VERSION" >"$WORK/apt/install.log" 2>&1 ||
        { tail -n 20 "$WORK/apt/install.log" >&2; die "apt-get install failed"; }
    for t in "${TRIPLES[@]}"; do fetch_std "$VERSION" "$t"; done
fi
SYSROOT=$WORK/sysroot-$VERSION

# --- build ----------------------------------------------------------------------------------
# Debian's compiler by absolute path: rustup's cargo and rustc stay what `cargo` means on PATH.
RUSTC_BIN=/usr/bin/rustc
CARGO_BIN=/usr/bin/cargo
"$RUSTC_BIN" --version | grep -q '^rustc ' || die "$RUSTC_BIN is not Debian's rustc"
log "$("$RUSTC_BIN" --version), sysroot $SYSROOT"

rust_version() { "$1" --version | awk '{print $2}' | sed 's/-.*//'; }
# x86_64 needs no foreign std, so it is built with rustup's toolchain (the one `cargo` means
# here) when the machine has one with the x86_64 std, whatever Debian's version: since 1.90 it
# links with its own LLD, which folds identical functions (--icf=all, below), and Debian's links
# with GNU ld, which cannot. 2026-12-01, same source: Debian's 1.96 3,007,944 bytes, over the
# 3 MB budget; rustup's 1.95 with ICF 2,997,248 (and 1.85 → 1.95 had saved 72,936; cross/README.md,
# "The size budget"). The arm binaries need Debian's std rlibs, hence its rustc.
# OCMM_X86_64_RUSTC=debian forces Debian's.
X86_RUSTC=$RUSTC_BIN X86_CARGO=$CARGO_BIN
if [ "${OCMM_X86_64_RUSTC:-rustup}" != debian ] && command -v rustup >/dev/null &&
    r=$(rustup which rustc 2>/dev/null) && c=$(rustup which cargo 2>/dev/null) &&
    [ -d "$("$r" --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/lib" ]; then
    X86_RUSTC=$r X86_CARGO=$c
fi

# crt-static: link glibc statically. relocation-model=static: a plain static executable, as
# Debian's rustc makes for the arm targets anyway; x86_64 would be static-pie, 150 KB of
# relocations larger. getrandom_backend: getrandom 0.4 (rand, in tungstenite)
# finds getrandom() with dlsym by default, which a static binary cannot, and then falls back to
# /dev/urandom, which a scratch container lacks (ThreadRng panics); call getrandom() directly.
# discard-eh-frame.ld, --no-eh-frame-hdr: no unwind tables in a panic=abort binary (the file says
# why); without them the x86_64 binary is over its 3 MB budget.
RUSTFLAGS_STATIC="-C target-feature=+crt-static -C relocation-model=static --cfg getrandom_backend=\"linux_getrandom\" -C link-arg=-Wl,-T,$ROOT/cross/discard-eh-frame.ld -C link-arg=-Wl,--no-eh-frame-hdr ${CROSS_EXTRA_RUSTFLAGS:-}"

for t in "${TRIPLES[@]}"; do
    T=$(echo "$t" | tr 'a-z-' 'A-Z_')
    u=$(echo "$t" | tr '-' '_')
    prefix=$(gcc_prefix "$t")
    # The cross compilers; none for x86_64, whose settings would also apply to the build
    # scripts and proc macros (built for the host) and rebuild them whenever the target changes.
    cross_env=()
    if [ -n "$prefix" ]; then
        cross_env=("CARGO_TARGET_${T}_LINKER=${prefix}gcc" "CC_${u}=${prefix}gcc" "AR_${u}=${prefix}ar")
    fi
    rustc=$RUSTC_BIN cargo=$CARGO_BIN flags="--sysroot $SYSROOT" dir=$WORK
    if [ "$t" = x86_64-unknown-linux-gnu ] && [ "$X86_RUSTC" != "$RUSTC_BIN" ]; then
        # Its own target folder: the two compilers would otherwise rebuild each other's output.
        rustc=$X86_RUSTC cargo=$X86_CARGO flags="" dir=$WORK/rustup
        # Since 1.90 this target links with rustup's own LLD, which can fold identical
        # functions (`--icf=all`: −23,616 bytes, 2026-12-01). Only this build: Debian's rustc
        # links with GNU ld, which has no ICF. Nothing here compares function addresses (Rust
        # does not promise they are unique; the integration suites run against this binary).
        if [ "$(printf '1.90\n%s\n' "$(rust_version "$rustc")" | sort -V | head -n1)" = 1.90 ]; then
            flags="-C link-arg=-Wl,--icf=all"
        fi
    fi
    log "building $t with $("$rustc" --version)"
    # --package: the workspace's default members include the fake server (crates/), which a
    # release does not ship.
    start=$(date +%s)
    env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u RUSTC_WRAPPER -u CARGO_BUILD_TARGET \
        -u RUSTUP_TOOLCHAIN -u CARGO_TARGET_DIR \
        RUSTC="$rustc" CARGO_TARGET_DIR="$dir" "${cross_env[@]}" \
        "CARGO_TARGET_${T}_RUSTFLAGS=$flags $RUSTFLAGS_STATIC" \
        "$cargo" build --locked --profile static --target "$t" --package openclaw-mattermost
    out=$ROOT/target/$t/release/openclaw-mattermost
    mkdir -p "$(dirname "$out")"
    cp "$dir/$t/static/openclaw-mattermost" "$out.tmp" && mv "$out.tmp" "$out"
    # Static: no program interpreter, no shared library needed.
    if readelf -lW "$out" | grep -q 'Requesting program interpreter' ||
        readelf -dW "$out" | grep -q '(NEEDED)'; then
        die "$out is not static"
    fi
    size=$(stat -c %s "$out")
    log "$out: $size bytes, static, built in $(($(date +%s) - start)) s"
    [ "$size" -le "$MAX_BYTES" ] || die "$out is $size bytes, over the $MAX_BYTES-byte limit"
done
