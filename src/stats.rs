//! Counters and connection state for the `status` request.

use crate::protocol::{Bot, Report};
use crate::sync::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Default)]
pub struct Stats {
    /// `websocket` or `polling`.
    transport: &'static str,
    state: Mutex<State>,
    delivered: AtomicU64,
    sent: AtomicU64,
    reconnects: AtomicU64,
    last_event_at: AtomicU64,
}

#[derive(Default)]
struct State {
    name: &'static str,
    connected_since: Option<u64>,
    bot: Option<Bot>,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Stats {
    pub fn new(transport: &'static str) -> Stats {
        let stats = Stats {
            transport,
            ..Stats::default()
        };
        lock(&stats.state).name = "connecting";
        stats
    }

    pub fn set_state(&self, name: &'static str) {
        let mut state = lock(&self.state);
        state.name = name;
        if name == "connected" || name == "polling" {
            state.connected_since = Some(now_ms());
        } else {
            state.connected_since = None;
        }
    }

    pub fn set_bot(&self, bot: Bot) {
        lock(&self.state).bot = Some(bot);
    }

    pub fn event_seen(&self) {
        self.last_event_at.store(now_ms(), Ordering::Relaxed);
    }

    pub fn delivered(&self) {
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }

    pub fn sent(&self, posts: u64) {
        self.sent.fetch_add(posts, Ordering::Relaxed);
    }

    pub fn reconnecting(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    /// The `status` result.
    pub fn report(&self) -> Report {
        let state = lock(&self.state);
        let last = self.last_event_at.load(Ordering::Relaxed);
        Report {
            bot: state.bot.clone(),
            connected_since: state.connected_since,
            delivered: self.delivered.load(Ordering::Relaxed),
            last_event_at: (last > 0).then_some(last),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            state: state.name,
            transport: self.transport,
        }
    }
}
