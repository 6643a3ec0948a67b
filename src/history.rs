//! History context (`historyLimit`, `contextVisibility`): the posts of a channel or thread the
//! bot was not addressed by, kept in memory so the next post that addresses it carries them to
//! the agent ("chat messages since your last reply"). OpenClaw's own Mattermost plugin keeps the
//! same list; docs/switching.md describes it. Pure data: the bridge feeds it what the socket,
//! polling and catch-up deliver, and asks the server only for a thread it knows nothing of.
//!
//! A thread's second turn is special, as in OpenClaw's plugin: when its first turn opened a new
//! session (the bot had not taken part in the thread), the next turn sees the whole thread
//! again (its posts before the first turn, that turn's post, the bot's answers and what came
//! since), as the plugin's second read of the thread gives it. The bridge builds it from what it
//! read and saw (`Replay`); over REST only when it never read the thread's start.
//!
//! Memory is bounded three ways: `historyLimit` entries per conversation, `MAX_KEYS`
//! conversations, `MAX_BYTES` of text in all (the least recently used conversations go first).

use crate::config::ContextVisibility as Visibility;
use crate::policy::{ChannelType, DropReason};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Conversations remembered, as in OpenClaw (its `MAX_HISTORY_KEYS`).
pub const MAX_KEYS: usize = 1000;
/// Text kept in all (bodies and names); beyond it the least recent conversations are forgotten.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// A body longer than this many characters is cut (Mattermost's own post limit is 16383).
pub const MAX_BODY_CHARS: usize = 16_383;
/// A sender name longer than this many characters is cut (Mattermost allows 22).
pub const MAX_SENDER_CHARS: usize = 64;
/// Default `historyLimit` (OpenClaw's `DEFAULT_GROUP_HISTORY_LIMIT`).
pub const DEFAULT_LIMIT: usize = 50;
/// The thread endpoint is asked for at most this many posts.
pub const MAX_THREAD_POSTS: usize = 200;
/// A cold thread is asked for at most this many times, this far apart.
const MAX_ATTEMPTS: u8 = 3;
const ATTEMPT_GAP: Duration = Duration::from_secs(60);

pub use crate::protocol::HistoryEntry as Entry;

impl Entry {
    /// An entry for a post: the text and a placeholder for its files, trimmed and size-capped.
    /// `None` when there is nothing to show.
    pub fn new(sender: &str, text: &str, files: usize, timestamp: i64, id: &str) -> Option<Entry> {
        let placeholder = match files {
            0 => String::new(),
            1 => "<media:attachment>".to_string(),
            n => format!("<media:attachment> ({n} attachments)"),
        };
        let joined = [text, &placeholder]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        let body = cut(joined.trim(), MAX_BODY_CHARS);
        if body.is_empty() {
            return None;
        }
        Some(Entry {
            sender: cut(sender.trim(), MAX_SENDER_CHARS),
            body,
            timestamp,
            message_id: id.to_string(),
        })
    }

    /// An entry for a post as OpenClaw's plugin reads it back from a thread: named by the
    /// sender's user id, the text, or `[attachment]` for a post with only files. `None` when
    /// there is nothing to show.
    pub fn recovered(
        user_id: &str,
        text: &str,
        files: usize,
        timestamp: i64,
        id: &str,
    ) -> Option<Entry> {
        let body = match (text.trim(), files) {
            ("", 0) => return None,
            ("", _) => "[attachment]",
            (text, _) => text,
        };
        Some(Entry {
            sender: cut(user_id, MAX_SENDER_CHARS),
            body: cut(body, MAX_BODY_CHARS),
            timestamp,
            message_id: id.to_string(),
        })
    }

    fn bytes(&self) -> usize {
        self.sender.len() + self.body.len() + self.message_id.len() + 32
    }
}

fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

/// Whether a post the policy dropped for `reason` is kept as context: those that were not
/// addressed to the bot, and with `all` those of senders outside the allow list. Nothing else
/// (own, system, bot posts, other teams and channels) is, and no DM post at all (their senders
/// are the DM's own rules; OpenClaw's plugin keeps none either).
pub fn keeps(reason: DropReason, channel_type: ChannelType, visibility: Visibility) -> bool {
    if channel_type == ChannelType::Direct {
        return false;
    }
    match reason {
        DropReason::NotAddressed => true,
        DropReason::SenderNotAllowed => visibility == Visibility::All,
        _ => false,
    }
}

