//! A fake Mattermost server for the integration tests.
//!
//! It speaks the real protocol over real sockets on 127.0.0.1: HTTP/1.1 with keep-alive for the
//! REST API v4 and a WebSocket at `/api/v4/websocket` on the same port. The behaviour follows
//! `docs/mattermost.md` (status codes, JSON shapes, AppError bodies, the post as a JSON string
//! inside `posted` events, 429 in plain text).
//!
//! Design: one accept thread, one thread per TCP connection. A connection that upgrades to a
//! WebSocket keeps its thread, which becomes the only writer of that socket: broadcasts, the
//! ping timer and replies all go through it, so frames never interleave and a broadcast only
//! queues (never blocks on a slow client).
//!
//! Every integration test file includes this module and uses only part of it.
#![allow(dead_code)]

use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Bytes, Message, WebSocket};

pub mod conn;
use conn::Conn;

// ---------------------------------------------------------------------------------------------
// The fixture's world. Ids are 26 lowercase alphanumerics, like Mattermost's.
// ---------------------------------------------------------------------------------------------

/// The bot's personal access token; any other bearer token is rejected.
pub const TOKEN: &str = "tok3nAbCdEf0123456789secret";
pub const BOT_USERNAME: &str = "openclaw";
/// What `/config/client` reports as `Version`.
pub const SERVER_VERSION: &str = "10.11.0";
/// What `hello` reports: version, build number, build hash, enterprise flag.
pub const SERVER_VERSION_FULL: &str = "10.11.0.12345.abc.true";

pub const BOT_ID: &str = "openclawbot000000000000001";
pub const ALICE_ID: &str = "alice000000000000000000001";
pub const BOB_ID: &str = "bob00000000000000000000001";
pub const OTHERBOT_ID: &str = "helperbot00000000000000001";

pub const TEAM_ID: &str = "teamacme000000000000000001";
pub const OTHER_TEAM_ID: &str = "teamother00000000000000001";

pub const TOWN_SQUARE: &str = "townsquare0000000000000001";
pub const PRIVATE_CH: &str = "secretplans000000000000001";
pub const OFFTOPIC: &str = "offtopic000000000000000001";
pub const OTHER_TEAM_CH: &str = "otherlobby0000000000000001";
pub const DM_ALICE: &str = "dmalice0000000000000000001";
pub const GROUP_CH: &str = "groupchat00000000000000001";

const DEFAULT_MAX_POST_SIZE: usize = 16383;
const DEFAULT_MAX_FILE_SIZE: u64 = 104_857_600;
const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(60);
/// The real server waits ~5 s for an unauthenticated socket; 1 s keeps the tests fast.
const UNAUTHENTICATED_GRACE: Duration = Duration::from_secs(1);
/// How long a WebSocket thread waits for a client frame before it looks at its queue again.
const WS_POLL: Duration = Duration::from_millis(20);

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
/// Same-`pending_post_id` posts within this window are the same post.
const DEDUPE_WINDOW_MS: i64 = 30_000;
const MAX_LINE: u64 = 64 * 1024;
const MAX_HEADERS: usize = 200;
const MAX_BODY: usize = 256 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// One HTTP request as the fake received it (REST calls and WebSocket upgrades).
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The request target, including the query string.
    pub path: String,
    /// Header names are lowercased; values as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request was fully read.
    pub at: Instant,
}

impl Request {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, or `Null` when it is empty or not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The path without the query string.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// A query parameter, percent-decoded.
    pub fn query(&self, key: &str) -> Option<String> {
        let (_, query) = self.path.split_once('?')?;
        query
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| percent_decode(v))
    }
}

/// A canned reply for REST requests, queued with [`FakeMattermost::inject`].
#[derive(Clone, Debug)]
pub struct Fault {
    pub status: u16,
    pub body: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    /// How many matching requests get this fault.
    pub times: usize,
    /// Close the TCP connection instead of answering.
    pub close_without_response: bool,
    /// Wait this long before answering (or closing, or passing through).
    pub delay: Duration,
    /// Let this many matching requests through untouched before the fault applies.
    pub after: usize,
    /// Answer normally (after `delay`): only the delay is injected.
    pub pass: bool,
    /// Write the response body at this many bytes per second (a slow link).
    pub body_rate: Option<usize>,
    /// Announce the whole body, send only this many bytes of it, then close (a cut transfer).
    pub cut_body_after: Option<usize>,
}

impl Fault {
    /// A reply with any status, content type and body, once.
    pub fn raw(status: u16, content_type: &str, body: &str) -> Fault {
        Fault {
            status,
            body: body.to_string(),
            content_type: content_type.to_string(),
            headers: Vec::new(),
            times: 1,
            close_without_response: false,
            delay: Duration::ZERO,
            after: 0,
            pass: false,
            body_rate: None,
            cut_body_after: None,
        }
    }

    /// A JSON AppError like the real server's, once.
    pub fn app_error(status: u16, id: &str, message: &str) -> Fault {
        let body = app_error_json(status, id, message, "").to_string();
        Fault::raw(status, "application/json", &body)
    }

    /// 429 as the real rate limiter sends it: plain text plus the X-Ratelimit-* headers.
    pub fn rate_limited(retry_after_secs: u64) -> Fault {
        let secs = retry_after_secs.to_string();
        let mut fault = Fault::raw(429, "text/plain; charset=utf-8", "limit exceeded\n");
        fault.headers = vec![
            ("X-Ratelimit-Limit".into(), "10".into()),
            ("X-Ratelimit-Remaining".into(), "0".into()),
            ("X-Ratelimit-Reset".into(), secs.clone()),
            ("Retry-After".into(), secs),
        ];
        fault
    }

    /// Close the TCP connection without any response, once.
    pub fn close() -> Fault {
        let mut fault = Fault::raw(0, "", "");
        fault.close_without_response = true;
        fault
    }

    /// No fault at all: the request is answered normally. Combine with `delayed` to slow a call.
    pub fn pass() -> Fault {
        let mut fault = Fault::raw(0, "", "");
        fault.pass = true;
        fault
    }

    pub fn times(mut self, n: usize) -> Fault {
        self.times = n;
        self
    }

    pub fn delayed(mut self, d: Duration) -> Fault {
        self.delay = d;
        self
    }

    /// Sends the body no faster than `bytes_per_sec`.
    pub fn throttled(mut self, bytes_per_sec: usize) -> Fault {
        self.body_rate = Some(bytes_per_sec.max(10));
        self
    }

    /// Sends only the first `n` bytes of the body, then closes the connection.
    pub fn cut_after(mut self, n: usize) -> Fault {
        self.cut_body_after = Some(n);
        self
    }

    /// Let the first `n` matching requests through, then apply the fault.
    pub fn after(mut self, n: usize) -> Fault {
        self.after = n;
        self
    }
}

/// A post written by someone on the server side (a user, another bot, the system).
#[derive(Clone, Debug)]
pub struct NewPost {
    user_id: String,
    channel_id: String,
    message: String,
    root_id: String,
    kind: String,
    props: Map<String, Value>,
    /// `None`: the default rule; `Some(None)`: omit `data.mentions`; `Some(Some(ids))`: these.
    mentions: Option<Option<Vec<String>>>,
    file_ids: Vec<String>,
    create_at: Option<i64>,
    pending_post_id: String,
}

impl NewPost {
    pub fn new(user_id: &str, channel_id: &str, message: &str) -> NewPost {
        NewPost {
            user_id: user_id.to_string(),
            channel_id: channel_id.to_string(),
            message: message.to_string(),
            root_id: String::new(),
            kind: String::new(),
            props: Map::new(),
            mentions: None,
            file_ids: Vec::new(),
            create_at: None,
            pending_post_id: String::new(),
        }
    }

    pub fn root(mut self, root_id: &str) -> NewPost {
        self.root_id = root_id.to_string();
        self
    }

    /// `Post.type`, e.g. "system_join_channel".
    pub fn kind(mut self, post_type: &str) -> NewPost {
        self.kind = post_type.to_string();
        self
    }

    /// `Post.props`; must be a JSON object.
    pub fn props(mut self, props: Value) -> NewPost {
        match props {
            Value::Object(map) => self.props = map,
            other => panic!("NewPost::props wants a JSON object, got {other}"),
        }
        self
    }

    /// Overrides `data.mentions` of the `posted` event (`None` omits it).
    pub fn mentions(mut self, ids: Option<Vec<String>>) -> NewPost {
        self.mentions = Some(ids);
        self
    }

    pub fn file_ids(mut self, ids: Vec<String>) -> NewPost {
        self.file_ids = ids;
        self
    }

    /// Sets `create_at` and `update_at` (ms since the epoch).
    pub fn create_at(mut self, ms: i64) -> NewPost {
        self.create_at = Some(ms);
        self
    }
}

/// The fake server. Dropping it stops accepting and closes the WebSockets.
pub struct FakeMattermost {
    shared: Arc<Shared>,
}

impl FakeMattermost {
    /// Binds 127.0.0.1 on a free port and starts serving; the port is listening on return.
    pub fn start() -> FakeMattermost {
        FakeMattermost::start_with(None)
    }

