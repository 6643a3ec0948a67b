//! Nothing lost, nothing doubled across a dropped connection or a restart: the WebSocket is
//! resumed (the server replays what we missed), and when it cannot be, or the bridge was not
//! running, the posts in between are fetched over REST (`catchUp: true`).

use crate::support::*;
use fake_mattermost::*;
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(300);

#[test]
fn a_dropped_connection_is_resumed_with_the_missed_events() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "before"));
    assert_eq!(bridge.next_message()["text"], "before");
    fake.drop_websockets();
    for text in ["missed 1", "missed 2", "missed 3"] {
        fake.post(NewPost::new(ALICE_ID, DM_ALICE, text));
    }
    for text in ["missed 1", "missed 2", "missed 3"] {
        let m = bridge.next_message();
        assert_eq!(m["text"], text);
        assert_eq!(m["catchUp"], false, "replayed by the server, not caught up");
    }
    bridge.status("connected");
    bridge.no_message(SHORT);
    assert_eq!(fake.ws_resumes(), 1, "{}", bridge.stderr());
}

#[test]
fn a_connection_the_server_cannot_resume_is_caught_up_over_rest() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "live before"));
    assert_eq!(bridge.next_message()["text"], "live before");
    open_a_gap(&fake);
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "gap 1"));
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "bob is not allowed"));
    fake.post(NewPost::new(
        ALICE_ID,
        TOWN_SQUARE,
        &format!("@{BOT_USERNAME} gap 2"),
    ));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "gap 3"));
    let mut caught = Vec::new();
    for _ in 0..3 {
        let m = bridge.next_message();
        assert_eq!(m["catchUp"], true, "{m}");
        caught.push((m["channelId"].clone(), m["text"].clone()));
    }
    let dm: Vec<_> = caught
        .iter()
        .filter(|(c, _)| c == DM_ALICE)
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(dm, ["gap 1", "gap 3"], "in order per channel");
    let mention = caught.iter().find(|(c, _)| c == TOWN_SQUARE).unwrap();
    assert_eq!(mention.1, format!("@{BOT_USERNAME} gap 2"));
    // Caught-up messages carry the sender like live ones.
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "live after"));
    let m = bridge.next_message();
    assert_eq!(
        (m["text"].as_str(), m["catchUp"].as_bool()),
        (Some("live after"), Some(false))
    );
    bridge.no_message(SHORT);
}

#[test]
fn a_restart_catches_up_from_the_state_file() {
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.0.join("state").join("mattermost-state.json");
    let mut bridge = stateful_bridge(&fake, &state, "");
    fake.post(NewPost::new(
        ALICE_ID,
        DM_ALICE,
        "delivered before the restart",
    ));
    assert_eq!(
        bridge.next_message()["text"],
        "delivered before the restart"
    );
    stop(bridge);
    assert!(state.exists(), "saved at shutdown");

    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "while down 1"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "while down 2"));
    let mut bridge = stateful_bridge(&fake, &state, "");
    for text in ["while down 1", "while down 2"] {
        let m = bridge.next_message();
        assert_eq!(
            (m["text"].as_str(), m["catchUp"].as_bool()),
            (Some(text), Some(true))
        );
    }
    bridge.no_message(SHORT);
    stop(bridge);

    // Posts older than catchUpMaxAge are not replayed.
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "too old by now"));
    std::thread::sleep(Duration::from_millis(50));
    let mut bridge = stateful_bridge(&fake, &state, "catchUpMaxAge: 10");
    bridge.no_message(SHORT);
}

#[test]
fn a_corrupt_state_file_is_a_warning_and_a_fresh_start() {
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.write("state.json", "{ this is not json");
    let mut bridge = stateful_bridge(&fake, &state, "");
    assert!(
        bridge.stderr().contains("not a valid state file"),
        "{}",
        bridge.stderr()
    );
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "works anyway"));
    assert_eq!(bridge.next_message()["text"], "works anyway");
    stop(bridge);
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(
        saved.contains(DM_ALICE),
        "rewritten with what was delivered: {saved}"
    );
}
