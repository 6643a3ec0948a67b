# The bridge alone in an empty image: no shell, no libc, no certificate store (the Mozilla
# roots are compiled in; add your private CA with caFile). Docker cannot build here; CI proves
# the same thing with tests/scratch.rs, which runs the static binary alone in an empty chroot
# with only the etc/hosts and etc/resolv.conf that Docker provides.
#
# Build the static binary with cross/build.sh (see cross/README.md), then the image:
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
# Run it as OpenClaw's child: it speaks JSON-RPC on stdin/stdout, so keep stdin open (-i),
# and configure it with environment variables or a mounted OpenClaw config file:
#   docker run -i --rm -e MATTERMOST_URL=https://chat.example.com \
#     -e MATTERMOST_BOT_TOKEN=… -e MATTERMOST_TEAM_ID=… \
#     -v openclaw-state:/data openclaw-mattermost
FROM scratch
ARG TARGET=x86_64-unknown-linux-gnu
COPY target/${TARGET}/release/openclaw-mattermost /openclaw-mattermost
# State (mattermost-state.json) and downloaded media live in the volume; it must be writable
# by uid 65534 (e.g. `docker run --rm -v openclaw-state:/data busybox chown 65534 /data`).
ENV OPENCLAW_STATE_DIR=/data
VOLUME ["/data"]
USER 65534:65534
ENTRYPOINT ["/openclaw-mattermost"]