/// The conversation a post belongs to: its thread, else its channel; `None` for a DM outside a
/// thread (DMs have no history). A top-level post is keyed by its channel whatever
/// `replyToMode` says, so a mention in the channel sees the channel's posts (JS bug 3).
pub fn key(channel_type: ChannelType, channel_id: &str, root_id: &str) -> Option<String> {
    match (channel_type, root_id) {
        (ChannelType::Direct, "") => None,
        (_, "") => Some(channel_id.to_string()),
        (_, root) => Some(format!("{channel_id}:{root}")),
    }
}

/// What `take` hands over for one addressed post.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Taken {
    pub entries: Vec<Entry>,
    /// The bridge knows nothing of this thread yet: ask the server (`thread_query`).
    pub recover: bool,
}

/// A thread whose first turn opened a new session: what its next turn sees again.
#[derive(Debug)]
struct Replay {
    /// The thread's posts up to the first turn's (as read over REST) and those seen since.
    entries: VecDeque<Entry>,
    /// The thread's start was read (`recovered`): the entries are all there is.
    complete: bool,
}

#[derive(Debug)]
struct Conversation {
    key: String,
    entries: VecDeque<Entry>,
    /// A turn of this conversation was handed over since the bridge started.
    turned: bool,
    replay: Option<Replay>,
    /// Use order, for forgetting the least recent conversation.
    used: u64,
    /// Attempts to fetch the thread from the server, and when the next may start.
    attempts: u8,
    next_attempt: Option<Instant>,
    /// The server's thread is known (fetched, or live entries were there first).
    settled: bool,
}

pub struct History {
    limit: usize,
    /// A list, not a map: at most `MAX_KEYS`, scanned once per post, and no hash table code
    /// for this type in the binary.
    conversations: Vec<Conversation>,
    bytes: usize,
    clock: u64,
}

impl History {
    pub fn new(limit: usize) -> History {
        History {
            limit,
            conversations: Vec::new(),
            bytes: 0,
            clock: 0,
        }
    }

    /// Keeps `entry` under `key`; the oldest go beyond `historyLimit`.
    pub fn record(&mut self, key: &str, entry: Entry) {
        if self.limit == 0 {
            return;
        }
        self.bytes += entry.bytes();
        let (used, limit) = (self.tick(), self.limit);
        let conversation = self.conversation(key, used);
        conversation.entries.push_back(entry);
        let mut freed = 0;
        while conversation.entries.len() > limit {
            freed += conversation.entries.pop_front().map_or(0, |e| e.bytes());
        }
        self.bytes -= freed;
        self.forget_beyond_caps(key);
    }

    /// The entries for an addressed post `current` (the post as a thread's re-read shows it,
    /// `Entry::recovered`): those before it, at most `historyLimit`. The conversation then
    /// starts over ("since the bot's last reply"). `recover` is set for a thread the bridge
    /// has no record of, at most `MAX_ATTEMPTS` times, `ATTEMPT_GAP` apart. `new_session`: the
    /// post is in a thread the bot has not taken part in (false for other posts); when this is
    /// the thread's first turn, the next one sees the whole thread again (`Replay`).
    pub fn take(&mut self, key: &str, current: &Entry, new_session: bool, now: Instant) -> Taken {
        if self.limit == 0 {
            return Taken::default();
        }
        let (id, at, limit) = (current.message_id.as_str(), current.timestamp, self.limit);
        let used = self.tick();
        let conversation = self.conversation(key, used);
        let mut entries: Vec<Entry> = conversation.entries.drain(..).collect();
        let mut freed: usize = entries.iter().map(Entry::bytes).sum();
        let replay = conversation.replay.take();
        if let Some(replay) = &replay {
            freed += replay.entries.iter().map(Entry::bytes).sum::<usize>();
            // A second read of the thread: asked for again unless the bridge knows it all.
            conversation.settled = replay.complete;
        } else if conversation.attempts == 0 && !entries.is_empty() {
            conversation.settled = true;
        }
        let recover = !conversation.settled
            && conversation.attempts < MAX_ATTEMPTS
            && conversation.next_attempt.is_none_or(|next| now >= next)
            && at > 0;
        if recover {
            conversation.attempts += 1;
            conversation.next_attempt = Some(now + ATTEMPT_GAP);
        }
        let mut added = 0;
        if !conversation.turned && new_session {
            // The thread's first turn in a new session: its next turn reads the thread again.
            let mut entries = VecDeque::new();
            if !current.body.is_empty() {
                added = current.bytes();
                entries.push_back(current.clone());
            }
            conversation.replay = Some(Replay {
                entries,
                complete: false,
            });
        }
        conversation.turned = true;
        if let Some(replay) = replay.filter(|r| r.complete) {
            entries = merge(replay.entries.into(), entries, limit);
        }
        self.bytes = self.bytes + added - freed;
        entries.retain(|e| e.message_id != id && e.timestamp <= at);
        let skip = entries.len().saturating_sub(self.limit);
        entries.drain(..skip);
        self.forget_beyond_caps(key);
        Taken { entries, recover }
    }

