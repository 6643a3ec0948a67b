//! Reconnect delays: start at `reconnectInterval`, double per failure with ±20% jitter, cap at
//! 60 s. A connection that went live and stayed up `HEALTHY_AFTER` was healthy: its drop is
//! retried first at `reconnectInterval` again (a proxy that closes idle sockets every 30 s must
//! not leave the bot deaf for a minute); only connections that fail early keep doubling. A
//! rejected token is never retried faster than `UNAUTHORIZED_RETRY`.

use std::time::{Duration, Instant};

/// The cap on any delay.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// How long a live connection must last before its end counts as the drop of a healthy one.
pub const HEALTHY_AFTER: Duration = Duration::from_secs(10);
const JITTER: f64 = 0.2;
/// A rejected token is retried no faster than this.
pub const UNAUTHORIZED_RETRY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    next: Duration,
    attempt: u32,
    /// When the current connection went live (`hello`, or a resume the server took).
    live_since: Option<Instant>,
}

impl Backoff {
    pub fn new(initial: Duration) -> Backoff {
        let initial = initial.min(MAX_DELAY);
        Backoff {
            initial,
            next: initial,
            attempt: 0,
            live_since: None,
        }
    }

    /// How many delays were handed out since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt. `unit` is a random number in [0, 1) that sets the
    /// jitter; callers pass `random::unit()`, tests pass fixed values.
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let factor = 1.0 + JITTER * (2.0 * unit.clamp(0.0, 1.0) - 1.0);
        let delay = self.next.mul_f64(factor).min(MAX_DELAY);
        self.next = (self.next * 2).min(MAX_DELAY);
        self.attempt += 1;
        delay
    }

    /// The connection went live at `at`: the server sent `hello` or took the resume.
    pub fn went_live(&mut self, at: Instant) {
        self.live_since = Some(at);
    }

    /// The connection ended at `at`: one that went live and stayed up `HEALTHY_AFTER` resets
    /// the ladder; one that never went live, or died sooner, leaves it climbing.
    pub fn connection_ended(&mut self, at: Instant) {
        let live_since = self.live_since.take();
        if live_since.is_some_and(|since| at.saturating_duration_since(since) >= HEALTHY_AFTER) {
            self.reset();
        }
    }

    pub fn reset(&mut self) {
        self.next = self.initial;
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[test]
    fn doubles_without_jitter_at_midpoint() {
        let mut b = Backoff::new(Duration::from_millis(5000));
        let delays: Vec<u128> = (0..6).map(|_| ms(b.next_delay(0.5))).collect();
        assert_eq!(delays, vec![5000, 10000, 20000, 40000, 60000, 60000]);
        assert_eq!(b.attempt(), 6);
    }

    #[test]
    fn jitter_is_plus_minus_twenty_percent() {
        let mut low = Backoff::new(Duration::from_millis(1000));
        let mut high = Backoff::new(Duration::from_millis(1000));
        assert_eq!(ms(low.next_delay(0.0)), 800);
        assert_eq!(ms(high.next_delay(0.999_999)), 1199);
    }

    #[test]
    fn jitter_never_exceeds_the_cap() {
        let mut b = Backoff::new(Duration::from_secs(55));
        assert_eq!(b.next_delay(0.999), MAX_DELAY);
        assert_eq!(b.next_delay(0.999), MAX_DELAY);
    }

    /// A ladder from 100 ms after two early failures: the next delay is 400 ms.
    fn climbed() -> Backoff {
        let mut b = Backoff::new(Duration::from_millis(100));
        for _ in 0..2 {
            b.next_delay(0.5);
        }
        b
    }

    fn secs(start: Instant, s: u64) -> Instant {
        start + Duration::from_secs(s)
    }

    #[test]
    fn a_live_connection_that_stayed_up_ten_seconds_starts_over() {
        let start = Instant::now();
        let mut b = climbed();
        b.went_live(start);
        b.connection_ended(secs(start, 10));
        assert_eq!(b.attempt(), 0);
        assert_eq!(ms(b.next_delay(0.5)), 100);
        // The next one fails early: doubling resumes from there.
        b.went_live(secs(start, 11));
        b.connection_ended(secs(start, 12));
        assert_eq!(ms(b.next_delay(0.5)), 200);
    }

    #[test]
    fn early_failures_keep_doubling() {
        let start = Instant::now();
        let mut b = climbed();
        // Live, but dropped after 9 s.
        b.went_live(start);
        b.connection_ended(secs(start, 9));
        assert_eq!(ms(b.next_delay(0.5)), 400);
        // Never live (no hello), however long the socket hung.
        b.connection_ended(secs(start, 70));
        assert_eq!(ms(b.next_delay(0.5)), 800);
        // Going live is forgotten when the connection ends: a later end does not reuse it.
        b.went_live(start);
        b.connection_ended(secs(start, 1));
        b.connection_ended(secs(start, 60));
        assert_eq!(ms(b.next_delay(0.5)), 1600);
    }

    #[test]
    fn initial_above_cap_is_capped() {
        let mut b = Backoff::new(Duration::from_secs(600));
        assert_eq!(b.next_delay(0.5), MAX_DELAY);
    }
}
