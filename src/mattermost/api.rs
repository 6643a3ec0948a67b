//! The REST API v4 client: one method per endpoint the bridge uses, each returning a typed value
//! or an `ApiError` that keeps the server's own error id and message. Retries live in
//! `with_retries`: network errors, 5xx and 429 are retried until the budget runs out; any other
//! status is final.

use super::connect_error::ConnectError;
use super::connector;
use super::model::{
    Channel, ChannelMember, FileInfo, NewPost, Post, PostList, Role, Team, UploadedFiles, User,
};
use super::multipart::Framing;
use super::net::Link;
use super::proxy::Proxy;
use crate::backoff::Backoff;
use crate::random;
use crate::redact::redact;
use crate::server_url::ServerUrl;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::fmt;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;
use std::time::{Duration, Instant};
use ureq::http::Response;
use ureq::{Body, BodyReader, SendBody};

const CALL_TIMEOUT: Duration = Duration::from_secs(30);
const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);
/// File transfers get `CALL_TIMEOUT` plus one second per this many bytes, so a big file on a
/// slow link is not cut off while a stalled one still ends.
const TRANSFER_BYTES_PER_SEC: u64 = 64 * 1024;

/// How long a transfer of `bytes` may take in all.
pub fn transfer_timeout(bytes: u64) -> Duration {
    CALL_TIMEOUT + Duration::from_secs(bytes / TRANSFER_BYTES_PER_SEC)
}

#[derive(Debug)]
pub enum ApiError {
    /// The server answered with an error status.
    Status {
        status: u16,
        id: String,
        message: String,
        request_id: String,
        /// From `Retry-After` / `X-Ratelimit-Reset` on a 429.
        retry_after: Option<Duration>,
    },
    /// No connection to the server: resolving, connecting, the proxy or TLS failed.
    Connect(ConnectError),
    /// No usable answer over the connection: a timeout, or a body we could not read.
    Network(String),
    /// A problem on our side of the call (a local file that cannot be read); never retried.
    Local(String),
    /// The answer is larger than the bridge reads (10 MiB): asking again cannot help.
    TooLarge(String),
}

impl ApiError {
    /// Worth trying again: the server may answer differently in a moment. Not a 501: that is
    /// a feature the server has switched off (`api.command.disabled.app_error`).
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Connect(_) | ApiError::Network(_) => true,
            ApiError::Local(_) | ApiError::TooLarge(_) => false,
            ApiError::Status { status, .. } => *status == 429 || (*status >= 500 && *status != 501),
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            ApiError::Connect(_)
            | ApiError::Network(_)
            | ApiError::Local(_)
            | ApiError::TooLarge(_) => None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Status {
                status,
                id,
                message,
                ..
            } if id.is_empty() => write!(f, "HTTP {status}: {message}"),
            ApiError::Status {
                status,
                id,
                message,
                ..
            } => write!(f, "HTTP {status} {id}: {message}"),
            // Redacted like `Network`'s words: no part of it should ever hold a secret.
            ApiError::Connect(e) => f.write_str(&redact(&e.to_string())),
            ApiError::Network(e) | ApiError::Local(e) | ApiError::TooLarge(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// A ureq failure: what our connector and resolver put into it as a `ConnectError` comes
    /// out as one, and so do ureq's own TCP connector's "refused" or "timed out" and its proxy
    /// CONNECT's failure; anything
    /// else is `Network` with ureq's words (redacted: a URL could hold a secret).
    fn from_ureq(error: ureq::Error) -> ApiError {
        let tcp = |error| ApiError::Connect(ConnectError::Tcp { addr: None, error });
        let error = match error {
            ureq::Error::Io(e) => match ConnectError::from_io(e) {
                Ok(connect) => return ApiError::Connect(connect),
                Err(e) if is_connect_failure(e.kind()) => return tcp(e),
                Err(e) => ureq::Error::Io(e),
            },
            ureq::Error::Timeout(ureq::Timeout::Connect) => {
                return tcp(std::io::ErrorKind::TimedOut.into())
            }
            ureq::Error::ConnectProxyFailed(why) => {
                return ApiError::Connect(ConnectError::RestProxy(why))
            }
            other => other,
        };
        ApiError::Network(redact(&error.to_string()).into_owned())
    }
}

/// The I/O errors that only connecting gives (the ones ureq's TCP connector tries the next
/// address on).
fn is_connect_failure(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        kind,
        ConnectionRefused | HostUnreachable | NetworkUnreachable | NetworkDown | AddrNotAvailable
    )
}

