//! Reactions on posts in the bot's conversations → `reaction` lines, for the WebSocket
//! transport (polling sees no reactions).
//!
//! The event names the user, the post, the channel and the emoji and nothing else, so each
//! reaction costs REST calls: the channel (type and team, for the policy; cached), the user
//! (name, and whether it is a bot; cached) and the post (its thread root, so the host can route
//! the reaction to the thread's session). They run on a thread of their own, behind a small
//! queue: the WebSocket reader never waits for them, and a flood of reactions beyond the queue
//! is dropped (logged) instead of piling up.

use super::shares::EventsShare;
use crate::mattermost::event::Reaction;
use crate::mattermost::model::{Channel, User};
use crate::policy::{ChannelType, Incoming};
use crate::protocol::{self, Notification, Sender};
use crate::session::Session;
use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

/// Reactions waiting for their lookups; more are dropped.
const QUEUE: usize = 64;
/// Channels and users remembered; the caches start over beyond this.
const CACHE_ENTRIES: usize = 1000;

/// The event thread's handle: hands reactions to the reaction thread.
pub struct Reactions {
    queue: SyncSender<Box<Reaction>>,
    bot_id: String,
}

impl Reactions {
    pub fn start(shared: Arc<EventsShare>, session: Arc<Session>) -> Reactions {
        let (queue, reactions) = mpsc::sync_channel(QUEUE);
        let bot_id = session.bot.id.clone();
        let mut worker = Worker {
            shared,
            session,
            channels: HashMap::new(),
            users: HashMap::new(),
        };
        let spawned = std::thread::Builder::new()
            .name("reactions".into())
            .spawn(move || worker.run(reactions));
        if let Err(e) = spawned {
            log::warn!("cannot start the reactions thread ({e}); reactions are not forwarded");
        }
        Reactions { queue, bot_id }
    }

    /// Queues a reaction; the bot's own are dropped here, without any lookup.
    pub fn offer(&self, reaction: Box<Reaction>) {
        if reaction.user_id == self.bot_id {
            return;
        }
        match self.queue.try_send(reaction) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(r)) => log::warn!(
                "too many reactions at once; dropped :{}: on post {}",
                r.emoji_name,
                r.post_id
            ),
        }
    }
}

struct Worker {
    shared: Arc<EventsShare>,
    session: Arc<Session>,
    channels: HashMap<String, Channel>,
    users: HashMap<String, User>,
}

impl Worker {
    fn run(&mut self, reactions: Receiver<Box<Reaction>>) {
        for reaction in reactions {
            if self.shared.stop.is_stopping() {
                return;
            }
            if let Some(line) = self.line(&reaction) {
                self.shared.output.send(line);
            }
        }
    }

    /// The `reaction` line, or `None` when the policy drops it or a lookup failed (logged).
    fn line(&mut self, r: &Reaction) -> Option<String> {
        let channel = self.channel(&r.channel_id)?;
        let channel_type = ChannelType::from_code(&channel.kind)?;
        let user = self.user(&r.user_id);
        let facts = Incoming::sender(
            channel_type,
            &r.channel_id,
            &channel.team_id,
            &r.user_id,
            // As OpenClaw's plugin names a reacting user: the username.
            &user.username,
            user.is_bot,
        );
        if let Err(reason) = self.session.policy.decide_reaction(&facts) {
            log::debug!("dropped a reaction on post {} ({reason:?})", r.post_id);
            return None;
        }
        let root_id = match self.shared.api.post(&r.post_id) {
            Ok(post) if post.channel_id != r.channel_id => {
                log::warn!(
                    "reaction on post {} in channel {}, but the post is in another; dropped",
                    r.post_id,
                    r.channel_id
                );
                return None;
            }
            Ok(post) => post.root_id,
            Err(e) => {
                log::debug!(
                    "cannot read post {} ({e}); its thread is unknown",
                    r.post_id
                );
                String::new()
            }
        };
        let reaction = protocol::Reaction {
            action: if r.added { "added" } else { "removed" },
            emoji: &r.emoji_name,
            post_id: &r.post_id,
            root_id: Some(root_id.as_str()).filter(|id| !id.is_empty()),
            channel_id: &r.channel_id,
            channel_type: channel_type.as_str(),
            channel_name: &channel.name,
            channel_display_name: &channel.display_name,
            team_id: Some(channel.team_id.as_str()).filter(|id| !id.is_empty()),
            sender: Sender {
                id: &r.user_id,
                username: Some(user.username.as_str())
                    .filter(|name| !name.is_empty())
                    .unwrap_or(&r.user_id),
            },
            create_at: r.create_at,
        };
        Some(Notification::Reaction(reaction).line())
    }

    fn channel(&mut self, channel_id: &str) -> Option<Channel> {
        if let Some(channel) = self.channels.get(channel_id) {
            return Some(channel.clone());
        }
        match self.shared.api.channel(channel_id) {
            Ok(channel) => {
                remember(&mut self.channels, channel_id, channel.clone());
                Some(channel)
            }
            Err(e) => {
                log::debug!("dropped a reaction: cannot read channel {channel_id} ({e})");
                None
            }
        }
    }

    /// The user, or one named by its id when the lookup fails (not remembered then).
    fn user(&mut self, user_id: &str) -> User {
        if let Some(user) = self.users.get(user_id) {
            return user.clone();
        }
        match self.shared.api.user(user_id) {
            Ok(user) => {
                remember(&mut self.users, user_id, user.clone());
                user
            }
            Err(e) => {
                log::debug!("cannot look up user {user_id}: {e}");
                User {
                    id: user_id.to_string(),
                    username: user_id.to_string(),
                    is_bot: false,
                }
            }
        }
    }
}

fn remember<T>(cache: &mut HashMap<String, T>, key: &str, value: T) {
    if cache.len() >= CACHE_ENTRIES {
        cache.clear();
    }
    cache.insert(key.to_string(), value);
}
