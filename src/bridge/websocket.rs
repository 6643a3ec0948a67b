//! The WebSocket transport: keeps a connection open (reconnecting with backoff), checks the
//! event sequence, keeps the connection alive, and hands `posted` events to `Delivery` and
//! reactions to `Reactions`.

use super::announce;
use super::catch_up::{self, UserNames};
use super::deliver::Delivery;
use super::listing;
use super::output::Batch;
use super::reactions::Reactions;
use super::shares::EventsShare;
use crate::backoff::{Backoff, UNAUTHORIZED_RETRY};
use crate::keepalive::{Due, Keepalive};
use crate::mattermost::api::Api;
use crate::mattermost::connect_error::ConnectError;
use crate::mattermost::event::{self, Frame, Hello};
use crate::mattermost::ws::{Connection, Read, Resume};
use crate::protocol::{Status, Transport, Trouble};
use crate::random;
use crate::session::Session;
use crate::stats::now_ms;
use crate::sync::lock;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Send a `ping` action this often (the web app's rhythm).
const PING_EVERY: Duration = Duration::from_secs(30);
/// No frame at all for this long means the server or the path to it is gone.
const DEAD_AFTER: Duration = Duration::from_secs(90);
/// A `hello` must follow the upgrade within this time.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// A resumed connection that closes this soon without a single event is treated as a failed
/// resume (e.g. a token revoked meanwhile): the next attempt starts fresh, where a missing
/// `hello` can be diagnosed.
const RESUME_PROBATION: Duration = Duration::from_secs(5);

pub fn run(shared: Arc<EventsShare>, session: Arc<Session>, login_api: Api, delivery: Delivery) {
    let mut stream = EventStream {
        backoff: Backoff::new(shared.config.reconnect_interval),
        reactions: Reactions::start(shared.clone(), session.clone()),
        shared,
        session,
        login_api,
        delivery,
        ready_sent: false,
        resume: None,
        live_since: None,
        names: UserNames::default(),
        bad_kinds: HashSet::new(),
    };
    stream.run();
}

/// How one connection ended.
enum Ended {
    Stopped,
    Lost(String),
    /// Closed or silent before `hello`: perhaps the token.
    NoHello(ConnectError),
}

struct EventStream {
    shared: Arc<EventsShare>,
    session: Arc<Session>,
    login_api: Api,
    backoff: Backoff,
    delivery: Delivery,
    reactions: Reactions,
    ready_sent: bool,
    /// Where the last connection left off, to resume it.
    resume: Option<Resume>,
    /// When (our clock, ms) the stream first went live in this process.
    live_since: Option<i64>,
    names: UserNames,
    /// Kinds of malformed frames already logged at warn level (then only at debug).
    bad_kinds: HashSet<&'static str>,
}

impl EventStream {
    fn run(&mut self) {
        loop {
            if self.shared.stop.is_stopping() {
                return;
            }
            let config = &self.shared.config;
            let resume = self.resume.take();
            let opened = Connection::open(
                &config.server,
                &config.token,
                &self.shared.link,
                PING_EVERY,
                resume.as_ref(),
            );
            let (trouble, error, floor) = match opened {
                Ok(conn) => match self.serve(conn, resume) {
                    Ended::Stopped => return,
                    Ended::Lost(e) => (Trouble::Reconnecting, e, Duration::ZERO),
                    Ended::NoHello(e) => self.explain_no_hello(e),
                },
                // The token refused on the upgrade: as slow as a refused login.
                Err(e) if e.is_unauthorized() => {
                    self.resume = resume;
                    (Trouble::Unauthorized, e.to_string(), UNAUTHORIZED_RETRY)
                }
                Err(e) => {
                    // Not even connected: the next attempt can still resume.
                    self.resume = resume;
                    (Trouble::Reconnecting, e.to_string(), Duration::ZERO)
                }
            };
            if self.shared.stop.is_stopping() {
                return;
            }
            self.shared.stats.reconnecting();
            let delay = self.backoff.next_delay(random::unit()).max(floor);
            announce::retry(&self.shared, trouble, self.backoff.attempt(), delay, &error);
            if self.shared.stop.sleep(delay) {
                return;
            }
        }
    }

    /// A socket that closes before `hello` usually means a bad token: ask REST to be sure.
    fn explain_no_hello(&self, error: ConnectError) -> (Trouble, String, Duration) {
        match self.login_api.me() {
            Err(e) if e.status() == Some(401) => (
                Trouble::Unauthorized,
                format!(
                    "Mattermost rejected the bot token ({e}); check channels.mattermost.botToken"
                ),
                UNAUTHORIZED_RETRY,
            ),
            _ => (
                Trouble::Reconnecting,
                format!("no hello from the server: {error}"),
                Duration::ZERO,
            ),
        }
    }

    /// Runs one connection until it ends: a resumed one at once, a new one from its `hello`.
    fn serve(&mut self, mut conn: Connection, resume: Option<Resume>) -> Ended {
        *lock(&self.shared.ws_interrupt) = conn.interrupter();
        let ended = match resume {
            Some(position) => {
                self.resumed(&position);
                self.backoff.went_live(Instant::now());
                self.pump(&mut conn, position, true)
            }
            None => match self.await_hello(&mut conn) {
                Ok(hello) => {
                    self.backoff.went_live(Instant::now());
                    // A new connection after an earlier one: what happened in between is lost.
                    let missed = self.ready_sent;
                    self.connected(&hello);
                    if missed {
                        self.catch_up("a new WebSocket connection");
                    }
                    let position = Resume {
                        connection_id: hello.connection_id,
                        sequence_number: 1,
                    };
                    self.pump(&mut conn, position, false)
                }
                Err(ended) => ended,
            },
        };
        lock(&self.shared.ws_interrupt).take();
        self.backoff.connection_ended(Instant::now());
        if matches!(ended, Ended::Stopped) {
            conn.close();
        }
        ended
    }

    fn await_hello(&mut self, conn: &mut Connection) -> Result<Hello, Ended> {
        let deadline = Instant::now() + HELLO_TIMEOUT;
        loop {
            if self.shared.stop.is_stopping() {
                return Err(Ended::Stopped);
            }
            match conn.read() {
                Ok(Read::Text(text)) => match event::parse(&text) {
                    Ok(parsed) => {
                        if let Frame::Hello(hello) = parsed.frame {
                            return Ok(hello);
                        }
                    }
                    Err(bad) => self.log_bad_frame(bad.kind, &bad.detail),
                },
                Ok(Read::Alive | Read::Idle) => {}
                Err(e) => return Err(self.ended_by(Ended::NoHello(e))),
            }
            if Instant::now() >= deadline {
                return Err(Ended::NoHello(ConnectError::NoHello {
                    within: HELLO_TIMEOUT,
                }));
            }
        }
    }

    fn connected(&mut self, hello: &Hello) {
        log::info!(
            "WebSocket connected (connection {}, server {})",
            hello.connection_id,
            hello.server_version
        );
        self.shared.stats.event_seen();
        if self.ready_sent {
            announce::status(&self.shared, Status::Connected);
        } else {
            self.ready_sent = true;
            self.shared.stats.set_state(Status::Connected.state());
            let version = &hello.server_version;
            announce::ready(&self.shared, &self.session, version, Transport::Websocket);
        }
        if self.live_since.is_none() {
            self.live_since = Some(now_ms() as i64);
            if !self.shared.progress.seen_anything() {
                // Nothing seen yet (a first start, or a state from before baselines): where
                // each channel stands, so that a restart can catch up from there.
                self.take_baseline();
            } else if self.shared.progress.restored() {
                // A restart: what was posted while we were not running.
                self.catch_up("the bridge was restarted");
            }
        }
    }

    fn resumed(&mut self, position: &Resume) {
        log::info!(
            "WebSocket resumed (connection {}, from event {})",
            position.connection_id,
            position.sequence_number
        );
        announce::status(&self.shared, Status::Connected);
    }

    /// Reads events until the connection fails or the bridge stops, then remembers where it
    /// left off so the next connection can resume.
    fn pump(&mut self, conn: &mut Connection, mut position: Resume, resuming: bool) -> Ended {
        let opened = Instant::now();
        let mut events_seen = false;
        let ended = self.read_events(conn, &mut position, &mut events_seen);
        let failed_resume = resuming && !events_seen && opened.elapsed() < RESUME_PROBATION;
        if failed_resume {
            log::info!("the resumed connection closed at once; the next one starts fresh");
        } else {
            self.resume = Some(position);
        }
        ended
    }

    fn read_events(
        &mut self,
        conn: &mut Connection,
        position: &mut Resume,
        events_seen: &mut bool,
    ) -> Ended {
        let mut keepalive = Keepalive::new(Instant::now(), PING_EVERY, DEAD_AFTER);
        // The lines of the events already here go to the writer together, handed over before
        // a read that waits: one wake-up of the writer per burst, not per line, and no line
        // waits for the network. Dropped (handed over) when the connection ends.
        let mut lines = self.shared.output.batch();
        loop {
            if self.shared.stop.is_stopping() {
                return Ended::Stopped;
            }
            let read = next_frame(conn, &mut lines);
            let now = Instant::now();
            match read {
                Ok(Read::Text(text)) => {
                    keepalive.frame_seen(now);
                    *events_seen = true;
                    if let Err(gap) = self.handle_frame(&text, position, &mut lines) {
                        return Ended::Lost(gap);
                    }
                }
                Ok(Read::Alive) => keepalive.frame_seen(now),
                Ok(Read::Idle) => {}
                Err(e) => return self.ended_by(Ended::Lost(e.to_string())),
            }
            match keepalive.check(now) {
                Due::Nothing => {}
                Due::Ping => {
                    // The write may wait (a full socket); the lines should not.
                    lines.hand_over();
                    if let Err(e) = conn.send_action("ping", json!({})) {
                        return self.ended_by(Ended::Lost(e.to_string()));
                    }
                }
                Due::Dead => {
                    return Ended::Lost(format!(
                        "no frame from the server for {} s",
                        DEAD_AFTER.as_secs()
                    ))
                }
            }
        }
    }

    /// A read error while stopping is our own interrupt, not a lost connection.
    fn ended_by(&self, ended: Ended) -> Ended {
        if self.shared.stop.is_stopping() {
            Ended::Stopped
        } else {
            ended
        }
    }

    /// Handles one text frame, its line (if any) into `lines`; an error means events were
    /// missed and we must reconnect (and resume from the first missed one).
    fn handle_frame(
        &mut self,
        text: &str,
        position: &mut Resume,
        lines: &mut Batch,
    ) -> Result<(), String> {
        let parsed = match event::parse(text) {
            Ok(parsed) => parsed,
            Err(bad) => {
                self.log_bad_frame(bad.kind, &bad.detail);
                // A malformed event still used up a sequence number.
                if let Some(seq) = sniff_seq(text) {
                    position.sequence_number = seq + 1;
                }
                return Ok(());
            }
        };
        if let Frame::Hello(hello) = &parsed.frame {
            // The server could not resume: a new connection, and the events in between are lost.
            if hello.connection_id != position.connection_id {
                log::info!(
                    "the server could not resume; new connection {}",
                    hello.connection_id
                );
                *position = Resume {
                    connection_id: hello.connection_id.clone(),
                    sequence_number: 1,
                };
                // Catch-up waits for REST: the lines of the events before the gap go first.
                lines.hand_over();
                self.catch_up("the server could not resume the WebSocket");
            }
            return Ok(());
        }
        if let Some(seq) = parsed.seq {
            if seq != position.sequence_number {
                return Err(format!(
                    "missed events (expected seq {}, got {seq})",
                    position.sequence_number
                ));
            }
            position.sequence_number = seq + 1;
            self.shared.stats.event_seen();
        }
        match parsed.frame {
            Frame::Posted(posted) => self.delivery.offer(posted, false, lines),
            Frame::Reaction(reaction) => self.reactions.offer(reaction),
            Frame::Changed { post, deleted } => self.delivery.changed(&post, deleted),
            Frame::Reply {
                ok: false,
                seq_reply,
            } => {
                log::debug!("server refused our action {seq_reply}")
            }
            Frame::Other { event } => log::trace!("ignoring event {event}"),
            Frame::Hello(_) | Frame::Reply { .. } => {}
        }
        Ok(())
    }

    /// `Progress::baseline` from the bot's channels (one listing per team). A failure is
    /// logged: the bridge works on, and the baseline is taken at the next start.
    fn take_baseline(&mut self) {
        if self.shared.config.state_file.is_none() || self.session.teams.is_empty() {
            return;
        }
        match listing::channels(&self.shared.api, &self.session.teams) {
            Ok(channels) => self.shared.progress.baseline(&channels),
            Err(e) => log::warn!("cannot note where the channels stand ({e}): posts made while the bridge is stopped before its first post are not caught up"),
        }
    }

    /// Events were lost: fetch what was posted meanwhile over REST. Runs on this thread, so
    /// live events wait (in the socket) and come after the caught-up ones.
    fn catch_up(&mut self, why: &str) {
        let fallback = self.live_since.unwrap_or_else(|| now_ms() as i64);
        let max_age = self.shared.config.catch_up_max_age.as_millis() as i64;
        let since = catch_up::gap_start(&self.shared.progress.snapshot(), fallback, max_age);
        log::info!("events may have been missed ({why}); catching up on posts since {since}");
        let shared = self.shared.clone();
        let mut lines = shared.output.batch();
        match catch_up::run(
            &shared,
            &self.session,
            &mut self.delivery,
            &mut self.names,
            since,
            &mut lines,
        ) {
            Ok(n) => log::info!("catch-up done: {n} posts found"),
            Err(e) => log::warn!("catch-up failed ({e}); posts from the gap may be missing"),
        }
    }

    fn log_bad_frame(&mut self, kind: &'static str, detail: &str) {
        if self.bad_kinds.insert(kind) {
            log::warn!("skipping a malformed server frame ({kind}): {detail} (further ones of this kind are logged at debug level)");
        } else {
            log::debug!("skipping a malformed server frame ({kind}): {detail}");
        }
    }
}

/// The next frame: one already received, or, once `lines` are handed over (nothing may wait
/// for the network), one the socket waits for.
fn next_frame(conn: &mut Connection, lines: &mut Batch) -> Result<Read, ConnectError> {
    match conn.read_buffered()? {
        Some(read) => Ok(read),
        None => {
            lines.hand_over();
            conn.read()
        }
    }
}

/// The `seq` of a frame we could not parse otherwise, so a bad event is not mistaken for a gap.
fn sniff_seq(text: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct OnlySeq {
        seq: Option<i64>,
    }
    serde_json::from_str::<OnlySeq>(text).ok()?.seq
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_is_sniffed_from_bad_frames() {
        assert_eq!(
            sniff_seq(r#"{"event":"posted","data":{"post":5},"seq":7}"#),
            Some(7)
        );
        assert_eq!(sniff_seq("garbage"), None);
    }
}