    /// Serves `https` and `wss` with the test certificate (for `localhost`, signed by the CA
    /// in `test_ca_file()`); `url()` then is `https://localhost:PORT`.
    pub fn start_tls() -> FakeMattermost {
        FakeMattermost::start_with(Some(conn::test_server_config()))
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> FakeMattermost {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the fake Mattermost");
        let port = listener.local_addr().expect("local address").port();
        let mut shared = Shared::new(port);
        shared.tls = tls;
        let shared = Arc::new(shared);
        let accepting = shared.clone();
        thread::Builder::new()
            .name(format!("fake-mm-{port}"))
            .spawn(move || accept_loop(listener, accepting))
            .expect("spawning the accept thread");
        FakeMattermost { shared }
    }

    pub fn url(&self) -> String {
        match self.shared.tls {
            None => format!("http://127.0.0.1:{}", self.shared.port),
            Some(_) => format!("https://localhost:{}", self.shared.port),
        }
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    // --- state setup -------------------------------------------------------------------------

    /// `MaxPostSize` in runes (Unicode scalar values).
    pub fn set_max_post_size(&self, n: usize) {
        self.shared.lock().max_post_size = n;
    }

    pub fn set_max_file_size(&self, n: u64) {
        self.shared.lock().max_file_size = n;
    }

    /// false: REST answers 401 and a WebSocket gets no `hello` and is closed after ~1 s.
    pub fn set_token_valid(&self, valid: bool) {
        self.shared.lock().token_valid = valid;
    }

    /// Adds (or replaces) a user.
    pub fn add_user(&self, id: &str, username: &str, is_bot: bool) {
        let mut st = self.shared.lock();
        st.users.retain(|u| u.id != id);
        st.users.push(User {
            id: id.to_string(),
            username: username.to_string(),
            is_bot,
        });
    }

    /// Adds (or replaces) a channel; the bot is a member. `kind` is O, P, D or G.
    pub fn add_channel(&self, id: &str, kind: &str, name: &str, display_name: &str, team_id: &str) {
        let mut st = self.shared.lock();
        st.channels.retain(|c| c.id != id);
        let channel = Channel::created_now(id, kind, name, display_name, team_id);
        st.channels.push(channel);
    }

    /// Whether a channel with this id exists (`post` panics on an unknown one).
    pub fn has_channel(&self, id: &str) -> bool {
        self.shared.lock().channel(id).is_some()
    }

    /// Makes the bot join or leave a channel (a channel it left answers 403 to posts).
    pub fn set_bot_member(&self, channel_id: &str, member: bool) {
        if let Some(channel) = self.shared.lock().channel_mut(channel_id) {
            channel.bot_member = member;
        }
    }

    /// Stores a file as if a user had uploaded it; returns its FileInfo.
    pub fn add_file(&self, id: &str, name: &str, bytes: &[u8]) -> Value {
        let mut st = self.shared.lock();
        let now = st.tick();
        let file = StoredFile::new(id, "", "", name, None, bytes.to_vec(), now);
        let info = file.info.clone();
        st.files.push(file);
        info
    }

    /// The bytes of a stored file (uploaded by the bridge or added by a test).
    pub fn file_bytes(&self, id: &str) -> Option<Vec<u8>> {
        let st = self.shared.lock();
        st.files
            .iter()
            .find(|f| f.info["id"] == id)
            .map(|f| f.bytes.clone())
    }

    /// Marks a user as a bot account or a person (the bot's own token then is a personal one).
    pub fn set_is_bot(&self, user_id: &str, is_bot: bool) {
        let mut st = self.shared.lock();
        if let Some(user) = st.users.iter_mut().find(|u| u.id == user_id) {
            user.is_bot = is_bot;
        }
    }

    /// What the `channel_user` role may do (default includes `create_post`).
    pub fn set_channel_user_permissions(&self, permissions: &[&str]) {
        self.shared.lock().channel_user_permissions =
            permissions.iter().map(|p| p.to_string()).collect();
    }

    /// Makes a stored file's FileInfo claim `size` bytes (a server whose metadata lies).
    pub fn set_file_declared_size(&self, id: &str, size: u64) {
        let mut st = self.shared.lock();
        if let Some(file) = st.files.iter_mut().find(|f| f.info["id"] == id) {
            file.info["size"] = size.into();
        }
    }

    // --- events ------------------------------------------------------------------------------

    /// Stores a post and sends `posted` to every authenticated WebSocket; returns the post id.
    /// Panics if the channel is unknown (add it with `add_channel` first).
    pub fn post(&self, p: NewPost) -> String {
        let mut st = self.shared.lock();
        assert!(
            st.channel(&p.channel_id).is_some(),
            "fake.post: unknown channel {}",
            p.channel_id
        );
        let post = st.store_post(&p);
        let mentions = st.mentions_for(&p);
        st.broadcast_posted(&post, mentions);
        post["id"].as_str().unwrap_or_default().to_string()
    }

    /// Edits a stored post as its author would, sending `post_edited`; returns the new Post.
    pub fn edit_post(&self, post_id: &str, message: &str) -> Option<Value> {
        self.shared.lock().edit_post(post_id, Some(message), None)
    }

    /// Deletes a stored post, sending `post_deleted`; returns the deleted Post.
    pub fn delete_post(&self, post_id: &str) -> Option<Value> {
        self.shared.lock().delete_post(post_id)
    }

    /// Sends any event (with seq bookkeeping) to every authenticated WebSocket.
    pub fn broadcast_event(&self, event: &str, data: Value) {
        let frame = event_frame(event, data, "");
        self.shared.lock().broadcast(Outgoing::Event(frame));
    }

    /// Sends an event already rendered as JSON text (an object without `seq`), numbered like
    /// any other event: for benchmarks that must send faster than building JSON values allows.
    pub fn broadcast_event_text(&self, event: &str) {
        self.shared.lock().broadcast_text(event);
    }

    /// Many events under one lock, for benchmarks whose sender must outrun the bridge.
    pub fn broadcast_event_texts(&self, events: &[String]) {
        let mut st = self.shared.lock();
        for event in events {
            st.broadcast_text(event);
        }
    }

    /// Sends an arbitrary text frame to every authenticated WebSocket; no seq bookkeeping.
    pub fn broadcast_raw(&self, frame: &str) {
        self.shared
            .lock()
            .broadcast(Outgoing::Raw(frame.to_string()));
    }

    /// Closes every live WebSocket abruptly: TCP shutdown, no close frame.
    pub fn drop_websockets(&self) {
        let handles = {
            let mut st = self.shared.lock();
            for session in st.ws_sessions.values_mut() {
                session.attached = None;
                session.queued_while_detached = 0;
            }
            std::mem::take(&mut st.ws)
        };
        for handle in handles {
            let _ = handle.socket.shutdown(Shutdown::Both);
        }
        self.shared.notify();
    }

    /// Forgets every `connection_id`, as a restarted server (or a long idle) does: the next
    /// resume gets a new connection and a fresh `hello`.
    pub fn expire_ws_sessions(&self) {
        self.shared.lock().ws_sessions.clear();
    }

    /// How many sockets were closed (and their `connection_id` forgotten) because their send
    /// queue was full.
    pub fn ws_send_queue_closes(&self) -> usize {
        self.shared.lock().ws_send_queue_closes
    }

    /// How many events a socket may have queued before it is closed: 256 like the real server
    /// unless changed. Only the benchmark raises it (`usize::MAX`), to measure how fast the
    /// bridge reads a flood rather than how the server gives up on it.
    pub fn set_send_queue_limit(&self, events: usize) {
        self.shared.lock().send_queue_limit = events;
    }

    /// How many connections were resumed (reconnects that got their missed events, no `hello`).
    pub fn ws_resumes(&self) -> usize {
        self.shared.lock().ws_resumes
    }

    /// The server sends WebSocket Ping frames at this interval (default 60 s).
    pub fn set_ws_ping_interval(&self, d: Duration) {
        let ms = d.as_millis().clamp(1, u64::MAX as u128) as u64;
        self.shared.ping_interval_ms.store(ms, Ordering::Relaxed);
    }

    /// How long a WebSocket thread waits for a client frame before sending what was queued
    /// meanwhile (default 20 ms). Events queued at a steady rate leave in bursts of this period;
    /// latency benchmarks shorten it so each event leaves on its own.
    pub fn set_ws_poll(&self, d: Duration) {
        let us = d.as_micros().clamp(1, u64::MAX as u128) as u64;
        self.shared.ws_poll_us.store(us, Ordering::Relaxed);
    }

    // --- faults ------------------------------------------------------------------------------

    /// The next `fault.times` requests whose method matches and whose path (without query)
    /// starts with `path_prefix` get this reply. Faults form a queue: a request is handled by
    /// the first one that matches it, so two injected faults for the same path apply in turn.
    /// WebSocket upgrades (`GET /api/v4/websocket`) can be faulted too.
    pub fn inject(&self, method: &str, path_prefix: &str, fault: Fault) {
        if fault.times == 0 {
            return;
        }
        self.shared.lock().faults.push(PendingFault {
            method: method.to_string(),
            path_prefix: path_prefix.to_string(),
            fault,
        });
    }

    // --- observation -------------------------------------------------------------------------

    /// Every HTTP request received (REST calls and WebSocket upgrades), in order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().requests.clone()
    }

    /// The first request, already received or arriving within `timeout`, that matches `pred`.
    pub fn wait_for_request(
        &self,
        pred: impl Fn(&Request) -> bool,
        timeout: Duration,
    ) -> Option<Request> {
        self.shared
            .wait_until(timeout, |st| st.requests.iter().find(|r| pred(r)).cloned())
    }

    /// Stored posts (Post JSON) in creation order, with their current content (edit-history
    /// rows left out).
    pub fn posts(&self) -> Vec<Value> {
        let st = self.shared.lock();
        st.posts
            .iter()
            .filter(|p| p["original_id"] == "")
            .cloned()
            .collect()
    }

    /// Stored reactions (Reaction JSON).
    pub fn reactions(&self) -> Vec<Value> {
        self.shared.lock().reactions.clone()
    }

    /// FileInfos of stored files (uploaded or added).
    pub fn files(&self) -> Vec<Value> {
        self.shared
            .lock()
            .files
            .iter()
            .map(|f| f.info.clone())
            .collect()
    }

    /// How many WebSocket upgrades were accepted in total.
    pub fn ws_connections(&self) -> usize {
        self.shared.lock().ws_total
    }

    /// How many WebSockets are open now (authenticated or not).
    pub fn ws_live(&self) -> usize {
        self.shared.lock().ws.len()
    }

    /// Waits until `ws_connections() >= total` and a live connection has been sent `hello`.
    pub fn wait_for_ws(&self, total: usize, timeout: Duration) -> bool {
        self.shared
            .wait_until(timeout, |st| {
                (st.ws_total >= total && st.ws.iter().any(|h| h.hello_sent)).then_some(())
            })
            .is_some()
    }

    /// Text frames the clients sent (parsed JSON; a non-JSON frame appears as a JSON string).
    pub fn ws_client_frames(&self) -> Vec<Value> {
        self.shared.lock().ws_client_frames.clone()
    }

    /// Pong frames received from clients.
    pub fn ws_pongs(&self) -> usize {
        self.shared.lock().ws_pongs
    }

    /// The headers of each WebSocket upgrade request (names lowercased).
    pub fn ws_upgrade_headers(&self) -> Vec<Vec<(String, String)>> {
        self.shared.lock().ws_upgrade_headers.clone()
    }
}

impl Drop for FakeMattermost {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // accept() blocks: a connection of our own wakes it up so it can see the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.shared.port));
        self.drop_websockets();
    }
}

// ---------------------------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------------------------

struct Shared {
    port: u16,
    state: Mutex<State>,
    /// Signalled whenever something observable changes (requests, WebSocket state).
    changed: Condvar,
    stopping: AtomicBool,
    /// Read by every WebSocket thread on each turn, so it is an atomic rather than state.
    ping_interval_ms: AtomicU64,
    /// Read timeout of the WebSocket threads, µs (see `set_ws_poll`).
    ws_poll_us: AtomicU64,
    next_conn: AtomicU64,
    /// Set: every connection is TLS.
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl Shared {
    fn new(port: u16) -> Shared {
        Shared {
            port,
            state: Mutex::new(State::seeded()),
            changed: Condvar::new(),
            stopping: AtomicBool::new(false),
            ping_interval_ms: AtomicU64::new(DEFAULT_PING_INTERVAL.as_millis() as u64),
            ws_poll_us: AtomicU64::new(WS_POLL.as_micros() as u64),
            next_conn: AtomicU64::new(1),
            tls: None,
        }
    }

    /// A panicking test thread must not take the whole fake down with a poisoned lock.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn notify(&self) {
        self.changed.notify_all();
    }

