//! Posts: create (validated like the real server, deduplicated by `pending_post_id`), get,
//! patch, update (PUT, the whole post), delete, and the typing indicator.

use crate::http::reply::Reply;
use crate::new_post::NewPost;
use crate::request::Request;
use crate::shared::Shared;
use crate::state::world::BOT_ID;
use crate::state::State;
use crate::util::now_ms;
use serde_json::{json, Value};

/// Same-`pending_post_id` posts within this window are the same post.
const DEDUPE_WINDOW_MS: i64 = 30_000;

/// POST /posts: validates like the real server, deduplicates by `pending_post_id`, stores the
/// post as the bot's and broadcasts `posted` (the bot sees its own posts).
pub(crate) fn create_post(shared: &Shared, req: &Request) -> Reply {
    let body = req.json();
    let Some(channel_id) = body["channel_id"].as_str().filter(|c| !c.is_empty()) else {
        return Reply::bad_body("channel_id");
    };
    let message = body["message"].as_str().unwrap_or_default();
    let root_id = body["root_id"].as_str().unwrap_or_default();
    let pending_post_id = body["pending_post_id"].as_str().unwrap_or_default();
    let file_ids: Vec<String> = match &body["file_ids"] {
        Value::Null => Vec::new(),
        ids => match serde_json::from_value(ids.clone()) {
            Ok(ids) => ids,
            Err(_) => return Reply::bad_body("file_ids"),
        },
    };
    let mut st = shared.lock();
    if st.bot_channel(channel_id).is_none() {
        return Reply::forbidden();
    }
    if let Some(existing) = find_pending(&st, pending_post_id) {
        return Reply::json(201, &existing);
    }
    if let Some(problem) = post_problem(&st, message, &file_ids, channel_id, root_id) {
        return problem;
    }
    let mut draft = NewPost::new(BOT_ID, channel_id, message)
        .root(root_id)
        .file_ids(file_ids);
    if let Value::Object(props) = &body["props"] {
        draft.props = props.clone();
    }
    let mut post = st.store_post(&draft);
    let mentions = st.mentions_for(&draft);
    st.broadcast_posted(&post, mentions);
    // (the answer carries the key, the stored post does not, as on the real server)
    if !pending_post_id.is_empty() {
        let id = post["id"].as_str().unwrap_or_default().to_string();
        st.pending_posts.push((pending_post_id.to_string(), id));
        post["pending_post_id"] = pending_post_id.into();
    }
    Reply::json(201, &post)
}

/// The bot's post with this `pending_post_id` from the last 30 s, if any.
fn find_pending(st: &State, pending_post_id: &str) -> Option<Value> {
    if pending_post_id.is_empty() {
        return None;
    }
    let recent = now_ms() - DEDUPE_WINDOW_MS;
    let (_, post_id) = st
        .pending_posts
        .iter()
        .find(|(key, _)| key == pending_post_id)?;
    let mut post = st
        .posts
        .iter()
        .find(|p| {
            p["id"] == post_id.as_str()
                && p["user_id"] == BOT_ID
                && p["create_at"].as_i64().unwrap_or_default() >= recent
        })
        .cloned()?;
    post["pending_post_id"] = pending_post_id.into();
    Some(post)
}

/// The AppError the real server gives for an invalid new post, if it is invalid.
fn post_problem(
    st: &State,
    message: &str,
    file_ids: &[String],
    channel_id: &str,
    root_id: &str,
) -> Option<Reply> {
    if message.chars().count() > st.max_post_size {
        return Some(too_long(st.max_post_size));
    }
    if file_ids.len() > 10 {
        return Some(Reply::error(
            400,
            "model.post.is_valid.file_ids.app_error",
            "Invalid file ids.",
        ));
    }
    let root_ok = root_id.is_empty()
        || st
            .post_index(root_id)
            .is_some_and(|i| st.posts[i]["channel_id"] == channel_id);
    if !root_ok {
        return Some(Reply::error(
            400,
            "api.post.create_post.root_id.app_error",
            "Invalid RootId parameter.",
        ));
    }
    None
}

/// The server's answer to a message over `MaxPostSize` characters (create, patch, update).
fn too_long(max_post_size: usize) -> Reply {
    Reply::error(
        400,
        "model.post.is_valid.message_length.app_error",
        &format!("Message length is longer than the maximum allowed length ({max_post_size})."),
    )
}

pub(crate) fn post_not_found() -> Reply {
    Reply::error(404, "app.post.get.app_error", "Unable to get the post.")
}

pub(crate) fn get_post(shared: &Shared, id: &str) -> Reply {
    let st = shared.lock();
    match st.post_index(id) {
        Some(i) => Reply::json(200, &st.posts[i]),
        None => post_not_found(),
    }
}

/// PUT /posts/{id}/patch: only the bot's own posts; `message` and `props` may change.
pub(crate) fn patch_post(shared: &Shared, req: &Request, id: &str) -> Reply {
    let body = req.json();
    if !body.is_object() {
        return Reply::bad_body("patch");
    }
    let mut st = shared.lock();
    let Some(index) = st.post_index(id) else {
        return post_not_found();
    };
    if st.posts[index]["user_id"] != BOT_ID {
        return Reply::forbidden();
    }
    let message = body["message"].as_str();
    if message.is_some_and(|m| m.chars().count() > st.max_post_size) {
        return too_long(st.max_post_size);
    }
    let props = body.get("props").filter(|p| p.is_object()).cloned();
    match st.edit_post(id, message, props) {
        Some(post) => Reply::json(200, &post),
        None => post_not_found(),
    }
}

/// PUT /posts/{id}: the whole post is replaced, as on the real server: the body's `id` must be
/// the URL's, and a field left out (message, props) becomes empty, unlike the patch.
pub(crate) fn update_post(shared: &Shared, req: &Request, id: &str) -> Reply {
    let body = req.json();
    if body["id"].as_str() != Some(id) {
        return Reply::error(
            400,
            "api.context.invalid_body_param.app_error",
            "Invalid or missing post in request body.",
        );
    }
    let mut st = shared.lock();
    let Some(index) = st.post_index(id) else {
        return post_not_found();
    };
    if st.posts[index]["user_id"] != BOT_ID {
        return Reply::forbidden();
    }
    let message = body["message"].as_str().unwrap_or("");
    if message.chars().count() > st.max_post_size {
        return too_long(st.max_post_size);
    }
    let props = body
        .get("props")
        .filter(|p| p.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    match st.edit_post(id, Some(message), Some(props)) {
        Some(post) => Reply::json(200, &post),
        None => post_not_found(),
    }
}

pub(crate) fn delete_post(shared: &Shared, id: &str) -> Reply {
    let mut st = shared.lock();
    match st.post_index(id) {
        Some(i) if st.posts[i]["user_id"] != BOT_ID => Reply::forbidden(),
        Some(_) => {
            st.delete_post(id);
            Reply::status_ok()
        }
        None => post_not_found(),
    }
}

pub(crate) fn typing(shared: &Shared, req: &Request) -> Reply {
    let body = req.json();
    let Some(channel_id) = body["channel_id"].as_str() else {
        return Reply::bad_body("channel_id");
    };
    if shared.lock().bot_channel(channel_id).is_none() {
        return Reply::forbidden();
    }
    Reply::status_ok()
}
