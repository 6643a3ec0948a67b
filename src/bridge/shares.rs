//! What each thread of the bridge is handed: the event thread its `EventsShare`, the stdin
//! thread its `StdinShare`. Both are built once by `bridge::run`; what they have in common
//! (the REST client, the output, the counters, the session, the media folder) is shared
//! through `Arc`s, the rest belongs to one thread alone.

use super::inflight::InFlight;
use super::output::Output;
use super::progress::Progress;
use crate::config::Config;
use crate::mattermost::api::Api;
use crate::mattermost::net::Link;
use crate::media::Media;
use crate::session::SessionCell;
use crate::stats::Stats;
use crate::stop::Stop;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The live WebSocket's TCP stream, so a stop can wake the blocked reader.
pub type WsInterrupt = Arc<Mutex<Option<TcpStream>>>;

/// The event thread's (and its download threads'): login, the transport, catch-up, delivery.
pub struct EventsShare {
    pub config: Config,
    /// How to reach the server (TLS settings, proxy).
    pub link: Link,
    pub api: Arc<Api>,
    pub stop: Arc<Stop>,
    pub output: Output,
    pub stats: Arc<Stats>,
    /// Filled once login succeeds; the stdin thread's workers wait on it.
    pub session: Arc<SessionCell>,
    pub ws_interrupt: WsInterrupt,
    /// Where attachments are downloaded, and the size limit for files.
    pub media: Arc<Media>,
    /// What was seen and delivered, for catch-up; kept in `stateFile`.
    pub progress: Arc<Progress>,
}

/// The stdin thread's (and its request workers'): the host's requests, carried out over REST.
pub struct StdinShare {
    pub api: Arc<Api>,
    pub stop: Arc<Stop>,
    pub output: Output,
    pub stats: Arc<Stats>,
    pub session: Arc<SessionCell>,
    /// Requests in flight, which a stop waits for.
    pub inflight: Arc<InFlight>,
    /// Where `fetchFile` downloads, and the size limit for files both ways.
    pub media: Arc<Media>,
    /// How long a request waits for the first login (`retryBudget`).
    pub login_wait: Duration,
    /// `interactionKey`'s answer, derived from the token once (`buttons::interaction_key`).
    pub interaction_key: String,
}