/// Mattermost's AppError body.
#[derive(Deserialize, Default)]
struct AppError {
    #[serde(default)]
    id: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    request_id: String,
}

/// The largest response head (status line and headers) accepted from the server or a proxy
/// in front of it: Mattermost's are about 1 KiB; a proxy's cookies can add a few.
const MAX_RESPONSE_HEAD: usize = 16 * 1024;
/// A REST connection's output buffer: request heads are small, bodies stream through it.
const REQUEST_BUFFER_BYTES: usize = 16 * 1024;

pub struct Api {
    agent: ureq::Agent,
    base: String,
    authorization: String,
    retry_budget: Duration,
    dm_retry: DmRetry,
}

/// How opening a DM channel is retried (`dmChannelRetry`), by the rule of OpenClaw's Mattermost
/// plugin rather than `retryBudget`: up to `max_retries` more attempts on a network error, a 5xx
/// or a 429 (`Retry-After` is not consulted), each attempt cut off after `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmRetry {
    pub max_retries: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
    pub timeout: Duration,
}

impl Default for DmRetry {
    fn default() -> DmRetry {
        DmRetry {
            max_retries: 3,
            initial_delay: Duration::from_millis(1000),
            max_delay: Duration::from_millis(10_000),
            timeout: Duration::from_millis(30_000),
        }
    }
}

impl DmRetry {
    /// The wait after failed attempt `attempt` (1 for the first): `initial_delay` doubled per
    /// attempt up to `max_delay`, stretched by up to twice by `unit` (a random number in
    /// [0, 1): "full" jitter), kept within `initial_delay..=max_delay`.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let floor = self.initial_delay.min(self.max_delay);
        let doublings = attempt.saturating_sub(1).min(31);
        let base = floor.saturating_mul(1 << doublings).min(self.max_delay);
        base.mul_f64(1.0 + unit.clamp(0.0, 1.0))
            .clamp(floor, self.max_delay)
    }
}

