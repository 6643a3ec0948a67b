//! Custom slash commands as the real server keeps them (`api4/command.go`, `app/command.go`,
//! `model/command.go`): create with validation and the duplicate-trigger rule, list a team's
//! custom ones, get, update (the body replaces the command but for its identity and token),
//! soft delete; bodies decoded as the server's struct (unknown fields dropped, missing ones
//! zero); 501 while commands are disabled,
//! 403 in a team where the bot may not manage them.

use crate::http::reply::Reply;
use crate::request::Request;
use crate::shared::Shared;
use crate::state::world::BOT_ID;
use crate::state::State;
use crate::util::new_id;
use serde_json::{json, Value};

/// Mattermost's built-in triggers: a custom command cannot take them.
const BUILT_IN: &[&str] = &[
    "away",
    "code",
    "collapse",
    "dnd",
    "echo",
    "expand",
    "groupmsg",
    "header",
    "help",
    "invite",
    "join",
    "kick",
    "leave",
    "logout",
    "me",
    "msg",
    "mute",
    "offline",
    "online",
    "purpose",
    "remove",
    "rename",
    "search",
    "settings",
    "shortcuts",
    "shrug",
    "status",
];

/// What every command route checks first: `EnableCommands`.
pub(crate) fn disabled(st: &State) -> Option<Reply> {
    (!st.commands_enabled).then(|| {
        Reply::error(
            501,
            "api.command.disabled.app_error",
            "Commands have been disabled by the system admin.",
        )
    })
}

fn forbidden() -> Reply {
    Reply::error(
        403,
        "api.context.permissions.app_error",
        "You do not have the appropriate permissions.",
    )
}

fn not_found() -> Reply {
    Reply::error(
        404,
        "app.command.getcommand.app_error",
        "Unable to get the command.",
    )
}

/// `Command.IsValid`: the error id of the first broken rule.
fn invalid(command: &Value) -> Option<&'static str> {
    let text = |k: &str| command[k].as_str().unwrap_or("");
    let is_id = |s: &str| s.len() == 26 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let trigger = text("trigger");
    let url = text("url");
    if !is_id(text("team_id")) {
        Some("model.command.is_valid.team_id.app_error")
    } else if trigger.is_empty()
        || trigger.chars().count() > 128
        || trigger.starts_with('/')
        || trigger.contains(' ')
    {
        Some("model.command.is_valid.trigger.app_error")
    } else if url.is_empty()
        || url.len() > 1024
        || !(url.starts_with("http://") || url.starts_with("https://"))
    {
        Some("model.command.is_valid.url.app_error")
    } else if !matches!(text("method"), "P" | "G") {
        Some("model.command.is_valid.method.app_error")
    } else if text("display_name").len() > 64 {
        Some("model.command.is_valid.display_name.app_error")
    } else if text("description").len() > 128 {
        Some("model.command.is_valid.description.app_error")
    } else {
        None
    }
}

/// A request body as the server decodes it into its `Command` struct: the struct's fields only,
/// each missing one at its zero value (`""`, `false`, `0`), so an answer always has them all.
fn decoded(body: &Value) -> Value {
    const TEXT: &[&str] = &[
        "id",
        "token",
        "creator_id",
        "team_id",
        "trigger",
        "method",
        "username",
        "icon_url",
        "auto_complete_desc",
        "auto_complete_hint",
        "display_name",
        "description",
        "url",
        "plugin_id",
    ];
    let mut command = json!({});
    for key in TEXT {
        command[*key] = json!(body[*key].as_str().unwrap_or(""));
    }
    for key in ["create_at", "update_at", "delete_at"] {
        command[key] = json!(body[key].as_i64().unwrap_or(0));
    }
    command["auto_complete"] = json!(body["auto_complete"].as_bool().unwrap_or(false));
    command
}

fn bad(id: &str) -> Reply {
    Reply::error(400, id, "Invalid command.")
}

