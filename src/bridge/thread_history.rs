//! A thread's history from the server, for a thread the bridge has no record of (it started
//! before the bridge did): one `GET /posts/{root}/thread` with OpenClaw's own query and one
//! `POST /users/ids` for the senders' names, both within 5 s and without retries. The posts are filtered as
//! the live ones are: the policy's verdict, then `history::keeps` for the dropped ones.

use super::shares::EventsShare;
use crate::history::{self, Entry};
use crate::mattermost::event::Posted;
use crate::mattermost::is_valid_id;
use crate::mattermost::model::Post;
use crate::policy::{ChannelType, Implicit, Incoming, Verdict};
use crate::session::Session;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long the thread may take: the turn waits for it (OpenClaw's plugin waits as long).
const DEADLINE: Duration = Duration::from_secs(5);

/// The entries of `posted`'s thread before it, in the server's order (`history::merge` puts
/// them in time order); an error when the server could
/// not be asked or did not answer in time.
pub fn fetch(
    shared: &EventsShare,
    session: &Session,
    posted: &Posted,
) -> Result<Vec<Entry>, String> {
    let current = &posted.post;
    let root = current.root_id.as_str();
    let Some(channel_type) = ChannelType::from_code(&posted.channel_type) else {
        return Ok(Vec::new());
    };
    if !is_valid_id(root) || !is_valid_id(&current.id) {
        return Err("the post's ids are not Mattermost ids".into());
    }
    let query = history::thread_query(shared.config.history_limit, &current.id, current.create_at);
    let started = Instant::now();
    let list = shared
        .api
        .thread(root, &query, DEADLINE)
        .map_err(|e| e.to_string())?;
    let kept: Vec<&Post> = list
        .order
        .iter()
        .take(history::MAX_THREAD_POSTS)
        .filter_map(|id| list.posts.get(id).filter(|p| p.id == *id))
        .filter(|p| in_thread_before(p, posted))
        .filter(|p| {
            let incoming = Incoming {
                channel_type,
                channel_id: &p.channel_id,
                team_id: &posted.team_id,
                user_id: &p.user_id,
                // Names are looked up only for the posts kept: ids alone decide here.
                sender_name: "",
                post_type: &p.kind,
                from_bot: p.props.from_bot,
                from_webhook: p.props.from_webhook,
                message: &p.message,
                server_mentioned: false,
                // Addressed or not, an allowed sender's post is context: no need to know.
                implicit: Implicit::default(),
            };
            match session.policy.decide(&incoming) {
                Verdict::Accept { authorized, .. } => authorized,
                Verdict::Drop(reason) => {
                    history::keeps(reason, channel_type, shared.config.context_visibility)
                }
            }
        })
        .collect();
    let names = usernames(shared, &kept, DEADLINE.saturating_sub(started.elapsed()));
    Ok(kept
        .into_iter()
        .filter_map(|p| {
            let sender = names.get(&p.user_id).unwrap_or(&p.user_id);
            let files = p.file_ids.len().max(p.metadata.files.len());
            Entry::new(sender, &p.message, files, p.create_at, &p.id)
        })
        .collect())
}

/// A post of the same channel and thread, made before the current one, with something in it
/// (OpenClaw's plugin keeps the same).
fn in_thread_before(post: &Post, current: &Posted) -> bool {
    let (now, root) = (&current.post, current.post.root_id.as_str());
    post.id != now.id
        && post.channel_id == now.channel_id
        && (post.id == root || post.root_id == root)
        && post.delete_at == 0
        && !post.user_id.is_empty()
        && post.create_at <= now.create_at
        && (!post.message.trim().is_empty() || !post.file_ids.is_empty())
}

/// The senders' usernames in one call within `left`; ids stand for names it could not give.
fn usernames(shared: &EventsShare, posts: &[&Post], left: Duration) -> HashMap<String, String> {
    let mut ids: Vec<String> = Vec::new();
    for post in posts {
        if is_valid_id(&post.user_id) && !ids.contains(&post.user_id) {
            ids.push(post.user_id.clone());
        }
    }
    if ids.is_empty() || left.is_zero() {
        return HashMap::new();
    }
    match shared.api.users_by_ids_within(&ids, left) {
        Ok(users) => users
            .into_iter()
            .filter(|u| ids.contains(&u.id))
            .map(|u| (u.id, u.username))
            .collect(),
        Err(e) => {
            log::debug!("cannot look up the thread's senders: {e}");
            HashMap::new()
        }
    }
}
