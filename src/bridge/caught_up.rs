//! What a catch-up already listed, per channel, for the live events that follow it.
//!
//! Catch-up runs on the events thread while the new WebSocket keeps receiving: a post made
//! during a long catch-up is found by it *and* waits on the socket as a live event. The
//! delivery's id memory (10,000 ids) normally drops the second copy, but a catch-up of more
//! posts than that forgets the early ones before their live events are read. So a live post
//! older than the overlap before the newest post catch-up offered in its channel counts as
//! listed: catch-up read everything up to there (the same rule as `Snapshot::already_had`).
//! A channel's mark goes once the live stream has passed it.

use super::progress::OVERLAP_MS;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct CaughtUp {
    /// Channel id → the newest `create_at` catch-up offered there.
    marks: HashMap<String, i64>,
}

impl CaughtUp {
    /// Catch-up offered a post of `channel_id` made at `create_at`.
    pub fn listed(&mut self, channel_id: &str, create_at: i64) {
        let mark = self
            .marks
            .entry(channel_id.to_string())
            .or_insert(create_at);
        *mark = (*mark).max(create_at);
    }

    /// Whether a live post of `channel_id` made at `create_at` is one the last catch-up
    /// already listed there (delivered or filtered out then).
    pub fn already_listed(&mut self, channel_id: &str, create_at: i64) -> bool {
        let Some(&mark) = self.marks.get(channel_id) else {
            return false;
        };
        if create_at > mark {
            // The live stream is past what catch-up read: nothing more to compare.
            self.marks.remove(channel_id);
            return false;
        }
        create_at < mark - OVERLAP_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_posts_well_before_the_catch_ups_newest_count_as_listed() {
        let mut c = CaughtUp::default();
        assert!(!c.already_listed("a", 1_000), "no catch-up yet");
        c.listed("a", 10_000);
        c.listed("a", 50_000);
        c.listed("a", 40_000);
        assert!(c.already_listed("a", 10_000));
        assert!(c.already_listed("a", 47_999));
        // Within the overlap: left to the id memory (a late-committed post may be new).
        assert!(!c.already_listed("a", 48_000));
        assert!(!c.already_listed("a", 50_000));
        assert!(!c.already_listed("b", 1_000), "another channel");
        // Past the mark: the mark goes, later posts are live as usual.
        assert!(!c.already_listed("a", 50_001));
        assert!(!c.already_listed("a", 10_000));
    }
}