impl Api {
    pub fn new(server: &ServerUrl, token: &str, link: &Link, retry_budget: Duration) -> Api {
        let proxy = link.proxy.as_ref().map(Proxy::for_ureq);
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(super::net::CONNECT_TIMEOUT))
            .timeout_global(Some(CALL_TIMEOUT))
            .user_agent(concat!("openclaw-mattermost/", env!("CARGO_PKG_VERSION")))
            .proxy(proxy)
            // ureq's defaults are 128 KiB each, zero-filled, per pooled connection (twice with
            // TLS): half a megabyte of resident memory for an idle bridge. Mattermost's
            // answers have heads of about 1 KiB; bodies stream through in chunks. The input
            // buffer has room beyond the largest head, so a bigger head is reported as such
            // (ureq cannot see it otherwise and calls the connection stuck).
            .input_buffer_size(MAX_RESPONSE_HEAD + 4 * 1024)
            .output_buffer_size(REQUEST_BUFFER_BYTES)
            .max_response_header_size(MAX_RESPONSE_HEAD)
            .build();
        let agent = connector::agent(config, &link.tls);
        Api {
            agent,
            base: server.api_base(),
            authorization: format!("Bearer {token}"),
            retry_budget,
            dm_retry: DmRetry::default(),
        }
    }

    /// The same client, opening DM channels with `dm_retry`.
    pub fn with_dm_retry(mut self, dm_retry: DmRetry) -> Api {
        self.dm_retry = dm_retry;
        self
    }

    /// `GET /system/ping`: the server answers at all (no token needed).
    pub fn ping(&self) -> Result<(), ApiError> {
        self.with_retries(|| self.get::<Value>("/system/ping"))
            .map(drop)
    }

    pub fn users_by_ids(&self, ids: &[String]) -> Result<Vec<User>, ApiError> {
        self.with_retries(|| self.send("POST", "/users/ids", &json!(ids)))
    }

    /// The bot's membership of a channel (404 when it is not a member).
    pub fn my_channel_member(&self, channel_id: &str) -> Result<ChannelMember, ApiError> {
        self.with_retries(|| self.get(&format!("/channels/{channel_id}/members/me")))
    }

    pub fn roles_by_names(&self, names: &[&str]) -> Result<Vec<Role>, ApiError> {
        self.with_retries(|| self.send("POST", "/roles/names", &json!(names)))
    }

    pub fn me(&self) -> Result<User, ApiError> {
        self.with_retries(|| self.get("/users/me"))
    }

    pub fn my_teams(&self) -> Result<Vec<Team>, ApiError> {
        self.with_retries(|| self.get("/users/me/teams"))
    }

    /// Slash command REST, `/commands<rest>`: one attempt (a retried POST could create a
    /// second command), within `deadline` for a GET; the answer as JSON, of which the bridge
    /// keeps allow-listed fields (`bridge::commands`).
    #[inline(never)]
    pub fn commands(
        &self,
        method: &str,
        rest: &str,
        body: &Value,
        deadline: Option<Duration>,
    ) -> Result<Value, ApiError> {
        let path = format!("/commands{rest}");
        match method {
            "GET" => decode(self.call_get(&path, deadline)),
            "DELETE" => self.delete(&path).map(|()| Value::Null),
            _ => self.send(method, &path, body),
        }
    }

    /// A GET (`body` null) or a POST of `body`, whose JSON answer the caller picks checked
    /// fields from (`bridge::directory`); ids in `path` must be checked first.
    #[inline(never)]
    pub fn value(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.with_retries(|| match body {
            Value::Null => self.get(path),
            _ => self.send("POST", path, body),
        })
    }

    /// The client config map (`MaxPostSize`, `MaxFileSize`, `Version`, …), values as strings.
    pub fn client_config(&self) -> Result<Value, ApiError> {
        self.with_retries(|| self.get("/config/client?format=old"))
    }

    /// A post as the server wrote it, `props` included (`getPost`); the id must be checked.
    pub fn post_text(&self, post_id: &str) -> Result<String, ApiError> {
        let path = format!("/posts/{post_id}");
        self.with_retries(|| body_text(self.call_get(&path, None)))
    }

    pub fn users_by_usernames(&self, names: &[String]) -> Result<Vec<User>, ApiError> {
        self.with_retries(|| self.send("POST", "/users/usernames", &json!(names)))
    }

    /// `name` must be checked (`is_valid_name`) first: it goes into the path.
    pub fn channel_by_name(&self, team_id: &str, name: &str) -> Result<Channel, ApiError> {
        self.with_retries(|| self.get(&format!("/teams/{team_id}/channels/name/{name}")))
    }

    pub fn channel(&self, id: &str) -> Result<Channel, ApiError> {
        self.with_retries(|| self.get(&format!("/channels/{id}")))
    }

    /// Finds or creates the DM channel between the bot and `user_id`, retried by `DmRetry`.
    pub fn direct_channel(&self, bot_id: &str, user_id: &str) -> Result<Channel, ApiError> {
        let body = json!([bot_id, user_id]);
        let retry = self.dm_retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let url = format!("{}/channels/direct", self.base);
            let result = self
                .agent
                .post(url)
                .config()
                .timeout_global(Some(retry.timeout))
                .build()
                .header("Authorization", &self.authorization)
                .send_json(&body);
            let error = match decode(result) {
                Ok(channel) => return Ok(channel),
                Err(e) if !e.is_transient() || attempt > retry.max_retries => return Err(e),
                Err(e) => e,
            };
            let wait = retry.delay(attempt, random::unit());
            log::warn!(
                "Opening a DM channel failed ({error}); retry {attempt} of {} in {} ms",
                retry.max_retries,
                wait.as_millis()
            );
            std::thread::sleep(wait);
        }
    }

    /// Creates a post; retries reuse the same body and so the same `pending_post_id`, which
    /// makes the server return the first post instead of creating a second.
    pub fn create_post(&self, post: &NewPost) -> Result<Post, ApiError> {
        let body = serde_json::to_value(post).map_err(|e| ApiError::Network(e.to_string()))?;
        self.with_retries(|| self.send("POST", "/posts", &body))
    }

    /// The post's new text, and with `props` (checked: `bridge::buttons::props`) its new props,
    /// which replace the old ones whole, as the server patches them.
    pub fn patch_post(
        &self,
        post_id: &str,
        message: &str,
        props: Option<Value>,
    ) -> Result<Post, ApiError> {
        let mut body = json!({ "message": message });
        if let Some(props) = props {
            body["props"] = props;
        }
        self.with_retries(|| self.send("PUT", &format!("/posts/{post_id}/patch"), &body))
    }

    pub fn delete_post(&self, post_id: &str) -> Result<(), ApiError> {
        self.with_retries(|| self.delete(&format!("/posts/{post_id}")))
    }

    pub fn typing(&self, channel_id: &str, parent_id: &str) -> Result<(), ApiError> {
        let body = json!({ "channel_id": channel_id, "parent_id": parent_id });
        self.with_retries(|| self.send::<Value>("POST", "/users/me/typing", &body))
            .map(drop)
    }

    pub fn add_reaction(&self, bot_id: &str, post_id: &str, emoji: &str) -> Result<(), ApiError> {
        let body = json!({ "user_id": bot_id, "post_id": post_id, "emoji_name": emoji });
        self.with_retries(|| self.send::<Value>("POST", "/reactions", &body))
            .map(drop)
    }

    pub fn remove_reaction(&self, post_id: &str, emoji: &str) -> Result<(), ApiError> {
        let path = format!("/users/me/posts/{post_id}/reactions/{emoji}");
        self.with_retries(|| self.delete(&path))
    }

    /// The bot's channels in `team`, with its DMs and group DMs (the server includes those).
    pub fn team_channels(&self, team_id: &str) -> Result<Vec<Channel>, ApiError> {
        self.with_retries(|| self.get(&format!("/users/me/teams/{team_id}/channels")))
    }

    /// Posts of a channel created or changed after `since` (ms): at most 1000, and which
    /// 1000 is not defined when more changed.
    pub fn posts_since(&self, channel_id: &str, since: i64) -> Result<PostList, ApiError> {
        // The server refuses a negative `since`.
        let since = since.max(0);
        self.with_retries(|| self.get(&format!("/channels/{channel_id}/posts?since={since}")))
    }

    /// Undeleted posts created after post `after` (strictly later `create_at`), oldest first
    /// from offset `page * per_page`; `order` lists them newest first.
    pub fn posts_after(
        &self,
        channel_id: &str,
        after: &str,
        page: usize,
        per_page: usize,
    ) -> Result<PostList, ApiError> {
        let path =
            format!("/channels/{channel_id}/posts?after={after}&page={page}&per_page={per_page}");
        self.with_retries(|| self.get(&path))
    }

    /// Undeleted posts created before post `before` (strictly earlier `create_at`), newest
    /// first from offset `page * per_page`.
    pub fn posts_before(
        &self,
        channel_id: &str,
        before: &str,
        page: usize,
        per_page: usize,
    ) -> Result<PostList, ApiError> {
        let path =
            format!("/channels/{channel_id}/posts?before={before}&page={page}&per_page={per_page}");
        self.with_retries(|| self.get(&path))
    }

    /// One page of a channel's undeleted posts, newest first (`page` 0 is the newest).
    pub fn posts_page(
        &self,
        channel_id: &str,
        page: usize,
        per_page: usize,
    ) -> Result<PostList, ApiError> {
        let path = format!("/channels/{channel_id}/posts?page={page}&per_page={per_page}");
        self.with_retries(|| self.get(&path))
    }

    /// One page of a channel's posts for `read`: the newest, or those `before` or `after` a
    /// post (as `posts_page`, `posts_before`, `posts_after`), with the answer's text as the
    /// server wrote it (its post objects whole, their fields in its order).
    pub fn posts_with_text(
        &self,
        channel_id: &str,
        before: Option<&str>,
        after: Option<&str>,
        per_page: usize,
    ) -> Result<(PostList, String), ApiError> {
        let anchor = match (before, after) {
            (Some(post), _) => format!("before={post}&"),
            (_, Some(post)) => format!("after={post}&"),
            _ => String::new(),
        };
        let path = format!("/channels/{channel_id}/posts?{anchor}page=0&per_page={per_page}");
        self.with_retries(|| {
            let text = body_text(self.call_get(&path, None))?;
            Ok((parse(&text)?, text))
        })
    }

    /// `GET /posts/{root}/thread?{query}` once, within `deadline`: a thread's posts for
    /// history, which must not hold up the turn (no retries). The ids must be checked
    /// (`is_valid_id`) first; `query` is `history::thread_query`'s.
    pub fn thread(
        &self,
        root: &str,
        query: &str,
        deadline: Duration,
    ) -> Result<PostList, ApiError> {
        let result = self
            .agent
            .get(format!("{}/posts/{root}/thread?{query}", self.base))
            .header("Authorization", &self.authorization)
            .config()
            .timeout_global(Some(deadline))
            .build()
            .call();
        decode(result)
    }

    pub fn post(&self, post_id: &str) -> Result<Post, ApiError> {
        self.with_retries(|| self.get(&format!("/posts/{post_id}")))
    }

    /// `name` must be checked (`is_valid_name`) first: it goes into the path.
    pub fn user_by_name(&self, name: &str) -> Result<User, ApiError> {
        self.with_retries(|| self.get(&format!("/users/username/{name}")))
    }

    pub fn user(&self, user_id: &str) -> Result<User, ApiError> {
        self.with_retries(|| self.get(&format!("/users/{user_id}")))
    }

    pub fn file_info(&self, file_id: &str) -> Result<FileInfo, ApiError> {
        self.with_retries(|| self.get(&format!("/files/{file_id}/info")))
    }

    /// Starts downloading a file; the caller streams the body. `expected` (bytes) scales the
    /// time allowed for the whole transfer.
    pub fn download(&self, file_id: &str, expected: u64) -> Result<BodyReader<'static>, ApiError> {
        let url = format!("{}/files/{file_id}", self.base);
        let response = self.with_retries(|| {
            let result = self
                .agent
                .get(&url)
                .header("Authorization", &self.authorization)
                .config()
                .timeout_global(Some(transfer_timeout(expected)))
                .build()
                .call();
            successful(result)
        })?;
        Ok(response.into_body().into_reader())
    }

    /// Uploads one file to a channel as `multipart/form-data`, streamed from disk. Each retry
    /// reopens the file, so a retry sends the whole file again.
    pub fn upload_file(
        &self,
        channel_id: &str,
        path: &Path,
        name: &str,
        mime_type: &str,
    ) -> Result<FileInfo, ApiError> {
        let url = format!("{}/files", self.base);
        let uploaded: UploadedFiles = self.with_retries(|| {
            let file = File::open(path)
                .map_err(|e| ApiError::Local(format!("cannot read {}: {e}", path.display())))?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            let framing = Framing::new(channel_id, name, mime_type);
            let length = framing.body_len(size);
            let body = Cursor::new(framing.head)
                .chain(file.take(size))
                .chain(Cursor::new(framing.tail));
            let result = self
                .agent
                .post(&url)
                .header("Authorization", &self.authorization)
                .header("Content-Type", &framing.content_type)
                .header("Content-Length", length.to_string())
                .config()
                .timeout_global(Some(transfer_timeout(size)))
                .build()
                .send(SendBody::from_owned_reader(body));
            decode(result)
        })?;
        uploaded.file_infos.into_iter().next().ok_or_else(|| {
            ApiError::Network("the server accepted the upload but returned no file".into())
        })
    }

    /// Runs `call` until it succeeds, fails for good, or the retry budget is spent.
    fn with_retries<T>(
        &self,
        mut call: impl FnMut() -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut value = None;
        self.retry(&mut || call().map(|v| value = Some(v)))?;
        value.ok_or_else(|| ApiError::Network("no answer".into()))
    }

    /// The retry loop of `with_retries`, once for every call site: each of its generic copies
    /// was about a kilobyte of the binary.
    #[inline(never)]
    fn retry(&self, call: &mut dyn FnMut() -> Result<(), ApiError>) -> Result<(), ApiError> {
        let started = Instant::now();
        let mut backoff = Backoff::new(FIRST_RETRY);
        loop {
            let error = match call() {
                Ok(()) => return Ok(()),
                Err(e) if !e.is_transient() => return Err(e),
                Err(e) => e,
            };
            let wait = match &error {
                ApiError::Status {
                    retry_after: Some(after),
                    ..
                } => *after,
                _ => backoff.next_delay(random::unit()).min(MAX_RETRY_WAIT),
            };
            // A subtraction that saturates, never a sum: a server may ask for 2^64-1 seconds.
            let left = self.retry_budget.saturating_sub(started.elapsed());
            if wait > left {
                return Err(error);
            }
            log::warn!(
                "Mattermost call failed ({error}); retrying in {} ms",
                wait.as_millis()
            );
            std::thread::sleep(wait);
        }
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        decode(self.call_get(path, None))
    }

    /// One GET, within `deadline` when given (else the agent's `CALL_TIMEOUT`); not generic,
    /// so every `get::<T>` shares it.
    #[inline(never)]
    fn call_get(
        &self,
        path: &str,
        deadline: Option<Duration>,
    ) -> Result<Response<Body>, ureq::Error> {
        let request = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", &self.authorization);
        match deadline {
            Some(deadline) => request
                .config()
                .timeout_global(Some(deadline))
                .build()
                .call(),
            None => request.call(),
        }
    }

    fn send<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: &Value,
    ) -> Result<T, ApiError> {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "PUT" => self.agent.put(url),
            _ => self.agent.post(url),
        };
        let result = request
            .header("Authorization", &self.authorization)
            .send_json(body);
        decode(result)
    }

    fn delete(&self, path: &str) -> Result<(), ApiError> {
        let result = self
            .agent
            .delete(format!("{}{path}", self.base))
            .header("Authorization", &self.authorization)
            .call();
        decode::<Value>(result).map(drop)
    }
}