    fn wait_until<T>(&self, timeout: Duration, check: impl Fn(&State) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            if let Some(found) = check(&st) {
                return Some(found);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            st = self
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn record(&self, req: &Request) {
        let mut st = self.lock();
        st.requests.push(req.clone());
        if wants_websocket(req) {
            st.ws_upgrade_headers.push(req.headers.clone());
        }
        drop(st);
        self.notify();
    }

    fn update_ws(&self, id: u64, change: impl FnOnce(&mut WsHandle)) {
        if let Some(handle) = self.lock().ws.iter_mut().find(|h| h.id == id) {
            change(handle);
        }
        self.notify();
    }

    fn forget_ws(&self, id: u64) {
        let mut st = self.lock();
        st.ws.retain(|h| h.id != id);
        for session in st.ws_sessions.values_mut() {
            if session.attached == Some(id) {
                session.attached = None;
                session.queued_while_detached = 0;
            }
        }
        drop(st);
        self.notify();
    }

    fn ws_poll(&self) -> Duration {
        Duration::from_micros(self.ws_poll_us.load(Ordering::Relaxed))
    }

    fn ping_interval(&self) -> Duration {
        Duration::from_millis(self.ping_interval_ms.load(Ordering::Relaxed))
    }
}

struct User {
    id: String,
    username: String,
    is_bot: bool,
}

struct Team {
    id: String,
    name: String,
    display_name: String,
}

struct Channel {
    id: String,
    kind: String,
    name: String,
    display_name: String,
    team_id: String,
    create_at: i64,
    last_post_at: i64,
    total_msg_count: i64,
    bot_member: bool,
}

impl Channel {
    fn new(id: &str, kind: &str, name: &str, display_name: &str, team_id: &str) -> Channel {
        Channel {
            id: id.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            display_name: display_name.to_string(),
            team_id: team_id.to_string(),
            create_at: CREATED_AT,
            last_post_at: 0,
            total_msg_count: 0,
            bot_member: true,
        }
    }

    /// A channel created now (mid-run), not with the fixture.
    fn created_now(id: &str, kind: &str, name: &str, display_name: &str, team_id: &str) -> Channel {
        Channel {
            create_at: now_ms(),
            ..Channel::new(id, kind, name, display_name, team_id)
        }
    }

    fn is_direct_or_group(&self) -> bool {
        self.kind == "D" || self.kind == "G"
    }
}

struct StoredFile {
    info: Value,
    bytes: Vec<u8>,
}

impl StoredFile {
    fn new(
        id: &str,
        user_id: &str,
        channel_id: &str,
        name: &str,
        declared_mime: Option<&str>,
        bytes: Vec<u8>,
        now: i64,
    ) -> StoredFile {
        let extension = name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .unwrap_or_default();
        let mime = mime_for(&extension, declared_mime);
        let info = json!({
            "id": id, "user_id": user_id, "post_id": "", "channel_id": channel_id,
            "create_at": now, "update_at": now, "delete_at": 0,
            "name": name, "extension": extension, "size": bytes.len(), "mime_type": mime,
            "width": 0, "height": 0, "has_preview_image": false, "mini_preview": null,
            "remote_id": "", "archived": false,
        });
        StoredFile { info, bytes }
    }
}

struct PendingFault {
    method: String,
    path_prefix: String,
    fault: Fault,
}

/// What a WebSocket thread is asked to send.
#[derive(Clone)]
enum Outgoing {
    /// An event without `seq`; the connection numbers it.
    Event(Value),
    /// A text frame sent as is.
    Raw(String),
}

/// The fake's view of one open WebSocket; the socket itself belongs to its thread.
struct WsHandle {
    id: u64,
    outbox: Sender<Outgoing>,
    queue: Arc<SendQueue>,
    /// A clone of the socket, only for shutting it down from outside.
    socket: TcpStream,
    /// Events go only to authenticated connections, like the real hub.
    authed: bool,
    /// The connection is ready for events (after `hello`, or at once when resumed).
    hello_sent: bool,
    /// The `connection_id` this socket serves.
    session: Option<String>,
}

/// How many events the real server queues for a connected socket (its send channel).
const SEND_QUEUE_EVENTS: usize = 256;

/// What a WebSocket's thread has not written yet, shared with the broadcasters.
#[derive(Default)]
struct SendQueue {
    /// Events handed to the thread and not yet taken from its outbox.
    pending: AtomicUsize,
    /// The thread is writing to the socket (a client that does not read blocks it there).
    writing: AtomicBool,
}

/// The server's memory of one `connection_id`: its event numbering and the recent events, so a
/// client that reconnects with `connection_id` and `sequence_number` gets what it missed.
struct WsSession {
    next_seq: u64,
    /// Sent (up to 128) and queued while detached (up to 256) events, oldest first, as
    /// (seq, frame text).
    recent: VecDeque<(u64, String)>,
    /// The socket currently serving it, if any.
    attached: Option<u64>,
    queued_while_detached: usize,
    /// Too much was queued while detached: a resume must start over.
    overflowed: bool,
}

/// How many sent events the real server keeps per connection for a resume.
const RESUME_SENT_EVENTS: usize = 128;
/// How many events it queues for a disconnected client before giving up on it.
const RESUME_QUEUED_EVENTS: usize = 256;

impl WsSession {
    fn new() -> WsSession {
        WsSession {
            // `hello` is 0.
            next_seq: 1,
            recent: VecDeque::new(),
            attached: None,
            queued_while_detached: 0,
            overflowed: false,
        }
    }

    /// Numbers an event (a JSON object's text, without `seq`) and remembers it; returns the
    /// numbered frame text. Text in, text out: broadcasting is then cheap enough for benchmarks.
    fn number(&mut self, event: &str) -> String {
        let body = event.trim_end().strip_suffix('}').unwrap_or(event);
        let seq = self.next_seq;
        let numbered = format!("{body},\"seq\":{seq}}}");
        self.next_seq += 1;
        self.recent.push_back((seq, numbered.clone()));
        if self.attached.is_none() {
            self.queued_while_detached += 1;
            self.overflowed |= self.queued_while_detached > RESUME_QUEUED_EVENTS;
        }
        while self.recent.len() > RESUME_SENT_EVENTS + RESUME_QUEUED_EVENTS {
            self.recent.pop_front();
        }
        numbered
    }

    /// The events from `sequence_number` on, if the session can still provide all of them.
    fn replay_from(&self, sequence_number: u64) -> Option<Vec<String>> {
        if self.overflowed || sequence_number > self.next_seq {
            return None;
        }
        let oldest = self.recent.front().map_or(self.next_seq, |(seq, _)| *seq);
        if sequence_number < oldest {
            return None;
        }
        Some(
            self.recent
                .iter()
                .filter(|(seq, _)| *seq >= sequence_number)
                .map(|(_, text)| text.clone())
                .collect(),
        )
    }
}

struct State {
    token_valid: bool,
    max_post_size: usize,
    max_file_size: u64,
    users: Vec<User>,
    teams: Vec<Team>,
    channels: Vec<Channel>,
    posts: Vec<Value>,
    reactions: Vec<Value>,
    files: Vec<StoredFile>,
    faults: Vec<PendingFault>,
    requests: Vec<Request>,
    ws: Vec<WsHandle>,
    ws_total: usize,
    ws_upgrade_headers: Vec<Vec<(String, String)>>,
    ws_client_frames: Vec<Value>,
    ws_pongs: usize,
    /// connection_id → what a resume needs, kept after the socket closes (like the real hub).
    ws_sessions: HashMap<String, WsSession>,
    ws_resumes: usize,
    /// Sockets closed because their send queue was full.
    ws_send_queue_closes: usize,
    /// Events a socket may have queued before it is closed (`SEND_QUEUE_EVENTS`).
    send_queue_limit: usize,
    /// What the `channel_user` role may do (POST /roles/names).
    channel_user_permissions: Vec<String>,
    /// The last timestamp handed out, so post times strictly increase.
    last_ms: i64,
}

impl State {
    /// The fixture described at the top of this file.
    fn seeded() -> State {
        let user = |id: &str, username: &str, is_bot| User {
            id: id.into(),
            username: username.into(),
            is_bot,
        };
        let team = |id: &str, name: &str, display_name: &str| Team {
            id: id.into(),
            name: name.into(),
            display_name: display_name.into(),
        };
        let dm_name = sorted_pair_name(BOT_ID, ALICE_ID);
        State {
            token_valid: true,
            max_post_size: DEFAULT_MAX_POST_SIZE,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            users: vec![
                user(BOT_ID, BOT_USERNAME, true),
                user(ALICE_ID, "alice", false),
                user(BOB_ID, "bob", false),
                user(OTHERBOT_ID, "helperbot", true),
            ],
            teams: vec![
                team(TEAM_ID, "acme", "Acme"),
                team(OTHER_TEAM_ID, "other", "Other"),
            ],
            channels: vec![
                Channel::new(TOWN_SQUARE, "O", "town-square", "Town Square", TEAM_ID),
                Channel::new(PRIVATE_CH, "P", "secret-plans", "Secret Plans", TEAM_ID),
                Channel::new(OFFTOPIC, "O", "off-topic", "Off-Topic", TEAM_ID),
                Channel::new(OTHER_TEAM_CH, "O", "lobby", "Lobby", OTHER_TEAM_ID),
                Channel::new(DM_ALICE, "D", &dm_name, "alice", ""),
                // Real group channels are named by a hash of their members.
                Channel::new(
                    GROUP_CH,
                    "G",
                    "8f2c4e6a0b1d3f5e7a9c1b3d5f7e9a0c2b4d6f80",
                    "alice, bob, openclaw",
                    "",
                ),
            ],
            posts: Vec::new(),
            reactions: Vec::new(),
            files: Vec::new(),
            faults: Vec::new(),
            requests: Vec::new(),
            ws: Vec::new(),
            ws_total: 0,
            ws_upgrade_headers: Vec::new(),
            ws_client_frames: Vec::new(),
            ws_pongs: 0,
            ws_sessions: HashMap::new(),
            ws_resumes: 0,
            ws_send_queue_closes: 0,
            send_queue_limit: SEND_QUEUE_EVENTS,
            channel_user_permissions: [
                "read_channel",
                "create_post",
                "add_reaction",
                "upload_file",
                "edit_post",
            ]
            .map(String::from)
            .to_vec(),
            last_ms: 0,
        }
    }

    /// Now in ms, strictly greater than any timestamp handed out before.
    fn tick(&mut self) -> i64 {
        self.last_ms = now_ms().max(self.last_ms + 1);
        self.last_ms
    }

    fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    fn channel_mut(&mut self, id: &str) -> Option<&mut Channel> {
        self.channels.iter_mut().find(|c| c.id == id)
    }

    /// A channel the bot may read and write.
    fn bot_channel(&self, id: &str) -> Option<&Channel> {
        self.channel(id).filter(|c| c.bot_member)
    }

    fn post_index(&self, id: &str) -> Option<usize> {
        self.posts.iter().position(|p| p["id"] == id)
    }

    /// A PostList of `listed` (newest first in `order`), with their thread roots in `posts`.
    fn post_list_with_roots(&self, listed: &[&Value], has_next: bool) -> Value {
        let mut list = post_list_json(listed, has_next);
        for root_id in listed.iter().filter_map(|p| p["root_id"].as_str()) {
            if root_id.is_empty() || list["posts"].get(root_id).is_some() {
                continue;
            }
            if let Some(root) = self.post_index(root_id).map(|i| self.posts[i].clone()) {
                list["posts"][root_id] = root;
            }
        }
        list
    }

    fn token_ok(&self, token: &str) -> bool {
        self.token_valid && token == TOKEN
    }

    /// The first queued fault matching this request, consumed by one use.
    fn take_fault(&mut self, req: &Request) -> Option<Fault> {
        let path = req.path_only();
        let index = self.faults.iter().position(|f| {
            f.method.eq_ignore_ascii_case(&req.method) && path.starts_with(&f.path_prefix)
        })?;
        let pending = &mut self.faults[index];
        if pending.fault.after > 0 {
            pending.fault.after -= 1;
            return None;
        }
        pending.fault.times -= 1;
        let fault = pending.fault.clone();
        if pending.fault.times == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }

    /// Events are numbered per `connection_id` (detached ones included, for resumes); raw
    /// frames go only to live sockets, unnumbered.
    fn broadcast(&mut self, out: Outgoing) {
        if let Outgoing::Event(event) = &out {
            self.broadcast_text(&event.to_string());
            return;
        }
        for handle in self.ws.iter().filter(|h| h.authed) {
            // Counted before it is sent: the socket's thread may take it (and count it off) at
            // once. A closed connection's thread is gone; nothing to do for it.
            handle.queue.pending.fetch_add(1, Ordering::Relaxed);
            let _ = handle.outbox.send(out.clone());
        }
    }

    /// Numbers an event's text per `connection_id` and sends it to that connection's socket.
    ///
    /// Like the real hub, a socket whose send queue is full (more than 256 events while its
    /// thread is stuck writing to a client that does not read) is closed and its
    /// `connection_id` forgotten: it cannot be resumed.
    fn broadcast_text(&mut self, event: &str) {
        let mut full = Vec::new();
        for (id, session) in self.ws_sessions.iter_mut() {
            let numbered = session.number(event);
            let handle = self
                .ws
                .iter()
                .find(|h| h.session.as_deref() == Some(id.as_str()));
            if let Some(handle) = handle.filter(|h| h.authed) {
                // Counted before it is sent: the socket's thread may take it (and count it
                // off) at once, which wrapped the count below zero.
                let queue = &handle.queue;
                let pending = queue.pending.fetch_add(1, Ordering::Relaxed) + 1;
                let _ = handle.outbox.send(Outgoing::Raw(numbered));
                if pending > self.send_queue_limit && queue.writing.load(Ordering::Relaxed) {
                    full.push((handle.id, id.clone()));
                }
            }
        }
        for (handle_id, session_id) in full {
            self.ws_sessions.remove(&session_id);
            self.ws_send_queue_closes += 1;
            if let Some(at) = self.ws.iter().position(|h| h.id == handle_id) {
                let handle = self.ws.remove(at);
                let _ = handle.socket.shutdown(Shutdown::Both);
            }
        }
    }

    /// Stores a post, as the server does on create; returns the Post JSON.
    fn store_post(&mut self, draft: &NewPost) -> Value {
        let now = match draft.create_at {
            Some(ms) => {
                self.last_ms = self.last_ms.max(ms);
                ms
            }
            None => self.tick(),
        };
        let mut props = draft.props.clone();
        // The server marks every post of a bot account.
        if self.user(&draft.user_id).is_some_and(|u| u.is_bot) {
            props.insert("from_bot".into(), "true".into());
        }
        let id = new_id();
        let files = self.attach_files(&draft.file_ids, &id, &draft.user_id, &draft.channel_id);
        let mut metadata = Map::new();
        if !files.is_empty() {
            metadata.insert("files".into(), Value::Array(files));
        }
        let post = json!({
            "id": id, "create_at": now, "update_at": now, "edit_at": 0, "delete_at": 0,
            "is_pinned": false, "user_id": draft.user_id, "channel_id": draft.channel_id,
            "root_id": draft.root_id, "original_id": "", "message": draft.message,
            "type": draft.kind, "props": props, "hashtags": "", "file_ids": draft.file_ids,
            "pending_post_id": draft.pending_post_id, "reply_count": 0, "metadata": metadata,
        });
        if let Some(channel) = self.channel_mut(&draft.channel_id) {
            channel.last_post_at = now;
            channel.total_msg_count += 1;
        }
        // A reply moves its thread root's `update_at` (so `since` lists the root again).
        let root = (!draft.root_id.is_empty()).then(|| self.post_index(&draft.root_id));
        if let Some(index) = root.flatten() {
            let root = &mut self.posts[index];
            let at = root["update_at"].as_i64().unwrap_or_default().max(now);
            root["update_at"] = at.into();
        }
        self.posts.push(post.clone());
        post
    }

    /// Links known files to a new post and returns their FileInfos (unknown ids are skipped,
    /// like the real server does).
    fn attach_files(
        &mut self,
        ids: &[String],
        post_id: &str,
        user_id: &str,
        channel_id: &str,
    ) -> Vec<Value> {
        let mut infos = Vec::new();
        for file in self
            .files
            .iter_mut()
            .filter(|f| ids.iter().any(|id| f.info["id"] == *id))
        {
            file.info["post_id"] = post_id.into();
            file.info["channel_id"] = channel_id.into();
            if file.info["user_id"] == "" {
                file.info["user_id"] = user_id.into();
            }
            infos.push(file.info.clone());
        }
        infos
    }

    /// `data.mentions` for a post: the override, or the bot when the text @-mentions it
    /// outside code (the server removes code before looking for mentions; an author is never
    /// told about their own mention).
    fn mentions_for(&self, draft: &NewPost) -> Option<Vec<String>> {
        if let Some(explicit) = &draft.mentions {
            return explicit.clone();
        }
        let addressed = draft.user_id != BOT_ID && mentions_username(&draft.message, BOT_USERNAME);
        addressed.then(|| vec![BOT_ID.to_string()])
    }

    fn broadcast_posted(&mut self, post: &Value, mentions: Option<Vec<String>>) {
        let channel_id = post["channel_id"].as_str().unwrap_or_default();
        let Some(channel) = self.channel(channel_id) else {
            return;
        };
        let mut data = json!({
            "channel_display_name": channel.display_name,
            "channel_name": channel.name,
            "channel_type": channel.kind,
            "post": post.to_string(),
            "sender_name": self.sender_name(post),
            "set_online": true,
            "team_id": channel.team_id,
        });
        if let Some(ids) = mentions {
            data["mentions"] = Value::String(Value::from(ids).to_string());
        }
        self.broadcast(Outgoing::Event(event_frame("posted", data, channel_id)));
    }

    /// "@username", or a webhook's override name.
    fn sender_name(&self, post: &Value) -> String {
        let props = &post["props"];
        if props["from_webhook"] == "true" {
            if let Some(name) = props["override_username"].as_str() {
                return name.to_string();
            }
        }
        let user_id = post["user_id"].as_str().unwrap_or_default();
        match self.user(user_id) {
            Some(user) => format!("@{}", user.username),
            None => user_id.to_string(),
        }
    }

    fn edit_post(
        &mut self,
        id: &str,
        message: Option<&str>,
        props: Option<Value>,
    ) -> Option<Value> {
        let index = self.post_index(id)?;
        let now = self.tick();
        // The earlier version stays as an edit-history row: a new id, `original_id` set,
        // deleted, changed now (so `since` lists it).
        let mut history = self.posts[index].clone();
        history["id"] = new_id().into();
        history["original_id"] = id.into();
        history["delete_at"] = now.into();
        history["update_at"] = now.into();
        self.posts.push(history);
        let post = &mut self.posts[index];
        if let Some(message) = message {
            post["message"] = message.into();
        }
        if let Some(props) = props {
            post["props"] = props;
        }
        post["edit_at"] = now.into();
        post["update_at"] = now.into();
        let post = post.clone();
        self.broadcast_post_change("post_edited", &post, json!({"post": post.to_string()}));
        Some(post)
    }

    fn delete_post(&mut self, id: &str) -> Option<Value> {
        let index = self.post_index(id)?;
        let now = self.tick();
        let post = &mut self.posts[index];
        post["delete_at"] = now.into();
        post["update_at"] = now.into();
        let post = post.clone();
        let data = json!({"post": post.to_string(), "delete_by": BOT_ID});
        self.broadcast_post_change("post_deleted", &post, data);
        Some(post)
    }

    fn broadcast_post_change(&mut self, event: &str, post: &Value, data: Value) {
        let channel_id = post["channel_id"].as_str().unwrap_or_default();
        self.broadcast(Outgoing::Event(event_frame(event, data, channel_id)));
    }
}

/// An event frame without `seq` (each connection numbers its own events).
fn event_frame(event: &str, data: Value, channel_id: &str) -> Value {
    json!({
        "event": event,
        "data": data,
        "broadcast": {
            "omit_users": null, "user_id": "", "channel_id": channel_id, "team_id": "",
            "connection_id": "", "omit_connection_id": "",
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A new 26-character id in Mattermost's base32 alphabet. A process-wide counter fed through
/// splitmix64 keeps ids unique across every fake in the test process.
fn new_id() -> String {
    const ALPHABET: &[u8; 32] = b"ybndrfg8ejkmcpqxot1uwisza345h769";
    static COUNTER: AtomicU64 = AtomicU64::new(0x5eed_1dea_0000_0000);
    let mut id = String::with_capacity(26);
    while id.len() < 26 {
        let mut z = COUNTER.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        for _ in 0..12 {
            if id.len() == 26 {
                break;
            }
            id.push(ALPHABET[(z & 31) as usize] as char);
            z >>= 5;
        }
    }
    id
}

/// The DM channel name of two users: their ids sorted, joined by "__".
fn sorted_pair_name(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a}__{b}")
    } else {
        format!("{b}__{a}")
    }
}

fn app_error_json(status: u16, id: &str, message: &str, request_id: &str) -> Value {
    json!({
        "id": id, "message": message, "detailed_error": "",
        "request_id": request_id, "status_code": status,
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The server derives the MIME type from the extension; the declared type is a fallback.
fn mime_for(extension: &str, declared: Option<&str>) -> String {
    let known = match extension {
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        _ => declared.unwrap_or("application/octet-stream"),
    };
    known.to_string()
}

/// Whether `message` @-mentions `username` outside code spans and blocks: "@name" as a whole
/// word, case-insensitive ("@name," and "@name." count, "@namex" and "x@name" do not).
fn mentions_username(message: &str, username: &str) -> bool {
    let text = strip_code(message).to_lowercase();
    let needle = format!("@{}", username.to_lowercase());
    let is_name_char = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    text.match_indices(&needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(|c| is_name_char(c) || c == '@') && !after.is_some_and(is_name_char)
    })
}

/// The message without fenced code blocks and inline code spans.
fn strip_code(message: &str) -> String {
    let mut kept = String::new();
    let mut in_fence = false;
    for line in message.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence {
            kept.push_str(&strip_inline_code(line));
            kept.push('\n');
        }
    }
    kept
}

/// Removes `code` spans: a run of N backticks up to the next run of exactly N backticks.
fn strip_inline_code(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|c| **c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run = run_at(i);
        let mut j = i + run;
        let mut close = None;
        while j < chars.len() {
            let next = if chars[j] == '`' { run_at(j) } else { 0 };
            if next == run {
                close = Some(j + run);
                break;
            }
            j += next.max(1);
        }
        match close {
            Some(end) => i = end,
            None => {
                // An unclosed run is literal text.
                out.extend(&chars[i..i + run]);
                i += run;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// JSON shapes of the REST API
// ---------------------------------------------------------------------------------------------

const CREATED_AT: i64 = 1_700_000_000_000;

fn user_json(user: &User) -> Value {
    let mut value = json!({
        "id": user.id, "create_at": CREATED_AT, "update_at": CREATED_AT, "delete_at": 0,
        "username": user.username, "auth_data": "", "auth_service": "",
        "email": format!("{}@example.com", user.username), "nickname": "",
        "first_name": "", "last_name": "", "position": "", "roles": "system_user",
        "locale": "en", "is_bot": user.is_bot, "props": {},
        "timezone": {"automaticTimezone": "", "manualTimezone": "", "useAutomaticTimezone": "true"},
    });
    if user.is_bot {
        value["bot_description"] = "".into();
    }
    value
}

fn team_json(team: &Team) -> Value {
    json!({
        "id": team.id, "create_at": CREATED_AT, "update_at": CREATED_AT, "delete_at": 0,
        "display_name": team.display_name, "name": team.name, "description": "",
        "email": "", "type": "O", "company_name": "", "allowed_domains": "",
        "invite_id": "", "allow_open_invite": false, "scheme_id": null,
        "group_constrained": null, "policy_id": null,
    })
}

fn channel_json(channel: &Channel) -> Value {
    json!({
        "id": channel.id, "create_at": channel.create_at, "update_at": channel.create_at, "delete_at": 0,
        "team_id": channel.team_id, "type": channel.kind, "display_name": channel.display_name,
        "name": channel.name, "header": "", "purpose": "",
        "last_post_at": channel.last_post_at, "last_root_post_at": channel.last_post_at,
        "total_msg_count": channel.total_msg_count,
        "total_msg_count_root": channel.total_msg_count, "extra_update_at": 0,
        "creator_id": "", "scheme_id": null, "props": null, "group_constrained": null,
        "shared": null, "policy_id": null,
    })
}

/// A PostList: `order` newest first, `posts` keyed by id.
fn post_list_json(posts: &[&Value], has_next: bool) -> Value {
    let order: Vec<&Value> = posts.iter().map(|p| &p["id"]).collect();
    let by_id: Map<String, Value> = posts
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or_default().to_string(),
                (*p).clone(),
            )
        })
        .collect();
    json!({
        "order": order, "posts": by_id, "next_post_id": "", "prev_post_id": "",
        "has_next": has_next,
    })
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1
// ---------------------------------------------------------------------------------------------

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let Ok(stream) = Conn::accept(stream, shared.tls.as_ref()) else {
            continue;
        };
        let shared = shared.clone();
        let _ = thread::Builder::new()
            .name("fake-mm-conn".into())
            .spawn(move || serve_connection(shared, stream));
    }
}

/// A reply before it is written; the writer adds Content-Length and X-Request-Id.
struct Reply {
    status: u16,
    content_type: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: value.to_string().into_bytes(),
        }
    }

    fn status_ok() -> Reply {
        Reply::json(200, &json!({"status": "OK"}))
    }

    /// An AppError; its `request_id` is filled in when it is written.
    fn error(status: u16, id: &str, message: &str) -> Reply {
        Reply::json(status, &app_error_json(status, id, message, ""))
    }

    fn text(status: u16, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            headers: Vec::new(),
            body: text.as_bytes().to_vec(),
        }
    }

    fn from_fault(fault: &Fault) -> Reply {
        Reply {
            status: fault.status,
            content_type: fault.content_type.clone(),
            headers: fault.headers.clone(),
            body: fault.body.clone().into_bytes(),
        }
    }

    fn bad_body(what: &str) -> Reply {
        let message = format!("Invalid or missing {what} in request body.");
        Reply::error(400, "api.context.invalid_body_param.app_error", &message)
    }

    fn forbidden() -> Reply {
        Reply::error(
            403,
            "api.context.permissions.app_error",
            "You do not have the appropriate permissions.",
        )
    }
}

/// A request plus what the HTTP layer needs to know about the connection.
struct Incoming {
    request: Request,
    keep_alive: bool,
}

fn serve_connection(shared: Arc<Shared>, stream: Conn) {
    let mut reader = BufReader::new(stream);
    loop {
        let incoming = match read_request(&mut reader) {
            Ok(Some(incoming)) => incoming,
            Ok(None) => return,
            Err(_) => {
                let _ = write_reply(reader.get_mut(), &Reply::text(400, "Bad Request\n"), true);
                return;
            }
        };
        let req = incoming.request;
        // Recorded before anything is decided, so failed requests are observable too.
        shared.record(&req);
        let fault = shared.lock().take_fault(&req);
        if let Some(fault) = &fault {
            thread::sleep(fault.delay);
            if fault.close_without_response {
                reader.get_ref().shutdown();
                return;
            }
        }
        let reply = match &fault {
            Some(fault) if !fault.pass => Reply::from_fault(fault),
            _ if wants_websocket(&req) => return serve_websocket(shared, reader, &req),
            _ => route(&shared, &req),
        };
        let close = !incoming.keep_alive;
        let shaping = fault.as_ref().map_or(Shaping::default(), Shaping::of);
        if write_shaped(reader.get_mut(), &reply, close, shaping).is_err()
            || close
            || shaping.cut.is_some()
        {
            return;
        }
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// One CRLF- (or LF-) terminated line; `None` at a clean EOF.
fn read_line(reader: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    if reader.take(MAX_LINE).read_until(b'\n', &mut line)? == 0 {
        return Ok(None);
    }
    if line.pop() != Some(b'\n') {
        return Err(invalid("line too long or cut short"));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| invalid("line is not UTF-8"))
}

/// The next request on the connection; `None` when the client closed it between requests.
fn read_request(reader: &mut BufReader<Conn>) -> io::Result<Option<Incoming>> {
    // Stray empty lines between requests are allowed (RFC 9112 §2.2).
    let line = loop {
        match read_line(reader)? {
            None => return Ok(None),
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(invalid("bad request line"));
    };
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(invalid("unsupported HTTP version"));
    }
    let headers = read_headers(reader)?;
    let mut request = Request {
        method: method.to_string(),
        path: target.to_string(),
        headers,
        body: Vec::new(),
        at: Instant::now(),
    };
    let connection = request
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    let keep_alive = if version == "HTTP/1.1" {
        !connection.contains("close")
    } else {
        connection.contains("keep-alive")
    };
    if request
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    request.body = read_body(reader, &request)?;
    request.at = Instant::now();
    Ok(Some(Incoming {
        request,
        keep_alive,
    }))
}

fn read_headers(reader: &mut impl BufRead) -> io::Result<Vec<(String, String)>> {
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| invalid("headers cut short"))?;
        if line.is_empty() {
            return Ok(headers);
        }
        // Obsolete line folding is rejected, as RFC 9112 allows.
        if line.starts_with([' ', '\t']) || headers.len() >= MAX_HEADERS {
            return Err(invalid("bad header block"));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| invalid("bad header"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
}

fn read_body(reader: &mut impl BufRead, req: &Request) -> io::Result<Vec<u8>> {
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().trim_end().ends_with("chunked"));
    if chunked {
        return read_chunked(reader);
    }
    let Some(length) = req.header("content-length") else {
        return Ok(Vec::new());
    };
    let length: usize = length.parse().map_err(|_| invalid("bad Content-Length"))?;
    if length > MAX_BODY {
        return Err(invalid("body too large"));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(body)
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| invalid("chunk cut short"))?;
        // Chunk extensions (";name=value") are allowed and ignored.
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            // Trailer fields up to the empty line; none are used.
            while read_line(reader)?.is_some_and(|l| !l.is_empty()) {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(invalid("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        if read_line(reader)? != Some(String::new()) {
            return Err(invalid("chunk not followed by CRLF"));
        }
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// Writes a reply with Content-Length and a fresh X-Request-Id (also put into an AppError).
/// How a response body is sent: at full speed, throttled, or cut short.
#[derive(Clone, Copy, Default)]
struct Shaping {
    rate: Option<usize>,
    cut: Option<usize>,
}

impl Shaping {
    fn of(fault: &Fault) -> Shaping {
        Shaping {
            rate: fault.body_rate,
            cut: fault.cut_body_after,
        }
    }
}

fn write_shaped(stream: &mut Conn, reply: &Reply, close: bool, shaping: Shaping) -> io::Result<()> {
    if shaping.rate.is_none() && shaping.cut.is_none() {
        return write_reply(stream, reply, close);
    }
    let mut bytes = Vec::new();
    write_reply(&mut bytes, reply, close)?;
    let body_start = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(bytes.len(), |at| at + 4);
    let end = match shaping.cut {
        Some(n) => (body_start + n).min(bytes.len()),
        None => bytes.len(),
    };
    stream.write_all(&bytes[..body_start])?;
    let step = shaping.rate.map_or(end, |rate| (rate / 20).max(1));
    let mut at = body_start;
    while at < end {
        let next = (at + step).min(end);
        stream.write_all(&bytes[at..next])?;
        stream.flush()?;
        at = next;
        if shaping.rate.is_some() && at < end {
            thread::sleep(Duration::from_millis(50));
        }
    }
    if shaping.cut.is_some() {
        stream.shutdown();
    }
    Ok(())
}

fn write_reply(stream: &mut impl Write, reply: &Reply, close: bool) -> io::Result<()> {
    let request_id = new_id();
    let body = stamp_request_id(&reply.body, &reply.content_type, &request_id);
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        reply.status,
        reason_phrase(reply.status)
    );
    if !reply.content_type.is_empty() {
        head.push_str(&format!("Content-Type: {}\r\n", reply.content_type));
    }
    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    head.push_str(&format!("X-Request-Id: {request_id}\r\n"));
    head.push_str(&format!("X-Version-Id: {SERVER_VERSION_FULL}\r\n"));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&body);
    stream.write_all(&bytes)?;
    stream.flush()
}

/// A JSON body with a `request_id` key gets this response's id, like the real server's errors.
fn stamp_request_id(body: &[u8], content_type: &str, request_id: &str) -> Vec<u8> {
    if !content_type.starts_with("application/json") {
        return body.to_vec();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut map)) if map.contains_key("request_id") => {
            map.insert("request_id".into(), request_id.into());
            Value::Object(map).to_string().into_bytes()
        }
        _ => body.to_vec(),
    }
}

// ---------------------------------------------------------------------------------------------
// REST routes
// ---------------------------------------------------------------------------------------------

fn route(shared: &Shared, req: &Request) -> Reply {
    let path = req.path_only();
    let Some(rest) = path.strip_prefix("/api/v4/") else {
        return not_found(path);
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let method = req.method.as_str();
    let public = method == "GET" && segments == ["system", "ping"];
    if !public && !authorized(shared, req) {
        return Reply::error(
            401,
            "api.context.session_expired.app_error",
            "Invalid or expired session, please login again.",
        );
    }
    match (method, segments.as_slice()) {
        ("GET", ["system", "ping"]) => Reply::status_ok(),
        ("GET", ["config", "client"]) => client_config(shared, req),
        ("GET", ["users", "me"]) => get_user(shared, BOT_ID),
        ("GET", ["users", "me", "teams"]) => my_teams(shared),
        ("GET", ["users", "me", "teams", team, "channels"]) => my_team_channels(shared, team),
        ("POST", ["users", "me", "typing"]) => typing(shared, req),
        ("POST", ["users", "usernames"]) => {
            users_by(shared, req, |u, names| names.contains(&u.username))
        }
        ("POST", ["users", "ids"]) => users_by(shared, req, |u, ids| ids.contains(&u.id)),
        ("GET", ["users", "username", name]) => get_user_by_name(shared, name),
        ("GET", ["users", id]) => get_user(shared, id),
        ("DELETE", ["users", user, "posts", post, "reactions", emoji]) => {
            remove_reaction(shared, user, post, emoji)
        }
        ("POST", ["channels", "direct"]) => create_direct(shared, req),
        ("GET", ["channels", id]) => get_channel(shared, id),
        ("GET", ["teams", team, "channels", "name", name]) => channel_by_name(shared, team, name),
        ("GET", ["channels", id, "posts"]) => channel_posts(shared, req, id),
        ("GET", ["channels", id, "members", "me"]) => my_channel_member(shared, id),
        ("POST", ["roles", "names"]) => roles_by_name(shared, req),
        ("POST", ["posts"]) => create_post(shared, req),
        ("GET", ["posts", id]) => get_post(shared, id),
        ("GET", ["posts", id, "thread"]) => post_thread(shared, req, id),
        ("DELETE", ["posts", id]) => delete_post(shared, id),
        ("PUT", ["posts", id, "patch"]) => patch_post(shared, req, id),
        ("GET", ["posts", id, "reactions"]) => post_reactions(shared, id),
        ("POST", ["reactions"]) => add_reaction(shared, req),
        ("POST", ["files"]) => upload_files(shared, req),
        ("GET", ["files", id]) => get_file(shared, id),
        ("GET", ["files", id, "info"]) => get_file_info(shared, id),
        _ => not_found(path),
    }
}

fn not_found(path: &str) -> Reply {
    let message = format!("There doesn't appear to be an api call for the url='{path}'.");
    Reply::error(404, "api.context.404.app_error", &message)
}

/// `Authorization: Bearer <token>`, the scheme case-insensitive.
fn authorized(shared: &Shared, req: &Request) -> bool {
    let token = req
        .header("authorization")
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    token.is_some_and(|t| shared.lock().token_ok(t))
}

fn client_config(shared: &Shared, req: &Request) -> Reply {
    if req.query("format").as_deref() != Some("old") {
        return Reply::error(
            501,
            "api.config.client.old_format.app_error",
            "New format for the client configuration is not supported yet. Please specify format=old in the query string.",
        );
    }
    let st = shared.lock();
    Reply::json(
        200,
        &json!({
            "Version": SERVER_VERSION, "BuildNumber": "12345", "BuildHash": "abc",
            "BuildEnterpriseReady": "true", "SiteName": "Mattermost", "SiteURL": "",
            "MaxPostSize": st.max_post_size.to_string(),
            "MaxFileSize": st.max_file_size.to_string(),
            "EnableFileAttachments": "true", "DiagnosticsEnabled": "false",
        }),
    )
}

fn get_user(shared: &Shared, id: &str) -> Reply {
    match shared.lock().user(id) {
        Some(user) => Reply::json(200, &user_json(user)),
        None => Reply::error(
            404,
            "app.user.missing_account.const",
            "Unable to find the user.",
        ),
    }
}

fn get_user_by_name(shared: &Shared, name: &str) -> Reply {
    match shared.lock().users.iter().find(|u| u.username == name) {
        Some(user) => Reply::json(200, &user_json(user)),
        None => Reply::error(
            404,
            "app.user.missing_account.const",
            "Unable to find the user.",
        ),
    }
}

/// POST /users/usernames and /users/ids: a JSON array in, the users found out (unknown omitted).
fn users_by(shared: &Shared, req: &Request, wanted: impl Fn(&User, &[String]) -> bool) -> Reply {
    let Ok(keys) = serde_json::from_slice::<Vec<String>>(&req.body) else {
        return Reply::bad_body("list");
    };
    let st = shared.lock();
    let users: Vec<Value> = st
        .users
        .iter()
        .filter(|u| wanted(u, &keys))
        .map(user_json)
        .collect();
    Reply::json(200, &Value::Array(users))
}

fn my_teams(shared: &Shared) -> Reply {
    let teams: Vec<Value> = shared.lock().teams.iter().map(team_json).collect();
    Reply::json(200, &Value::Array(teams))
}

/// The team's channels the bot is in, plus its DMs and group DMs (the real server adds those).
fn my_team_channels(shared: &Shared, team_id: &str) -> Reply {
    let st = shared.lock();
    if !st.teams.iter().any(|t| t.id == team_id) {
        return Reply::forbidden();
    }
    let channels: Vec<Value> = st
        .channels
        .iter()
        .filter(|c| c.bot_member && (c.team_id == team_id || c.is_direct_or_group()))
        .map(channel_json)
        .collect();
    Reply::json(200, &Value::Array(channels))
}

fn get_channel(shared: &Shared, id: &str) -> Reply {
    let st = shared.lock();
    match st.channel(id) {
        None => Reply::error(
            404,
            "app.channel.get.existing.app_error",
            "Unable to find the existing channel.",
        ),
        // Open channels are readable by team members; the others only by their members.
        Some(c) if !c.bot_member && c.kind != "O" => Reply::forbidden(),
        Some(c) => Reply::json(200, &channel_json(c)),
    }
}

/// The bot's ChannelMember in a channel: 404 when it is not a member, like the real server.
fn my_channel_member(shared: &Shared, channel_id: &str) -> Reply {
    match shared.lock().bot_channel(channel_id) {
        Some(_) => Reply::json(
            200,
            &json!({
                "channel_id": channel_id, "user_id": BOT_ID, "roles": "channel_user",
                "scheme_user": true, "scheme_admin": false, "msg_count": 0, "mention_count": 0,
            }),
        ),
        None => Reply::error(
            404,
            "app.channel.get_member.missing.app_error",
            "No channel member found for that user ID and channel ID.",
        ),
    }
}

/// POST /roles/names: the roles asked for that exist, with their permissions.
fn roles_by_name(shared: &Shared, req: &Request) -> Reply {
    let Ok(names) = serde_json::from_slice::<Vec<String>>(&req.body) else {
        return Reply::bad_body("role names");
    };
    let st = shared.lock();
    let roles: Vec<Value> = names
        .iter()
        .filter(|n| *n == "channel_user")
        .map(|n| json!({"id": new_id(), "name": n, "permissions": st.channel_user_permissions, "scheme_managed": true, "built_in": true}))
        .collect();
    Reply::json(200, &Value::Array(roles))
}

/// Finds or creates the DM channel of two users; 201 either way, like the real server.
fn create_direct(shared: &Shared, req: &Request) -> Reply {
    let ids = match serde_json::from_slice::<Vec<String>>(&req.body) {
        Ok(ids) if ids.len() == 2 => ids,
        _ => return Reply::bad_body("user ids"),
    };
    let mut st = shared.lock();
    if ids.iter().any(|id| st.user(id).is_none()) {
        return Reply::error(
            400,
            "api.channel.create_direct_channel.invalid_user.app_error",
            "Invalid user ID for direct channel creation.",
        );
    }
    if !ids.iter().any(|id| id == BOT_ID) {
        return Reply::forbidden();
    }
    let name = sorted_pair_name(&ids[0], &ids[1]);
    if let Some(existing) = st.channels.iter().find(|c| c.kind == "D" && c.name == name) {
        return Reply::json(201, &channel_json(existing));
    }
    let other = if ids[0] == BOT_ID { &ids[1] } else { &ids[0] };
    let display = st
        .user(other)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let channel = Channel::created_now(&new_id(), "D", &name, &display, "");
    let reply = Reply::json(201, &channel_json(&channel));
    st.channels.push(channel);
    reply
}

/// GET /channels/{id}/posts, like the real server (api4/post.go getPostsForChannel and the
/// post store's getPostsSince / getPostsAround):
/// - `?since=<ms>`: posts whose `update_at` is later, deleted posts and edit-history rows
///   included, at most 1000 and *which* 1000 undefined (here: by id, i.e. scattered in time),
///   plus the thread roots of those posts in `posts` (not in `order`);
/// - `?after=<post id>` / `?before=<post id>`: undeleted posts created strictly later / earlier
///   than that post (`create_at`), nearest first, from offset `page * per_page`; an unknown
///   post gives an empty list;
/// - else the newest undeleted posts, `page * per_page` from the top.
///
/// `order` is newest first; `per_page` is clamped to 200; thread roots of listed posts are
/// added to `posts` without being in `order`.
fn channel_posts(shared: &Shared, req: &Request, channel_id: &str) -> Reply {
    let st = shared.lock();
    if st.bot_channel(channel_id).is_none() {
        return Reply::forbidden();
    }
    let number = |key: &str, default: i64| match req.query(key) {
        None => Some(default),
        Some(text) => text.parse::<i64>().ok().filter(|n| *n >= 0),
    };
    let (Some(since), Some(page), Some(per_page)) = (
        number("since", -1),
        number("page", 0),
        number("per_page", 60),
    ) else {
        return Reply::error(
            400,
            "api.context.invalid_url_param.app_error",
            "Invalid or missing parameter in request URL.",
        );
    };
    let in_channel = |p: &&Value| p["channel_id"] == channel_id;
    let created = |p: &Value| p["create_at"].as_i64().unwrap_or_default();
    if since >= 0 {
        let mut changed: Vec<&Value> = st
            .posts
            .iter()
            .filter(in_channel)
            .filter(|p| p["update_at"].as_i64().unwrap_or_default() > since)
            .collect();
        changed.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        changed.truncate(1000);
        changed.sort_by_key(|p| std::cmp::Reverse(created(p)));
        return Reply::json(200, &st.post_list_with_roots(&changed, false));
    }
    let per_page = per_page.clamp(1, 200) as usize;
    let offset = (page as usize).saturating_mul(per_page);
    let live = st
        .posts
        .iter()
        .filter(in_channel)
        .filter(|p| p["delete_at"] == 0);
    let cursor = |key: &str| {
        let id = req.query(key).filter(|id| !id.is_empty())?;
        Some(
            st.posts
                .iter()
                .find(|p| p["id"] == id.as_str())
                .map(created),
        )
    };
    // Posts of one millisecond come in storage order (the database's order is undefined).
    let listed: Vec<&Value> = match (cursor("after"), cursor("before")) {
        (Some(None), _) | (None, Some(None)) => Vec::new(),
        (Some(Some(at)), _) => {
            let mut later: Vec<&Value> = live.filter(|p| created(p) > at).collect();
            later.sort_by_key(|p| created(p));
            let mut page: Vec<&Value> = later.into_iter().skip(offset).take(per_page).collect();
            page.reverse();
            page
        }
        (None, Some(Some(at))) => {
            let mut earlier: Vec<&Value> = live.filter(|p| created(p) < at).collect();
            earlier.reverse();
            earlier.sort_by_key(|p| std::cmp::Reverse(created(p)));
            earlier.into_iter().skip(offset).take(per_page).collect()
        }
        (None, None) => {
            let mut newest: Vec<&Value> = live.collect();
            newest.reverse();
            newest.sort_by_key(|p| std::cmp::Reverse(created(p)));
            let more = newest.len() > offset + per_page;
            let listed: Vec<&Value> = newest.into_iter().skip(offset).take(per_page).collect();
            return Reply::json(200, &st.post_list_with_roots(&listed, more));
        }
    };
    Reply::json(200, &st.post_list_with_roots(&listed, false))
}

/// POST /posts: validates like the real server, deduplicates by `pending_post_id`, stores the
/// post as the bot's and broadcasts `posted` (the bot sees its own posts).
fn create_post(shared: &Shared, req: &Request) -> Reply {
    let body = req.json();
    let Some(channel_id) = body["channel_id"].as_str().filter(|c| !c.is_empty()) else {
        return Reply::bad_body("channel_id");
    };
    let message = body["message"].as_str().unwrap_or_default();
    let root_id = body["root_id"].as_str().unwrap_or_default();
    let pending_post_id = body["pending_post_id"].as_str().unwrap_or_default();
    let file_ids: Vec<String> = match &body["file_ids"] {
        Value::Null => Vec::new(),
        ids => match serde_json::from_value(ids.clone()) {
            Ok(ids) => ids,
            Err(_) => return Reply::bad_body("file_ids"),
        },
    };
    let mut st = shared.lock();
    if st.bot_channel(channel_id).is_none() {
        return Reply::forbidden();
    }
    if let Some(existing) = find_pending(&st, pending_post_id) {
        return Reply::json(201, &existing);
    }
    if let Some(problem) = post_problem(&st, message, &file_ids, channel_id, root_id) {
        return problem;
    }
    let mut draft = NewPost::new(BOT_ID, channel_id, message)
        .root(root_id)
        .file_ids(file_ids);
    draft.pending_post_id = pending_post_id.to_string();
    if let Value::Object(props) = &body["props"] {
        draft.props = props.clone();
    }
    let post = st.store_post(&draft);
    let mentions = st.mentions_for(&draft);
    st.broadcast_posted(&post, mentions);
    Reply::json(201, &post)
}

/// The bot's post with this `pending_post_id` from the last 30 s, if any.
fn find_pending(st: &State, pending_post_id: &str) -> Option<Value> {
    if pending_post_id.is_empty() {
        return None;
    }
    let recent = now_ms() - DEDUPE_WINDOW_MS;
    st.posts
        .iter()
        .find(|p| {
            p["pending_post_id"] == pending_post_id
                && p["user_id"] == BOT_ID
                && p["create_at"].as_i64().unwrap_or_default() >= recent
        })
        .cloned()
}

/// The AppError the real server gives for an invalid new post, if it is invalid.
fn post_problem(
    st: &State,
    message: &str,
    file_ids: &[String],
    channel_id: &str,
    root_id: &str,
) -> Option<Reply> {
    if message.chars().count() > st.max_post_size {
        return Some(Reply::error(
            400,
            "model.post.is_valid.message_length.app_error",
            &format!(
                "Message length is longer than the maximum allowed length ({}).",
                st.max_post_size
            ),
        ));
    }
    if file_ids.len() > 10 {
        return Some(Reply::error(
            400,
            "model.post.is_valid.file_ids.app_error",
            "Invalid file ids.",
        ));
    }
    let root_ok = root_id.is_empty()
        || st
            .post_index(root_id)
            .is_some_and(|i| st.posts[i]["channel_id"] == channel_id);
    if !root_ok {
        return Some(Reply::error(
            400,
            "api.post.create_post.root_id.app_error",
            "Invalid RootId parameter.",
        ));
    }
    None
}

fn post_not_found() -> Reply {
    Reply::error(404, "app.post.get.app_error", "Unable to get the post.")
}

fn get_post(shared: &Shared, id: &str) -> Reply {
    let st = shared.lock();
    match st.post_index(id) {
        Some(i) => Reply::json(200, &st.posts[i]),
        None => post_not_found(),
    }
}

/// GET /posts/{id}/thread with `perPage`, `direction=up`, `fromPost` and `fromCreateAt`: the
/// root (always) and the thread's undeleted replies made before the cursor, the newest
/// `perPage`, newest first. Without `fromCreateAt` the whole thread, as old servers answer.
fn post_thread(shared: &Shared, req: &Request, id: &str) -> Reply {
    let st = shared.lock();
    let Some(index) = st.post_index(id) else {
        return post_not_found();
    };
    let root = &st.posts[index];
    if st
        .bot_channel(root["channel_id"].as_str().unwrap_or_default())
        .is_none()
    {
        return Reply::forbidden();
    }
    let per_page = match req.query("perPage").map(|t| t.parse::<usize>()) {
        None => 1000,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => {
            return Reply::error(
                400,
                "api.context.invalid_url_param.app_error",
                "Invalid or missing parameter in request URL.",
            )
        }
    };
    let created = |p: &Value| p["create_at"].as_i64().unwrap_or_default();
    let cursor_at = req
        .query("fromCreateAt")
        .and_then(|t| t.parse::<i64>().ok());
    let cursor_id = req.query("fromPost").unwrap_or_default();
    let before = |p: &Value| match cursor_at {
        None => true,
        Some(at) => created(p) < at || (created(p) == at && p["id"].as_str() < Some(&cursor_id)),
    };
    let mut replies: Vec<&Value> = st
        .posts
        .iter()
        .filter(|p| p["root_id"] == id && p["delete_at"] == 0 && before(p))
        .collect();
    replies.sort_by_key(|p| std::cmp::Reverse(created(p)));
    replies.truncate(per_page);
    replies.push(root);
    Reply::json(200, &post_list_json(&replies, false))
}

/// PUT /posts/{id}/patch: only the bot's own posts; `message` and `props` may change.
fn patch_post(shared: &Shared, req: &Request, id: &str) -> Reply {
    let body = req.json();
    if !body.is_object() {
        return Reply::bad_body("patch");
    }
    let mut st = shared.lock();
    let Some(index) = st.post_index(id) else {
        return post_not_found();
    };
    if st.posts[index]["user_id"] != BOT_ID {
        return Reply::forbidden();
    }
    let message = body["message"].as_str();
    if message.is_some_and(|m| m.chars().count() > st.max_post_size) {
        return Reply::error(
            400,
            "model.post.is_valid.message_length.app_error",
            &format!(
                "Message length is longer than the maximum allowed length ({}).",
                st.max_post_size
            ),
        );
    }
    let props = body.get("props").filter(|p| p.is_object()).cloned();
    match st.edit_post(id, message, props) {
        Some(post) => Reply::json(200, &post),
        None => post_not_found(),
    }
}

fn delete_post(shared: &Shared, id: &str) -> Reply {
    let mut st = shared.lock();
    match st.post_index(id) {
        Some(i) if st.posts[i]["user_id"] != BOT_ID => Reply::forbidden(),
        Some(_) => {
            st.delete_post(id);
            Reply::status_ok()
        }
        None => post_not_found(),
    }
}

fn typing(shared: &Shared, req: &Request) -> Reply {
    let body = req.json();
    let Some(channel_id) = body["channel_id"].as_str() else {
        return Reply::bad_body("channel_id");
    };
    if shared.lock().bot_channel(channel_id).is_none() {
        return Reply::forbidden();
    }
    Reply::status_ok()
}

fn valid_emoji_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
}

/// POST /reactions: the bot reacts to a post it can see; reacting twice is harmless.
fn add_reaction(shared: &Shared, req: &Request) -> Reply {
    let body = req.json();
    let (Some(user_id), Some(post_id), Some(emoji)) = (
        body["user_id"].as_str(),
        body["post_id"].as_str(),
        body["emoji_name"].as_str(),
    ) else {
        return Reply::bad_body("reaction");
    };
    if !valid_emoji_name(emoji) {
        return Reply::error(
            400,
            "model.reaction.is_valid.emoji_name.app_error",
            "Invalid emoji name.",
        );
    }
    let mut st = shared.lock();
    let channel_id = match st.post_index(post_id) {
        Some(i) => st.posts[i]["channel_id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        None => return Reply::forbidden(),
    };
    if user_id != BOT_ID || st.bot_channel(&channel_id).is_none() {
        return Reply::forbidden();
    }
    let same =
        |r: &Value| r["user_id"] == user_id && r["post_id"] == post_id && r["emoji_name"] == emoji;
    if let Some(existing) = st.reactions.iter().find(|r| same(r)) {
        return Reply::json(200, existing);
    }
    let now = st.tick();
    let reaction = json!({
        "user_id": user_id, "post_id": post_id, "emoji_name": emoji, "create_at": now,
        "update_at": now, "delete_at": 0, "remote_id": "", "channel_id": channel_id,
    });
    st.reactions.push(reaction.clone());
    let data = json!({"reaction": reaction.to_string()});
    st.broadcast(Outgoing::Event(event_frame(
        "reaction_added",
        data,
        &channel_id,
    )));
    Reply::json(200, &reaction)
}

/// DELETE /users/{me|bot}/posts/{post}/reactions/{emoji}: 200 even if there was none.
fn remove_reaction(shared: &Shared, user: &str, post_id: &str, emoji: &str) -> Reply {
    if user != "me" && user != BOT_ID {
        return Reply::forbidden();
    }
    let emoji = percent_decode(emoji);
    let mut st = shared.lock();
    let same = |r: &Value| {
        r["user_id"] == BOT_ID && r["post_id"] == post_id && r["emoji_name"] == emoji.as_str()
    };
    if let Some(index) = st.reactions.iter().position(same) {
        let reaction = st.reactions.remove(index);
        let channel_id = reaction["channel_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let data = json!({"reaction": reaction.to_string()});
        st.broadcast(Outgoing::Event(event_frame(
            "reaction_removed",
            data,
            &channel_id,
        )));
    }
    Reply::status_ok()
}

fn post_reactions(shared: &Shared, post_id: &str) -> Reply {
    let st = shared.lock();
    let found: Vec<Value> = st
        .reactions
        .iter()
        .filter(|r| r["post_id"] == post_id)
        .cloned()
        .collect();
    Reply::json(200, &Value::Array(found))
}

// --- files ---------------------------------------------------------------------------------

/// One part of a multipart/form-data body.
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

/// POST /files: multipart with `channel_id` first, optional `client_ids`, then `files`; or a raw
/// body with `?channel_id=&filename=`. 201 `{file_infos, client_ids}`.
fn upload_files(shared: &Shared, req: &Request) -> Reply {
    let parts = match upload_parts(req) {
        Ok(parts) => parts,
        Err(reply) => return reply,
    };
    let mut channel_id = req.query("channel_id").unwrap_or_default();
    let mut client_ids = Vec::new();
    let mut uploads = Vec::new();
    for part in parts {
        match (part.name.as_str(), part.filename.is_some()) {
            ("channel_id", false) => channel_id = String::from_utf8_lossy(&part.data).into_owned(),
            ("client_ids", false) => {
                client_ids.push(String::from_utf8_lossy(&part.data).into_owned())
            }
            // The server streams the body, so it must know the channel before the first file.
            (_, true) if channel_id.is_empty() => {
                return Reply::error(
                    400,
                    "api.file.upload_file.incorrect_channelId.app_error",
                    "Unable to upload the file. Incorrect channel ID: ",
                );
            }
            (_, true) => uploads.push(part),
            _ => {}
        }
    }
    store_uploads(shared, &channel_id, uploads, client_ids)
}

fn store_uploads(
    shared: &Shared,
    channel_id: &str,
    uploads: Vec<Part>,
    client_ids: Vec<String>,
) -> Reply {
    if uploads.is_empty() {
        return Reply::error(
            400,
            "api.file.upload_file.incorrect_number_of_files.app_error",
            "Unable to upload files. Incorrect number of files specified.",
        );
    }
    if !client_ids.is_empty() && client_ids.len() != uploads.len() {
        return Reply::error(
            400,
            "api.file.upload_file.incorrect_number_of_client_ids.app_error",
            "Unable to upload files. Incorrect number of client IDs.",
        );
    }
    let mut st = shared.lock();
    if st.bot_channel(channel_id).is_none() {
        return Reply::forbidden();
    }
    if let Some(big) = uploads
        .iter()
        .find(|u| u.data.len() as u64 > st.max_file_size)
    {
        let message = format!(
            "Unable to upload file {}. File is too large.",
            big.filename.as_deref().unwrap_or("")
        );
        return Reply::error(
            413,
            "api.file.upload_file.too_large_detailed.app_error",
            &message,
        );
    }
    let mut infos = Vec::new();
    for upload in uploads {
        let now = st.tick();
        let name = upload.filename.unwrap_or_default();
        let file = StoredFile::new(
            &new_id(),
            BOT_ID,
            channel_id,
            &name,
            upload.content_type.as_deref(),
            upload.data,
            now,
        );
        infos.push(file.info.clone());
        st.files.push(file);
    }
    Reply::json(201, &json!({"file_infos": infos, "client_ids": client_ids}))
}

/// The parts of an upload: multipart, or the raw body as one file named by `?filename=`.
fn upload_parts(req: &Request) -> Result<Vec<Part>, Reply> {
    let content_type = req.header("content-type").unwrap_or_default();
    if let Some(boundary) = multipart_boundary(content_type) {
        return parse_multipart(&req.body, &boundary)
            .ok_or_else(|| Reply::bad_body("multipart form"));
    }
    match req.query("filename") {
        Some(filename) => Ok(vec![Part {
            name: "files".into(),
            filename: Some(filename),
            content_type: Some(content_type.to_string()).filter(|c| !c.is_empty()),
            data: req.body.clone(),
        }]),
        None => Err(Reply::bad_body("file")),
    }
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"').to_string())
}

fn find_bytes(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Splits a multipart/form-data body; `None` when it is malformed.
fn parse_multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut at = find_bytes(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2)? == b"--" {
            return Some(parts);
        }
        let start = at + 2; // the CRLF after the delimiter
        let end = find_bytes(body, &[b"\r\n".as_slice(), &delimiter].concat(), start)?;
        parts.push(parse_part(&body[start..end])?);
        at = end + 2 + delimiter.len();
    }
}

fn parse_part(raw: &[u8]) -> Option<Part> {
    let split = find_bytes(raw, b"\r\n\r\n", 0)?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut part = Part {
        name: String::new(),
        filename: None,
        content_type: None,
        data: raw[split + 4..].to_vec(),
    };
    for line in head.split("\r\n") {
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-disposition" => {
                for param in value.split(';').skip(1) {
                    match param.trim().split_once('=') {
                        Some(("name", v)) => part.name = v.trim_matches('"').to_string(),
                        Some(("filename", v)) => {
                            part.filename = Some(v.trim_matches('"').to_string())
                        }
                        _ => {}
                    }
                }
            }
            "content-type" => part.content_type = Some(value.trim().to_string()),
            _ => {}
        }
    }
    Some(part)
}

fn file_not_found() -> Reply {
    Reply::error(
        404,
        "app.file_info.get.app_error",
        "Unable to get the file info.",
    )
}

fn get_file(shared: &Shared, id: &str) -> Reply {
    let st = shared.lock();
    let Some(file) = st.files.iter().find(|f| f.info["id"] == id) else {
        return file_not_found();
    };
    let name = file.info["name"].as_str().unwrap_or_default();
    Reply {
        status: 200,
        content_type: file.info["mime_type"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        headers: vec![("Content-Disposition".into(), content_disposition(name))],
        body: file.bytes.clone(),
    }
}

/// `attachment` with the name percent-encoded as the real server does (url.PathEscape), so a
/// hostile name cannot break the header.
fn content_disposition(name: &str) -> String {
    let mut escaped = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            escaped.push(byte as char);
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment;filename=\"{escaped}\"; filename*=UTF-8''{escaped}")
}

fn get_file_info(shared: &Shared, id: &str) -> Reply {
    match shared.lock().files.iter().find(|f| f.info["id"] == id) {
        Some(file) => Reply::json(200, &file.info),
        None => file_not_found(),
    }
}

// ---------------------------------------------------------------------------------------------
// WebSocket
// ---------------------------------------------------------------------------------------------

fn wants_websocket(req: &Request) -> bool {
    req.method == "GET" && req.path_only() == "/api/v4/websocket"
}

/// The Sec-WebSocket-Key of a valid upgrade request.
fn upgrade_key(req: &Request) -> Option<&str> {
    let has_token = |header: &str, token: &str| {
        req.header(header)
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    let ok = has_token("upgrade", "websocket")
        && has_token("connection", "upgrade")
        && req.header("sec-websocket-version") == Some("13");
    ok.then(|| req.header("sec-websocket-key")).flatten()
}

/// Answers the upgrade and runs the connection on this thread until it closes.
fn serve_websocket(shared: Arc<Shared>, mut reader: BufReader<Conn>, req: &Request) {
    let Some(key) = upgrade_key(req) else {
        let reply = Reply::text(400, "Bad Request\n");
        let _ = write_reply(reader.get_mut(), &reply, true);
        return;
    };
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    );
    if reader.get_mut().write_all(response.as_bytes()).is_err() {
        return;
    }
    // Bytes the client sent right after the request are already in the reader's buffer.
    let leftover = reader.buffer().to_vec();
    let stream = reader.into_inner();
    let Ok(socket) = stream.tcp().try_clone() else {
        return;
    };
    // The timeout lets one loop both read client frames and send what is queued.
    if stream
        .tcp()
        .set_read_timeout(Some(shared.ws_poll()))
        .is_err()
    {
        return;
    }
    let (outbox_tx, outbox) = mpsc::channel();
    let queue = Arc::new(SendQueue::default());
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    {
        let mut st = shared.lock();
        st.ws.push(WsHandle {
            id,
            outbox: outbox_tx,
            queue: queue.clone(),
            socket,
            authed: false,
            hello_sent: false,
            session: None,
        });
        st.ws_total += 1;
    }
    shared.notify();
    let config = WebSocketConfig::default()
        .max_message_size(Some(CLIENT_FRAME_LIMIT))
        .max_frame_size(Some(CLIENT_FRAME_LIMIT));
    let ws = WebSocket::from_partially_read(stream, leftover, Role::Server, Some(config));
    let header_ok = authorized(&shared, req);
    let mut conn = WsConn {
        shared,
        id,
        ws,
        outbox,
        queue,
        next_seq: 0,
        authed: false,
        opened: Instant::now(),
        last_ping: Instant::now(),
        poll: Duration::ZERO,
    };
    // A resume needs both parameters; the real server drops a socket that sends only the id.
    match (req.query("connection_id"), req.query("sequence_number")) {
        (Some(_), None) => return conn.close(),
        (Some(id), Some(n)) if header_ok => {
            if let Some(replay) = conn.try_resume(&id, n.parse().unwrap_or(u64::MAX)) {
                if replay
                    .into_iter()
                    .try_for_each(|frame| conn.write_text(frame))
                    .is_ok()
                {
                    conn.run();
                }
                return conn.close();
            }
        }
        _ => {}
    }
    if !header_ok || conn.authenticate().is_ok() {
        conn.run();
    }
    conn.close();
}

/// The connection is over (or must be ended).
struct Closed;

type WsResult = Result<(), Closed>;

/// One WebSocket connection, owned by its thread: the only writer of the socket.
struct WsConn {
    shared: Arc<Shared>,
    id: u64,
    ws: WebSocket<Conn>,
    outbox: Receiver<Outgoing>,
    queue: Arc<SendQueue>,
    /// The seq of the next event on this connection (`hello` is 0).
    next_seq: u64,
    authed: bool,
    opened: Instant,
    last_ping: Instant,
    /// The read timeout now set on the socket.
    poll: Duration,
}

impl WsConn {
    fn run(&mut self) {
        while self.turn().is_ok() {}
    }

