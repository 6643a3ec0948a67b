//! A `connection_id`'s memory: its event numbering and the recent events, so a client that
//! reconnects gets what it missed (128 sent, 256 queued while away, like the real hub).

use std::collections::VecDeque;

/// The server's memory of one `connection_id`: its event numbering and the recent events, so a
/// client that reconnects with `connection_id` and `sequence_number` gets what it missed.
pub(crate) struct WsSession {
    next_seq: u64,
    /// Sent (up to 128) and queued while detached (up to 256) events, oldest first, as
    /// (seq, frame text).
    recent: VecDeque<(u64, String)>,
    /// The socket currently serving it, if any.
    pub(crate) attached: Option<u64>,
    pub(crate) queued_while_detached: usize,
    /// Too much was queued while detached: a resume must start over.
    overflowed: bool,
}

/// How many sent events the real server keeps per connection for a resume.
const RESUME_SENT_EVENTS: usize = 128;
/// How many events it queues for a disconnected client before giving up on it.
const RESUME_QUEUED_EVENTS: usize = 256;

impl WsSession {
    pub(crate) fn new() -> WsSession {
        WsSession {
            // `hello` is 0.
            next_seq: 1,
            recent: VecDeque::new(),
            attached: None,
            queued_while_detached: 0,
            overflowed: false,
        }
    }

    /// Numbers an event (a JSON object's text, without `seq`) and remembers it; returns the
    /// numbered frame text. Text in, text out: broadcasting is then cheap enough for benchmarks.
    pub(crate) fn number(&mut self, event: &str) -> String {
        let body = event.trim_end().strip_suffix('}').unwrap_or(event);
        let seq = self.next_seq;
        let numbered = format!("{body},\"seq\":{seq}}}");
        self.next_seq += 1;
        self.recent.push_back((seq, numbered.clone()));
        if self.attached.is_none() {
            self.queued_while_detached += 1;
            self.overflowed |= self.queued_while_detached > RESUME_QUEUED_EVENTS;
        }
        while self.recent.len() > RESUME_SENT_EVENTS + RESUME_QUEUED_EVENTS {
            self.recent.pop_front();
        }
        numbered
    }

    /// The events from `sequence_number` on, if the session can still provide all of them.
    pub(crate) fn replay_from(&self, sequence_number: u64) -> Option<Vec<String>> {
        if self.overflowed || sequence_number > self.next_seq {
            return None;
        }
        let oldest = self.recent.front().map_or(self.next_seq, |(seq, _)| *seq);
        if sequence_number < oldest {
            return None;
        }
        Some(
            self.recent
                .iter()
                .filter(|(seq, _)| *seq >= sequence_number)
                .map(|(_, text)| text.clone())
                .collect(),
        )
    }
}
