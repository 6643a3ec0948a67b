//! Running a custom slash command as the server's `ExecuteCommand` does: find the team's
//! command by its trigger, POST the form to its URL (the headers, fields and token of
//! `DoCommandRequest`), and handle the answer as `HandleCommandResponsePost`: a non-200 is the
//! caller's error, `in_channel` makes a post as the invoking user (`from_webhook`), anything
//! else an ephemeral post for that user only (recorded, never sent to the bot). Also the
//! knobs the command routes read. Plain `http://` callbacks only; no redirects followed.

use crate::new_post::NewPost;
use crate::server::FakeMattermost;
use crate::util::new_id;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// `MaxIntegrationResponseSize`.
const MAX_ANSWER: u64 = 1024 * 1024;
/// The outgoing request's deadline (`OutgoingIntegrationRequestsTimeout`).
const TIMEOUT: Duration = Duration::from_secs(30);

/// A callback's form fields, in the order the server writes them.
type Form = Vec<(&'static str, String)>;

impl FakeMattermost {
    /// `EnableCommands`: false makes every `/commands` route answer 501.
    pub fn set_commands_enabled(&self, enabled: bool) {
        self.shared.lock().commands_enabled = enabled;
    }

    /// Whether the bot may manage its slash commands in `team_id` (403 when not).
    pub fn set_commands_allowed(&self, team_id: &str, allowed: bool) {
        let mut st = self.shared.lock();
        st.commands_forbidden.retain(|t| t != team_id);
        if !allowed {
            st.commands_forbidden.push(team_id.to_string());
        }
    }

    /// A listing served for every team instead of the stored commands (`None`: the real one).
    pub fn set_commands_listing(&self, listing: Option<Value>) {
        self.shared.lock().commands_listing = listing;
    }

    /// Stores a command made by `creator_id` (another user's, or a leftover of the bot's);
    /// returns it.
    pub fn add_command(&self, creator_id: &str, team_id: &str, trigger: &str, url: &str) -> Value {
        let mut st = self.shared.lock();
        let now = st.tick();
        let command = json!({
            "id": new_id(), "token": new_id(), "creator_id": creator_id, "team_id": team_id,
            "trigger": trigger, "method": "P", "url": url, "description": "",
            "auto_complete": false, "auto_complete_desc": "", "auto_complete_hint": "",
            "create_at": now, "update_at": now, "delete_at": 0,
        });
        st.commands.push(command.clone());
        command
    }

    /// Every command stored, deleted ones included (`delete_at` > 0).
    pub fn commands(&self) -> Vec<Value> {
        self.shared.lock().commands.clone()
    }

    /// Ephemeral posts so far: `{user_id, channel_id, message}`.
    pub fn ephemerals(&self) -> Vec<Value> {
        self.shared.lock().ephemerals.clone()
    }

    /// `user_id` types `text` (`/trigger args`) in `channel_id`; `team_id` is the client's
    /// current team, used in DMs and group DMs. `Ok({status, response, postId?})` once the
    /// answer was handled; `Err` with the server's words when the command cannot run.
    pub fn run_command(
        &self,
        user_id: &str,
        channel_id: &str,
        text: &str,
        team_id: Option<&str>,
    ) -> Result<Value, String> {
        let (command, form) = self.command_form(user_id, channel_id, text, team_id)?;
        let url = command["url"].as_str().unwrap_or("");
        let token = command["token"].as_str().unwrap_or("");
        let trigger = command["trigger"].as_str().unwrap_or("");
        let failed = |why: String| format!("Command with a trigger of '/{trigger}' failed: {why}");
        let (status, content_type, body) = post_form(url, token, &form).map_err(failed)?;
        if status != 200 {
            return Err(failed(format!("status {status}")));
        }
        let response = if content_type.split(';').next() == Some("application/json") {
            serde_json::from_slice(&body).map_err(|e| failed(e.to_string()))?
        } else {
            json!({ "text": String::from_utf8_lossy(&body) })
        };
        let message = response["text"].as_str().unwrap_or("").to_string();
        let mut result = json!({ "status": status, "response": response });
        if response["response_type"] == "in_channel" {
            let post = NewPost::new(user_id, channel_id, &message)
                .props(json!({ "from_webhook": "true" }));
            result["postId"] = json!(self.post(post));
        } else if !message.is_empty() {
            let ephemeral =
                json!({"user_id": user_id, "channel_id": channel_id, "message": message});
            self.shared.lock().ephemerals.push(ephemeral);
        }
        Ok(result)
    }

    /// The command `text` names and the form `DoCommandRequest` sends for it.
    fn command_form(
        &self,
        user_id: &str,
        channel_id: &str,
        text: &str,
        team_id: Option<&str>,
    ) -> Result<(Value, Form), String> {
        let st = self.shared.lock();
        let user = st.user(user_id).ok_or("unknown user")?;
        let channel = st.channel(channel_id).ok_or("unknown channel")?;
        let team_id = match channel.kind.as_str() {
            "D" | "G" => team_id.ok_or("a DM runs the commands of the client's team: give one")?,
            _ => channel.team_id.as_str(),
        };
        let team = st
            .teams
            .iter()
            .find(|t| t.id == team_id)
            .ok_or("unknown team")?;
        let (first, rest) = text.split_once(' ').unwrap_or((text, ""));
        let trigger = first.trim_start_matches('/').to_lowercase();
        let command = (st.commands.iter())
            .find(|c| c["team_id"] == team_id && c["trigger"] == trigger && c["delete_at"] == 0)
            .ok_or_else(|| {
                format!(
                    "api.command.execute_command.not_found.app_error: no /{trigger} in {team_id}"
                )
            })?
            .clone();
        let hook = new_id();
        let form = vec![
            ("token", command["token"].as_str().unwrap_or("").to_string()),
            ("team_id", team_id.to_string()),
            ("team_domain", team.name.clone()),
            ("channel_id", channel_id.to_string()),
            ("channel_name", channel.name.clone()),
            ("user_id", user_id.to_string()),
            ("user_name", user.username.clone()),
            ("command", format!("/{trigger}")),
            ("text", rest.to_string()),
            ("trigger_id", format!("fake-trigger-{}", new_id())),
            (
                "response_url",
                format!("{}/hooks/commands/{hook}", self.url()),
            ),
        ];
        Ok((command, form))
    }
}

/// The command callback: the form with the command's token, as `DoCommandRequest` sends it.
fn post_form(
    url: &str,
    token: &str,
    form: &[(&str, String)],
) -> Result<(u16, String, Vec<u8>), String> {
    let body: Vec<String> = (form.iter())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    let headers = format!(
        "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n\
         Authorization: Token {token}\r\nUser-Agent: Mattermost-Bot/1.1\r\n"
    );
    http_post(url, &headers, &body.join("&"))
}

/// One POST with `Connection: close` and `headers` (each line ending in CRLF); the status,
/// content type and body (chunked decoded). Plain `http://` only.
pub(crate) fn http_post(
    url: &str,
    headers: &str,
    body: &str,
) -> Result<(u16, String, Vec<u8>), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("the fake calls http:// URLs only")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(authority).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(TIMEOUT)).ok();
    stream.set_write_timeout(Some(TIMEOUT)).ok();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\n{headers}Content-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(format!("{head}{body}").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    (&mut stream)
        .take(MAX_ANSWER + 64 * 1024)
        .read_to_end(&mut answer)
        .map_err(|e| e.to_string())?;
    let split = (answer.windows(4).position(|w| w == b"\r\n\r\n")).ok_or("no HTTP answer")?;
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let mut body = answer[split + 4..].to_vec();
    let status = (head.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    if header("transfer-encoding").eq_ignore_ascii_case("chunked") {
        body = dechunk(&body)?;
    }
    Ok((status, header("content-type"), body))
}

fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = (raw.windows(2).position(|w| w == b"\r\n")).ok_or("bad chunk")?;
        let size = String::from_utf8_lossy(&raw[..line_end]);
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| e.to_string())?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(raw.get(..size).ok_or("short chunk")?);
        raw = raw.get(size + 2..).ok_or("short chunk")?;
    }
}

/// `application/x-www-form-urlencoded` as Go's `url.Values.Encode` writes it.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
