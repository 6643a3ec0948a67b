//! The REST routes: the `/api/v4/` path matched by method and segments, after the bearer
//! token is checked (only `GET /system/ping` is public); unknown routes get the real 404.

mod channels;
mod commands;
mod directory;
mod files;
mod multipart;
mod posts;
mod reactions;
mod system;
mod threads;
mod users;

use crate::http::reply::Reply;
use crate::request::Request;
use crate::routes::channels::{
    channel_by_name, channel_posts, create_direct, get_channel, my_channel_member, my_team_channels,
};
use crate::routes::commands::{
    create_command, delete_command, get_command, list_commands, regen_token, update_command,
};
use crate::routes::directory::{my_channels, search_users, team_members};
use crate::routes::files::{get_file, get_file_info, upload_files};
use crate::routes::posts::{create_post, delete_post, get_post, patch_post, typing, update_post};
use crate::routes::reactions::{add_reaction, post_reactions, remove_reaction};
use crate::routes::system::{client_config, roles_by_name};
use crate::routes::threads::post_thread;
use crate::routes::users::{get_user, get_user_by_name, my_teams, users_by};
use crate::shared::Shared;
use crate::state::world::BOT_ID;

pub(crate) fn route(shared: &Shared, req: &Request) -> Reply {
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
        // `me` or the bot's own id (as @openclaw/mattermost asks); another user's: 403.
        ("GET", ["users", who, "teams"]) if is_me(who) => my_teams(shared),
        ("GET", ["users", who, "teams", team, "channels"]) if is_me(who) => {
            my_team_channels(shared, team)
        }
        ("GET", ["users", _, "teams", ..]) => Reply::forbidden(),
        ("GET", ["users", who, "channels"]) if is_me(who) => my_channels(shared),
        ("POST", ["users", "search"]) => search_users(shared, req),
        ("GET", ["teams", team, "members"]) => team_members(shared, req, team),
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
        ("DELETE", ["posts", id]) => delete_post(shared, id),
        ("PUT", ["posts", id]) => update_post(shared, req, id),
        ("PUT", ["posts", id, "patch"]) => patch_post(shared, req, id),
        ("GET", ["posts", id, "reactions"]) => post_reactions(shared, id),
        ("GET", ["posts", id, "thread"]) => post_thread(shared, req, id),
        ("POST", ["reactions"]) => add_reaction(shared, req),
        ("POST", ["commands"]) => create_command(shared, req),
        ("GET", ["commands"]) => list_commands(shared, req),
        ("GET", ["commands", id]) => get_command(shared, id),
        ("PUT", ["commands", id]) => update_command(shared, req, id),
        ("DELETE", ["commands", id]) => delete_command(shared, id),
        ("PUT", ["commands", id, "regen_token"]) => regen_token(shared, id),
        ("POST", ["files"]) => upload_files(shared, req),
        ("GET", ["files", id]) => get_file(shared, id),
        ("GET", ["files", id, "info"]) => get_file_info(shared, id),
        _ => {
            // Said on stderr too: a client calling what the fake lacks is worth seeing.
            eprintln!("fake_mattermost: no route for {method} {path}");
            not_found(path)
        }
    }
}

fn not_found(path: &str) -> Reply {
    let message = format!("There doesn't appear to be an api call for the url='{path}'.");
    Reply::error(404, "api.context.404.app_error", &message)
}

/// `Authorization: Bearer <token>`, the scheme case-insensitive.
pub(crate) fn authorized(shared: &Shared, req: &Request) -> bool {
    let token = req
        .header("authorization")
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    token.is_some_and(|t| shared.lock().token_ok(t))
}

/// `me` and the bot's id both name the bot in `/users/{user}/…`.
fn is_me(who: &str) -> bool {
    who == "me" || who == BOT_ID
}
