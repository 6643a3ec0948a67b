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
use serde_json::{json, Map, Value};
use std::time::Duration;

/// A listing with more commands than this is refused (a team has a few dozen at most).
pub const MAX_COMMANDS: usize = 1000;
/// `getCommand` answers within this or fails (the JS plugin's re-check deadline).
const LOOKUP: Option<Duration> = Some(Duration::from_secs(1));
/// Mattermost's own limits (`model.Command.IsValid`).
const MAX_TRIGGER: usize = 128;
const MAX_URL: usize = 1024;
const MAX_DESCRIPTION: usize = 128;
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

#[inline(never)]
pub fn handle(api: &Api, session: &Session, request: &Request) -> Result<Answer, RpcError> {
    let bot = session.bot.id.as_str();
    let value = match request.method.as_str() {
        "teams" => {
            let teams = api.my_teams().map_err(|e| api_error(&e))?;
            let teams: Vec<Value> = (teams.iter().filter(|t| is_valid_id(&t.id)))
                .take(MAX_TEAMS)
                .map(|t| json!({"id": t.id, "name": t.name, "displayName": t.display_name}))
                .collect();
            wrap("teams", teams)
        }
        "listCommands" => {
            let team_id = required_id(request, "teamId")?;
            let rest = format!("?team_id={team_id}&custom_only=true");
            let listed = rest_call(api, "GET", &rest, &Value::Null, None)?;
            let Value::Array(listed) = listed else {
                return Err(malformed("the command listing is not a list".into()));
            };
            if listed.len() > MAX_COMMANDS {
                return Err(malformed(format!(
                    "team {team_id} lists {} commands, more than {MAX_COMMANDS}",
                    listed.len()
                )));
            }
            let commands = listed.iter().map(|c| command(c, bot));
            wrap("commands", commands.collect::<Result<Vec<_>, _>>()?)
        }
        "getCommand" => {
            let id = required_id(request, "commandId")?;
            let found = rest_call(api, "GET", &format!("/{id}"), &Value::Null, LOOKUP)?;
            command(&found, bot)?
        }
        "createCommand" => {
            let body = command_body(request, None)?;
            command(&rest_call(api, "POST", "", &body, None)?, bot)?
        }
        "updateCommand" => {
            let id = required_id(request, "commandId")?;
            let body = command_body(request, Some(id))?;
            command(&rest_call(api, "PUT", &format!("/{id}"), &body, None)?, bot)?
        }
        _ => {
            let id = required_id(request, "commandId")?;
            rest_call(api, "DELETE", &format!("/{id}"), &Value::Null, None)?;
            Value::Object(Map::new())
        }
    };
    Ok(Answer::Value(value))
}

/// Mattermost's body for a `P` command from the params, checked as the server checks them.
#[inline(never)]
fn command_body(request: &Request, id: Option<&str>) -> Result<Value, RpcError> {
    let team_id = required_id(request, "teamId")?;
    let trigger = request.required_str("trigger")?;
    if trigger.is_empty()
        || trigger.chars().count() > MAX_TRIGGER
        || trigger.starts_with('/')
        || trigger.contains(char::is_whitespace)
    {
        return Err(RpcError::invalid_params(
            "trigger",
            "trigger must be 1 to 128 characters, without a leading / or spaces",
        ));
    }
    let url = request.required_str("url")?;
    let scheme = url.starts_with("http://") || url.starts_with("https://");
    if !scheme || url.len() > MAX_URL {
        return Err(RpcError::invalid_params(
            "url",
            "url must be an http(s) URL of at most 1024 characters",
        ));
    }
    let description = request.str_param("description")?.unwrap_or("");
    if description.len() > MAX_DESCRIPTION {
        return Err(RpcError::invalid_params(
            "description",
            "description must be at most 128 bytes",
        ));
    }
    let hint = request.str_param("autoCompleteHint")?.unwrap_or("");
    if hint.len() > MAX_FIELD {
        return Err(RpcError::invalid_params(
            "autoCompleteHint",
            "autoCompleteHint is too long",
        ));
    }
    let mut body = json!({
        "team_id": team_id, "trigger": trigger, "method": "P", "url": url,
        "description": description, "auto_complete": request.bool_param("autoComplete")?,
        "auto_complete_desc": description, "auto_complete_hint": hint,
    });
    if let Some(id) = id {
        body["id"] = json!(id);
    }
    Ok(body)
}

/// A server's command as the host sees it: allow-listed fields of the right type; ids checked;
/// the token only for the bot's own commands (and then kept out of logs).
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
        return Err(malformed("a command has no valid id, teamId or trigger".into()));
    }
    if text("token").len() > MAX_TOKEN {
        return Err(malformed("a command's token is malformed".into()));
    }
    if text("creatorId") == bot_id {
        redact::register_secret(text("token"));
    } else {
        out.remove("token");
    }
    Ok(Value::Object(out))
}

/// `{key: [items]}`, built directly: `json!` would copy the items through a serializer.
fn wrap(key: &str, items: Vec<Value>) -> Value {
    let mut map = Map::new();
    map.insert(key.to_string(), Value::Array(items));
    Value::Object(map)
}

#[inline(never)]
fn rest_call(
    api: &Api,
    method: &str,
    rest: &str,
    body: &Value,
    deadline: Option<Duration>,
) -> Result<Value, RpcError> {
    api.commands(method, rest, body, deadline)
        .map_err(|e| api_error(&e))
}


fn malformed(what: String) -> RpcError {
    RpcError::new(
        code::MATTERMOST_REFUSED,
        format!("unexpected answer from the server: {what}"),
        None,
    )
}
