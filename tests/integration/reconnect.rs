//! Reconnect delays (README "Reconnecting"): a socket that fails early keeps doubling the
//! delay; the drop of a connection that was healthy (live, then up at least 10 s) is retried
//! first at `reconnectInterval`, so a proxy that closes idle sockets every 30 s costs seconds.

use crate::support::*;
use fake_mattermost::*;
use serde_json::Value;
use std::time::Duration;

/// `reconnectInterval` in these tests (ms).
const FIRST: u64 = 200;

/// The next `reconnecting` status: (attempt, retryInMs).
fn next_retry(bridge: &mut Bridge) -> (u64, u64) {
    let status: Value = bridge.status("reconnecting");
    (
        status["attempt"].as_u64().unwrap(),
        status["retryInMs"].as_u64().unwrap(),
    )
}

/// `ms` is `FIRST * 2^(attempt - 1)` within the ±20 % jitter.
fn assert_step(got: (u64, u64), attempt: u64) {
    let base = FIRST << (attempt - 1);
    assert_eq!(got.0, attempt, "attempt of {got:?}");
    assert!(
        got.1 * 10 >= base * 8 && got.1 * 10 <= base * 12,
        "retry in {} ms, expected {base} ±20 % (attempt {attempt})",
        got.1
    );
}

#[test]
fn early_failures_double_and_a_healthy_connection_starts_over() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, &format!("reconnectInterval: {FIRST}"));
    // Sockets that fail early: the upgrade is refused three times, then works.
    fake.inject("GET", "/api/v4/websocket", Fault::close().times(3));
    fake.drop_websockets();
    for attempt in 1..=4 {
        assert_step(next_retry(&mut bridge), attempt);
    }
    bridge.status("connected");
    // Healthy: up for more than 10 s, then dropped (an idle-closing proxy).
    std::thread::sleep(Duration::from_secs(11));
    fake.drop_websockets();
    assert_step(next_retry(&mut bridge), 1);
    bridge.status("connected");
    // Dropped again at once: an early failure, the delay doubles again.
    std::thread::sleep(Duration::from_millis(300));
    fake.drop_websockets();
    assert_step(next_retry(&mut bridge), 2);
    bridge.status("connected");
}