    fn close(&mut self) {
        self.shared.forget_ws(self.id);
        self.ws.get_ref().shutdown();
    }

    /// Sends what is queued, pings if due, then waits up to WS_POLL for one client frame.
    fn turn(&mut self) -> WsResult {
        self.send_queued()?;
        self.ping_if_due()?;
        if !self.authed && self.opened.elapsed() >= UNAUTHENTICATED_GRACE {
            return Err(Closed);
        }
        let poll = self.shared.ws_poll();
        if poll != self.poll {
            self.poll = poll;
            let _ = self.ws.get_ref().tcp().set_read_timeout(Some(poll));
        }
        match self.ws.read() {
            Ok(message) => self.on_message(message),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(())
            }
            Err(_) => Err(Closed),
        }
    }

    fn send_queued(&mut self) -> WsResult {
        self.queue.writing.store(true, Ordering::Relaxed);
        let result = self.drain_outbox();
        self.queue.writing.store(false, Ordering::Relaxed);
        result
    }

    fn drain_outbox(&mut self) -> WsResult {
        loop {
            let next = self.outbox.try_recv();
            if next.is_ok() {
                self.queue.pending.fetch_sub(1, Ordering::Relaxed);
            }
            match next {
                Ok(Outgoing::Event(event)) => self.write_event(event)?,
                Ok(Outgoing::Raw(text)) => self.write_text(text)?,
                Err(TryRecvError::Empty) => return self.flush(),
                // The handle was dropped: drop_websockets(), a full send queue, or the fake.
                Err(TryRecvError::Disconnected) => return Err(Closed),
            }
        }
    }

