//! The one place that decides the process is stopping, and why.
//!
//! Any thread may trigger it (stdin EOF, a `shutdown` request, SIGTERM, a fatal error); the first
//! reason wins. Threads that sleep (reconnect backoff) sleep on it so a stop wakes them at once.

use crate::sync::lock;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The host closed our stdin.
    StdinClosed,
    /// The host sent a `shutdown` request.
    Requested,
    /// SIGTERM, SIGINT or SIGHUP.
    Signal(i32),
    /// The host stopped reading our stdout.
    StdoutClosed,
    /// Something we cannot recover from; exit code 1.
    Fatal(String),
    /// A configuration problem found only after connecting (e.g. no team chosen); exit code 2.
    Config(String),
}

impl StopReason {
    /// A few words for the log (config and fatal messages are printed on their own).
    pub fn describe(&self) -> String {
        match self {
            StopReason::StdinClosed => "stdin closed".into(),
            StopReason::Requested => "shutdown requested".into(),
            StopReason::Signal(n) => format!("signal {n}"),
            StopReason::StdoutClosed => "stdout closed".into(),
            StopReason::Fatal(_) => "fatal error".into(),
            StopReason::Config(_) => "configuration problem".into(),
        }
    }
}

#[derive(Default)]
pub struct Stop {
    reason: Mutex<Option<StopReason>>,
    changed: Condvar,
}

impl Stop {
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Records the reason (unless one is already set) and wakes every waiter.
    pub fn trigger(&self, reason: StopReason) {
        let mut slot = lock(&self.reason);
        if slot.is_none() {
            *slot = Some(reason);
        }
        self.changed.notify_all();
    }

    pub fn is_stopping(&self) -> bool {
        lock(&self.reason).is_some()
    }

    /// Blocks until a stop is triggered and returns its reason.
    pub fn wait(&self) -> StopReason {
        let mut slot = lock(&self.reason);
        loop {
            if let Some(reason) = slot.as_ref() {
                return reason.clone();
            }
            slot = self
                .changed
                .wait(slot)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Sleeps for `duration` or until a stop; returns true when stopping.
    pub fn sleep(&self, duration: Duration) -> bool {
        let slot = lock(&self.reason);
        let (slot, _) = self
            .changed
            .wait_timeout_while(slot, duration, |reason| reason.is_none())
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        slot.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn first_reason_wins_and_wakes_sleepers() {
        let stop = Arc::new(Stop::new());
        let sleeper = {
            let stop = stop.clone();
            thread::spawn(move || stop.sleep(Duration::from_secs(30)))
        };
        thread::sleep(Duration::from_millis(20));
        stop.trigger(StopReason::StdinClosed);
        stop.trigger(StopReason::Requested);
        assert!(sleeper.join().unwrap());
        assert_eq!(stop.wait(), StopReason::StdinClosed);
    }

    #[test]
    fn sleep_times_out_without_stop() {
        let stop = Stop::new();
        assert!(!stop.sleep(Duration::from_millis(10)));
        assert!(!stop.is_stopping());
    }
}
