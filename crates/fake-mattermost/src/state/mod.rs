//! The server's state: users, teams, channels, posts, reactions, files, injected faults,
//! recorded requests and the WebSocket bookkeeping, with the lookups the routes share.

pub(crate) mod mentions;
pub(crate) mod posts;
pub(crate) mod records;
pub(crate) mod world;

use crate::fault::PendingFault;
use crate::json::post_list_json;
use crate::request::Request;
use crate::state::records::{Channel, StoredFile, Team, User};
use crate::state::world::TOKEN;
use crate::util::now_ms;
use crate::ws::broadcast::WsHandle;
use crate::ws::session::WsSession;
use serde_json::Value;
use std::collections::HashMap;

pub(crate) struct State {
    pub(crate) token_valid: bool,
    pub(crate) max_post_size: usize,
    pub(crate) max_file_size: u64,
    pub(crate) users: Vec<User>,
    pub(crate) teams: Vec<Team>,
    pub(crate) channels: Vec<Channel>,
    pub(crate) posts: Vec<Value>,
    /// `pending_post_id` → post id of the bot's posts: the real server keeps the key only for
    /// deduplication (`Post.PendingPostId` is not stored), so stored posts show it empty.
    pub(crate) pending_posts: Vec<(String, String)>,
    pub(crate) reactions: Vec<Value>,
    pub(crate) files: Vec<StoredFile>,
    pub(crate) faults: Vec<PendingFault>,
    pub(crate) requests: Vec<Request>,
    pub(crate) ws: Vec<WsHandle>,
    pub(crate) ws_total: usize,
    pub(crate) ws_upgrade_headers: Vec<Vec<(String, String)>>,
    pub(crate) ws_client_frames: Vec<Value>,
    pub(crate) ws_pongs: usize,
    /// connection_id → what a resume needs, kept after the socket closes (like the real hub).
    pub(crate) ws_sessions: HashMap<String, WsSession>,
    pub(crate) ws_resumes: usize,
    /// Sockets closed because their send queue was full.
    pub(crate) ws_send_queue_closes: usize,
    /// Events a socket may have queued before it is closed (`SEND_QUEUE_EVENTS`).
    pub(crate) send_queue_limit: usize,
    /// What the `channel_user` role may do (POST /roles/names).
    pub(crate) channel_user_permissions: Vec<String>,
    /// Custom slash commands (Command JSON; a deleted one keeps its `delete_at`).
    pub(crate) commands: Vec<Value>,
    /// `ServiceSettings.EnableCommands` (false: every command route answers 501).
    pub(crate) commands_enabled: bool,
    /// Teams where the bot lacks `manage_own_slash_commands` (403).
    pub(crate) commands_forbidden: Vec<String>,
    /// A listing served instead of the stored commands (a hostile server's).
    pub(crate) commands_listing: Option<Value>,
    /// Ephemeral posts made for users (slash command answers): never sent to the bot.
    pub(crate) ephemerals: Vec<Value>,
    /// Each interactive button's `integration` (url, context) by post and action id: kept here,
    /// out of the stored post, so no client ever sees it (the server strips it).
    pub(crate) integrations: Vec<(String, String, Value)>,
    /// The last timestamp handed out, so post times strictly increase.
    last_ms: i64,
}

impl State {
    /// Now in ms, strictly greater than any timestamp handed out before.
    pub(crate) fn tick(&mut self) -> i64 {
        self.last_ms = now_ms().max(self.last_ms + 1);
        self.last_ms
    }

    pub(crate) fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub(crate) fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    pub(crate) fn channel_mut(&mut self, id: &str) -> Option<&mut Channel> {
        self.channels.iter_mut().find(|c| c.id == id)
    }

    /// A channel the bot may read and write.
    pub(crate) fn bot_channel(&self, id: &str) -> Option<&Channel> {
        self.channel(id).filter(|c| c.bot_member)
    }

    pub(crate) fn post_index(&self, id: &str) -> Option<usize> {
        self.posts.iter().position(|p| p["id"] == id)
    }

    /// A PostList of `listed` (newest first in `order`), with their thread roots in `posts`.
    pub(crate) fn post_list_with_roots(&self, listed: &[&Value], has_next: bool) -> Value {
        let mut list = post_list_json(listed, has_next);
        for root_id in listed.iter().filter_map(|p| p["root_id"].as_str()) {
            if root_id.is_empty() || list["posts"].get(root_id).is_some() {
                continue;
            }
            if let Some(root) = self.post_index(root_id).map(|i| self.posts[i].clone()) {
                list["posts"][root_id] = root;
            }
        }
        list
    }

    pub(crate) fn token_ok(&self, token: &str) -> bool {
        self.token_valid && token == TOKEN
    }
}