pub(crate) fn create_command(shared: &Shared, req: &Request) -> Reply {
    let mut st = shared.lock();
    if let Some(reply) = disabled(&st) {
        return reply;
    }
    let body = req.json();
    if !body.is_object() {
        return Reply::bad_body("command");
    }
    let mut command = decoded(&body);
    let team = command["team_id"].as_str().unwrap_or("").to_string();
    if st.commands_forbidden.contains(&team) {
        return forbidden();
    }
    let trigger = command["trigger"].as_str().unwrap_or("").to_lowercase();
    command["trigger"] = json!(trigger);
    if let Some(id) = invalid(&command) {
        return bad(id);
    }
    let taken = st.commands.iter().any(|c| {
        c["team_id"] == team.as_str() && c["trigger"] == trigger.as_str() && c["delete_at"] == 0
    });
    if taken || BUILT_IN.contains(&trigger.as_str()) {
        return Reply::error(
            400,
            "api.command.duplicate_trigger.app_error",
            "This trigger word is already in use. Please choose another word.",
        );
    }
    let now = st.tick();
    for (key, value) in [
        ("id", json!(new_id())),
        ("token", json!(new_id())),
        ("creator_id", json!(BOT_ID)),
        ("create_at", json!(now)),
        ("update_at", json!(now)),
        ("delete_at", json!(0)),
    ] {
        command[key] = value;
    }
    st.commands.push(command.clone());
    Reply::json(201, &command)
}

/// `GET /commands?team_id=T&custom_only=true`: the team's live custom commands, tokens
/// included (the fake's caller may manage others' commands, as a team admin bot could).
pub(crate) fn list_commands(shared: &Shared, req: &Request) -> Reply {
    let st = shared.lock();
    if let Some(reply) = disabled(&st) {
        return reply;
    }
    let Some(team) = req.query("team_id") else {
        return Reply::error(
            400,
            "api.context.invalid_url_param.app_error",
            "Invalid or missing team_id parameter in request URL.",
        );
    };
    if st.commands_forbidden.contains(&team) {
        return forbidden();
    }
    if let Some(listing) = &st.commands_listing {
        return Reply::json(200, listing);
    }
    let listed: Vec<Value> = (st.commands.iter())
        .filter(|c| c["team_id"] == team.as_str() && c["delete_at"] == 0)
        .cloned()
        .collect();
    Reply::json(200, &Value::Array(listed))
}

fn live_index(st: &State, id: &str) -> Option<usize> {
    (st.commands.iter()).position(|c| c["id"] == id && c["delete_at"] == 0)
}

pub(crate) fn get_command(shared: &Shared, id: &str) -> Reply {
    let st = shared.lock();
    if let Some(reply) = disabled(&st) {
        return reply;
    }
    match live_index(&st, id) {
        Some(i) => Reply::json(200, &st.commands[i]),
        None => not_found(),
    }
}

/// Only the command's fields a client may change: id, token, creator, team and times stay.
pub(crate) fn update_command(shared: &Shared, req: &Request, id: &str) -> Reply {
    let mut st = shared.lock();
    if let Some(reply) = disabled(&st) {
        return reply;
    }
    let update = req.json();
    if update["id"] != id {
        return Reply::error(
            400,
            "api.context.invalid_body_param.app_error",
            "Invalid or missing command_id in request body.",
        );
    }
    let Some(i) = live_index(&st, id) else {
        return not_found();
    };
    if update["team_id"] != st.commands[i]["team_id"] {
        return bad("api.command.team_mismatch.app_error");
    }
    // The body replaces the command, but for what the server keeps of the stored one.
    let mut command = decoded(&update);
    for key in [
        "id",
        "token",
        "create_at",
        "delete_at",
        "creator_id",
        "plugin_id",
        "team_id",
    ] {
        command[key] = st.commands[i][key].clone();
    }
    command["trigger"] = json!(command["trigger"].as_str().unwrap_or("").to_lowercase());
    if let Some(id) = invalid(&command) {
        return bad(id);
    }
    command["update_at"] = json!(st.tick());
    st.commands[i] = command.clone();
    Reply::json(200, &command)
}

pub(crate) fn delete_command(shared: &Shared, id: &str) -> Reply {
    let mut st = shared.lock();
    if let Some(reply) = disabled(&st) {
        return reply;
    }
    let Some(i) = live_index(&st, id) else {
        return not_found();
    };
    st.commands[i]["delete_at"] = json!(st.tick());
    Reply::status_ok()
}

/// `PUT /commands/{id}/regen_token`.
pub(crate) fn regen_token(shared: &Shared, id: &str) -> Reply {
    let mut st = shared.lock();
    if let Some(reply) = disabled(&st) {
        return reply;
    }
    let Some(i) = live_index(&st, id) else {
        return not_found();
    };
    let token = new_id();
    st.commands[i]["token"] = json!(token);
    Reply::json(200, &json!({ "token": token }))
}