    /// What `take` would hand over for post `id` made at `at` in a conversation without a
    /// thread to recover, left in place: for a post the host may still take as addressed.
    pub fn peek(&self, key: &str, id: &str, at: i64) -> Vec<Entry> {
        let mut entries = Vec::new();
        for conversation in self.conversations.iter().filter(|c| c.key == key) {
            entries.extend(conversation.entries.iter().cloned());
        }
        entries.retain(|e| e.message_id != id && e.timestamp <= at);
        entries
    }

    /// The thread of `key` was read (`fetched`, the posts before the turn's): no more reads
    /// for it, and a thread's first turn now knows the thread's start for its second, unless
    /// the bot had posted there (`bot_took_part`: its session is not new after all).
    pub fn recovered(&mut self, key: &str, fetched: &[Entry], bot_took_part: bool) {
        let limit = self.limit;
        let Some(conversation) = self.conversations.iter_mut().find(|c| c.key == key) else {
            return;
        };
        conversation.settled = true;
        conversation.attempts = 0;
        conversation.next_attempt = None;
        if bot_took_part {
            let gone = conversation.replay.take();
            self.bytes -= gone
                .iter()
                .flat_map(|r| r.entries.iter())
                .map(Entry::bytes)
                .sum::<usize>();
            return;
        }
        let Some(replay) = conversation.replay.as_mut().filter(|r| !r.complete) else {
            return;
        };
        let before: usize = replay.entries.iter().map(Entry::bytes).sum();
        let seen: Vec<Entry> = replay.entries.drain(..).collect();
        replay.entries = merge(fetched.to_vec(), seen, limit).into();
        replay.complete = true;
        let after: usize = replay.entries.iter().map(Entry::bytes).sum();
        self.bytes = self.bytes + after - before;
        self.forget_beyond_caps(key);
    }

    /// A post of thread `key` the bot was not addressed by (or the bot's own), as the thread's
    /// re-read shows it: kept for a second turn that sees the thread again, if one is coming.
    pub fn observe(&mut self, key: &str, entry: Entry) {
        let limit = self.limit;
        let Some(replay) = (self.conversations.iter_mut())
            .find(|c| c.key == key)
            .and_then(|c| c.replay.as_mut())
        else {
            return;
        };
        self.bytes += entry.bytes();
        replay.entries.push_back(entry);
        while replay.entries.len() > limit {
            self.bytes -= replay.entries.pop_front().map_or(0, |e| e.bytes());
        }
        self.forget_beyond_caps(key);
    }

    /// Post `id` of thread `key` changed: kept as `entry` now, or gone (deleted, or nothing
    /// left to show), for a second turn that sees the thread again.
    pub fn changed(&mut self, key: &str, id: &str, entry: Option<Entry>) {
        let Some(replay) = (self.conversations.iter_mut())
            .find(|c| c.key == key)
            .and_then(|c| c.replay.as_mut())
        else {
            return;
        };
        let Some(at) = replay.entries.iter().position(|e| e.message_id == id) else {
            return;
        };
        let old = match entry {
            Some(entry) => {
                self.bytes += entry.bytes();
                Some(std::mem::replace(&mut replay.entries[at], entry))
            }
            None => replay.entries.remove(at),
        };
        self.bytes -= old.map_or(0, |e| e.bytes());
    }