/// Turns a ureq result into the body as `T`, or an `ApiError` carrying the server's words.
fn decode<T: DeserializeOwned>(result: Result<Response<Body>, ureq::Error>) -> Result<T, ApiError> {
    parse(&body_text(result)?)
}

/// The body of a successful answer, as the server wrote it (not generic: one copy for every
/// `decode`).
#[inline(never)]
fn body_text(result: Result<Response<Body>, ureq::Error>) -> Result<String, ApiError> {
    let mut response = successful(result)?;
    response.body_mut().read_to_string().map_err(|e| match e {
        ureq::Error::BodyExceedsLimit(limit) => {
            ApiError::TooLarge(format!("the answer is larger than {limit} bytes"))
        }
        e => ApiError::Network(format!("reading the response failed: {e}")),
    })
}

/// A body's JSON as `T`; an empty body is JSON null (some endpoints answer with nothing).
fn parse<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    let text = if body.trim().is_empty() { "null" } else { body };
    serde_json::from_str(text)
        .map_err(|e| ApiError::Network(format!("unexpected response from the server: {e}")))
}

/// The response when its status is 2xx, else the `ApiError` the server's body describes.
fn successful(result: Result<Response<Body>, ureq::Error>) -> Result<Response<Body>, ApiError> {
    let mut response = result.map_err(ApiError::from_ureq)?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    let retry_after = retry_after(&response);
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| ApiError::Network(format!("reading the response failed: {e}")))?;
    // 429 has a plain-text body; other errors are AppError JSON (or a proxy's HTML page).
    let app: AppError = serde_json::from_str(&body).unwrap_or_default();
    let message = if !app.message.is_empty() {
        app.message
    } else if body.trim_start().starts_with('<') {
        format!(
            "an HTML page of {} bytes, not Mattermost's answer (is serverUrl the Mattermost site, \
             not a proxy's or another server's page?)",
            body.len()
        )
    } else {
        one_line(&body, 200)
    };
    Err(ApiError::Status {
        status,
        id: app.id,
        message: redact(&message).into_owned(),
        request_id: app.request_id,
        retry_after,
    })
}

