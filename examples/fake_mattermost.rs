//! The integration tests' fake Mattermost server as a program, for tests written in other
//! languages (the OpenClaw plugin's `node --test` suite, its end-to-end script).
//!
//! `cargo run --release --example fake_mattermost` binds 127.0.0.1 on a free port and prints
//! one JSON line with its URL, the token it accepts and the ids of its seeded world (see
//! `crates/fake-mattermost/src/state/world.rs`). It then reads one JSON command per line on
//! stdin and answers each with one JSON line on stdout, `{"ok":true,...}` or
//! `{"ok":false,"error":"..."}`:
//!
//! | `cmd` | fields | answer |
//! |---|---|---|
//! | `post` | `userId`, `channelId`, `message`, optional `rootId`, `fileIds` | `id` of the new post (sent as a `posted` event) |
//! | `posts` | — | `posts`: every stored post (Post JSON) |
//! | `reactions` | — | `reactions` |
//! | `files` | — | `files`: FileInfo of every stored file |
//! | `addFile` | `id`, `name`, `text` (the content) | `info` |
//! | `fileText` | `id` | `text`: a stored file's content (lossy UTF-8) |
//! | `addUser` | `id`, `username`, optional `isBot` | — |
//! | `addChannel` | `id`, `kind` (O, P, D, G), `name`, `displayName`, optional `teamId` | — |
//! | `react` | `userId`, `postId`, `emoji`, optional `remove: true` | — (sent as `reaction_added`/`reaction_removed`) |
//! | `requests` | — | `requests`: `[{method, path}]` of every REST call so far |
//! | `dropWebsockets` | — | — |
//! | `fault` | `method`, `path` (a prefix), `status`, optional `times` (default 1) | — (the next matching REST requests get that status as the server's JSON error) |
//! | `commands` | — | `commands`: every slash command stored (Command JSON, tokens and deleted ones included) |
//! | `addCommand` | `creatorId`, `teamId`, `trigger`, `url` | `command` |
//! | `commandsEnabled` | `enabled` | — (`false`: the `/commands` routes answer 501) |
//! | `commandsAllowed` | `teamId`, `allowed` | — (`false`: 403 in that team) |
//! | `runCommand` | `userId`, `channelId`, `text` (`/trigger args`), optional `teamId` (DMs) | `status`, `response` (the callback's answer), `postId` for `in_channel`; an error when the command is unknown or the callback failed |
//! | `ephemerals` | — | `ephemerals`: `[{user_id, channel_id, message}]` (a click's also `root_id`) |
//! | `clickButton` | `userId`, `postId`, `actionId` | `status`, `response` (the integration's answer, applied: `update` replaces the post, `ephemeral_text` is an ephemeral); an error with the server's id when the action is unknown (`api.post.do_action.action_id.app_error`) or the integration failed |
//! | `integration` | `postId`, `actionId` | `integration`: the stored `{url, context}` clients never see, or `null` |
//!
//! stdin EOF stops the server.

use fake_mattermost::*;
use serde_json::{json, Value};
use std::io::{self, BufRead, Write};

fn main() {
    let server = FakeMattermost::start();
    let mut out = io::stdout().lock();
    let hello = json!({
        "url": server.url(),
        "token": TOKEN,
        "botId": BOT_ID,
        "botUsername": BOT_USERNAME,
        "aliceId": ALICE_ID,
        "bobId": BOB_ID,
        "teamId": TEAM_ID,
        "townSquare": TOWN_SQUARE,
        "offTopic": OFFTOPIC,
        "dmAlice": DM_ALICE,
        "groupChannel": GROUP_CH,
        "privateChannel": PRIVATE_CH,
    });
    writeln!(out, "{hello}").and_then(|_| out.flush()).ok();
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(command) => {
                run(&server, &command).unwrap_or_else(|e| json!({"ok": false, "error": e}))
            }
            Err(e) => json!({"ok": false, "error": format!("not JSON: {e}")}),
        };
        if writeln!(out, "{answer}").and_then(|_| out.flush()).is_err() {
            break;
        }
    }
}

fn field<'a>(command: &'a Value, name: &str) -> Result<&'a str, String> {
    command[name]
        .as_str()
        .ok_or_else(|| format!("`{name}` (a string) is required"))
}

