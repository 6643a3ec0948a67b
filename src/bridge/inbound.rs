//! The event thread: logs in, keeps a WebSocket open (reconnecting with backoff), turns accepted
//! `posted` events into `message` lines and reports connection changes as `status` lines.

use super::Shared;
use crate::backoff::Backoff;
use crate::dedup::RecentIds;
use crate::keepalive::{Due, Keepalive};
use crate::mattermost::api::Api;
use crate::mattermost::event::{self, Frame, Hello, Posted};
use crate::mattermost::model::FileInfo;
use crate::mattermost::net;
use crate::mattermost::ws::{Connection, Read};
use crate::policy::{ChannelType, Incoming, Verdict};
use crate::protocol::{self, PROTOCOL_VERSION};
use crate::random;
use crate::session::{self, LoginError, Session};
use crate::stop::{lock, StopReason};
use serde::Serialize;
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
/// A rejected token is retried no faster than this.
const UNAUTHORIZED_RETRY: Duration = Duration::from_secs(60);
/// Post ids remembered for "at most once" delivery.
const DEDUP_CAPACITY: usize = 10_000;

pub fn run(shared: Arc<Shared>) {
    // Login failures are reported as `status` lines at once, so this client does not retry.
    let login_api = Api::new(&shared.config.server, &shared.config.token, Duration::ZERO);
    let Some(session) = login(&shared, &login_api) else {
        return;
    };
    let tls = match net::tls_config() {
        Ok(tls) => tls,
        Err(e) => {
            shared.stop.trigger(StopReason::Fatal(e));
            return;
        }
    };
    let mut stream = EventStream {
        backoff: Backoff::new(shared.config.reconnect_interval),
        shared,
        session,
        login_api,
        tls,
        seen: RecentIds::new(DEDUP_CAPACITY),
        ready_sent: false,
        bad_kinds: HashSet::new(),
    };
    stream.run();
}

/// Logs in, retrying until it works or the bridge stops.
fn login(shared: &Shared, api: &Api) -> Option<Arc<Session>> {
    let mut backoff = Backoff::new(shared.config.reconnect_interval);
    loop {
        let (state, error, floor) = match session::establish(&shared.config, api) {
            Ok(session) => {
                let session = Arc::new(session);
                log::info!(
                    "logged in to {} as @{} ({}), team {}",
                    shared.config.server,
                    session.bot.username,
                    session.bot.id,
                    session.team_id.as_deref().unwrap_or("(none)")
                );
                shared.stats.set_bot(json!({
                    "id": session.bot.id, "username": session.bot.username
                }));
                shared.session.set(session.clone());
                return Some(session);
            }
            Err(LoginError::Config(message)) => {
                shared.stop.trigger(StopReason::Config(message));
                return None;
            }
            Err(LoginError::Unauthorized(e)) => ("unauthorized", e, UNAUTHORIZED_RETRY),
            Err(LoginError::Transient(e)) => ("reconnecting", e, Duration::ZERO),
        };
        let delay = backoff.next_delay(random::unit()).max(floor);
        report_retry(shared, state, backoff.attempt(), delay, &error);
        if shared.stop.sleep(delay) {
            return None;
        }
    }
}

fn report_retry(shared: &Shared, state: &'static str, attempt: u32, delay: Duration, error: &str) {
    log::warn!(
        "{state}: {error}; retry {attempt} in {:.1} s",
        delay.as_secs_f64()
    );
    shared.stats.set_state(state);
    shared.output.send(protocol::notification(
        "status",
        &json!({
            "state": state, "attempt": attempt,
            "retryInMs": delay.as_millis() as u64, "error": error,
        }),
    ));
}

/// How one connection ended.
enum Ended {
    Stopped,
    Lost(String),
    /// Closed or silent before `hello`: perhaps the token.
    NoHello(String),
}

