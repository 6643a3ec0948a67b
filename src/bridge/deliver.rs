//! From an incoming post to a `message` line, for both transports (WebSocket and polling):
//! the policy decides, the dedup set drops repeats, attachments are downloaded, and lines leave
//! in order per channel.
//!
//! Ordering without stalling: each channel with a download in progress has a lane, a queue of
//! its posts in arrival order. A post joins its channel's lane when the lane is not empty or
//! the post has files; lanes empty from the front as downloads finish. A post in a channel
//! with nothing pending goes straight out, so a slow download in one channel never holds back
//! another channel's post.
//!
//! The caller's `Batch` takes the lines that can go at once, so a transport decides when they
//! reach the writer (the WebSocket reader: once it has read what is already here).

use super::attachments;
use super::caught_up::CaughtUp;
use super::output::{Batch, Written};
use super::shares::EventsShare;
use super::thread_history;
use crate::dedup::RecentIds;
use crate::history::{self, Entry, History};
use crate::mattermost::event::Posted;
use crate::mattermost::model::Post;
use crate::policy::{ChannelType, DropReason, ImplicitMention, Incoming, Verdict};
use crate::protocol::{FileEntry, Message, Notification, Sender};
use crate::session::Session;
use crate::sync::lock;
use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Post ids remembered for "at most once" delivery.
const DEDUP_CAPACITY: usize = 10_000;
/// Threads downloading attachments: one slow file leaves the others free.
const DOWNLOADERS: usize = 4;
/// Posts with files waiting for a downloader; beyond this the event reader waits.
const JOB_QUEUE: usize = 256;

pub struct Delivery {
    shared: Arc<EventsShare>,
    session: Arc<Session>,
    seen: RecentIds,
    /// What the last catch-up listed: live copies of those posts are not delivered again.
    caught_up: CaughtUp,
    lanes: Arc<Lanes>,
    jobs: SyncSender<Job>,
}

/// The policy's verdict on a post that is delivered.
struct Accepted<'p> {
    text: &'p str,
    mentioned: bool,
    authorized: bool,
    implicit: Option<ImplicitMention>,
    onchar: bool,
    /// False: it failed only the mention gate and goes to a host that asked for such posts
    /// (`--unaddressed`), with `peeked`, the history it would carry, which stays here.
    addressed: bool,
    peeked: Vec<Entry>,
}

/// A post whose attachments (or thread history) are being fetched.
struct Job {
    ticket: u64,
    posted: Box<Posted>,
    text: String,
    mentioned: bool,
    authorized: bool,
    implicit: Option<ImplicitMention>,
    onchar: bool,
    catch_up: bool,
    history: Vec<Entry>,
    /// The history key of a thread to recover from the server first.
    recover: Option<String>,
}