    /// Whether thread `key` waits for a second turn that sees it again (`observe` keeps posts).
    pub fn replays(&self, key: &str) -> bool {
        self.conversations
            .iter()
            .any(|c| c.key == key && c.replay.is_some())
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn conversation(&mut self, key: &str, used: u64) -> &mut Conversation {
        let index = match self.conversations.iter().position(|c| c.key == key) {
            Some(index) => index,
            None => {
                self.conversations.push(Conversation {
                    key: key.to_string(),
                    entries: VecDeque::new(),
                    used,
                    turned: false,
                    replay: None,
                    attempts: 0,
                    next_attempt: None,
                    settled: false,
                });
                self.conversations.len() - 1
            }
        };
        let conversation = &mut self.conversations[index];
        conversation.used = used;
        conversation
    }

    /// Forgets the least recently used conversations (never `keep`) beyond the caps.
    fn forget_beyond_caps(&mut self, keep: &str) {
        while self.conversations.len() > MAX_KEYS || self.bytes > MAX_BYTES {
            let oldest = (0..self.conversations.len())
                .filter(|&i| self.conversations[i].key != keep)
                .min_by_key(|&i| self.conversations[i].used);
            let Some(oldest) = oldest else {
                break;
            };
            let gone = self.conversations.swap_remove(oldest);
            let replayed = gone.replay.iter().flat_map(|r| r.entries.iter());
            self.bytes -= gone
                .entries
                .iter()
                .chain(replayed)
                .map(Entry::bytes)
                .sum::<usize>();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.conversations.len()
    }
}

/// The query of `GET /posts/{root}/thread` that recovers a thread's posts before post `id`,
/// made at `at` (the same as OpenClaw's Mattermost plugin).
pub fn thread_query(limit: usize, id: &str, at: i64) -> String {
    let per_page = (limit + 1).min(MAX_THREAD_POSTS);
    format!("perPage={per_page}&direction=up&fromPost={id}&fromCreateAt={at}")
}

/// Entries from a fetched thread merged with the live ones (which win for the same post),
/// in time order, the last `limit`.
pub fn merge(fetched: Vec<Entry>, live: Vec<Entry>, limit: usize) -> Vec<Entry> {
    let fetched: Vec<Entry> = fetched
        .into_iter()
        .filter(|f| !live.iter().any(|l| l.message_id == f.message_id))
        .collect();
    // Inserted in place rather than sorted: at most a few hundred entries, and no sort
    // routine for this type in the binary.
    let mut all: Vec<Entry> = Vec::new();
    for entry in fetched.into_iter().chain(live) {
        let key = (entry.timestamp, &entry.message_id);
        let at = all.partition_point(|e| (e.timestamp, &e.message_id) <= key);
        all.insert(at, entry);
    }
    let skip = all.len().saturating_sub(limit);
    all.drain(..skip);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, at: i64) -> Entry {
        Entry::new("alice", &format!("text {id}"), 0, at, id).unwrap()
    }

    /// `take` for a post that is not a thread's first turn in a new session.
    fn take(history: &mut History, key: &str, id: &str, at: i64, now: Instant) -> Taken {
        history.take(key, &entry(id, at), false, now)
    }

    fn ids(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.message_id.as_str()).collect()
    }

    #[test]
    fn keeps_the_last_limit_entries_and_starts_over_after_a_turn() {
        let now = Instant::now();
        let mut history = History::new(2);
        for (n, id) in ["a", "b", "c"].iter().enumerate() {
            history.record("chan", entry(id, n as i64 + 1));
        }
        let taken = take(&mut history, "chan", "d", 10, now);
        assert_eq!(ids(&taken.entries), ["b", "c"]);
        assert!(take(&mut history, "chan", "e", 11, now).entries.is_empty());
        assert_eq!(history.bytes, 0);
    }

    #[test]
    fn the_current_post_and_later_ones_are_not_history() {
        let mut history = History::new(10);
        history.record("chan", entry("a", 1));
        history.record("chan", entry("cur", 5));
        history.record("chan", entry("late", 9));
        let taken = take(&mut history, "chan", "cur", 5, Instant::now());
        assert_eq!(ids(&taken.entries), ["a"]);
    }

    #[test]
    fn limit_zero_keeps_nothing_and_never_fetches() {
        let mut history = History::new(0);
        history.record("c:root", entry("a", 1));
        assert_eq!(history.len(), 0);
        assert_eq!(
            take(&mut history, "c:root", "x", 5, Instant::now()),
            Taken::default()
        );
    }

    #[test]
    fn at_most_max_keys_conversations_the_least_recent_go() {
        let mut history = History::new(5);
        for n in 0..=MAX_KEYS {
            history.record(&format!("k{n}"), entry("a", 1));
        }
        assert_eq!(history.len(), MAX_KEYS);
        let has = |key: &str| history.conversations.iter().any(|c| c.key == key);
        assert!(!has("k0"));
        assert!(has(&format!("k{MAX_KEYS}")));
    }

