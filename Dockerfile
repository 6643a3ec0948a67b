# The bridge alone in an empty image: no shell, no libc, no certificate store (the Mozilla
# roots are compiled in; add your private CA with caFile). Docker cannot build here, so CI
# is to prove the same thing another way (an empty-chroot test; static builds are an open
# issue, see README).
#
# Build a static binary first, then the image:
#   RUSTFLAGS='-C target-feature=+crt-static' \
#     cargo build --release --target x86_64-unknown-linux-gnu
#   docker build --build-arg TARGET=x86_64-unknown-linux-gnu -t openclaw-mattermost .
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
