//! Reading a channel's posts from the start of a gap up to now, oldest first and page by page,
//! however many there are: each page is handed over before the next is fetched, so memory does
//! not grow with the gap.
//!
//! `posts?since=` answers at most 1000 rows, an undefined 1000 of them when more changed, so it
//! is used alone only when its answer is complete. Otherwise the walk starts at an anchor, a
//! post created before the gap, and follows `posts?after=<anchor>`, which returns the posts
//! created strictly later (by `create_at`, in ms), oldest first. Because of the strict `>`, the
//! trailing posts of a full page that share its last millisecond are read again with the next
//! page (anchored on the post before them); a full page of one millisecond is read to its end
//! by offsets. An answer too large to read (over 10 MiB) is asked for in smaller pages; a single
//! post too large is skipped and logged.

use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::model::{Channel, Post, PostList};
use std::collections::HashSet;

/// `posts?since=` returns at most this many posts.
const SINCE_LIMIT: usize = 1000;
/// The server's largest `per_page`.
const PER_PAGE: usize = 200;
/// Pages read backwards from the last delivered post for a start before the gap (its overlap
/// and the posts of the same seconds), before looking from the channel's newest post instead.
const BACK_PAGES: usize = 25;

/// Reads `channel`'s undeleted posts created at or after `since`, and hands each to `deliver`
/// in creation order, until `deliver` answers false (the bridge is stopping). `last` is the
/// last post delivered in the channel (id, `create_at`), when known: paging starts there. Edit-history rows, deleted posts and older thread
/// roots (listed because a reply moved them) are never handed over.
pub fn walk(
    api: &Api,
    channel: &Channel,
    since: i64,
    last: Option<(&str, i64)>,
    deliver: &mut dyn FnMut(Post) -> bool,
) -> Result<(), ApiError> {
    match api.posts_since(&channel.id, since) {
        Ok(list) if !truncated(&list, since) => {
            let mut posts = new_posts(list, since);
            posts.sort_by(|a, b| (a.create_at, &a.id).cmp(&(b.create_at, &b.id)));
            for post in posts {
                if !deliver(post) {
                    break;
                }
            }
            return Ok(());
        }
        Ok(_) => log::info!(
            "channel {}: {SINCE_LIMIT} or more posts changed since {since}; reading them page by page",
            channel.id
        ),
        Err(ApiError::TooLarge(why)) => log::info!(
            "channel {}: the posts since {since} are too many to read at once ({why}); reading them page by page",
            channel.id
        ),
        Err(e) => return Err(e),
    }
    let mut walker = Walker {
        api,
        channel: &channel.id,
        since,
        deliver,
        stopped: false,
    };
    let anchor = match last {
        Some((id, at)) if at < since => Some(id.to_string()),
        Some((id, _)) => walker.anchor_before(id)?,
        None => None,
    };
    if let Some(anchor) = anchor {
        if walker.forward(anchor.clone())? {
            return Ok(());
        }
        log::info!(
            "channel {}: post {anchor} is gone; looking for another starting point",
            channel.id
        );
    }
    if let Some(anchor) = walker.find_anchor()?.filter(|_| !walker.stopped) {
        walker.forward(anchor)?;
    }
    Ok(())
}

/// Whether a `since` answer may have left posts out.
fn truncated(list: &PostList, since: i64) -> bool {
    list.posts.values().filter(|p| p.update_at > since).count() >= SINCE_LIMIT
}

/// The posts of a `since` answer created in the gap: no deleted posts, edit-history rows, or
/// older posts listed because they changed (edited, or a thread root a reply moved).
fn new_posts(list: PostList, since: i64) -> Vec<Post> {
    list.posts
        .into_values()
        .filter(|p| p.create_at >= since && is_live(p))
        .collect()
}

fn is_live(post: &Post) -> bool {
    post.delete_at == 0 && post.original_id.is_empty()
}

