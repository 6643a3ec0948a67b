//! Threads the bot is part of, for `implicitMentions`: the thread roots it wrote and the
//! threads it replied in (with the time of its last reply). Learned from the bot's own posts as
//! they pass through `Delivery` (WebSocket, polling and catch-up alike), so it costs no REST
//! call; kept in `stateFile` with the rest of `Progress`, so a restart remembers them (as
//! OpenClaw's own plugin keeps its thread participation); bounded, the thread the bot was
//! least recently active in is forgotten first.

use crate::mattermost::model::Post;
use crate::policy::Implicit;
use serde::{Deserialize, Serialize};

/// A thread counts as one the bot takes part in for this long after its last reply there
/// (OpenClaw's own Mattermost plugin: 7 days).
pub const PARTICIPATION_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Threads remembered at most (what OpenClaw's own plugin persists).
const CAPACITY: usize = 1000;

/// Per thread: `(root id, when the bot wrote the root, when it last replied)`, server ms, 0 for
/// never. A list rather than a map: a thousand short entries, and a smaller binary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Threads {
    threads: Vec<(String, i64, i64)>,
}

impl Threads {
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// Notes one of the bot's own posts: a top-level post is a root the bot wrote, a reply
    /// marks its thread as one the bot replied in.
    pub fn own_post(&mut self, post: &Post) {
        self.own_post_within(post, CAPACITY);
    }

    fn own_post_within(&mut self, post: &Post, capacity: usize) {
        let (root, is_root) = match post.root_id.as_str() {
            "" => (post.id.as_str(), true),
            root => (root, false),
        };
        if root.is_empty() {
            return;
        }
        let at = post.create_at.max(1);
        let index = match self.threads.iter().position(|(id, _, _)| id == root) {
            Some(index) => index,
            None => {
                self.trim(capacity.saturating_sub(1));
                self.threads.push((root.to_string(), 0, 0));
                self.threads.len() - 1
            }
        };
        let (_, root_at, reply_at) = &mut self.threads[index];
        let mark = if is_root { root_at } else { reply_at };
        *mark = (*mark).max(at);
    }

    /// Keeps at most `capacity` threads, forgetting those the bot was least recently active
    /// in (also for a state file that holds more).
    pub fn trim(&mut self, capacity: usize) {
        // No sort: rarely more than one to go, and sorting code is large in the binary.
        while self.threads.len() > capacity {
            let oldest = (0..self.threads.len()).min_by_key(|&i| {
                let (_, root_at, reply_at) = &self.threads[i];
                (*root_at).max(*reply_at)
            });
            if let Some(i) = oldest {
                self.threads.swap_remove(i);
            }
        }
    }

    /// At most the capacity, after loading.
    pub fn bounded(mut self) -> Threads {
        self.trim(CAPACITY);
        self
    }

    /// What the bot's part in `post`'s thread makes of it (nothing for a top-level post).
    pub fn facts(&self, post: &Post) -> Implicit {
        let thread = (!post.root_id.is_empty())
            .then(|| self.threads.iter().find(|(id, _, _)| *id == post.root_id))
            .flatten();
        let Some((_, root_at, reply_at)) = thread else {
            return Implicit::default();
        };
        Implicit {
            reply_to_bot: *root_at > 0,
            quoted_bot: false,
            thread_participant: *reply_at > 0 && post.create_at - reply_at <= PARTICIPATION_MS,
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
    fn memory_is_bounded_and_the_least_recently_active_goes_first() {
        let mut threads = Threads::default();
        threads.own_post_within(&post("a", "", 1), 2);
        threads.own_post_within(&post("b", "", 2), 2);
        threads.own_post_within(&post("a2", "a", 3), 2); // the bot is active in a again
        threads.own_post_within(&post("c", "", 4), 2); // forgets b
        assert_eq!(threads.threads.len(), 2);
        assert!(threads.facts(&post("x", "a", 5)).thread_participant);
        assert!(threads.facts(&post("x", "a", 5)).reply_to_bot);
        assert!(!threads.facts(&post("x", "b", 5)).reply_to_bot);
        assert!(threads.facts(&post("x", "c", 5)).reply_to_bot);
        threads.trim(1);
        assert!(threads.facts(&post("x", "c", 5)).reply_to_bot);
        assert!(!threads.facts(&post("x", "a", 5)).reply_to_bot);
    }

    #[test]
    fn kept_as_a_list_of_root_id_and_times() {
        let mut threads = Threads::default();
        threads.own_post(&post("r", "root", 7));
        let text = serde_json::to_string(&threads).unwrap();
        assert_eq!(text, r#"[["root",0,7]]"#);
        let back: Threads = serde_json::from_str(&text).unwrap();
        assert_eq!(back, threads);
    }
}