impl Delivery {
    pub fn new(shared: Arc<EventsShare>, session: Arc<Session>) -> Delivery {
        let lanes = Arc::new(Lanes {
            shared: shared.clone(),
            session: session.clone(),
            history: Mutex::new(History::new(shared.config.history_limit)),
            pending: Mutex::new(Pending::default()),
        });
        let (jobs, queue) = mpsc::sync_channel(JOB_QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..DOWNLOADERS {
            let (lanes, queue) = (lanes.clone(), queue.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("download-{n}"))
                .spawn(move || download_loop(&lanes, &queue));
            if let Err(e) = spawned {
                log::warn!("cannot start a download thread: {e}");
            }
        }
        Delivery {
            shared,
            session,
            seen: RecentIds::new(DEDUP_CAPACITY),
            caught_up: CaughtUp::default(),
            lanes,
            jobs,
        }
    }

    /// Delivers `posted` if the policy accepts it and it was not delivered before. The channel
    /// type comes from the event or the channel listing; `catch_up` marks posts found late. A
    /// line that can go at once goes into `lines`, which the caller hands over.
    pub fn offer(&mut self, posted: Box<Posted>, catch_up: bool, lines: &mut Batch) {
        if self.shared.stop.is_stopping() {
            // Not delivered and not recorded: the next start catches it up.
            return;
        }
        let post = &posted.post;
        if catch_up {
            self.caught_up.listed(&post.channel_id, post.create_at);
        } else if self
            .caught_up
            .already_listed(&post.channel_id, post.create_at)
        {
            log::debug!("post {} was listed by the last catch-up", post.id);
            return;
        }
        if post.user_id == self.session.bot.id && post.kind.is_empty() && posted.channel_type != "D"
        {
            self.shared.progress.own_post(post);
        }
        let Some(mut accepted) = self.decide(&posted) else {
            // Posts that will not be delivered count as seen now; delivered ones count once
            // their line is written, so a stop in between cannot mark an undelivered post as
            // handled.
            self.shared.progress.seen(post.create_at);
            return;
        };
        if !self.seen.insert(&post.id) {
            log::debug!("post {} already delivered", post.id);
            return;
        }
        let (history, recover) = match accepted.addressed {
            true => self.lanes.take_history(&posted, accepted.authorized),
            false => (std::mem::take(&mut accepted.peeked), None),
        };
        let no_files = post.file_ids.is_empty() && post.metadata.files.is_empty();
        if (no_files || !accepted.authorized || !accepted.addressed) && recover.is_none() {
            // A sender not approved yet (pairing) cannot make us fill the disk: the host
            // fetches the files once it allowed them, or once it took an unaddressed post.
            let why = match accepted.addressed {
                true => NOT_APPROVED,
                false => NOT_ADDRESSED,
            };
            let files = attachments::not_downloaded(post, why);
            let line = message_line(&posted, &accepted, catch_up, &files, &history);
            self.lanes.deliver(&post.channel_id, line, lines);
            return;
        }
        // The batch goes out first: the download thread writes this post's line itself, which
        // must not overtake the batch's lines (nor wait behind a full job queue).
        lines.hand_over();
        let job = Job {
            ticket: self.lanes.reserve(&post.channel_id),
            text: accepted.text.to_string(),
            mentioned: accepted.mentioned,
            authorized: accepted.authorized,
            implicit: accepted.implicit,
            onchar: accepted.onchar,
            catch_up,
            posted,
            history,
            recover,
        };
        if let Err(mpsc::SendError(job)) = self.jobs.send(job) {
            // No downloader left (only while stopping): deliver without the files' paths.
            let files = attachments::not_downloaded(&job.posted.post, "the bridge is stopping");
            let line = job.line(&files, &job.history);
            self.lanes
                .complete(&job.posted.post.channel_id, job.ticket, line);
        }
    }

    /// A post was edited or deleted: a new thread's second turn sees it as it is now, as
    /// OpenClaw's plugin reads the thread then (a streamed answer's final text).
    pub fn changed(&self, post: &Post, deleted: bool) {
        if post.root_id.is_empty() {
            return;
        }
        let key = format!("{}:{}", post.channel_id, post.root_id);
        let entry = (!deleted)
            .then(|| thread_history::as_read_back(post))
            .flatten();
        lock(&self.lanes.history).changed(&key, &post.id, entry);
    }

    /// The policy's verdict on a post; `None` when it is not delivered.
    fn decide<'p>(&self, posted: &'p Posted) -> Option<Accepted<'p>> {
        let post = &posted.post;
        let Some(channel_type) = ChannelType::from_code(&posted.channel_type) else {
            log::debug!(
                "post {} has unknown channel type {:?}",
                post.id,
                posted.channel_type
            );
            return None;
        };
        let incoming = Incoming {
            channel_type,
            channel_id: &post.channel_id,
            team_id: &posted.team_id,
            user_id: &post.user_id,
            sender_name: &posted.sender_name,
            post_type: &post.kind,
            from_bot: post.props.from_bot,
            from_webhook: post.props.from_webhook,
            message: &post.message,
            server_mentioned: posted.mentions.iter().any(|id| *id == self.session.bot.id),
            implicit: crate::policy::Implicit {
                quoted_bot: (post.metadata.quoted_authors.iter())
                    .any(|id| *id == self.session.bot.id),
                ..self.shared.progress.thread_facts(post)
            },
        };
        match self.session.policy.decide(&incoming) {
            Verdict::Accept {
                text,
                mentioned,
                authorized,
                implicit,
                onchar,
            } => Some(Accepted {
                text,
                mentioned,
                authorized,
                implicit,
                onchar,
                addressed: true,
                peeked: Vec::new(),
            }),
            Verdict::Drop(reason) => {
                log::debug!("dropped post {} ({reason:?})", post.id);
                let config = &self.shared.config;
                // Still recorded as history: the host may leave it at that.
                let forward = reason == DropReason::NotAddressed
                    && config.forward_unaddressed
                    && config.respond_to_mentions;
                let peeked = forward.then(|| self.lanes.peek_history(posted, channel_type));
                self.lanes.remember(posted, channel_type, reason);
                Some(Accepted {
                    text: &post.message,
                    mentioned: false,
                    authorized: true,
                    implicit: None,
                    onchar: false,
                    addressed: false,
                    peeked: peeked?,
                })
            }
        }
    }
}