/// The posts an `after=`/`page=` answer lists in `order` (not the thread roots added beside
/// them), oldest first.
fn ordered(mut list: PostList) -> Vec<Post> {
    let mut posts: Vec<Post> = list
        .order
        .iter()
        .filter_map(|id| list.posts.remove(id))
        .collect();
    posts.sort_by(|a, b| (a.create_at, &a.id).cmp(&(b.create_at, &b.id)));
    posts.dedup_by(|a, b| a.id == b.id);
    posts
}

struct Walker<'a> {
    api: &'a Api,
    channel: &'a str,
    since: i64,
    deliver: &'a mut dyn FnMut(Post) -> bool,
    /// `deliver` said stop.
    stopped: bool,
}

impl Walker<'_> {
    /// Delivers the posts of the gap among `posts`; false when told to stop.
    fn hand_over(&mut self, posts: Vec<Post>) -> bool {
        posts
            .into_iter()
            .filter(|p| p.create_at >= self.since && is_live(p))
            .all(|p| (self.deliver)(p))
    }

    /// Pages forward from `anchor` to the newest post. False when the anchor is unknown to the
    /// server (nothing after it, although `since` saw more than a page): nothing was delivered.
    fn forward(&mut self, mut anchor: String) -> Result<bool, ApiError> {
        let mut per_page = PER_PAGE;
        let mut first = true;
        loop {
            let posts = match self.api.posts_after(self.channel, &anchor, 0, per_page) {
                Ok(list) => ordered(list),
                Err(ApiError::TooLarge(_)) if per_page > 1 => {
                    per_page /= 2;
                    continue;
                }
                Err(ApiError::TooLarge(why)) => {
                    let Some(next) = self.skip_unreadable(&anchor, &why)? else {
                        return Ok(true);
                    };
                    anchor = next.id.clone();
                    if !self.hand_over(vec![next]) {
                        return Ok(true);
                    }
                    per_page = PER_PAGE;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if posts.is_empty() {
                return Ok(!first);
            }
            first = false;
            if posts.len() < per_page {
                self.hand_over(posts);
                return Ok(true);
            }
            if self.stopped {
                return Ok(true);
            }
            per_page = (per_page * 2).min(PER_PAGE);
            let last_at = posts[posts.len() - 1].create_at;
            let split = posts.partition_point(|p| p.create_at < last_at);
            if split == 0 {
                anchor = self.one_millisecond(&anchor, posts)?;
                if self.stopped {
                    return Ok(true);
                }
                continue;
            }
            // The posts of the last millisecond come again with the next page, with any of
            // that millisecond the server left off this one.
            let mut posts = posts;
            posts.truncate(split);
            anchor = posts[split - 1].id.clone();
            if !self.hand_over(posts) {
                return Ok(true);
            }
        }
    }

    /// A full page whose posts all share one millisecond: reads the rest of that millisecond
    /// by offsets from the same anchor. Returns a post of that millisecond as the next anchor.
    fn one_millisecond(&mut self, anchor: &str, first: Vec<Post>) -> Result<String, ApiError> {
        let at = first[0].create_at;
        let per_page = first.len();
        let next_anchor = first[0].id.clone();
        let mut seen: HashSet<String> = first.iter().map(|p| p.id.clone()).collect();
        self.stopped = !self.hand_over(first);
        for page in 1.. {
            let posts = match self.api.posts_after(self.channel, anchor, page, per_page) {
                Ok(list) => ordered(list),
                Err(ApiError::TooLarge(why)) => {
                    log::warn!(
                        "channel {}: skipped {per_page} post(s) at offset {} after post {anchor}: {why}",
                        self.channel,
                        page * per_page
                    );
                    continue;
                }
                Err(e) => return Err(e),
            };
            let done = posts.len() < per_page || posts.iter().any(|p| p.create_at > at);
            let same: Vec<Post> = posts
                .into_iter()
                .filter(|p| p.create_at == at && seen.insert(p.id.clone()))
                .collect();
            self.stopped |= !self.hand_over(same);
            if done || self.stopped {
                break;
            }
        }
        Ok(next_anchor)
    }

    /// The post after `anchor` cannot be read: finds the first readable one after it.
    fn skip_unreadable(&mut self, anchor: &str, why: &str) -> Result<Option<Post>, ApiError> {
        for offset in 1.. {
            match self.api.posts_after(self.channel, anchor, offset, 1) {
                Ok(list) => {
                    log::warn!(
                        "channel {}: skipped {offset} post(s) right after post {anchor}: {why}",
                        self.channel
                    );
                    return Ok(ordered(list).into_iter().next());
                }
                Err(ApiError::TooLarge(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// A post created before the gap, looked for backwards from `last` (a post of the gap; in
    /// a busy channel more than a page of posts may lie between the two); when the channel has
    /// none, its oldest post (delivered here with the others of its millisecond). None: not
    /// found within `BACK_PAGES` pages this way.
    fn anchor_before(&mut self, last: &str) -> Result<Option<String>, ApiError> {
        let mut before = last.to_string();
        for _ in 0..BACK_PAGES {
            let posts = match self.api.posts_before(self.channel, &before, 0, PER_PAGE) {
                Ok(list) => ordered(list),
                Err(ApiError::TooLarge(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
            if let Some(older) = posts.iter().rev().find(|p| p.create_at < self.since) {
                return Ok(Some(older.id.clone()));
            }
            if posts.is_empty() {
                // `before` is the channel's oldest post.
                return Ok(Some(before));
            }
            if posts.len() < PER_PAGE {
                return Ok(Some(self.start_at_oldest(posts)));
            }
            before = posts[0].id.clone();
        }
        Ok(None)
    }

    /// A post created before the gap to page forward from; when the channel has none, its
    /// oldest post, delivered here with the others of its millisecond. Pages backwards from
    /// the newest post by doubling steps, then narrows down on the last page. None: the
    /// channel has no posts.
    fn find_anchor(&mut self) -> Result<Option<String>, ApiError> {
        let (mut full, mut empty) = (None::<usize>, None::<usize>);
        let mut page = 0;
        loop {
            let posts = ordered(self.api.posts_page(self.channel, page, PER_PAGE)?);
            if let Some(older) = posts.iter().rev().find(|p| p.create_at < self.since) {
                return Ok(Some(older.id.clone()));
            }
            if posts.is_empty() {
                empty = Some(page);
            } else if posts.len() < PER_PAGE {
                return Ok(Some(self.start_at_oldest(posts)));
            } else {
                full = Some(page);
            }
            page = match (full, empty) {
                (None, Some(_)) => return Ok(None),
                (Some(f), None) => f * 2 + 1,
                (Some(f), Some(e)) if e - f > 1 => f + (e - f) / 2,
                // Page `f` is full and `f + 1` empty: its oldest post is the channel's first.
                (Some(f), Some(_)) => {
                    let posts = ordered(self.api.posts_page(self.channel, f, PER_PAGE)?);
                    if posts.len() < PER_PAGE {
                        return Ok(Some(self.start_at_oldest(posts)));
                    }
                    let next = ordered(self.api.posts_page(self.channel, f + 1, PER_PAGE)?);
                    if next.is_empty() {
                        return Ok(Some(self.start_at_oldest(posts)));
                    }
                    // Newer posts pushed the oldest further back: keep looking.
                    full = Some(f + 1);
                    empty = None;
                    f * 2 + 3
                }
                (None, None) => unreachable!("every page is either empty, short or full"),
            };
        }
    }

    /// Delivers the channel's oldest posts (those of its first millisecond, on the last page)
    /// and returns the oldest as the anchor.
    fn start_at_oldest(&mut self, posts: Vec<Post>) -> String {
        let (at, anchor) = (posts[0].create_at, posts[0].id.clone());
        if posts.iter().all(|p| p.create_at == at) && posts.len() == PER_PAGE {
            log::warn!(
                "channel {}: more than {PER_PAGE} posts share its first millisecond; some may not be caught up",
                self.channel
            );
        }
        let first: Vec<Post> = posts.into_iter().filter(|p| p.create_at == at).collect();
        self.stopped = !self.hand_over(first);
        anchor
    }
}
