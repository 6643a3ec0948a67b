//! Thin requests over Mattermost's slash command REST for the plugin, which owns registration,
//! the command tokens and the callbacks (`docs/protocol.md`, "Slash commands"): `teams`,
//! `listCommands`, `getCommand`, `createCommand`, `updateCommand`, `deleteCommand`. Answers
//! carry only allow-listed fields, checked; a command's `token` only when the bot made it, and
//! every token seen is registered with `redact` so that no log line or error text shows it.

use super::requests::{api_error, required_id};
use crate::mattermost::api::Api;
use crate::mattermost::is_valid_id;
use crate::protocol::{code, Answer, Request, RpcError};
use crate::redact;
use crate::session::{Session, MAX_TEAMS};
use serde_json::{Map, Value};
use std::time::Duration;

/// A listing with more commands than this is refused (a team has a few dozen at most).
pub const MAX_COMMANDS: usize = 1000;
/// `getCommand` answers within this or fails (the JS plugin's re-check deadline).
const LOOKUP: Option<Duration> = Some(Duration::from_secs(1));
/// Mattermost's tokens are 26 characters; a longer one is refused as malformed.
const MAX_TOKEN: usize = 64;
/// Longer strings in a server's command are refused as malformed.
const MAX_FIELD: usize = 4096;

/// Mattermost's name of each field the host sees, with the protocol's.
const FIELDS: &[(&str, &str)] = &[
    ("id", "id"),
    ("team_id", "teamId"),
    ("trigger", "trigger"),
    ("method", "method"),
    ("url", "url"),
    ("creator_id", "creatorId"),
    ("description", "description"),
    ("auto_complete", "autoComplete"),
    ("auto_complete_hint", "autoCompleteHint"),
    ("delete_at", "deleteAt"),
    ("token", "token"),
];

pub fn handle(api: &Api, session: &Session, request: &Request) -> Result<Answer, RpcError> {
    let method = request.method.as_str();
    let bot = session.bot.id.as_str();
    if method == "teams" {
        let teams = api.my_teams().map_err(|e| api_error(&e))?;
        let teams = (teams.into_iter().filter(|t| is_valid_id(&t.id)))
            .take(MAX_TEAMS)
            .map(|t| {
                object([
                    ("id", t.id),
                    ("name", t.name),
                    ("displayName", t.display_name),
                ])
            });
        return Ok(Answer::Value(wrap("teams", teams.collect())));
    }
    let by_team = matches!(method, "listCommands" | "createCommand");
    let id = required_id(request, if by_team { "teamId" } else { "commandId" })?;
    let (verb, rest, deadline) = match method {
        "listCommands" => ("GET", listing(id), None),
        "getCommand" => ("GET", format!("/{id}"), LOOKUP),
        "createCommand" => ("POST", String::new(), None),
        "updateCommand" => ("PUT", format!("/{id}"), None),
        _ => ("DELETE", format!("/{id}"), None),
    };
    let body = match verb {
        "POST" | "PUT" => command_body(request, (verb == "PUT").then_some(id))?,
        _ => Value::Null,
    };
    let answer = (api.commands(verb, &rest, &body, deadline)).map_err(|e| api_error(&e))?;
    let value = match method {
        "deleteCommand" => Value::Object(Map::new()),
        "listCommands" => listed(&answer, id, bot)?,
        _ => command(&answer, bot)?,
    };
    Ok(Answer::Value(value))
}

/// `listCommands`' answer from the server's listing of `team_id`: `{commands: [...]}`, each
/// command checked and shaped by `command`.
pub(crate) fn listed(answer: &Value, team_id: &str, bot_id: &str) -> Result<Value, RpcError> {
    match answer {
        Value::Array(listed) if listed.len() <= MAX_COMMANDS => {
            let commands = listed.iter().map(|c| command(c, bot_id));
            Ok(wrap("commands", commands.collect::<Result<_, _>>()?))
        }
        _ => Err(malformed(format!(
            "team {team_id}'s command listing is not a list of at most {MAX_COMMANDS}"
        ))),
    }
}

/// The `/commands` query listing a team's custom commands (`listCommands`, and `--check`'s
/// probe of the bot's permission, which creates nothing); `team_id` must be a checked id.
pub fn listing(team_id: &str) -> String {
    format!("?team_id={team_id}&custom_only=true")
}

/// Mattermost's body for a `P` command from the params; the server checks the values.
fn command_body(request: &Request, id: Option<&str>) -> Result<Value, RpcError> {
    let team_id = required_id(request, "teamId")?;
    let description = request.str_param("description")?.unwrap_or("");
    let mut body = object([
        ("team_id", team_id),
        ("trigger", request.required_str("trigger")?),
        ("method", "P"),
        ("url", request.required_str("url")?),
        ("description", description),
        ("auto_complete_desc", description),
        (
            "auto_complete_hint",
            request.str_param("autoCompleteHint")?.unwrap_or(""),
        ),
    ]);
    let auto_complete = Value::Bool(request.bool_param("autoComplete")?);
    if let Value::Object(map) = &mut body {
        map.insert("auto_complete".into(), auto_complete);
        if let Some(id) = id {
            map.insert("id".into(), Value::String(id.into()));
        }
    }
    Ok(body)
}

/// A JSON object of strings, built by inserts: `json!` costs a serializer per value type and
/// collecting a map a sort.
pub(super) fn object<const N: usize>(fields: [(&str, impl Into<String>); N]) -> Value {
    let mut map = Map::new();
    for (key, value) in fields {
        map.insert(key.to_string(), Value::String(value.into()));
    }
    Value::Object(map)
}

#[inline(never)]
fn command(raw: &Value, bot_id: &str) -> Result<Value, RpcError> {
    let Value::Object(fields) = raw else {
        return Err(malformed("a command is not a JSON object".into()));
    };
    let mut out = Map::new();
    for (from, to) in FIELDS {
        let value = match fields.get(*from) {
            None | Some(Value::Null) => continue,
            Some(value) => value,
        };
        let fits = match *from {
            "auto_complete" => value.is_boolean(),
            "delete_at" => value.is_i64(),
            _ => value.as_str().is_some_and(|s| s.len() <= MAX_FIELD),
        };
        if !fits {
            return Err(malformed(format!("a command's {from} is malformed")));
        }
        out.insert(to.to_string(), value.clone());
    }
    let text = |key: &str| out.get(key).and_then(Value::as_str).unwrap_or("");
    if !is_valid_id(text("id")) || !is_valid_id(text("teamId")) || text("trigger").is_empty() {
        return Err(malformed(
            "a command has no valid id, teamId or trigger".into(),
        ));
    }
    if text("token").len() > MAX_TOKEN {
        return Err(malformed("a command's token is malformed".into()));
    }
    if text("creatorId") == bot_id {
        redact::register_server_secret(text("token"));
    } else {
        out.remove("token");
    }
    Ok(Value::Object(out))
}

/// `{key: [items]}`, built directly: `json!` would copy the items through a serializer.
pub(super) fn wrap(key: &str, items: Vec<Value>) -> Value {
    let mut map = Map::new();
    map.insert(key.to_string(), Value::Array(items));
    Value::Object(map)
}

fn malformed(what: String) -> RpcError {
    RpcError::new(
        code::MATTERMOST_REFUSED,
        format!("unexpected answer from the server: {what}"),
        None,
    )
}
