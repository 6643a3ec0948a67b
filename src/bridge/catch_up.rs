//! Fetching over REST the posts the event stream missed (a connection the server could not
//! resume, or a restart), and offering them to `Delivery` with `catchUp: true`.
//!
//! Cost: one listing of the bot's channels per team served (`listing`), then one `posts?since=` per channel whose
//! `last_post_at` shows something new since the gap began; a channel where 1000 or more posts
//! changed is then read page by page (`pages`).

use super::deliver::Delivery;
use super::listing;
use super::output::Batch;
use super::pages;
use super::progress::{Snapshot, OVERLAP_MS};
use super::shares::EventsShare;
use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::event::Posted;
use crate::mattermost::model::{Channel, Post};
use crate::session::Session;
use crate::stats::now_ms;
use std::collections::HashMap;

/// The start of the gap: the newest post seen before it (server time) minus the overlap, or —
/// when nothing was seen — `fallback` (our clock); never older than `catchUpMaxAge`.
pub fn gap_start(progress: &Snapshot, fallback: i64, max_age_ms: i64) -> i64 {
    let last_seen = if progress.seen_until > 0 {
        progress.seen_until
    } else {
        fallback
    };
    (last_seen - OVERLAP_MS).max(now_ms() as i64 - max_age_ms)
}

/// Finds and offers every post created since `since` that was not delivered yet. Each line
/// goes out through `lines` as it is found, not after the next REST call.
pub fn run(
    shared: &EventsShare,
    session: &Session,
    delivery: &mut Delivery,
    names: &mut UserNames,
    since: i64,
    lines: &mut Batch,
) -> Result<usize, ApiError> {
    if session.teams.is_empty() {
        log::warn!("cannot catch up: the bot is in no team, and DMs are listed per team");
        return Ok(0);
    }
    let progress = shared.progress.snapshot();
    let api = &shared.api;
    let mut offered = 0;
    for channel in listing::channels(api, &session.teams)? {
        if shared.stop.is_stopping() {
            break;
        }
        if channel.last_post_at < since {
            continue;
        }
        // The last post delivered here: paging (when needed) starts near it.
        let last = progress
            .channels
            .get(&channel.id)
            .filter(|c| !c.post_id.is_empty())
            .map(|c| (c.post_id.as_str(), c.create_at));
        let mut deliver = |post: Post| {
            if !progress.already_had(&channel.id, &post.id, post.create_at) {
                let posted = posted_from_rest(&channel, post, names, api);
                delivery.offer(Box::new(posted), true, lines);
                lines.hand_over();
                offered += 1;
            }
            !shared.stop.is_stopping()
        };
        match pages::walk(api, &channel, since, last, &mut deliver) {
            Ok(()) => {}
            // Asking again cannot help: the channel's other posts were read; go on.
            Err(ApiError::TooLarge(why)) => log::warn!(
                "channel {}: some posts could not be caught up ({why}); skipped",
                channel.id
            ),
            Err(e) => return Err(e),
        }
    }
    Ok(offered)
}

/// A REST post with the channel facts a `posted` event would carry. REST has no `mentions`
/// list; the policy still finds `@username` in the text.
pub fn posted_from_rest(channel: &Channel, post: Post, names: &mut UserNames, api: &Api) -> Posted {
    Posted {
        channel_type: channel.kind.clone(),
        channel_name: channel.name.clone(),
        channel_display_name: channel.display_name.clone(),
        sender_name: format!("@{}", names.get(api, &post.user_id)),
        team_id: channel.team_id.clone(),
        mentions: Vec::new(),
        post,
    }
}

/// User id → username, looked up once per user.
#[derive(Default)]
pub struct UserNames {
    known: HashMap<String, String>,
}

impl UserNames {
    /// The username, or the id itself when the lookup fails (logged; retried next time).
    pub fn get(&mut self, api: &Api, user_id: &str) -> String {
        if let Some(name) = self.known.get(user_id) {
            return name.clone();
        }
        match api.user(user_id) {
            Ok(user) => {
                self.known
                    .insert(user_id.to_string(), user.username.clone());
                user.username
            }
            Err(e) => {
                log::debug!("cannot look up user {user_id}: {e}");
                user_id.to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gap_starts_at_the_last_post_seen_minus_the_overlap() {
        let now = now_ms() as i64;
        let mut progress = Snapshot::default();
        progress.seen(now - 10_000);
        assert_eq!(
            gap_start(&progress, 0, 3_600_000),
            now - 10_000 - OVERLAP_MS
        );
        // Nothing seen: the fallback (when the stream went live).
        let fresh = Snapshot::default();
        assert_eq!(
            gap_start(&fresh, now - 5_000, 3_600_000),
            now - 5_000 - OVERLAP_MS
        );
        // Never older than catchUpMaxAge.
        let start = gap_start(&progress, 0, 1_000);
        assert!(start >= now - 1_000 && start <= now_ms() as i64 - 1_000);
    }
}
