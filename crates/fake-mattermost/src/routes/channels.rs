//! Channels: the bot's channels in a team, one channel (by id or by name), the bot's membership, direct
//! channels created on demand, and a channel's posts (`since`, `before`/`after`, pages).

use crate::http::reply::Reply;
use crate::json::channel_json;
use crate::request::Request;
use crate::shared::Shared;
use crate::state::records::Channel;
use crate::state::world::BOT_ID;
use crate::util::{new_id, sorted_pair_name};
use serde_json::{json, Value};

/// The team's channels the bot is in, plus its DMs and group DMs (the real server adds those).
pub(crate) fn my_team_channels(shared: &Shared, team_id: &str) -> Reply {
    let st = shared.lock();
    if !st.teams.iter().any(|t| t.id == team_id) {
        return Reply::forbidden();
    }
    let channels: Vec<Value> = st
        .channels
        .iter()
        .filter(|c| c.bot_member && (c.team_id == team_id || c.is_direct_or_group()))
        .map(channel_json)
        .collect();
    Reply::json(200, &Value::Array(channels))
}

pub(crate) fn get_channel(shared: &Shared, id: &str) -> Reply {
    let st = shared.lock();
    match st.channel(id) {
        None => Reply::error(
            404,
            "app.channel.get.existing.app_error",
            "Unable to find the existing channel.",
        ),
        // Open channels are readable by team members; the others only by their members.
        Some(c) if !c.bot_member && c.kind != "O" => Reply::forbidden(),
        Some(c) => Reply::json(200, &channel_json(c)),
    }
}

/// GET /teams/{team}/channels/name/{name}: like `GET /channels/{id}`, found by team and name.
pub(crate) fn channel_by_name(shared: &Shared, team: &str, name: &str) -> Reply {
    let id = {
        let st = shared.lock();
        st.channels
            .iter()
            .find(|c| c.team_id == team && c.name == name)
            .map(|c| c.id.clone())
    };
    match id {
        Some(id) => get_channel(shared, &id),
        None => Reply::error(
            404,
            "app.channel.get_by_name.missing.app_error",
            "Channel does not exist.",
        ),
    }
}

/// The bot's ChannelMember in a channel: 404 when it is not a member, like the real server.
pub(crate) fn my_channel_member(shared: &Shared, channel_id: &str) -> Reply {
    match shared.lock().bot_channel(channel_id) {
        Some(_) => Reply::json(
            200,
            &json!({
                "channel_id": channel_id, "user_id": BOT_ID, "roles": "channel_user",
                "scheme_user": true, "scheme_admin": false, "msg_count": 0, "mention_count": 0,
            }),
        ),
        None => Reply::error(
            404,
            "app.channel.get_member.missing.app_error",
            "No channel member found for that user ID and channel ID.",
        ),
    }
}

/// Finds or creates the DM channel of two users; 201 either way, like the real server.
pub(crate) fn create_direct(shared: &Shared, req: &Request) -> Reply {
    let ids = match serde_json::from_slice::<Vec<String>>(&req.body) {
        Ok(ids) if ids.len() == 2 => ids,
        _ => return Reply::bad_body("user ids"),
    };
    let mut st = shared.lock();
    if ids.iter().any(|id| st.user(id).is_none()) {
        return Reply::error(
            400,
            "api.channel.create_direct_channel.invalid_user.app_error",
            "Invalid user ID for direct channel creation.",
        );
    }
    if !ids.iter().any(|id| id == BOT_ID) {
        return Reply::forbidden();
    }
    let name = sorted_pair_name(&ids[0], &ids[1]);
    if let Some(existing) = st.channels.iter().find(|c| c.kind == "D" && c.name == name) {
        return Reply::json(201, &channel_json(existing));
    }
    let other = if ids[0] == BOT_ID { &ids[1] } else { &ids[0] };
    let display = st
        .user(other)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let channel = Channel::created_now(&new_id(), "D", &name, &display, "");
    let reply = Reply::json(201, &channel_json(&channel));
    st.channels.push(channel);
    reply
}

