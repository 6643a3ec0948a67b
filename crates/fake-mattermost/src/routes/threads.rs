//! A thread as GET /posts/{id}/thread lists it (@openclaw/mattermost reads a thread's history
//! with it).

use crate::http::reply::Reply;
use crate::json::post_list_json;
use crate::request::Request;
use crate::routes::posts::post_not_found;
use crate::shared::Shared;
use serde_json::Value;

/// GET /posts/{id}/thread: the thread's root and its replies (any post of it names the thread),
/// newest first. With `perPage`, one page of replies from `fromCreateAt` (exclusive) towards
/// `direction` (`up`, the default: older; `down`: newer), the root always included, as the real
/// server pages a thread.
pub(crate) fn post_thread(shared: &Shared, req: &Request, id: &str) -> Reply {
    let st = shared.lock();
    let Some(index) = st.post_index(id).filter(|i| st.posts[*i]["delete_at"] == 0) else {
        return post_not_found();
    };
    let post = &st.posts[index];
    let root_id = match post["root_id"].as_str() {
        Some(root) if !root.is_empty() => root,
        _ => id,
    };
    if st
        .bot_channel(post["channel_id"].as_str().unwrap_or_default())
        .is_none()
    {
        return Reply::forbidden();
    }
    let created = |p: &Value| p["create_at"].as_i64().unwrap_or_default();
    let live = |p: &&Value| p["delete_at"] == 0 && p["original_id"] == "";
    let root: Vec<&Value> = st
        .posts
        .iter()
        .filter(live)
        .filter(|p| p["id"] == root_id)
        .collect();
    let mut replies: Vec<&Value> = st
        .posts
        .iter()
        .filter(live)
        .filter(|p| p["root_id"] == root_id)
        .collect();
    let mut has_next = false;
    let per_page = match req.query("perPage").map(|n| n.parse::<usize>()) {
        None => None,
        Some(Ok(n)) if (1..=1000).contains(&n) => Some(n),
        Some(_) => {
            return Reply::error(
                400,
                "api.context.invalid_url_param.app_error",
                "Invalid or missing parameter in request URL.",
            )
        }
    };
    if let Some(per_page) = per_page {
        let from = req
            .query("fromCreateAt")
            .and_then(|n| n.parse::<i64>().ok());
        // Posts of the cursor's millisecond are ordered by id, from `fromPost` on.
        let from_post = req.query("fromPost").unwrap_or_default();
        let down = req.query("direction").as_deref() == Some("down");
        let id_of = |p: &Value| p["id"].as_str().unwrap_or_default().to_string();
        replies.retain(|p| match from {
            None => true,
            Some(at) if down => {
                created(p) > at
                    || (created(p) == at && !from_post.is_empty() && id_of(p) > from_post)
            }
            Some(at) => {
                created(p) < at
                    || (created(p) == at && !from_post.is_empty() && id_of(p) < from_post)
            }
        });
        // Nearest to the starting point first.
        if down {
            replies.sort_by_key(|p| created(p));
        } else {
            replies.sort_by_key(|p| std::cmp::Reverse(created(p)));
        }
        has_next = replies.len() > per_page;
        replies.truncate(per_page);
    }
    replies.sort_by_key(|p| std::cmp::Reverse(created(p)));
    replies.extend(root);
    Reply::json(200, &post_list_json(&replies, has_next))
}
