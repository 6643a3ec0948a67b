//! When to send a `ping` action and when to give a silent connection up, decided from
//! timestamps only, so the rule is testable without waiting 90 s.

use std::time::{Duration, Instant};

/// What the connection should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Nothing,
    /// Send a `ping` action (the web app's way of keeping the connection and proving the path).
    Ping,
    /// No frame at all for too long: the server or the path to it is gone.
    Dead,
}

pub struct Keepalive {
    ping_every: Duration,
    dead_after: Duration,
    last_frame: Instant,
    last_ping: Instant,
}

impl Keepalive {
    pub fn new(now: Instant, ping_every: Duration, dead_after: Duration) -> Keepalive {
        Keepalive {
            ping_every,
            dead_after,
            last_frame: now,
            last_ping: now,
        }
    }

    /// Any frame from the server (event, reply, ping or pong) proves it is alive.
    pub fn frame_seen(&mut self, now: Instant) {
        self.last_frame = now;
    }

    /// Checks the clocks; a `Ping` answer counts as sent.
    pub fn check(&mut self, now: Instant) -> Due {
        if now.duration_since(self.last_frame) >= self.dead_after {
            return Due::Dead;
        }
        if now.duration_since(self.last_ping) >= self.ping_every {
            self.last_ping = now;
            return Due::Ping;
        }
        Due::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PING: Duration = Duration::from_secs(30);
    const DEAD: Duration = Duration::from_secs(90);

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    #[test]
    fn a_silent_server_is_pinged_then_given_up_at_90_s() {
        let start = Instant::now();
        let mut k = Keepalive::new(start, PING, DEAD);
        let timeline: Vec<(u64, Due)> = [10, 30, 45, 60, 89, 90]
            .iter()
            .map(|s| (*s, k.check(at(start, *s))))
            .collect();
        assert_eq!(
            timeline,
            vec![
                (10, Due::Nothing),
                (30, Due::Ping),
                (45, Due::Nothing),
                (60, Due::Ping),
                (89, Due::Nothing),
                (90, Due::Dead),
            ]
        );
    }

    #[test]
    fn a_busy_connection_still_pings_every_30_s_and_never_dies() {
        let start = Instant::now();
        let mut k = Keepalive::new(start, PING, DEAD);
        let mut pings = 0;
        for s in 1..=300 {
            k.frame_seen(at(start, s));
            match k.check(at(start, s)) {
                Due::Ping => pings += 1,
                Due::Dead => panic!("dead at {s} s despite frames"),
                Due::Nothing => {}
            }
        }
        assert_eq!(pings, 10);
    }

    #[test]
    fn a_reply_to_our_ping_keeps_it_alive() {
        let start = Instant::now();
        let mut k = Keepalive::new(start, PING, DEAD);
        assert_eq!(k.check(at(start, 30)), Due::Ping);
        k.frame_seen(at(start, 31)); // the pong reply
        assert_eq!(k.check(at(start, 100)), Due::Ping);
        assert_eq!(k.check(at(start, 120)), Due::Nothing);
        assert_eq!(k.check(at(start, 121)), Due::Dead);
    }
}