/// GET /channels/{id}/posts, like the real server (api4/post.go getPostsForChannel and the
/// post store's getPostsSince / getPostsAround):
/// - `?since=<ms>`: posts whose `update_at` is later, deleted posts and edit-history rows
///   included, at most 1000 and *which* 1000 undefined (here: by id, i.e. scattered in time),
///   plus the thread roots of those posts in `posts` (not in `order`);
/// - `?after=<post id>` / `?before=<post id>`: undeleted posts created strictly later / earlier
///   than that post (`create_at`), nearest first, from offset `page * per_page`; an unknown
///   post gives an empty list;
/// - else the newest undeleted posts, `page * per_page` from the top.
///
/// `order` is newest first; `per_page` is clamped to 200; thread roots of listed posts are
/// added to `posts` without being in `order`.
pub(crate) fn channel_posts(shared: &Shared, req: &Request, channel_id: &str) -> Reply {
    let st = shared.lock();
    if st.bot_channel(channel_id).is_none() {
        return Reply::forbidden();
    }
    let number = |key: &str, default: i64| match req.query(key) {
        None => Some(default),
        Some(text) => text.parse::<i64>().ok().filter(|n| *n >= 0),
    };
    let (Some(since), Some(page), Some(per_page)) = (
        number("since", -1),
        number("page", 0),
        number("per_page", 60),
    ) else {
        return Reply::error(
            400,
            "api.context.invalid_url_param.app_error",
            "Invalid or missing parameter in request URL.",
        );
    };
    let in_channel = |p: &&Value| p["channel_id"] == channel_id;
    let created = |p: &Value| p["create_at"].as_i64().unwrap_or_default();
    if since >= 0 {
        let mut changed: Vec<&Value> = st
            .posts
            .iter()
            .filter(in_channel)
            .filter(|p| p["update_at"].as_i64().unwrap_or_default() > since)
            .collect();
        changed.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        changed.truncate(1000);
        changed.sort_by_key(|p| std::cmp::Reverse(created(p)));
        return Reply::json(200, &st.post_list_with_roots(&changed, false));
    }
    let per_page = per_page.clamp(1, 200) as usize;
    let offset = (page as usize).saturating_mul(per_page);
    let live = st
        .posts
        .iter()
        .filter(in_channel)
        .filter(|p| p["delete_at"] == 0);
    let cursor = |key: &str| {
        let id = req.query(key).filter(|id| !id.is_empty())?;
        Some(
            st.posts
                .iter()
                .find(|p| p["id"] == id.as_str())
                .map(created),
        )
    };
    // Posts of one millisecond come in storage order (the database's order is undefined).
    let listed: Vec<&Value> = match (cursor("after"), cursor("before")) {
        (Some(None), _) | (None, Some(None)) => Vec::new(),
        (Some(Some(at)), _) => {
            let mut later: Vec<&Value> = live.filter(|p| created(p) > at).collect();
            later.sort_by_key(|p| created(p));
            let mut page: Vec<&Value> = later.into_iter().skip(offset).take(per_page).collect();
            page.reverse();
            page
        }
        (None, Some(Some(at))) => {
            let mut earlier: Vec<&Value> = live.filter(|p| created(p) < at).collect();
            earlier.reverse();
            earlier.sort_by_key(|p| std::cmp::Reverse(created(p)));
            earlier.into_iter().skip(offset).take(per_page).collect()
        }
        (None, None) => {
            let mut newest: Vec<&Value> = live.collect();
            newest.reverse();
            newest.sort_by_key(|p| std::cmp::Reverse(created(p)));
            let more = newest.len() > offset + per_page;
            let listed: Vec<&Value> = newest.into_iter().skip(offset).take(per_page).collect();
            return Reply::json(200, &st.post_list_with_roots(&listed, more));
        }
    };
    Reply::json(200, &st.post_list_with_roots(&listed, false))
}