fn run(server: &FakeMattermost, command: &Value) -> Result<Value, String> {
    let ok = |mut extra: Value| {
        extra["ok"] = true.into();
        extra
    };
    match field(command, "cmd")? {
        "post" => {
            let mut post = NewPost::new(
                field(command, "userId")?,
                field(command, "channelId")?,
                command["message"].as_str().unwrap_or(""),
            );
            if let Some(root) = command["rootId"].as_str() {
                post = post.root(root);
            }
            if let Some(ids) = command["fileIds"].as_array() {
                let ids = ids.iter().filter_map(Value::as_str).map(String::from);
                post = post.file_ids(ids.collect());
            }
            let channel = field(command, "channelId")?;
            if server.has_channel(channel) {
                Ok(ok(json!({"id": server.post(post)})))
            } else {
                Err(format!("unknown channel {channel}"))
            }
        }
        "posts" => Ok(ok(json!({"posts": server.posts()}))),
        "reactions" => Ok(ok(json!({"reactions": server.reactions()}))),
        "files" => Ok(ok(json!({"files": server.files()}))),
        "addFile" => {
            let text = command["text"].as_str().unwrap_or("");
            let info = server.add_file(
                field(command, "id")?,
                field(command, "name")?,
                text.as_bytes(),
            );
            Ok(ok(json!({"info": info})))
        }
        "fileText" => {
            let bytes = server
                .file_bytes(field(command, "id")?)
                .ok_or("no such file")?;
            Ok(ok(json!({"text": String::from_utf8_lossy(&bytes)})))
        }
        "addUser" => {
            let is_bot = command["isBot"].as_bool().unwrap_or(false);
            server.add_user(field(command, "id")?, field(command, "username")?, is_bot);
            Ok(ok(json!({})))
        }
        "addChannel" => {
            server.add_channel(
                field(command, "id")?,
                field(command, "kind")?,
                field(command, "name")?,
                field(command, "displayName")?,
                command["teamId"].as_str().unwrap_or(""),
            );
            Ok(ok(json!({})))
        }
        "react" => {
            let post_id = field(command, "postId")?;
            if !server.posts().iter().any(|p| p["id"] == post_id) {
                return Err(format!("unknown post {post_id}"));
            }
            let add = command["remove"].as_bool() != Some(true);
            server.user_react(
                field(command, "userId")?,
                post_id,
                field(command, "emoji")?,
                add,
            );
            Ok(ok(json!({})))
        }
        "requests" => {
            let requests: Vec<Value> = server
                .requests()
                .iter()
                .map(|r| json!({"method": r.method, "path": r.path}))
                .collect();
            Ok(ok(json!({"requests": requests})))
        }
        "dropWebsockets" => {
            server.drop_websockets();
            Ok(ok(json!({})))
        }
        "fault" => {
            let status = command["status"]
                .as_u64()
                .ok_or("`status` (a number) is required")?;
            let status = u16::try_from(status).map_err(|_| format!("no such status {status}"))?;
            let times = command["times"].as_u64().unwrap_or(1) as usize;
            let fault =
                Fault::app_error(status, "fake.injected.app_error", "Injected by the test.");
            server.inject(
                field(command, "method")?,
                field(command, "path")?,
                fault.times(times),
            );
            Ok(ok(json!({})))
        }
        "commands" => Ok(ok(json!({"commands": server.commands()}))),
        "addCommand" => {
            let command = server.add_command(
                field(command, "creatorId")?,
                field(command, "teamId")?,
                field(command, "trigger")?,
                field(command, "url")?,
            );
            Ok(ok(json!({ "command": command })))
        }
        "commandsEnabled" => {
            server.set_commands_enabled(command["enabled"].as_bool() != Some(false));
            Ok(ok(json!({})))
        }
        "commandsAllowed" => {
            let allowed = command["allowed"].as_bool() != Some(false);
            server.set_commands_allowed(field(command, "teamId")?, allowed);
            Ok(ok(json!({})))
        }
        "runCommand" => {
            let answer = server.run_command(
                field(command, "userId")?,
                field(command, "channelId")?,
                field(command, "text")?,
                command["teamId"].as_str(),
            )?;
            Ok(ok(answer))
        }
        "ephemerals" => Ok(ok(json!({"ephemerals": server.ephemerals()}))),
        "clickButton" => {
            let answer = server.click_button(
                field(command, "userId")?,
                field(command, "postId")?,
                field(command, "actionId")?,
            )?;
            Ok(ok(answer))
        }
        "integration" => {
            let stored = server.integration(field(command, "postId")?, field(command, "actionId")?);
            Ok(ok(json!({ "integration": stored })))
        }
        other => Err(format!("unknown cmd {other}")),
    }
}
