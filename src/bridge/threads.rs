//! Threads the bot is part of, for `implicitMentions`: the thread roots it wrote and the
//! threads it replied in (with the time of its last reply). Learned from the bot's own posts as
//! they pass through `Delivery` (WebSocket, polling and catch-up alike), so it costs no REST
//! call; bounded, the least recently touched thread is forgotten first.

use crate::mattermost::model::Post;
use crate::policy::Implicit;
use std::collections::HashMap;

/// A thread counts as one the bot takes part in for this long after its last reply there
/// (OpenClaw's own Mattermost plugin: 7 days).
pub const PARTICIPATION_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Threads remembered at most.
const CAPACITY: usize = 5000;

#[derive(Debug, Clone, Copy, Default)]
struct Thread {
    /// The bot wrote the root post.
    root_by_bot: bool,
    /// When the bot last replied in the thread (ms); 0: never.
    last_reply: i64,
    /// Touch counter, for forgetting the oldest.
    touched: u64,
}

#[derive(Debug)]
pub struct Threads {
    threads: HashMap<String, Thread>,
    clock: u64,
    capacity: usize,
}

impl Default for Threads {
    fn default() -> Self {
        Threads::with_capacity(CAPACITY)
    }
}

impl Threads {
    fn with_capacity(capacity: usize) -> Threads {
        Threads {
            threads: HashMap::new(),
            clock: 0,
            capacity,
        }
    }

    /// Notes one of the bot's own posts: a top-level post is a root the bot wrote, a reply
    /// marks its thread as one the bot replied in.
    pub fn own_post(&mut self, post: &Post) {
        let (root, is_root) = match post.root_id.as_str() {
            "" => (post.id.as_str(), true),
            root => (root, false),
        };
        if root.is_empty() {
            return;
        }
        self.clock += 1;
        if !self.threads.contains_key(root) && self.threads.len() >= self.capacity {
            self.forget_oldest();
        }
        let thread = self.threads.entry(root.to_string()).or_default();
        thread.touched = self.clock;
        if is_root {
            thread.root_by_bot = true;
        } else {
            thread.last_reply = thread.last_reply.max(post.create_at);
        }
    }

    /// What the bot's part in `post`'s thread makes of it (nothing for a top-level post).
    pub fn facts(&self, post: &Post) -> Implicit {
        let Some(thread) = (!post.root_id.is_empty())
            .then(|| self.threads.get(&post.root_id))
            .flatten()
        else {
            return Implicit::default();
        };
        Implicit {
            reply_to_bot: thread.root_by_bot,
            quoted_bot: false,
            thread_participant: thread.last_reply > 0
                && post.create_at - thread.last_reply <= PARTICIPATION_MS,
        }
    }

    fn forget_oldest(&mut self) {
        let oldest = self
            .threads
            .iter()
            .min_by_key(|(_, t)| t.touched)
            .map(|(root, _)| root.clone());
        if let Some(root) = oldest {
            self.threads.remove(&root);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: &str, root: &str, at: i64) -> Post {
        Post {
            id: id.into(),
            root_id: root.into(),
            create_at: at,
            ..Post::default()
        }
    }

    #[test]
    fn roots_and_replies_of_the_bot() {
        let mut threads = Threads::default();
        threads.own_post(&post("bot-root", "", 10));
        threads.own_post(&post("bot-reply", "user-root", 20));
        let in_bot_root = threads.facts(&post("p1", "bot-root", 30));
        assert!(in_bot_root.reply_to_bot && !in_bot_root.thread_participant);
        let in_replied = threads.facts(&post("p2", "user-root", 30));
        assert!(in_replied.thread_participant && !in_replied.reply_to_bot);
        assert_eq!(
            threads.facts(&post("p3", "other-root", 30)),
            Implicit::default()
        );
        // A top-level post is in no thread, even when its id were known.
        assert_eq!(
            threads.facts(&post("user-root", "", 30)),
            Implicit::default()
        );
    }

    #[test]
    fn participation_lasts_seven_days_after_the_last_reply() {
        let mut threads = Threads::default();
        threads.own_post(&post("r1", "root", 1000));
        let later = |at| threads.facts(&post("p", "root", at)).thread_participant;
        assert!(later(1000 + PARTICIPATION_MS));
        assert!(!later(1001 + PARTICIPATION_MS));
        threads.own_post(&post("r2", "root", 5000));
        assert!(
            threads
                .facts(&post("p", "root", 1001 + PARTICIPATION_MS))
                .thread_participant
        );
    }

    #[test]
    fn memory_is_bounded_and_the_least_recently_touched_goes_first() {
        let mut threads = Threads::with_capacity(2);
        threads.own_post(&post("a", "", 1));
        threads.own_post(&post("b", "", 2));
        threads.own_post(&post("a2", "a", 3)); // touches a
        threads.own_post(&post("c", "", 4)); // forgets b
        assert_eq!(threads.threads.len(), 2);
        assert!(threads.facts(&post("x", "a", 5)).reply_to_bot);
        assert!(!threads.facts(&post("x", "b", 5)).reply_to_bot);
        assert!(threads.facts(&post("x", "c", 5)).reply_to_bot);
    }
}
