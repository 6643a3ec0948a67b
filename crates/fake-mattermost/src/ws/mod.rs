//! The WebSocket at `/api/v4/websocket`. A connection that upgrades keeps its thread, which
//! becomes the only writer of that socket: broadcasts, the ping timer and replies all go
//! through it, so frames never interleave and a broadcast only queues (never blocks on a slow
//! client).

pub(crate) mod broadcast;
pub(crate) mod client;
pub(crate) mod session;
pub(crate) mod socket;
pub(crate) mod upgrade;

use std::time::{Duration, Instant};

pub(crate) const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(60);
/// The real server waits ~5 s for an unauthenticated socket; 1 s keeps the tests fast.
const UNAUTHENTICATED_GRACE: Duration = Duration::from_secs(1);
/// How long a WebSocket thread waits for a client frame before it looks at its queue again.
pub(crate) const WS_POLL: Duration = Duration::from_millis(20);

/// A frame text containing this gets it replaced, once, by the microseconds since [`epoch`]
/// at the moment the WebSocket thread writes the frame (for latency benchmarks).
pub const WRITE_STAMP: &str = "@@WRITTEN_AT_US@@";

/// The reference instant for [`WRITE_STAMP`].
pub fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}
/// The real server reads at most 8192 bytes per client frame.
const CLIENT_FRAME_LIMIT: usize = 8192;
