//! Users and teams: the bot, a user by id or name, users by ids or names, the bot's teams.

use crate::http::reply::Reply;
use crate::json::{team_json, user_json};
use crate::request::Request;
use crate::shared::Shared;
use crate::state::records::User;
use serde_json::Value;

pub(crate) fn get_user(shared: &Shared, id: &str) -> Reply {
    match shared.lock().user(id) {
        Some(user) => Reply::json(200, &user_json(user)),
        None => Reply::error(
            404,
            "app.user.missing_account.const",
            "Unable to find the user.",
        ),
    }
}

pub(crate) fn get_user_by_name(shared: &Shared, name: &str) -> Reply {
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
pub(crate) fn users_by(
    shared: &Shared,
    req: &Request,
    wanted: impl Fn(&User, &[String]) -> bool,
) -> Reply {
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

pub(crate) fn my_teams(shared: &Shared) -> Reply {
    let teams: Vec<Value> = shared.lock().teams.iter().map(team_json).collect();
    Reply::json(200, &Value::Array(teams))
}