struct EventStream {
    shared: Arc<Shared>,
    session: Arc<Session>,
    login_api: Api,
    tls: Arc<rustls::ClientConfig>,
    backoff: Backoff,
    seen: RecentIds,
    ready_sent: bool,
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
            let (state, error, floor) =
                match Connection::open(&config.server, &config.token, &self.tls, PING_EVERY) {
                    Ok(conn) => match self.serve(conn) {
                        Ended::Stopped => return,
                        Ended::Lost(e) => ("reconnecting", e, Duration::ZERO),
                        Ended::NoHello(e) => self.explain_no_hello(e),
                    },
                    Err(e) => ("reconnecting", e, Duration::ZERO),
                };
            if self.shared.stop.is_stopping() {
                return;
            }
            self.shared.stats.reconnecting();
            let delay = self.backoff.next_delay(random::unit()).max(floor);
            report_retry(&self.shared, state, self.backoff.attempt(), delay, &error);
            if self.shared.stop.sleep(delay) {
                return;
            }
        }
    }

    /// A socket that closes before `hello` usually means a bad token: ask REST to be sure.
    fn explain_no_hello(&self, error: String) -> (&'static str, String, Duration) {
        match self.login_api.me() {
            Err(e) if e.status() == Some(401) => (
                "unauthorized",
                format!(
                    "Mattermost rejected the bot token ({e}); check channels.mattermost.botToken"
                ),
                UNAUTHORIZED_RETRY,
            ),
            _ => (
                "reconnecting",
                format!("no hello from the server: {error}"),
                Duration::ZERO,
            ),
        }
    }

    /// Runs one connection until it ends.
    fn serve(&mut self, mut conn: Connection) -> Ended {
        *lock(&self.shared.ws_interrupt) = conn.interrupter();
        let started = Instant::now();
        let ended = match self.await_hello(&mut conn) {
            Ok(hello) => {
                self.connected(&hello);
                self.pump(&mut conn)
            }
            Err(ended) => ended,
        };
        lock(&self.shared.ws_interrupt).take();
        self.backoff.connection_lasted(started.elapsed());
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
                return Err(Ended::NoHello(format!(
                    "no hello within {} s",
                    HELLO_TIMEOUT.as_secs()
                )));
            }
        }
    }

    fn connected(&mut self, hello: &Hello) {
        log::info!(
            "WebSocket connected (connection {}, server {})",
            hello.connection_id,
            hello.server_version
        );
        self.shared.stats.set_state("connected");
        self.shared.stats.event_seen();
        let line = if self.ready_sent {
            protocol::notification("status", &json!({ "state": "connected" }))
        } else {
            self.ready_sent = true;
            let session = &self.session;
            protocol::notification(
                "ready",
                &json!({
                    "protocol": PROTOCOL_VERSION,
                    "version": env!("CARGO_PKG_VERSION"),
                    "bot": { "id": session.bot.id, "username": session.bot.username },
                    "teamId": session.team_id,
                    "serverVersion": short_version(&hello.server_version),
                    "transport": "websocket",
                }),
            )
        };
        self.shared.output.send(line);
    }

    /// Reads events until the connection fails or the bridge stops.
    fn pump(&mut self, conn: &mut Connection) -> Ended {
        let mut expected_seq = 1;
        let mut keepalive = Keepalive::new(Instant::now(), PING_EVERY, DEAD_AFTER);
        loop {
            if self.shared.stop.is_stopping() {
                return Ended::Stopped;
            }
            let read = conn.read();
            let now = Instant::now();
            match read {
                Ok(Read::Text(text)) => {
                    keepalive.frame_seen(now);
                    if let Err(gap) = self.handle_frame(&text, &mut expected_seq) {
                        return Ended::Lost(gap);
                    }
                }
                Ok(Read::Alive) => keepalive.frame_seen(now),
                Ok(Read::Idle) => {}
                Err(e) => return self.ended_by(Ended::Lost(e)),
            }
            match keepalive.check(now) {
                Due::Nothing => {}
                Due::Ping => {
                    if let Err(e) = conn.send_action("ping", json!({})) {
                        return self.ended_by(Ended::Lost(e));
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

    /// Handles one text frame; an error means events were missed and we must reconnect.
    fn handle_frame(&mut self, text: &str, expected_seq: &mut i64) -> Result<(), String> {
        let parsed = match event::parse(text) {
            Ok(parsed) => parsed,
            Err(bad) => {
                self.log_bad_frame(bad.kind, &bad.detail);
                // A malformed event still used up a sequence number.
                if let Some(seq) = sniff_seq(text) {
                    *expected_seq = seq + 1;
                }
                return Ok(());
            }
        };
        if let Some(seq) = parsed.seq {
            if seq != *expected_seq {
                return Err(format!(
                    "missed events (expected seq {}, got {seq})",
                    *expected_seq
                ));
            }
            *expected_seq = seq + 1;
            self.shared.stats.event_seen();
        }
        match parsed.frame {
            Frame::Posted(posted) => self.on_posted(&posted),
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

    fn log_bad_frame(&mut self, kind: &'static str, detail: &str) {
        if self.bad_kinds.insert(kind) {
            log::warn!("skipping a malformed server frame ({kind}): {detail} (further ones of this kind are logged at debug level)");
        } else {
            log::debug!("skipping a malformed server frame ({kind}): {detail}");
        }
    }

    fn on_posted(&mut self, posted: &Posted) {
        let post = &posted.post;
        let Some(channel_type) = ChannelType::from_code(&posted.channel_type) else {
            self.log_bad_frame("channel-type", &posted.channel_type);
            return;
        };
        let policy = &self.session.policy;
        let incoming = Incoming {
            channel_type,
            channel_id: &post.channel_id,
            team_id: &posted.team_id,
            user_id: &post.user_id,
            post_type: &post.kind,
            from_bot: post.props.from_bot,
            from_webhook: post.props.from_webhook,
            message: &post.message,
            server_mentioned: posted.mentions.iter().any(|id| *id == self.session.bot.id),
        };
        let (text, mentioned, authorized) = match policy.decide(&incoming) {
            Verdict::Accept {
                text,
                mentioned,
                authorized,
            } => (text, mentioned, authorized),
            Verdict::Drop(reason) => {
                log::debug!("dropped post {} ({reason:?})", post.id);
                return;
            }
        };
        if !self.seen.insert(&post.id) {
            log::debug!("post {} already delivered", post.id);
            return;
        }
        let root_id = (!post.root_id.is_empty()).then_some(post.root_id.as_str());
        let params = MessageParams {
            id: &post.id,
            channel_id: &post.channel_id,
            channel_type: channel_type.as_str(),
            channel_name: &posted.channel_name,
            channel_display_name: &posted.channel_display_name,
            team_id: (!posted.team_id.is_empty()).then_some(posted.team_id.as_str()),
            root_id,
            thread_id: root_id.unwrap_or(&post.id),
            sender: Sender {
                id: &post.user_id,
                username: posted.sender_name.trim_start_matches('@'),
            },
            text,
            mentioned,
            create_at: post.create_at,
            files: attachments(&post.file_ids, &post.metadata.files),
            catch_up: false,
            authorized,
        };
        if self
            .shared
            .output
            .send(protocol::notification("message", &params))
        {
            self.shared.stats.delivered();
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageParams<'a> {
    id: &'a str,
    channel_id: &'a str,
    channel_type: &'static str,
    channel_name: &'a str,
    channel_display_name: &'a str,
    team_id: Option<&'a str>,
    root_id: Option<&'a str>,
    thread_id: &'a str,
    sender: Sender<'a>,
    text: &'a str,
    mentioned: bool,
    create_at: i64,
    files: Vec<FileParams<'a>>,
    catch_up: bool,
    authorized: bool,
}

#[derive(Serialize)]
struct Sender<'a> {
    id: &'a str,
    username: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileParams<'a> {
    id: &'a str,
    name: &'a str,
    size: i64,
    mime_type: &'a str,
    path: Option<&'a str>,
    error: &'static str,
}

/// Every attachment, described from the post's metadata. Downloading into `mediaDir` is not in
/// this version, so `path` is null and `error` says so.
fn attachments<'a>(file_ids: &'a [String], infos: &'a [FileInfo]) -> Vec<FileParams<'a>> {
    const NOT_DOWNLOADED: &str = "not downloaded: this bridge version does not fetch attachments";
    let mut files: Vec<FileParams> = infos
        .iter()
        .map(|info| FileParams {
            id: &info.id,
            name: &info.name,
            size: info.size,
            mime_type: &info.mime_type,
            path: None,
            error: NOT_DOWNLOADED,
        })
        .collect();
    for id in file_ids {
        if !infos.iter().any(|info| &info.id == id) {
            files.push(FileParams {
                id,
                name: "",
                size: 0,
                mime_type: "",
                path: None,
                error: NOT_DOWNLOADED,
            });
        }
    }
    files
}

/// `10.11.0.12345.abc.true` → `10.11.0`.
fn short_version(full: &str) -> String {
    full.split('.').take(3).collect::<Vec<_>>().join(".")
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
    fn versions_are_shortened() {
        assert_eq!(short_version("10.11.0.12345.abc.true"), "10.11.0");
        assert_eq!(short_version("9.5"), "9.5");
    }

    #[test]
    fn attachments_cover_ids_without_metadata() {
        let infos = vec![FileInfo {
            id: "f1".into(),
            name: "a.pdf".into(),
            size: 3,
            mime_type: "application/pdf".into(),
        }];
        let ids = vec!["f1".to_string(), "f2".to_string()];
        let files = attachments(&ids, &infos);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].name, "a.pdf");
        assert_eq!(files[1].id, "f2");
        assert!(files.iter().all(|f| f.path.is_none()));
    }

    #[test]
    fn seq_is_sniffed_from_bad_frames() {
        assert_eq!(
            sniff_seq(r#"{"event":"posted","data":{"post":5},"seq":7}"#),
            Some(7)
        );
        assert_eq!(sniff_seq("garbage"), None);
    }
}