impl Job {
    fn line(&self, files: &[FileEntry], history: &[Entry]) -> Ready {
        let accepted = Accepted {
            text: &self.text,
            mentioned: self.mentioned,
            authorized: self.authorized,
            implicit: self.implicit,
            onchar: self.onchar,
            addressed: true,
            peeked: Vec::new(),
        };
        message_line(&self.posted, &accepted, self.catch_up, files, history)
    }
}

const NOT_ADDRESSED: &str = "not downloaded: not addressed to the bot (use fetchFile)";
const NOT_APPROVED: &str = "not downloaded: the sender is not approved (dmPolicy pairing); get it with fetchFile once they are allowed";

fn download_loop(lanes: &Lanes, queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = match lock(queue).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let shared = &lanes.shared;
        let history = match &job.recover {
            Some(key) => lanes.recover(key, &job),
            None => job.history.clone(),
        };
        let files = if job.authorized {
            attachments::fetch_all(&shared.api, &shared.media, &job.posted.post)
        } else {
            attachments::not_downloaded(&job.posted.post, NOT_APPROVED)
        };
        let line = job.line(&files, &history);
        lanes.complete(&job.posted.post.channel_id, job.ticket, line);
    }
}

/// Per-channel queues of posts waiting for an earlier post's downloads, and the history
/// context both the event thread and the download threads use.
struct Lanes {
    shared: Arc<EventsShare>,
    session: Arc<Session>,
    history: Mutex<History>,
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    next_ticket: u64,
    /// channel id → (ticket, the line once ready), in arrival order.
    lanes: HashMap<String, VecDeque<(u64, Option<Ready>)>>,
}

/// A `message` line ready to go, with what `Progress` records once it went.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ready {
    line: String,
    post_id: String,
    create_at: i64,
}

impl Lanes {
    /// Keeps a dropped post (the bot's own included) as context for the next post of its
    /// conversation that is addressed to the bot, when `contextVisibility` wants it
    /// (`history::keeps`), and for a new thread's second turn (`History::observe`).
    fn remember(&self, posted: &Posted, channel_type: ChannelType, reason: DropReason) {
        let post = &posted.post;
        let Some(key) = history::key(channel_type, &post.channel_id, &post.root_id) else {
            return;
        };
        let mut history = lock(&self.history);
        if !post.root_id.is_empty()
            && history.replays(&key)
            && thread_history::is_context(
                &self.shared,
                &self.session,
                channel_type,
                &posted.team_id,
                post,
            )
        {
            if let Some(entry) = thread_history::as_read_back(post) {
                history.observe(&key, entry);
            }
        }
        if !history::keeps(reason, channel_type, self.shared.config.context_visibility) {
            return;
        }
        // The event's sender_name ("@alice"), else the id (OpenClaw's plugin: the username).
        let sender = match posted.sender_name.trim() {
            "" => post.user_id.as_str(),
            name => name,
        };
        let files = post.file_ids.len().max(post.metadata.files.len());
        if let Some(entry) = Entry::new(sender, &post.message, files, post.create_at, &post.id) {
            history.record(&key, entry);
        }
    }