    fn ping_if_due(&mut self) -> WsResult {
        if self.last_ping.elapsed() < self.shared.ping_interval() {
            return Ok(());
        }
        self.last_ping = Instant::now();
        self.ws
            .write(Message::Ping(Bytes::new()))
            .map_err(|_| Closed)?;
        self.flush()
    }

    fn write_event(&mut self, mut event: Value) -> WsResult {
        event["seq"] = self.next_seq.into();
        self.next_seq += 1;
        self.write_text(event.to_string())
    }

    fn write_text(&mut self, text: String) -> WsResult {
        // Latency measurements: the moment the frame leaves the server, stamped into it.
        let text = if text.contains(WRITE_STAMP) {
            let micros = epoch().elapsed().as_micros().to_string();
            text.replacen(WRITE_STAMP, &micros, 1)
        } else {
            text
        };
        self.ws.write(Message::text(text)).map_err(|_| Closed)
    }

    fn flush(&mut self) -> WsResult {
        self.ws.flush().map_err(|_| Closed)
    }

    fn reply(&mut self, response: Value) -> WsResult {
        self.write_text(response.to_string())?;
        self.flush()
    }

    fn reply_fail(&mut self, seq: i64, id: &str, message: &str, status: u16) -> WsResult {
        let error = app_error_json(status, id, message, "");
        self.reply(json!({"status": "FAIL", "seq_reply": seq, "error": error}))
    }

