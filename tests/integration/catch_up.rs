//! Catch-up over REST closes gaps of any size: thousands of posts missed in one channel, across
//! a restart (stateFile) and across a resume the server refused, each delivered once, in
//! creation order, none lost, also when many share a millisecond across page boundaries; and
//! what is not a new post (edit-history rows, deleted posts, thread roots a reply moved) is
//! never delivered. An answer too large to read is skipped and logged, not retried.

use crate::support::*;
use fake_mattermost::*;
use serde_json::Value;
use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SHORT: Duration = Duration::from_millis(300);
const MISSED: usize = 5_000;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Posts `MISSED` DMs from alice starting at `start` (ms): seven per millisecond, and 450 in
/// one millisecond (more than two full pages); returns their ids in creation order.
fn post_burst(fake: &FakeMattermost, start: i64) -> Vec<String> {
    (0..MISSED)
        .map(|n| {
            let at = match n {
                0..2_000 => start + n as i64 / 7,
                2_000..2_450 => start + 300,
                _ => start + 400 + (n as i64 - 2_450) / 7,
            };
            fake.post(NewPost::new(ALICE_ID, DM_ALICE, &format!("burst {n}")).create_at(at))
        })
        .collect()
}

/// Reads `expected.len()` messages and checks each expected id came once, in `createAt`
/// order, then that nothing else follows.
fn expect_exactly(bridge: &mut Bridge, expected: &[String]) {
    expect_exactly_within(bridge, expected, WAIT);
}

/// `expect_exactly`, waiting up to `wait` for each message.
fn expect_exactly_within(bridge: &mut Bridge, expected: &[String], wait: Duration) {
    let mut got: Vec<Value> = Vec::with_capacity(expected.len());
    while got.len() < expected.len() {
        let Some(m) = bridge.wait_for(wait, |v| v["method"] == "message") else {
            panic!(
                "{} of {} posts delivered\n{}",
                got.len(),
                expected.len(),
                bridge.stderr()
            );
        };
        got.push(m["params"].clone());
    }
    bridge.no_message(SHORT);
    let ids: Vec<&str> = got.iter().map(|m| m["id"].as_str().unwrap()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "each post once");
    let wanted: HashSet<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(unique, wanted, "exactly the posts of the gap");
    let times: Vec<i64> = got
        .iter()
        .map(|m| m["createAt"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in creation order");
}

#[test]
fn thousands_missed_across_a_restart_are_caught_up_once_in_order() {
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.0.join("state.json");
    let base = now_ms() - 120_000;
    // A thread root nobody was told about, older than everything below.
    let old_root = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "old root").create_at(base - 60_000));
    let mut bridge = stateful_bridge(&fake, &state, "");
    let before = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "before").create_at(base));
    assert_eq!(bridge.next_message()["id"], before.as_str());
    stop(bridge);

    let mut expected = post_burst(&fake, base + 5_000);
    // Not new posts: an edit of a delivered post (its edit-history row), a deleted post, and
    // the old root a reply moved; the reply itself is new.
    fake.edit_post(&before, "before, edited");
    let gone = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "deleted").create_at(base + 6_000));
    fake.delete_post(&gone);
    let reply_at = base + 10_000;
    expected.push(
        fake.post(
            NewPost::new(ALICE_ID, DM_ALICE, "reply")
                .root(&old_root)
                .create_at(reply_at),
        ),
    );

    let mut bridge = stateful_bridge(&fake, &state, "");
    expect_exactly(&mut bridge, &expected);
    stop(bridge);
}

#[test]
fn thousands_missed_across_a_refused_resume_are_caught_up_once_in_order() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "live before"));
    assert_eq!(bridge.next_message()["text"], "live before");
    // The next upgrade waits, so the posts land in the gap; the server forgot the connection.
    fake.inject(
        "GET",
        "/api/v4/websocket",
        Fault::pass().delayed(Duration::from_millis(800)),
    );
    fake.drop_websockets();
    fake.expire_ws_sessions();
    let expected = post_burst(&fake, now_ms());
    expect_exactly(&mut bridge, &expected);
    assert!(
        bridge.stderr().contains("page by page"),
        "{}",
        bridge.stderr()
    );
}

