//! The polling transport (`useWebSocket: false`): every `pollInterval`, list the bot's channels
//! (its DMs and group DMs included) and fetch new posts only where `last_post_at` moved. Posts
//! go to `Delivery` like WebSocket events, so policy, dedup and order are the same.
//!
//! Cost of one poll: 1 request per team served (the listing) + 1 per channel with new posts.

use super::announce;
use super::catch_up::{self, posted_from_rest, UserNames};
use super::deliver::Delivery;
use super::listing;
use super::progress::OVERLAP_MS;
use super::shares::EventsShare;
use crate::backoff::{Backoff, UNAUTHORIZED_RETRY};
use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::model::{Channel, Post};
use crate::protocol::{Status, Transport, Trouble};
use crate::random;
use crate::session::Session;
use crate::stats::now_ms;
use crate::stop::StopReason;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub fn run(shared: Arc<EventsShare>, session: Arc<Session>, delivery: Delivery) {
    if session.teams.is_empty() {
        shared.stop.trigger(StopReason::Config(
            "config: channels.mattermost.useWebSocket is false, but polling needs a team and the bot is in none (add the bot to a team)".into(),
        ));
        return;
    }
    // Failures are reported per poll, so this client does not retry on its own.
    let api = Api::new(
        &shared.config.server,
        &shared.config.token,
        &shared.link,
        Duration::ZERO,
    );
    let mut poller = Poller {
        backoff: Backoff::new(shared.config.reconnect_interval),
        cursors: Cursors::default(),
        names: UserNames::default(),
        failing: false,
        ready_sent: false,
        shared,
        session,
        delivery,
        api,
    };
    poller.run();
}

struct Poller {
    shared: Arc<EventsShare>,
    session: Arc<Session>,
    delivery: Delivery,
    api: Api,
    backoff: Backoff,
    cursors: Cursors,
    names: UserNames,
    failing: bool,
    ready_sent: bool,
}

impl Poller {
    fn run(&mut self) {
        loop {
            let wait = match self.poll() {
                Ok(()) => {
                    self.healthy();
                    self.shared.config.poll_interval
                }
                Err(e) => self.failed(&e),
            };
            if self.shared.stop.sleep(wait) {
                return;
            }
        }
    }

    /// One round: the listing, then the channels that changed.
    fn poll(&mut self) -> Result<(), ApiError> {
        let channels = listing::channels(&self.api, &self.session.teams)?;
        let first = !self.ready_sent;
        if first {
            self.announce_ready();
        }
        // After a restart (state file), the first round catches up on what was missed.
        let restart = first && self.shared.progress.restored();
        let progress = self.shared.progress.snapshot();
        let floor = self.oldest_replay();
        let watched: Vec<&Channel> = channels.iter().filter(|c| self.listens_in(c)).collect();
        let mut lines = self.shared.output.batch();
        for channel in watched {
            if self.shared.stop.is_stopping() {
                break;
            }
            let Some(since) = self.cursors.fetch_from(channel, first && !restart, floor) else {
                continue;
            };
            let posts = self.api.posts_since(&channel.id, since)?;
            let new = new_posts(posts.posts.into_values(), since);
            let newest = new.last().map_or(channel.last_post_at, |p| p.create_at);
            for post in new {
                // Delivered already, maybe by the run before a restart (the state file
                // remembers recent ids): the overlap brings such posts back.
                if progress.already_had(&channel.id, &post.id, post.create_at) {
                    continue;
                }
                let posted = posted_from_rest(channel, post, &mut self.names, &self.api);
                self.delivery.offer(Box::new(posted), restart, &mut lines);
                // Out at once: the next post may wait for a REST call (its sender's name).
                lines.hand_over();
            }
            self.cursors
                .advance(&channel.id, newest.max(channel.last_post_at));
        }
        self.cursors.keep_only(&channels);
        self.shared.stats.event_seen();
        Ok(())
    }

    /// No post older than this is replayed: the newest post seen before (server time) minus
    /// the overlap, never older than `catchUpMaxAge`.
    fn oldest_replay(&self) -> i64 {
        let max_age = self.shared.config.catch_up_max_age.as_millis() as i64;
        let progress = self.shared.progress.snapshot();
        catch_up::gap_start(&progress, now_ms() as i64, max_age)
    }

    /// Team channels outside a non-empty `allowChannels` are never delivered: skip fetching
    /// them. DMs and group DMs are governed by `allowFrom` and always fetched.
    fn listens_in(&self, channel: &Channel) -> bool {
        let allowed = &self.shared.config.allow_channels;
        matches!(channel.kind.as_str(), "D" | "G")
            || allowed.is_empty()
            || allowed.contains(&channel.id)
    }

    fn announce_ready(&mut self) {
        self.ready_sent = true;
        let version = match self.api.client_config() {
            Ok(config) => config["Version"].as_str().unwrap_or_default().to_string(),
            Err(_) => String::new(),
        };
        log::info!(
            "polling every {} ms",
            self.shared.config.poll_interval.as_millis()
        );
        self.shared.stats.set_state(Status::Polling.state());
        announce::ready(&self.shared, &self.session, &version, Transport::Polling);
    }

    fn healthy(&mut self) {
        self.backoff.reset();
        if self.failing {
            self.failing = false;
            log::info!("polling works again");
            announce::status(&self.shared, Status::Polling);
        }
    }

