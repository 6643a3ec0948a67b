//! Reconnect delays: start at `reconnectInterval`, double per failure with ±20% jitter, cap at
//! 60 s, and start over once a connection has stayed healthy for a minute.

use std::time::Duration;

/// The cap on any delay.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// How long a connection must live before the next failure counts as a first one again.
pub const HEALTHY_AFTER: Duration = Duration::from_secs(60);
const JITTER: f64 = 0.2;

#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    next: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(initial: Duration) -> Backoff {
        let initial = initial.min(MAX_DELAY);
        Backoff {
            initial,
            next: initial,
            attempt: 0,
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

    /// Called when a connection ends: one that lived `HEALTHY_AFTER` or more resets the ladder.
    pub fn connection_lasted(&mut self, lived: Duration) {
        if lived >= HEALTHY_AFTER {
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

    #[test]
    fn healthy_minute_resets_short_life_does_not() {
        let mut b = Backoff::new(Duration::from_millis(100));
        b.next_delay(0.5);
        b.next_delay(0.5);
        b.connection_lasted(Duration::from_secs(59));
        assert_eq!(ms(b.next_delay(0.5)), 400);
        b.connection_lasted(Duration::from_secs(60));
        assert_eq!(b.attempt(), 0);
        assert_eq!(ms(b.next_delay(0.5)), 100);
    }

    #[test]
    fn initial_above_cap_is_capped() {
        let mut b = Backoff::new(Duration::from_secs(600));
        assert_eq!(b.next_delay(0.5), MAX_DELAY);
    }
}
