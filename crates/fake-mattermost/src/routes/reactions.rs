//! Reactions: add (emoji names checked, the bot's own only), remove, and a post's list.

use crate::http::reply::Reply;
use crate::request::{percent_decode, Request};
use crate::shared::Shared;
use crate::state::world::BOT_ID;
use crate::ws::broadcast::{event_frame, Outgoing};
use serde_json::{json, Value};

fn valid_emoji_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
}

/// POST /reactions: the bot reacts to a post it can see; reacting twice is harmless.
pub(crate) fn add_reaction(shared: &Shared, req: &Request) -> Reply {
    let body = req.json();
    let (Some(user_id), Some(post_id), Some(emoji)) = (
        body["user_id"].as_str(),
        body["post_id"].as_str(),
        body["emoji_name"].as_str(),
    ) else {
        return Reply::bad_body("reaction");
    };
    if !valid_emoji_name(emoji) {
        return Reply::error(
            400,
            "model.reaction.is_valid.emoji_name.app_error",
            "Invalid emoji name.",
        );
    }
    let mut st = shared.lock();
    let channel_id = match st.post_index(post_id) {
        Some(i) => st.posts[i]["channel_id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        None => return Reply::forbidden(),
    };
    if user_id != BOT_ID || st.bot_channel(&channel_id).is_none() {
        return Reply::forbidden();
    }
    let same =
        |r: &Value| r["user_id"] == user_id && r["post_id"] == post_id && r["emoji_name"] == emoji;
    if let Some(existing) = st.reactions.iter().find(|r| same(r)) {
        return Reply::json(200, existing);
    }
    let now = st.tick();
    let reaction = json!({
        "user_id": user_id, "post_id": post_id, "emoji_name": emoji, "create_at": now,
        "update_at": now, "delete_at": 0, "remote_id": "", "channel_id": channel_id,
    });
    st.reactions.push(reaction.clone());
    let data = json!({"reaction": reaction.to_string()});
    st.broadcast(Outgoing::Event(event_frame(
        "reaction_added",
        data,
        &channel_id,
    )));
    Reply::json(200, &reaction)
}

/// DELETE /users/{me|bot}/posts/{post}/reactions/{emoji}: 200 even if there was none.
pub(crate) fn remove_reaction(shared: &Shared, user: &str, post_id: &str, emoji: &str) -> Reply {
    if user != "me" && user != BOT_ID {
        return Reply::forbidden();
    }
    let emoji = percent_decode(emoji);
    let mut st = shared.lock();
    let same = |r: &Value| {
        r["user_id"] == BOT_ID && r["post_id"] == post_id && r["emoji_name"] == emoji.as_str()
    };
    if let Some(index) = st.reactions.iter().position(same) {
        let reaction = st.reactions.remove(index);
        let channel_id = reaction["channel_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let data = json!({"reaction": reaction.to_string()});
        st.broadcast(Outgoing::Event(event_frame(
            "reaction_removed",
            data,
            &channel_id,
        )));
    }
    Reply::status_ok()
}

pub(crate) fn post_reactions(shared: &Shared, post_id: &str) -> Reply {
    let st = shared.lock();
    let found: Vec<Value> = st
        .reactions
        .iter()
        .filter(|r| r["post_id"] == post_id)
        .cloned()
        .collect();
    Reply::json(200, &Value::Array(found))
}