    /// Reports a failed round and returns how long to wait before the next.
    fn failed(&mut self, error: &ApiError) -> Duration {
        self.failing = true;
        self.shared.stats.reconnecting();
        let (trouble, floor) = if error.status() == Some(401) {
            (Trouble::Unauthorized, UNAUTHORIZED_RETRY)
        } else {
            (Trouble::Reconnecting, Duration::ZERO)
        };
        let message = match trouble {
            Trouble::Unauthorized => format!(
                "Mattermost rejected the bot token ({error}); check channels.mattermost.botToken"
            ),
            Trouble::Reconnecting => format!("polling failed: {error}"),
        };
        let delay = self.backoff.next_delay(random::unit()).max(floor);
        let attempt = self.backoff.attempt();
        announce::retry(&self.shared, trouble, attempt, delay, &message);
        delay
    }
}

/// Per channel, how far posts were handled, so each round fetches only what is new.
#[derive(Debug, Default)]
struct Cursors {
    channels: HashMap<String, Cursor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    /// The newest `create_at` handled.
    newest: i64,
    /// Posts created at or before this predate our watch of the channel: never delivered.
    floor: i64,
}

impl Cursors {
    /// Fetch `channel` for posts created after the returned time, or `None` when nothing new
    /// can be there. On the first round of a fresh start (`baseline`) history is not replayed;
    /// a channel that appears later (a new DM, the bot added to a channel) is read from its
    /// creation, but never from before `floor`.
    fn fetch_from(&mut self, channel: &Channel, baseline: bool, floor: i64) -> Option<i64> {
        match self.channels.get(&channel.id) {
            Some(cursor) if channel.last_post_at <= cursor.newest => None,
            // The overlap catches posts of the same moment that were not listed yet; the
            // dedup set drops the repeats. Nothing before the floor, though.
            Some(cursor) => Some((cursor.newest - OVERLAP_MS).max(cursor.floor)),
            None => {
                let start = if baseline {
                    channel.last_post_at
                } else {
                    (channel.create_at - 1).max(floor).max(0)
                };
                let cursor = Cursor {
                    newest: start,
                    floor: start,
                };
                self.channels.insert(channel.id.clone(), cursor);
                (!baseline).then_some(start)
            }
        }
    }

    fn advance(&mut self, channel_id: &str, to: i64) {
        if let Some(cursor) = self.channels.get_mut(channel_id) {
            cursor.newest = cursor.newest.max(to);
        }
    }

    /// Forgets channels no longer listed (the bot left them).
    fn keep_only(&mut self, channels: &[Channel]) {
        self.channels
            .retain(|id, _| channels.iter().any(|c| &c.id == id));
    }
}

/// New posts among those changed since `since`, oldest first: deleted posts and edits of older
/// posts (changed, but created before `since`) are not new.
fn new_posts(posts: impl Iterator<Item = Post>, since: i64) -> Vec<Post> {
    let mut new: Vec<Post> = posts
        .filter(|p| p.delete_at == 0 && p.create_at > since)
        .collect();
    new.sort_by(|a, b| (a.create_at, &a.id).cmp(&(b.create_at, &b.id)));
    new
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(id: &str, create_at: i64, last_post_at: i64) -> Channel {
        Channel {
            id: id.into(),
            kind: "O".into(),
            name: id.into(),
            display_name: id.into(),
            team_id: "t".into(),
            create_at,
            last_post_at,
        }
    }

    fn post(id: &str, create_at: i64, delete_at: i64) -> Post {
        Post {
            id: id.into(),
            create_at,
            update_at: create_at.max(delete_at),
            delete_at,
            ..Post::default()
        }
    }

    #[test]
    fn the_first_round_sets_a_baseline_and_later_rounds_fetch_what_moved() {
        let mut cursors = Cursors::default();
        let quiet = channel("quiet", 0, 1_000);
        let busy = channel("busy", 0, 5_000);
        assert_eq!(cursors.fetch_from(&quiet, true, 0), None);
        assert_eq!(cursors.fetch_from(&busy, true, 0), None);
        // Nothing moved: nothing fetched.
        assert_eq!(cursors.fetch_from(&quiet, false, 0), None);
        let moved = channel("busy", 0, 6_000);
        // Not before the baseline, even with the overlap.
        assert_eq!(cursors.fetch_from(&moved, false, 0), Some(5_000));
        cursors.advance("busy", 9_000);
        let later = channel("busy", 0, 9_500);
        assert_eq!(
            cursors.fetch_from(&later, false, 0),
            Some(9_000 - OVERLAP_MS)
        );
        cursors.advance("busy", 9_500);
        assert_eq!(cursors.fetch_from(&later, false, 0), None);
    }

    #[test]
    fn channels_that_appear_later_are_read_from_their_creation() {
        let mut cursors = Cursors::default();
        let new_dm = channel("dm", 9_000, 9_500);
        assert_eq!(cursors.fetch_from(&new_dm, false, 0), Some(8_999));
        // An old channel the bot was added to: not before the floor.
        let old = channel("old", 1_000, 9_500);
        assert_eq!(cursors.fetch_from(&old, false, 7_000), Some(7_000));
        cursors.advance("old", 9_500);
        cursors.keep_only(&[new_dm]);
        assert!(
            !cursors.channels.contains_key("old"),
            "forgotten once unlisted"
        );
    }

    #[test]
    fn edits_and_deletions_are_not_new_posts() {
        let posts = vec![
            post("b", 3_000, 0),
            post("edited-old", 500, 0),
            post("a", 2_000, 0),
            post("deleted", 2_500, 2_600),
            post("a2", 2_000, 0),
        ];
        let ids: Vec<String> = new_posts(posts.into_iter(), 1_000)
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, ["a", "a2", "b"]);
    }
}
