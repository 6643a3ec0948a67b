//! The directory (`docs/protocol.md`, "Directory"): the bot's channels and the people of its
//! team, which OpenClaw's `directory` commands and its conversation discovery list, read as
//! @openclaw/mattermost reads them. One function serves the running bridge's `directory`
//! request and the one-shot `--directory` command line (OpenClaw's CLI, where no bridge runs).
//! Answers carry only allow-listed fields, checked; the plugin makes OpenClaw's entries.

use super::commands::{object, wrap};
use super::requests::api_error;
use crate::config::Config;
use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::is_valid_id;
use crate::mattermost::net::Link;
use crate::policy::ChannelType;
use crate::protocol::{Answer, Request, RpcError};
use crate::session::Session;
use serde_json::{Map, Value};
use std::time::Duration;

/// Mattermost's largest page: team members are read this many a page, users this many a call.
const PAGE: usize = 200;
/// At most this many entries are listed (a hostile server's endless pages end here).
const MAX_ENTRIES: usize = 10_000;
/// A `query` longer than this is refused (Mattermost's search terms are short).
const MAX_QUERY: usize = 256;
/// An entry's strings are cut to this many characters.
const MAX_FIELD: usize = 256;
/// `--directory` retries failing calls for this long at most (the bridge: `retryBudget`).
const ONCE_RETRIES: Duration = Duration::from_secs(10);

/// The `directory` request: `kind` (`groups` or `peers`), optional `query` (peers only).
pub fn handle(api: &Api, session: &Session, request: &Request) -> Result<Answer, RpcError> {
    let text = |field| request.params.get(field).and_then(Value::as_str);
    let kind = text("kind").unwrap_or("");
    let query = text("query").unwrap_or("");
    if !matches!(kind, "groups" | "peers") {
        return Err(RpcError::invalid_params(
            "kind",
            "kind must be groups or peers",
        ));
    }
    if query.chars().count() > MAX_QUERY {
        return Err(RpcError::invalid_params(
            "query",
            "query is over 256 characters",
        ));
    }
    let team = session.teams.first().map(String::as_str);
    list(api, &session.bot.id, team, kind, query)
        .map(Answer::Value)
        .map_err(|e| api_error(&e))
}

/// `groups`: `{"channels":[{id, name, displayName, channelType}]}`, the bot's public
/// (`open`) and private channels in every team. `peers`: `{"users":[{id, username,
/// firstName, lastName, nickname}]}`, the people of `team` (else the bot's first team) but
/// the bot: all of them, or those the server's user search finds for `query`.
pub fn list(
    api: &Api,
    bot_id: &str,
    team: Option<&str>,
    kind: &str,
    query: &str,
) -> Result<Value, ApiError> {
    if kind == "groups" {
        let channels = api.value("/users/me/channels", &Value::Null)?;
        let mut open = Vec::new();
        for channel in items(&channels) {
            let kind = ChannelType::from_code(&field(channel, "type"));
            if let Some(kind @ (ChannelType::Open | ChannelType::Private)) = kind {
                let fields = [
                    ("id", "id"),
                    ("name", "name"),
                    ("display_name", "displayName"),
                ];
                let mut picked = pick(channel, &fields);
                picked["channelType"] = kind.as_str().into();
                open.push(picked);
            }
        }
        return Ok(wrap("channels", open));
    }
    let first;
    let team = match team {
        Some(team) => team,
        None => {
            first = api.my_teams()?.into_iter().next().map(|t| t.id);
            match first.as_deref() {
                Some(team) => team,
                None => return Ok(wrap("users", Vec::new())),
            }
        }
    };
    if !is_valid_id(team) {
        return Err(ApiError::Network(
            "the server named a team with a malformed id".into(),
        ));
    }
    let users = if query.is_empty() {
        members(api, bot_id, team)?
    } else {
        let search = object([("term", query), ("team_id", team)]);
        let found = api.value("/users/search", &search)?;
        items(&found).into_iter().cloned().collect()
    };
    let people = users.iter().filter(|u| field(u, "id") != bot_id);
    let fields = [
        ("id", "id"),
        ("username", "username"),
        ("first_name", "firstName"),
        ("last_name", "lastName"),
        ("nickname", "nickname"),
    ];
    let picked = people.map(|u| pick(u, &fields));
    Ok(wrap("users", picked.take(MAX_ENTRIES).collect()))
}

/// Every member of `team` but the bot, as users: the members page by page, then the users in
/// batches (`/users/ids`).
fn members(api: &Api, bot_id: &str, team: &str) -> Result<Vec<Value>, ApiError> {
    let mut ids = Vec::new();
    for page in 0.. {
        let path = format!("/teams/{team}/members?page={page}&per_page={PAGE}");
        let listed = api.value(&path, &Value::Null)?;
        let listed = items(&listed);
        let users = listed.iter().map(|m| field(m, "user_id"));
        ids.extend(users.filter(|id| id != bot_id));
        if listed.len() < PAGE || ids.len() >= MAX_ENTRIES {
            break;
        }
    }
    let mut users = Vec::new();
    for batch in ids.chunks(PAGE).take(MAX_ENTRIES / PAGE) {
        let batch = Value::Array(batch.iter().cloned().map(Value::String).collect());
        users.extend(
            items(&api.value("/users/ids", &batch)?)
                .into_iter()
                .cloned(),
        );
    }
    Ok(users)
}

/// The objects of a JSON list whose `id` (or `user_id`) is a Mattermost id, at most
/// `MAX_ENTRIES`; nothing else.
#[inline(never)]
fn items(list: &Value) -> Vec<&Value> {
    let all = list.as_array().map(Vec::as_slice).unwrap_or_default();
    let valid = |v: &&Value| is_valid_id(&field(v, "id")) || is_valid_id(&field(v, "user_id"));
    all.iter().filter(valid).take(MAX_ENTRIES).collect()
}

/// A string field, at most `MAX_FIELD` characters; "" when absent or not a string.
fn field(value: &Value, name: &str) -> String {
    let text = value.get(name).and_then(Value::as_str).unwrap_or("");
    text.chars().take(MAX_FIELD).collect()
}

/// The allow-listed fields of `value`, each under the protocol's name: (Mattermost's, ours).
fn pick(value: &Value, fields: &[(&str, &str)]) -> Value {
    let mut out = Map::new();
    for (from, to) in fields {
        out.insert((*to).into(), Value::String(field(value, from)));
    }
    Value::Object(out)
}

/// `--directory KIND [--query TEXT]`: logs in, prints `list`'s answer as one JSON line and
/// answers the exit code (1, with the error on stderr, when the server fails). Someone waits
/// at a prompt: failing calls are retried for `ONCE_RETRIES` at most.
pub fn run_once(config: &Config, link: &Link, kind: &str, query: &str) -> i32 {
    let budget = config.retry_budget.min(ONCE_RETRIES);
    let api = Api::new(&config.server, &config.token, link, budget);
    let team = config.team_id.as_deref();
    match (api.me()).and_then(|bot| list(&api, &bot.id, team, kind, query)) {
        Ok(answer) => {
            println!("{answer}");
            0
        }
        Err(e) => {
            eprintln!("openclaw-mattermost: listing the directory failed: {e}");
            1
        }
    }
}
