//! The running bridge: the threads of the design and how they stop.
//!
//! - `events` (inbound): WebSocket → policy → `message` lines;
//! - `stdin` (dispatch): request lines → worker threads → REST → responses;
//! - `stdout` (output): the one writer of protocol lines;
//! - `signals`: SIGTERM/SIGINT/SIGHUP → stop.
//!
//! The main thread waits for the first stop reason, then stops reading events, lets in-flight
//! requests finish (at most 10 s), says `stopping` and exits.

mod attachments;
mod catch_up;
mod deliver;
mod dispatch;
mod inbound;
mod lines;
mod memory;
mod output;
mod pages;
mod polling;
mod requests;
mod websocket;

use crate::config::Config;
use crate::mattermost::api::Api;
use crate::mattermost::net::{self, Link};
use crate::media::{cleanup, Media};
use crate::protocol;
use crate::session::SessionCell;
use crate::signals;
use crate::stats::Stats;
use crate::stop::{lock, Stop, StopReason};
use memory::Memory;
use output::Output;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::net::TcpStream;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long in-flight requests may take to finish once a stop begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long stopping waits for the event thread to end.
const EVENTS_GRACE: Duration = Duration::from_secs(1);

/// What every thread shares.
pub struct Shared {
    pub config: Config,
    /// How to reach the server (TLS settings, proxy).
    pub link: Link,
    pub api: Api,
    pub stop: Arc<Stop>,
    pub output: Output,
    pub stats: Stats,
    pub session: SessionCell,
    /// The live WebSocket's TCP stream, so a stop can wake the blocked reader.
    pub ws_interrupt: Mutex<Option<TcpStream>>,
    pub inflight: InFlight,
    /// Where attachments are downloaded, and the size limit for files both ways.
    pub media: Media,
    /// What was seen and delivered, for catch-up; kept in `stateFile`.
    pub memory: Arc<Memory>,
}

/// Requests accepted but not yet answered: how many (so a stop can wait for them) and their ids
/// (so a second request with the id of one still running is refused, not answered twice).
#[derive(Default)]
pub struct InFlight {
    state: Mutex<InFlightState>,
    idle: Condvar,
}

#[derive(Default)]
struct InFlightState {
    count: usize,
    /// Each running request's id as JSON text (`1` and `"1"` are different ids).
    ids: HashSet<String>,
}

impl InFlight {
    /// Counts a request in; false (and nothing counted) when its id is already in flight.
    pub fn begin(&self, id: Option<&Value>) -> bool {
        let mut state = lock(&self.state);
        if let Some(id) = id {
            if !state.ids.insert(id.to_string()) {
                return false;
            }
        }
        state.count += 1;
        true
    }

    /// Frees the request's id. Called before its response is written, so a host that reuses
    /// the id as soon as it reads the response is never refused.
    pub fn release_id(&self, id: Option<&Value>) {
        if let Some(id) = id {
            lock(&self.state).ids.remove(&id.to_string());
        }
    }

    /// Counts a request out, after its response was queued.
    pub fn end(&self) {
        let mut state = lock(&self.state);
        state.count = state.count.saturating_sub(1);
        if state.count == 0 {
            self.idle.notify_all();
        }
    }

    /// Waits until no request is in flight; false on timeout.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let state = lock(&self.state);
        let (state, _) = self
            .idle
            .wait_timeout_while(state, timeout, |state| state.count > 0)
            .unwrap_or_else(|p| p.into_inner());
        state.count == 0
    }
}

/// Runs the bridge until it stops; returns the process exit code. `signal_set` comes from
/// `signals::block()`, called before any thread existed.
pub fn run(config: Config, link: Link, signal_set: libc::sigset_t) -> i32 {
    let stop = Arc::new(Stop::new());
    signals::spawn_waiter(signal_set, stop.clone());
    signals::die_with_parent();
    let prepared =
        prepare_media(&config, &stop).and_then(|media| Ok((media, Memory::load(&config)?)));
    let (media, memory) = match prepared {
        Ok((media, memory)) => (media, Arc::new(memory)),
        Err(message) => {
            eprintln!("{message}");
            return 2;
        }
    };
    memory.start_saver(stop.clone());
    let remember = memory.clone();
    let (output, _writer) = Output::start(
        stop.clone(),
        Box::new(move |w| remember.delivered(&w.channel_id, &w.post_id, w.create_at)),
    );
    let transport = if config.use_websocket {
        "websocket"
    } else {
        "polling"
    };
    let shared = Arc::new(Shared {
        api: Api::new(&config.server, &config.token, &link, config.retry_budget),
        config,
        link,
        stop: stop.clone(),
        output,
        stats: Stats::new(transport),
        session: SessionCell::default(),
        ws_interrupt: Mutex::new(None),
        inflight: InFlight::default(),
        media,
        memory,
    });
    // Dropped when the event thread ends, which `shut_down` waits for.
    let (events_alive, events_ended) = mpsc::channel::<()>();
    spawn("events", shared.clone(), move |shared| {
        inbound::run(shared);
        drop(events_alive);
    });
    spawn("stdin", shared.clone(), dispatch::run);
    let reason = stop.wait();
    shut_down(&shared, reason, &events_ended)
}

/// Opens (creates) `mediaDir` and starts the sweep of old downloads. A folder that cannot be
/// created, or that another user could touch, stops the bridge before it connects.
fn prepare_media(config: &Config, stop: &Arc<Stop>) -> Result<Media, String> {
    let dir = &config.media_dir;
    let media = Media::open(dir, config.media_max_bytes, config.media_max_total_bytes)
        .map_err(|e| format!("channels.mattermost.mediaDir {}: {e}", dir.display()))?;
    if let Some(max_age) = config.media_retention {
        cleanup::start(media.dir().clone(), max_age, stop.clone());
    }
    Ok(media)
}

fn spawn(name: &str, shared: Arc<Shared>, body: impl FnOnce(Arc<Shared>) + Send + 'static) {
    let stop = shared.stop.clone();
    if let Err(e) = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || body(shared))
    {
        stop.trigger(StopReason::Fatal(format!(
            "cannot start the {name} thread: {e}"
        )));
    }
}

fn shut_down(shared: &Shared, reason: StopReason, events_ended: &Receiver<()>) -> i32 {
    log::info!("stopping: {}", reason.describe());
    if let Some(tcp) = lock(&shared.ws_interrupt).take() {
        net::interrupt(&tcp);
    }
    // The event thread hands over the lines it still holds (`Output::hold`) as it ends: they
    // go out before `stopping`. It ends at once, unless a REST call of its is under way.
    let _ = events_ended.recv_timeout(EVENTS_GRACE);
    if !shared.inflight.wait_idle(DRAIN_TIMEOUT) {
        log::warn!(
            "requests still running after {} s are abandoned",
            DRAIN_TIMEOUT.as_secs()
        );
    }
    shared.stats.set_state("stopping");
    let line = protocol::notification("status", &json!({ "state": "stopping" }));
    shared.output.send_within(line, Duration::from_secs(1));
    shared.output.finish(Duration::from_secs(2));
    shared.memory.save();
    match reason {
        StopReason::Fatal(message) => {
            log::error!("{message}");
            1
        }
        StopReason::Config(message) => {
            eprintln!("{message}");
            2
        }
        _ => 0,
    }
}