    #[test]
    fn text_is_capped_per_entry_and_in_all() {
        let huge = "é".repeat(MAX_BODY_CHARS + 10);
        let e = Entry::new(&"n".repeat(500), &huge, 0, 1, "id").unwrap();
        assert_eq!(e.body.chars().count(), MAX_BODY_CHARS);
        assert_eq!(e.sender.chars().count(), MAX_SENDER_CHARS);
        let mut history = History::new(50);
        for n in 0..1000 {
            history.record(&format!("k{}", n % 400), e.clone());
            assert!(history.bytes <= MAX_BYTES);
        }
        assert!(history.len() < 400);
    }

    #[test]
    fn entries_show_files_and_skip_empty_posts() {
        assert_eq!(Entry::new("a", "  ", 0, 1, "p"), None);
        assert_eq!(
            Entry::new("@a", "", 1, 1, "p").unwrap().body,
            "<media:attachment>"
        );
        let both = Entry::new("@a", "look", 3, 1, "p").unwrap();
        assert_eq!(both.body, "look\n<media:attachment> (3 attachments)");
        assert_eq!(
            both.sender, "@a",
            "the event's sender_name, as OpenClaw's plugin names it"
        );
        // Read back from a thread: the text alone, or OpenClaw's placeholder.
        let read = |text, files| Entry::recovered("u1", text, files, 1, "p").map(|e| e.body);
        assert_eq!(read(" look ", 3).as_deref(), Some("look"));
        assert_eq!(read("", 1).as_deref(), Some("[attachment]"));
        assert_eq!(read(" ", 0), None);
    }

    #[test]
    fn keys_per_thread_and_channel_and_none_for_plain_dms() {
        assert_eq!(key(ChannelType::Open, "c", ""), Some("c".into()));
        assert_eq!(key(ChannelType::Private, "c", "r"), Some("c:r".into()));
        assert_eq!(key(ChannelType::Group, "g", ""), Some("g".into()));
        assert_eq!(key(ChannelType::Direct, "d", ""), None);
        assert_eq!(key(ChannelType::Direct, "d", "r"), Some("d:r".into()));
    }

    #[test]
    fn visibility_decides_for_senders_outside_the_allow_list() {
        let open = ChannelType::Open;
        assert!(keeps(DropReason::NotAddressed, open, Visibility::Allowlist));
        assert!(keeps(
            DropReason::SenderNotAllowed,
            ChannelType::Group,
            Visibility::All
        ));
        assert!(!keeps(
            DropReason::SenderNotAllowed,
            open,
            "allowlist_quote".parse().unwrap()
        ));
        // A DM thread's post from someone not allowed is no context.
        assert!(!keeps(
            DropReason::SenderNotAllowed,
            ChannelType::Direct,
            Visibility::All
        ));
        for reason in [
            DropReason::OwnPost,
            DropReason::SystemPost,
            DropReason::BotPost,
            DropReason::DmsDisabled,
            DropReason::ChannelNotAllowed,
            DropReason::OtherTeam,
        ] {
            assert!(!keeps(reason, open, Visibility::All), "{reason:?}");
        }
    }

    #[test]
    fn a_cold_thread_is_fetched_three_times_at_most_a_minute_apart() {
        let start = Instant::now();
        let mut history = History::new(5);
        assert!(take(&mut history, "c:r", "p1", 5, start).recover);
        // Failed: the next turn within a minute does not ask again, later ones do.
        assert!(!take(&mut history, "c:r", "p2", 6, start).recover);
        assert!(take(&mut history, "c:r", "p3", 7, start + ATTEMPT_GAP).recover);
        assert!(take(&mut history, "c:r", "p4", 8, start + 2 * ATTEMPT_GAP).recover);
        assert!(!take(&mut history, "c:r", "p5", 9, start + 9 * ATTEMPT_GAP).recover);
        // A fetched thread, or one with live entries, is never asked for.
        history.recovered("c:r2", &[], false);
        assert!(take(&mut history, "c:r2", "p", 5, start).recover);
        history.recovered("c:r2", &[], false);
        assert!(!take(&mut history, "c:r2", "q", 6, start + 9 * ATTEMPT_GAP).recover);
        history.record("c:r3", entry("a", 1));
        assert!(!take(&mut history, "c:r3", "p", 5, start).recover);
    }

    fn by(sender: &str, id: &str, at: i64) -> Entry {
        Entry::new(sender, &format!("text {id}"), 0, at, id).unwrap()
    }

    fn senders(entries: &[Entry]) -> Vec<(&str, &str)> {
        (entries.iter())
            .map(|e| (e.sender.as_str(), e.message_id.as_str()))
            .collect()
    }

