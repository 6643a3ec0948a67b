# The bridge alone in an empty image: no shell, no libc, no certificate store (the Mozilla
# roots are compiled in; add your private CA with caFile).
#
# The release builds this same image without Docker: cross/release.sh (cross/oci-image.sh,
# with umoci) writes target/release-artifacts/openclaw-mattermost-<version>-oci.tar, an OCI
# image layout for linux/amd64, arm64 and arm/v7, which CI unpacks and runs
# (tests/integration/scratch.rs).
# Keep the two in step: same file, user, environment, volume and entrypoint. This file is for
# those who build with Docker themselves:
#   cross/build.sh x86_64
#   docker build -t openclaw-mattermost .
# For a Raspberry Pi or an arm NAS (64-bit, or 32-bit armhf):
#   cross/build.sh aarch64
#   docker build --platform linux/arm64 --build-arg TARGET=aarch64-unknown-linux-gnu -t openclaw-mattermost .
#   cross/build.sh armv7
#   docker build --platform linux/arm/v7 --build-arg TARGET=armv7-unknown-linux-gnueabihf -t openclaw-mattermost .
#
# Host names are resolved by the binary itself from /etc/hosts and the name servers of
# /etc/resolv.conf (both written by Docker), so nothing else is needed in the image.
#
# Run it as OpenClaw's child: it speaks JSON-RPC on stdin/stdout, so keep stdin open (-i); pass
# the token by name (-e VAR without a value) and mount the config read-only. Under OpenClaw use
# contrib/openclaw-mattermost-docker as binaryPath. Both: docs/container.md.
#   docker run -i --rm -e MATTERMOST_BOT_TOKEN \
#     -v "$HOME/.openclaw/openclaw.json:/config/openclaw.json:ro" \
#     -v openclaw-state:/data openclaw-mattermost --config /config/openclaw.json
FROM scratch
ARG TARGET=x86_64-unknown-linux-gnu
COPY target/${TARGET}/release/openclaw-mattermost /openclaw-mattermost
# State (mattermost-state.json) and downloaded media live in the volume; it must belong to
# 65534 and be writable by no one else
# (`docker run --rm -v openclaw-state:/data busybox sh -c 'chown 65534:65534 /data && chmod 700 /data'`).
ENV OPENCLAW_STATE_DIR=/data
VOLUME ["/data"]
USER 65534:65534
ENTRYPOINT ["/openclaw-mattermost"]
