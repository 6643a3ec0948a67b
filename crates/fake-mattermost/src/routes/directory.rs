//! What a directory lists: the bot's channels in every team, a team's members page by page, and
//! the user search. Everyone is a member of every team in the fixture.

use crate::http::reply::Reply;
use crate::json::{channel_json, user_json};
use crate::request::Request;
use crate::shared::Shared;
use crate::state::records::User;
use serde_json::{json, Value};

/// GET /users/{me}/channels: the bot's channels of all its teams, DMs and group DMs included
/// (the server takes no paging here).
pub(crate) fn my_channels(shared: &Shared) -> Reply {
    let st = shared.lock();
    let channels: Vec<Value> = st
        .channels
        .iter()
        .filter(|c| c.bot_member)
        .map(channel_json)
        .collect();
    Reply::json(200, &Value::Array(channels))
}

/// GET /teams/{team}/members?page&per_page: TeamMember objects ordered by user id, `per_page`
/// at most 200 (default 60); a team the bot is not in: 403.
pub(crate) fn team_members(shared: &Shared, req: &Request, team: &str) -> Reply {
    let st = shared.lock();
    if !st.teams.iter().any(|t| t.id == team) {
        return Reply::forbidden();
    }
    let number = |key: &str, default: usize| match req.query(key) {
        None => Some(default),
        Some(text) => text.parse::<usize>().ok(),
    };
    let (Some(page), Some(per_page)) = (number("page", 0), number("per_page", 60)) else {
        return Reply::error(
            400,
            "api.context.invalid_url_param.app_error",
            "Invalid or missing parameter in request URL.",
        );
    };
    let per_page = per_page.min(200);
    let mut ids: Vec<&str> = st.users.iter().map(|u| u.id.as_str()).collect();
    ids.sort_unstable();
    let members: Vec<Value> = ids
        .into_iter()
        .skip(page.saturating_mul(per_page))
        .take(per_page)
        .map(|user_id| {
            json!({
                "team_id": team, "user_id": user_id, "roles": "team_user", "delete_at": 0,
                "scheme_guest": false, "scheme_user": true, "scheme_admin": false,
                "explicit_roles": "",
            })
        })
        .collect();
    Reply::json(200, &Value::Array(members))
}

/// POST /users/search `{term, team_id, limit}`: the users of whom each word of `term` (a
/// leading `@` dropped) starts their username, first or last name or nickname, ignoring case;
/// `limit` default 100, at most 1000. An empty term: 400.
pub(crate) fn search_users(shared: &Shared, req: &Request) -> Reply {
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return Reply::bad_body("user search");
    };
    let term = body["term"]
        .as_str()
        .unwrap_or("")
        .trim()
        .trim_start_matches('@');
    let limit = body["limit"].as_u64().unwrap_or(0);
    if term.is_empty() || limit > 1000 {
        return Reply::error(
            400,
            "api.context.invalid_body_param.app_error",
            "Invalid or missing term in request body.",
        );
    }
    let limit = if limit == 0 { 100 } else { limit as usize };
    let team = body["team_id"].as_str().unwrap_or("");
    let st = shared.lock();
    if !team.is_empty() && !st.teams.iter().any(|t| t.id == team) {
        return Reply::json(200, &json!([]));
    }
    let words: Vec<String> = term.split_whitespace().map(str::to_lowercase).collect();
    let found: Vec<Value> = st
        .users
        .iter()
        .filter(|u| words.iter().all(|w| starts_a_name(u, w)))
        .take(limit)
        .map(user_json)
        .collect();
    Reply::json(200, &Value::Array(found))
}

fn starts_a_name(user: &User, word: &str) -> bool {
    [
        &user.username,
        &user.first_name,
        &user.last_name,
        &user.nickname,
    ]
    .iter()
    .any(|name| name.to_lowercase().starts_with(word))
}
