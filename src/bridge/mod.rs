//! The running bridge: the threads of the design and how they stop.
//!
//! - `events`: login, then the WebSocket (`websocket`) or polling (`polling`) transport →
//!   policy and order (`deliver`) → `message` lines; missed posts come back by `catch_up`;
//!   reactions go their own way (`reactions`) → `reaction` lines;
//! - `stdin` (`dispatch`): request lines → worker threads (`requests`) → REST → responses;
//! - `stdout` (`output`): the one writer of protocol lines;
//! - `signals`: SIGTERM/SIGINT/SIGHUP → stop.
//!
//! Each thread gets what it uses (`shares`). The main thread waits for the first stop reason,
//! then stops reading events, lets in-flight requests finish (at most 10 s), says `stopping`
//! and exits.

mod announce;
mod attachments;
mod buttons;
mod catch_up;
mod caught_up;
pub(crate) mod commands;
mod deliver;
pub(crate) mod directory;
mod dispatch;
mod events;
mod inflight;
mod lines;
mod listing;
mod output;
mod pages;
mod polling;
mod progress;
mod reactions;
mod requests;
mod shares;
mod thread_history;
mod threads;
mod websocket;

use crate::config::Config;
use crate::mattermost::api::Api;
use crate::mattermost::net::{self, Link};
use crate::media::{cleanup, Media};
use crate::protocol::{Notification, Status, Transport};
use crate::session::SessionCell;
use crate::signals;
use crate::stats::Stats;
use crate::stop::{Stop, StopReason};
use crate::sync::lock;
use inflight::InFlight;
use output::Output;
use progress::Progress;
use shares::{EventsShare, StdinShare, WsInterrupt};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::Duration;

/// How long in-flight requests may take to finish once a stop begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long stopping waits for the event thread to end.
const EVENTS_GRACE: Duration = Duration::from_secs(1);

/// Runs the bridge until it stops; returns the process exit code. `signal_set` comes from
/// `signals::block()`, called before any thread existed.
pub fn run(config: Config, link: Link, signal_set: libc::sigset_t) -> i32 {
    let stop = Arc::new(Stop::new());
    signals::spawn_waiter(signal_set, stop.clone());
    signals::die_with_parent();
    let prepared =
        prepare_media(&config, &stop).and_then(|media| Ok((media, Progress::load(&config)?)));
    let (media, progress) = match prepared {
        Ok((media, progress)) => (Arc::new(media), Arc::new(progress)),
        Err(message) => {
            eprintln!("{message}");
            return 2;
        }
    };
    progress.start_saver(stop.clone());
    let remember = progress.clone();
    let (output, _writer) = Output::start(
        stop.clone(),
        Box::new(move |w| remember.delivered(&w.channel_id, &w.post_id, w.create_at)),
    );
    let (events, stdin, stopping) = hand_out(config, link, &stop, output, media, progress);
    // Dropped when the event thread ends, which `shut_down` waits for.
    let (events_alive, events_ended) = mpsc::channel::<()>();
    spawn("events", &stop, move || {
        events::run(Arc::new(events));
        drop(events_alive);
    });
    spawn("stdin", &stop, move || dispatch::run(Arc::new(stdin)));
    let reason = stop.wait();
    stopping.shut_down(reason, &events_ended)
}

/// Builds what each thread gets: the event thread, the stdin thread, and the main thread for
/// stopping them.
fn hand_out(
    config: Config,
    link: Link,
    stop: &Arc<Stop>,
    output: Output,
    media: Arc<Media>,
    progress: Arc<Progress>,
) -> (EventsShare, StdinShare, Stopping) {
    let transport = if config.use_websocket {
        Transport::Websocket
    } else {
        Transport::Polling
    };
    let api = Arc::new(
        Api::new(&config.server, &config.token, &link, config.retry_budget)
            .with_dm_retry(config.dm_retry),
    );
    let stats = Arc::new(Stats::new(transport.as_str()));
    let session = Arc::new(SessionCell::default());
    let stopping = Stopping {
        output: output.clone(),
        stats: stats.clone(),
        ws_interrupt: WsInterrupt::default(),
        inflight: Arc::new(InFlight::default()),
        progress: progress.clone(),
    };
    let stdin = StdinShare {
        api: api.clone(),
        stop: stop.clone(),
        output: output.clone(),
        stats: stats.clone(),
        session: session.clone(),
        inflight: stopping.inflight.clone(),
        media: media.clone(),
        login_wait: config.retry_budget,
        interaction_key: buttons::interaction_key(&config.token),
    };
    let events = EventsShare {
        config,
        link,
        api,
        stop: stop.clone(),
        output,
        stats,
        session,
        ws_interrupt: stopping.ws_interrupt.clone(),
        media,
        progress,
    };
    (events, stdin, stopping)
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

fn spawn(name: &str, stop: &Arc<Stop>, body: impl FnOnce() + Send + 'static) {
    if let Err(e) = std::thread::Builder::new().name(name.into()).spawn(body) {
        stop.trigger(StopReason::Fatal(format!(
            "cannot start the {name} thread: {e}"
        )));
    }
}

/// What the main thread keeps to stop the others in order.
struct Stopping {
    output: Output,
    stats: Arc<Stats>,
    ws_interrupt: WsInterrupt,
    inflight: Arc<InFlight>,
    progress: Arc<Progress>,
}

impl Stopping {
    fn shut_down(self, reason: StopReason, events_ended: &Receiver<()>) -> i32 {
        log::info!("stopping: {}", reason.describe());
        if let Some(tcp) = lock(&self.ws_interrupt).take() {
            net::interrupt(&tcp);
        }
        // The event thread hands over its batch of lines (`output::Batch`) as it ends: they go
        // out before `stopping`. It ends at once, unless a REST call of its is under way.
        let _ = events_ended.recv_timeout(EVENTS_GRACE);
        if !self.inflight.wait_idle(DRAIN_TIMEOUT) {
            log::warn!(
                "requests still running after {} s are abandoned",
                DRAIN_TIMEOUT.as_secs()
            );
        }
        self.stats.set_state(Status::Stopping.state());
        let line = Notification::Status(Status::Stopping).line();
        self.output.send_within(line, Duration::from_secs(1));
        self.output.finish(Duration::from_secs(2));
        self.progress.save();
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
}