#[test]
fn a_post_too_large_to_read_is_skipped_and_logged_not_retried() {
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.0.join("state.json");
    // A retry budget far beyond the test's patience: retrying the big answer would time out.
    let extra = "retryBudget: 600000";
    let mut bridge = stateful_bridge(&fake, &state, extra);
    let base = now_ms() - 60_000;
    let first = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "first").create_at(base));
    assert_eq!(bridge.next_message()["id"], first.as_str());
    stop(bridge);

    let mut expected =
        vec![fake.post(NewPost::new(ALICE_ID, DM_ALICE, "small 1").create_at(base + 5_000))];
    let huge = "x".repeat(11 * 1024 * 1024);
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, &huge).create_at(base + 5_001));
    expected.push(fake.post(NewPost::new(ALICE_ID, DM_ALICE, "small 2").create_at(base + 5_002)));
    let mut bridge = stateful_bridge(&fake, &state, extra);
    // Each 11 MiB answer takes a while in a debug build on a busy machine; the retry budget
    // (10 min) is far longer still.
    expect_exactly_within(&mut bridge, &expected, Duration::from_secs(90));
    let log = bridge.stderr();
    assert!(
        log.contains(&format!("channel {DM_ALICE}")) && log.contains("skipped"),
        "{log}"
    );
    stop(bridge);
}

#[test]
fn a_stalled_host_loses_nothing_when_the_server_closes_the_full_socket() {
    const POSTS: usize = 20_000;
    let _turn = one_flood_at_a_time();
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "live before"));
    assert_eq!(bridge.next_message()["text"], "live before");
    bridge.pause_stdout();
    let text = "z".repeat(300);
    let expected: Vec<String> = (0..POSTS)
        .map(|n| fake.post(NewPost::new(ALICE_ID, DM_ALICE, &format!("{n} {text}"))))
        .collect();
    assert!(
        fake.ws_send_queue_closes() > 0,
        "the server closed the stalled socket"
    );
    bridge.resume_stdout();
    expect_exactly_within(&mut bridge, &expected, FLOOD_WAIT);
    assert!(
        bridge.stderr().contains("page by page"),
        "{}",
        bridge.stderr()
    );
}

/// A busy channel: more than a page of posts lies between the last delivered post and the
/// start of the gap (the overlap before it). Paging starts from there, backwards from the last
/// delivered post, not from the channel's newest post through the whole backlog.
#[test]
fn paging_finds_its_start_near_the_last_delivered_post() {
    // More than a page, fewer than the 256 recent ids a channel remembers (more than that
    // within the overlap come again after a restart: docs/mattermost.md).
    const BEFORE: usize = 240;
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.0.join("state.json");
    let base = now_ms() - 120_000;
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "long before").create_at(base - 10_000));
    let mut bridge = stateful_bridge(&fake, &state, "");
    // Posts within the last second before the bridge stops: all inside the overlap.
    let delivered: Vec<String> = (0..BEFORE)
        .map(|n| {
            let at = base + (n as i64 * 1_000 / BEFORE as i64);
            fake.post(NewPost::new(ALICE_ID, DM_ALICE, &format!("before {n}")).create_at(at))
        })
        .collect();
    for id in &delivered {
        assert_eq!(bridge.next_message()["id"], id.as_str());
    }
    stop(bridge);

    let expected = post_burst(&fake, base + 5_000);
    let mut bridge = stateful_bridge(&fake, &state, "");
    expect_exactly(&mut bridge, &expected);
    stop(bridge);
    let from_the_newest: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/posts?page="))
        .map(|r| r.path)
        .collect();
    assert!(
        from_the_newest.is_empty(),
        "paged from the newest post: {from_the_newest:?}"
    );
}

#[test]
fn a_restart_before_the_first_post_catches_up_what_came_meanwhile() {
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.0.join("state.json");
    // From before the first start: history, never delivered.
    fake.post(NewPost::new(
        ALICE_ID,
        DM_ALICE,
        "from before the first start",
    ));
    let mut bridge = stateful_bridge(&fake, &state, "");
    bridge.no_message(SHORT);
    stop(bridge);

    let missed = fake.post(NewPost::new(
        ALICE_ID,
        DM_ALICE,
        "while the bridge was stopped",
    ));
    let mut bridge = stateful_bridge(&fake, &state, "");
    let message = bridge.next_message();
    assert_eq!(message["id"], missed.as_str(), "{message}");
    assert_eq!(message["catchUp"], true);
    bridge.no_message(SHORT);
    stop(bridge);
}
