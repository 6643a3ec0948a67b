//! A thread's history from the server, for a thread the bridge has no record of (it started
//! before the bridge did), or for a new thread's second turn when the bridge never read its
//! start: one `GET /posts/{root}/thread` with OpenClaw's own query, within 5 s and without
//! retries. The posts are kept as OpenClaw's plugin keeps them (`is_context`) and named by
//! their senders' ids, as there.

use super::shares::EventsShare;
use crate::history::{self, Entry};
use crate::mattermost::event::Posted;
use crate::mattermost::is_valid_id;
use crate::mattermost::model::Post;
use crate::policy::{ChannelType, Implicit, Incoming};
use crate::session::Session;
use std::time::Duration;

/// How long the thread may take: the turn waits for it (OpenClaw's plugin waits as long).
const DEADLINE: Duration = Duration::from_secs(5);

/// A thread read back: its entries before the current post, in the server's order
/// (`history::merge` puts them in time order), and whether the bot had posted in it (then
/// OpenClaw's session for the thread is not new).
#[derive(Default)]
pub struct Fetched {
    pub entries: Vec<Entry>,
    pub bot_took_part: bool,
}

/// `posted`'s thread before it; an error when the server could not be asked or did not
/// answer in time.
pub fn fetch(shared: &EventsShare, session: &Session, posted: &Posted) -> Result<Fetched, String> {
    let current = &posted.post;
    let root = current.root_id.as_str();
    let Some(channel_type) = ChannelType::from_code(&posted.channel_type) else {
        return Ok(Fetched::default());
    };
    if !is_valid_id(root) || !is_valid_id(&current.id) {
        return Err("the post's ids are not Mattermost ids".into());
    }
    let query = history::thread_query(shared.config.history_limit, &current.id, current.create_at);
    let list = shared
        .api
        .thread(root, &query, DEADLINE)
        .map_err(|e| e.to_string())?;
    let posts: Vec<&Post> = (list.order.iter())
        .take(history::MAX_THREAD_POSTS)
        .filter_map(|id| list.posts.get(id).filter(|p| p.id == *id))
        .filter(|p| in_thread_before(p, posted))
        .collect();
    Ok(Fetched {
        bot_took_part: posts.iter().any(|p| p.user_id == session.bot.id),
        entries: (posts.into_iter())
            .filter(|p| is_context(shared, session, channel_type, &posted.team_id, p))
            .filter_map(as_read_back)
            .collect(),
    })
}

/// A post as a thread's re-read shows it (`Entry::recovered`).
pub fn as_read_back(post: &Post) -> Option<Entry> {
    let files = post.file_ids.len().max(post.metadata.files.len());
    Entry::recovered(
        &post.user_id,
        &post.message,
        files,
        post.create_at,
        &post.id,
    )
}

/// Whether a post of the thread is context, as OpenClaw's plugin judges what it reads back:
/// its sender passes the channel's sender rules (the bot's own posts too), or is outside the
/// allow list and `contextVisibility` is `all`. No system posts, no other bots' (ours drops
/// those everywhere unless `allowBots`).
pub fn is_context(
    shared: &EventsShare,
    session: &Session,
    channel_type: ChannelType,
    team_id: &str,
    post: &Post,
) -> bool {
    let incoming = Incoming {
        channel_type,
        channel_id: &post.channel_id,
        team_id,
        user_id: &post.user_id,
        // A read-back post has no display name: ids alone decide (documented in switching.md).
        sender_name: "",
        post_type: &post.kind,
        from_bot: post.props.from_bot,
        from_webhook: post.props.from_webhook,
        message: &post.message,
        server_mentioned: false,
        implicit: Implicit::default(),
    };
    match session.policy.decide_context(&incoming) {
        Ok(()) => true,
        Err(reason) => history::keeps(reason, channel_type, shared.config.context_visibility),
    }
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