/// At most `max` characters of a server's text, control characters (newlines included) as
/// spaces: a body quoted in a log line or a `status` line cannot forge another line.
fn one_line(text: &str, max: usize) -> String {
    text.trim()
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// How long a 429 asks us to wait: `Retry-After`, else `X-Ratelimit-Reset` (both seconds).
fn retry_after(response: &Response<Body>) -> Option<Duration> {
    if response.status().as_u16() != 429 {
        return None;
    }
    ["retry-after", "x-ratelimit-reset"]
        .iter()
        .filter_map(|name| response.headers().get(*name)?.to_str().ok())
        .find_map(seconds)
        .map(|secs| Duration::from_secs(secs.max(1)))
}

/// A header's whole number of seconds; one too big for a `u64` saturates (it still means
/// "longer than any budget"), anything else that is not digits is no answer.
fn seconds(value: &str) -> Option<u64> {
    let digits = value.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_come_out_of_ureq_typed() {
        let refused = ureq::Error::Io(std::io::ErrorKind::ConnectionRefused.into());
        assert!(matches!(
            ApiError::from_ureq(refused),
            ApiError::Connect(ConnectError::Tcp { addr: None, .. })
        ));
        let ours = ConnectError::NoAddress {
            host: "mm.example".into(),
        };
        let error = ApiError::from_ureq(ureq::Error::Io(ours.into_io()));
        assert!(
            matches!(&error, ApiError::Connect(ConnectError::NoAddress { .. })),
            "{error:?}"
        );
        assert_eq!(error.to_string(), "mm.example resolved to no address");
        assert!(error.is_transient());
        let reset = ureq::Error::Io(std::io::ErrorKind::ConnectionReset.into());
        assert!(matches!(ApiError::from_ureq(reset), ApiError::Network(_)));
    }

    #[test]
    fn retry_after_seconds_saturate() {
        assert_eq!(seconds(" 7 "), Some(7));
        assert_eq!(seconds("18446744073709551615"), Some(u64::MAX));
        assert_eq!(seconds("99999999999999999999999999"), Some(u64::MAX));
        assert_eq!(seconds("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(seconds("-1"), None);
        assert_eq!(seconds(""), None);
    }

    #[test]
    fn dm_retry_delays_double_from_initial_up_to_max_with_full_jitter() {
        let ms = Duration::from_millis;
        let retry = DmRetry::default();
        let waits: Vec<Duration> = (1..=5).map(|a| retry.delay(a, 0.0)).collect();
        assert_eq!(waits, [ms(1000), ms(2000), ms(4000), ms(8000), ms(10_000)]);
        assert_eq!(
            retry.delay(1, 0.5),
            ms(1500),
            "drawn between the base and twice it"
        );
        assert_eq!(retry.delay(4, 0.99), ms(10_000), "never above maxDelayMs");
        assert_eq!(retry.delay(u32::MAX, 0.5), ms(10_000), "no overflow");
        let inverted = DmRetry {
            initial_delay: ms(20_000),
            ..DmRetry::default()
        };
        assert_eq!(
            inverted.delay(1, 0.0),
            ms(10_000),
            "the floor is min(initial, max)"
        );
    }
}