    /// The history an unaddressed post would carry if the host takes it as addressed (no
    /// thread is read for it), left in place.
    fn peek_history(&self, posted: &Posted, channel_type: ChannelType) -> Vec<Entry> {
        let post = &posted.post;
        match history::key(channel_type, &post.channel_id, &post.root_id) {
            Some(key) => lock(&self.history).peek(&key, &post.id, post.create_at),
            None => Vec::new(),
        }
    }

    /// The history an accepted post carries, and the key of its thread when the server must
    /// be asked for it (a thread the bridge has no record of, or a new thread's second turn
    /// whose start it never read).
    fn take_history(&self, posted: &Posted, authorized: bool) -> (Vec<Entry>, Option<String>) {
        let post = &posted.post;
        let channel_type = ChannelType::from_code(&posted.channel_type);
        let key = channel_type.and_then(|t| history::key(t, &post.channel_id, &post.root_id));
        let Some(key) = key.filter(|_| authorized) else {
            return (Vec::new(), None);
        };
        let threaded = !post.root_id.is_empty();
        // OpenClaw opens a new session for a thread the bot has not taken part in.
        let new_session = threaded && !self.shared.progress.thread_facts(post).thread_participant;
        let current = thread_history::as_read_back(post).unwrap_or_else(|| Entry {
            sender: post.user_id.clone(),
            body: String::new(),
            timestamp: post.create_at,
            message_id: post.id.clone(),
        });
        let taken = lock(&self.history).take(&key, &current, new_session, Instant::now());
        let recover = taken.recover && threaded;
        (taken.entries, recover.then_some(key))
    }

    /// The job's history merged with the thread's posts from the server; the job's own when
    /// that fails (the turn goes on without them).
    fn recover(&self, key: &str, job: &Job) -> Vec<Entry> {
        let limit = self.shared.config.history_limit;
        match thread_history::fetch(&self.shared, &self.session, &job.posted) {
            Ok(fetched) => {
                let mut history = lock(&self.history);
                history.recovered(key, &fetched.entries, fetched.bot_took_part);
                drop(history);
                history::merge(fetched.entries, job.history.clone(), limit)
            }
            Err(e) => {
                log::warn!(
                    "could not read thread {} for its history: {e}",
                    job.posted.post.root_id
                );
                job.history.clone()
            }
        }
    }

    /// Puts a ready line in `lines` (the event thread's batch), or queues it behind the
    /// channel's pending posts. Only the event thread opens lanes (`reserve`), after handing
    /// its batch over, so no download thread writes a line of this channel before the batch.
    fn deliver(&self, channel_id: &str, ready: Ready, lines: &mut Batch) {
        let mut pending = lock(&self.pending);
        if let Some(ready) = pending.push_ready(channel_id, ready) {
            let (line, written) = self.counted(channel_id, ready);
            lines.send_message(line, written);
        }
    }

    /// Holds a place in the channel's order for a post whose line is not ready yet.
    fn reserve(&self, channel_id: &str) -> u64 {
        lock(&self.pending).reserve(channel_id)
    }

    /// Fills a reserved place and sends what became ready. Lines are written while the lock
    /// is held, so two threads can never write one channel's lines out of order.
    fn complete(&self, channel_id: &str, ticket: u64, ready: Ready) {
        let mut pending = lock(&self.pending);
        for ready in pending.complete(channel_id, ticket, ready) {
            self.write(channel_id, ready);
        }
    }

    fn write(&self, channel_id: &str, ready: Ready) {
        let (line, written) = self.counted(channel_id, ready);
        self.shared.output.send_message(line, written);
    }

    /// The line and what the writer reports once it is out; counted as delivered now, before
    /// it is written, so a `status` asked for after reading the line includes it.
    fn counted(&self, channel_id: &str, ready: Ready) -> (String, Written) {
        self.shared.stats.delivered();
        let written = Written {
            channel_id: channel_id.to_string(),
            post_id: ready.post_id,
            create_at: ready.create_at,
        };
        (ready.line, written)
    }
}

