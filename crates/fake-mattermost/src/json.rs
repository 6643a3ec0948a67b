//! The JSON shapes of the REST API v4: User, Team, Channel, PostList and the AppError body.

use crate::state::records::{Channel, Team, User};
use serde_json::{json, Map, Value};

pub(crate) fn app_error_json(status: u16, id: &str, message: &str, request_id: &str) -> Value {
    json!({
        "id": id, "message": message, "detailed_error": "",
        "request_id": request_id, "status_code": status,
    })
}

pub(crate) const CREATED_AT: i64 = 1_700_000_000_000;

pub(crate) fn user_json(user: &User) -> Value {
    let mut value = json!({
        "id": user.id, "create_at": CREATED_AT, "update_at": CREATED_AT, "delete_at": 0,
        "username": user.username, "auth_data": "", "auth_service": "",
        "email": format!("{}@example.com", user.username), "nickname": user.nickname,
        "first_name": user.first_name, "last_name": user.last_name, "position": "", "roles": "system_user",
        "locale": "en", "is_bot": user.is_bot, "props": {},
        "timezone": {"automaticTimezone": "", "manualTimezone": "", "useAutomaticTimezone": "true"},
    });
    if user.is_bot {
        value["bot_description"] = "".into();
    }
    value
}

pub(crate) fn team_json(team: &Team) -> Value {
    json!({
        "id": team.id, "create_at": CREATED_AT, "update_at": CREATED_AT, "delete_at": 0,
        "display_name": team.display_name, "name": team.name, "description": "",
        "email": "", "type": "O", "company_name": "", "allowed_domains": "",
        "invite_id": "", "allow_open_invite": false, "scheme_id": null,
        "group_constrained": null, "policy_id": null,
    })
}

pub(crate) fn channel_json(channel: &Channel) -> Value {
    json!({
        "id": channel.id, "create_at": channel.create_at, "update_at": channel.create_at, "delete_at": 0,
        "team_id": channel.team_id, "type": channel.kind, "display_name": channel.display_name,
        "name": channel.name, "header": "", "purpose": "",
        "last_post_at": channel.last_post_at, "last_root_post_at": channel.last_post_at,
        "total_msg_count": channel.total_msg_count,
        "total_msg_count_root": channel.total_msg_count, "extra_update_at": 0,
        "creator_id": "", "scheme_id": null, "props": null, "group_constrained": null,
        "shared": null, "policy_id": null,
    })
}

/// A PostList: `order` newest first, `posts` keyed by id.
pub(crate) fn post_list_json(posts: &[&Value], has_next: bool) -> Value {
    let order: Vec<&Value> = posts.iter().map(|p| &p["id"]).collect();
    let by_id: Map<String, Value> = posts
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or_default().to_string(),
                (*p).clone(),
            )
        })
        .collect();
    json!({
        "order": order, "posts": by_id, "next_post_id": "", "prev_post_id": "",
        "has_next": has_next,
    })
}