    /// Reattaches this socket to an earlier `connection_id` when every event from
    /// `sequence_number` on is still known; returns those events to send (no `hello`).
    fn try_resume(&mut self, connection_id: &str, sequence_number: u64) -> Option<Vec<String>> {
        let mut st = self.shared.lock();
        let session = st.ws_sessions.get_mut(connection_id)?;
        if session.attached.is_some() {
            return None;
        }
        let replay = session.replay_from(sequence_number)?;
        session.attached = Some(self.id);
        session.queued_while_detached = 0;
        st.ws_resumes += 1;
        let id = self.id;
        if let Some(handle) = st.ws.iter_mut().find(|h| h.id == id) {
            handle.authed = true;
            handle.hello_sent = true;
            handle.session = Some(connection_id.to_string());
        }
        drop(st);
        self.authed = true;
        self.shared.notify();
        Some(replay)
    }

    /// Marks the connection authenticated under a new `connection_id` and sends `hello`. From
    /// the moment the handle is marked, broadcasts queue up behind `hello`, which this thread
    /// writes first.
    fn authenticate(&mut self) -> WsResult {
        self.authed = true;
        let connection_id = new_id();
        {
            let mut st = self.shared.lock();
            let mut session = WsSession::new();
            session.attached = Some(self.id);
            st.ws_sessions.insert(connection_id.clone(), session);
            let id = self.id;
            if let Some(handle) = st.ws.iter_mut().find(|h| h.id == id) {
                handle.authed = true;
                handle.session = Some(connection_id.clone());
            }
        }
        let mut hello = event_frame(
            "hello",
            json!({
                "server_version": SERVER_VERSION_FULL,
                "connection_id": connection_id,
                "server_hostname": "fake",
            }),
            "",
        );
        hello["broadcast"]["user_id"] = BOT_ID.into();
        self.write_event(hello)?;
        self.flush()?;
        self.shared.update_ws(self.id, |h| h.hello_sent = true);
        Ok(())
    }