impl Pending {
    /// The line back when nothing in its channel is pending (send it now), else queued.
    fn push_ready(&mut self, channel_id: &str, ready: Ready) -> Option<Ready> {
        match self.lanes.get_mut(channel_id) {
            Some(lane) => {
                lane.push_back((self.next_ticket, Some(ready)));
                self.next_ticket += 1;
                None
            }
            None => Some(ready),
        }
    }

    fn reserve(&mut self, channel_id: &str) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.lanes
            .entry(channel_id.to_string())
            .or_default()
            .push_back((ticket, None));
        ticket
    }

    /// Fills `ticket`'s place; returns the lines now ready at the front of the lane, in order.
    fn complete(&mut self, channel_id: &str, ticket: u64, filled: Ready) -> Vec<Ready> {
        let Some(lane) = self.lanes.get_mut(channel_id) else {
            return Vec::new();
        };
        if let Some(slot) = lane.iter_mut().find(|(t, _)| *t == ticket) {
            slot.1 = Some(filled);
        }
        let mut ready = Vec::new();
        while let Some((_, Some(_))) = lane.front() {
            if let Some((_, Some(line))) = lane.pop_front() {
                ready.push(line);
            }
        }
        if lane.is_empty() {
            self.lanes.remove(channel_id);
        }
        ready
    }
}

fn message_line(
    posted: &Posted,
    accepted: &Accepted,
    catch_up: bool,
    files: &[FileEntry],
    history: &[Entry],
) -> Ready {
    let post = &posted.post;
    let root_id = (!post.root_id.is_empty()).then_some(post.root_id.as_str());
    let channel_type = ChannelType::from_code(&posted.channel_type).map_or("", ChannelType::as_str);
    let message = Message {
        id: &post.id,
        channel_id: &post.channel_id,
        channel_type,
        channel_name: &posted.channel_name,
        channel_display_name: &posted.channel_display_name,
        team_id: (!posted.team_id.is_empty()).then_some(posted.team_id.as_str()),
        root_id,
        thread_id: root_id.unwrap_or(&post.id),
        sender: Sender {
            id: &post.user_id,
            username: posted.sender_name.trim_start_matches('@'),
        },
        sender_name: &posted.sender_name,
        text: accepted.text,
        mentioned: accepted.mentioned,
        implicit_mention: accepted.implicit.map(ImplicitMention::as_str),
        onchar: accepted.onchar,
        addressed: accepted.addressed,
        create_at: post.create_at,
        files,
        catch_up,
        authorized: accepted.authorized,
        history,
    };
    Ready {
        line: Notification::Message(message).line(),
        post_id: post.id.clone(),
        create_at: post.create_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Ready {
        Ready {
            line: text.to_string(),
            post_id: text.to_string(),
            create_at: 0,
        }
    }

    #[test]
    fn channels_without_pending_downloads_flow_at_once() {
        let mut pending = Pending::default();
        assert_eq!(pending.push_ready("a", line("a1")), Some(line("a1")));
        let slow = pending.reserve("a");
        // Another channel is not held back by "a"'s download.
        assert_eq!(pending.push_ready("b", line("b1")), Some(line("b1")));
        // "a"'s next post waits behind the download.
        assert_eq!(pending.push_ready("a", line("a3")), None);
        assert_eq!(
            pending.complete("a", slow, line("a2")),
            vec![line("a2"), line("a3")]
        );
        assert!(pending.lanes.is_empty());
        assert_eq!(pending.push_ready("a", line("a4")), Some(line("a4")));
    }

    #[test]
    fn downloads_finishing_out_of_order_still_leave_in_order() {
        let mut pending = Pending::default();
        let first = pending.reserve("c");
        let second = pending.reserve("c");
        assert_eq!(pending.push_ready("c", line("third")), None);
        assert!(pending.complete("c", second, line("second")).is_empty());
        assert_eq!(
            pending.complete("c", first, line("first")),
            vec![line("first"), line("second"), line("third")]
        );
        assert!(pending.lanes.is_empty());
    }
}