    #[test]
    fn a_new_threads_second_turn_sees_the_thread_again_from_memory() {
        let now = Instant::now();
        let mut history = History::new(10);
        let first = Entry::recovered("alice-id", " @bot your view? ", 0, 2, "t1").unwrap();
        assert_eq!(first.body, "@bot your view?");
        let taken = history.take("c:root", &first, true, now);
        assert!(taken.recover, "the thread's start is read once");
        let root = Entry::recovered("alice-id", "a topic", 0, 1, "root").unwrap();
        history.recovered("c:root", &[root], false);
        // The bot's answer, then a post nobody addressed it by (also live history).
        history.observe(
            "c:root",
            Entry::recovered("bot-id", "my", 0, 3, "a1").unwrap(),
        );
        // (a streamed answer: its first text, then its final one; a preview deleted)
        history.changed(
            "c:root",
            "a1",
            Entry::recovered("bot-id", "my view", 0, 3, "a1"),
        );
        history.observe(
            "c:root",
            Entry::recovered("bot-id", "gone", 0, 3, "a0").unwrap(),
        );
        history.changed("c:root", "a0", None);
        history.observe(
            "c:root",
            Entry::recovered("bob-id", "hm", 0, 4, "x").unwrap(),
        );
        history.record("c:root", by("@bob", "x", 4));
        assert!(history.replays("c:root"));
        let second = Entry::recovered("alice-id", "and more", 0, 5, "t2").unwrap();
        let taken = history.take("c:root", &second, false, now);
        assert!(!taken.recover, "built from what the bridge read and saw");
        assert_eq!(
            senders(&taken.entries),
            [
                ("alice-id", "root"),
                ("alice-id", "t1"),
                ("bot-id", "a1"),
                ("@bob", "x")
            ]
        );
        assert_eq!(taken.entries[2].body, "my view");
        // Then "since the last turn" again, with nothing to read.
        history.observe(
            "c:root",
            Entry::recovered("bot-id", "more", 0, 6, "a2").unwrap(),
        );
        let third = Entry::recovered("alice-id", "thanks", 0, 7, "t3").unwrap();
        let taken = history.take("c:root", &third, false, now);
        assert_eq!((taken.entries.len(), taken.recover), (0, false));
        assert_eq!(history.bytes, 0);
    }

    #[test]
    fn a_second_turn_reads_the_thread_when_its_start_was_never_read() {
        let now = Instant::now();
        let mut history = History::new(10);
        history.record("c:root", by("@alice", "live", 1));
        let first = Entry::recovered("alice-id", "@bot hi", 0, 2, "t1").unwrap();
        let taken = history.take("c:root", &first, true, now);
        assert_eq!(
            (senders(&taken.entries), taken.recover),
            (vec![("@alice", "live")], false)
        );
        let second = Entry::recovered("alice-id", "more", 0, 3, "t2").unwrap();
        assert!(history.take("c:root", &second, false, now).recover);
        // Nor one whose read shows the bot's posts: its session is older than the bridge.
        let mut history = History::new(10);
        history.take("c:seen", &first, true, now);
        history.recovered("c:seen", &[by("bot-id", "a0", 1)], true);
        assert!(!history.replays("c:seen"));
        assert_eq!(history.bytes, 0);
        // A thread the bot had taken part in (an older session) is not read again.
        let mut history = History::new(10);
        history.take("c:old", &first, false, now);
        history.recovered("c:old", &[], false);
        history.observe("c:old", by("bot-id", "a1", 3));
        assert!(!history.replays("c:old"));
        assert_eq!(take(&mut history, "c:old", "t2", 4, now), Taken::default());
    }

    #[test]
    fn the_thread_query_is_the_js_plugins() {
        assert_eq!(
            thread_query(50, "p", 123),
            "perPage=51&direction=up&fromPost=p&fromCreateAt=123"
        );
        assert!(thread_query(1000, "p", 1).starts_with("perPage=200&"));
    }

    #[test]
    fn merged_entries_are_in_time_order_live_wins_last_limit() {
        let mut live_b = entry("b", 2);
        live_b.sender = "live".into();
        let merged = merge(
            vec![entry("a", 1), entry("b", 2), entry("c", 3)],
            vec![live_b, entry("d", 4)],
            3,
        );
        assert_eq!(ids(&merged), ["b", "c", "d"]);
        assert_eq!(merged[0].sender, "live");
    }
}