    fn on_message(&mut self, message: Message) -> WsResult {
        match message {
            Message::Text(text) => self.on_client_text(text.as_str()),
            Message::Pong(_) => {
                self.shared.lock().ws_pongs += 1;
                self.shared.notify();
                Ok(())
            }
            // Pings are answered and close frames completed by tungstenite on later calls.
            _ => Ok(()),
        }
    }

    /// Client requests, checked in the order of the real server's router.
    fn on_client_text(&mut self, text: &str) -> WsResult {
        let frame: Value =
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into()));
        self.shared.lock().ws_client_frames.push(frame.clone());
        self.shared.notify();
        if !frame.is_object() {
            return Ok(());
        }
        let seq = frame["seq"].as_i64().unwrap_or(0);
        let action = frame["action"].as_str().unwrap_or_default();
        if action.is_empty() {
            return self.reply_fail(
                seq,
                "api.web_socket_router.no_action.app_error",
                "No websocket action.",
                400,
            );
        }
        if seq <= 0 {
            return self.reply_fail(
                seq,
                "api.web_socket_router.bad_seq.app_error",
                "Invalid sequence for WebSocket message.",
                400,
            );
        }
        if action == "authentication_challenge" {
            return self.on_challenge(seq, &frame["data"]["token"]);
        }
        if !self.authed {
            return self.reply_fail(
                seq,
                "api.web_socket_router.not_authenticated.app_error",
                "No websocket authentication.",
                401,
            );
        }
        match action {
            "ping" => self.reply(json!({
                "status": "OK", "seq_reply": seq,
                "data": {"text": "pong", "version": SERVER_VERSION, "server_time": now_ms(), "node_id": ""},
            })),
            "user_typing" => self.reply(json!({"status": "OK", "seq_reply": seq})),
            _ => self.reply_fail(seq, "api.web_socket_router.bad_action.app_error", "Invalid action.", 501),
        }
    }

    /// In-band auth: `hello` then OK; a bad token closes the socket; an already authenticated
    /// connection gets no reply at all.
    fn on_challenge(&mut self, seq: i64, token: &Value) -> WsResult {
        if self.authed {
            return Ok(());
        }
        let valid = token
            .as_str()
            .is_some_and(|t| self.shared.lock().token_ok(t));
        if !valid {
            return Err(Closed);
        }
        self.authenticate()?;
        self.reply(json!({"status": "OK", "seq_reply": seq}))
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 15: reactions by users, channels by name. One block, so it can move with the fake as a
// whole (plus its one line in `route`).
// ---------------------------------------------------------------------------------------------

/// GET /teams/{team}/channels/name/{name}: like `GET /channels/{id}`, found by team and name.
fn channel_by_name(shared: &Shared, team: &str, name: &str) -> Reply {
    let id = {
        let st = shared.lock();
        st.channels
            .iter()
            .find(|c| c.team_id == team && c.name == name)
            .map(|c| c.id.clone())
    };
    match id {
        Some(id) => get_channel(shared, &id),
        None => Reply::error(
            404,
            "app.channel.get_by_name.missing.app_error",
            "Channel does not exist.",
        ),
    }
}

impl FakeMattermost {
    /// A user adds (`add`) or removes a reaction on a stored post, as the web app would: the
    /// reaction is stored or removed and `reaction_added`/`reaction_removed` goes to the
    /// channel's sockets, the Reaction as JSON text in `data.reaction`. Panics on an unknown
    /// post.
    pub fn user_react(&self, user_id: &str, post_id: &str, emoji: &str, add: bool) {
        let mut st = self.shared.lock();
        let index = st
            .post_index(post_id)
            .unwrap_or_else(|| panic!("fake.user_react: unknown post {post_id}"));
        let channel_id = st.posts[index]["channel_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let same = |r: &Value| {
            r["user_id"] == user_id && r["post_id"] == post_id && r["emoji_name"] == emoji
        };
        let reaction = if add {
            let now = st.tick();
            let reaction = json!({
                "user_id": user_id, "post_id": post_id, "emoji_name": emoji, "create_at": now,
                "update_at": now, "delete_at": 0, "remote_id": "", "channel_id": channel_id,
            });
            st.reactions.push(reaction.clone());
            reaction
        } else {
            match st.reactions.iter().position(same) {
                Some(i) => st.reactions.remove(i),
                None => return,
            }
        };
        let event = if add {
            "reaction_added"
        } else {
            "reaction_removed"
        };
        let data = json!({"reaction": reaction.to_string()});
        st.broadcast(Outgoing::Event(event_frame(event, data, &channel_id)));
    }
}
