//! The REST polling transport (`useWebSocket: false`): the same `message` lines as the
//! WebSocket, from listing the bot's channels and fetching what changed.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(400);
const MID_RUN_CH: &str = "midrun00000000000000000001";
const MID_RUN_GROUP: &str = "midgroup000000000000000001";

fn start_polling(fake: &FakeMattermost, extra: &str) -> Bridge {
    start_bridge(
        fake,
        &format!("useWebSocket: false, pollInterval: 100, {extra}"),
    )
}

#[test]
fn ready_messages_and_status_say_polling() {
    let fake = FakeMattermost::start();
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "before the start"));
    let mut bridge = start_polling(&fake, "");
    assert_eq!(bridge.stdout_lines().len(), 1, "only ready so far");
    let ready: Value = serde_json::from_str(&bridge.stdout_lines()[0]).unwrap();
    assert_eq!(ready["params"]["transport"], "polling");
    assert_eq!(ready["params"]["serverVersion"], SERVER_VERSION);
    let id = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "hello by polling"));
    let m = bridge.next_message();
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["text"], "hello by polling");
    assert_eq!(m["channelType"], "direct");
    assert_eq!(m["sender"], json!({"id": ALICE_ID, "username": "alice"}));
    assert_eq!(m["catchUp"], false);
    assert!(m["teamId"].is_null());
    bridge.no_message(SHORT);
    let status = bridge.call("status", json!({}));
    assert_eq!(
        (status["state"].as_str(), status["transport"].as_str()),
        (Some("polling"), Some("polling"))
    );
    assert_eq!(fake.ws_connections(), 0, "no WebSocket at all");
}

#[test]
fn the_policy_applies_as_on_the_websocket() {
    let fake = FakeMattermost::start();
    let dm_bob = "dmbob000000000000000000000";
    fake.add_channel(dm_bob, "D", &dm_name(BOT_ID, BOB_ID), "bob", "");
    let mut bridge = start_polling(&fake, "");
    fake.post(NewPost::new(BOB_ID, dm_bob, "bob is not allowed"));
    fake.post(NewPost::new(BOT_ID, DM_ALICE, "the bot's own post"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "joined").kind("system_join_channel"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "no mention"));
    fake.post(NewPost::new(
        ALICE_ID,
        TOWN_SQUARE,
        &format!("hey @{BOT_USERNAME}"),
    ));
    let m = bridge.next_message();
    assert_eq!(m["text"], format!("hey @{BOT_USERNAME}"));
    assert_eq!(m["mentioned"], true);
    assert_eq!(m["channelType"], "open");
    assert_eq!(m["teamId"], TEAM_ID);
    bridge.no_message(SHORT);
}

#[test]
fn edits_and_deletions_are_not_delivered_again() {
    let fake = FakeMattermost::start();
    let mut bridge = start_polling(&fake, "");
    let id = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "original"));
    assert_eq!(bridge.next_message()["text"], "original");
    fake.edit_post(&id, "edited");
    let gone = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "soon deleted"));
    assert_eq!(bridge.next_message()["text"], "soon deleted");
    fake.delete_post(&gone);
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "last"));
    assert_eq!(bridge.next_message()["text"], "last");
    bridge.no_message(SHORT);
}

#[test]
fn an_outage_is_reported_and_nothing_posted_meanwhile_is_lost() {
    let fake = FakeMattermost::start();
    let mut bridge = start_polling(&fake, "");
    fake.inject(
        "GET",
        "/api/v4/users/me/teams/",
        Fault::app_error(503, "api.server.unavailable", "Service unavailable").times(3),
    );
    let status = bridge.status("reconnecting");
    assert!(
        status["error"].as_str().unwrap().contains("503"),
        "{status}"
    );
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "during the outage"));
    bridge.status("polling");
    assert_eq!(bridge.next_message()["text"], "during the outage");
}

/// A conversation written once and played to both transports: two channels, a thread, a
/// filtered post, and a team channel plus a group DM created while the bridge runs.
fn script(fake: &FakeMattermost) -> usize {
    let root = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "dm 1"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "dm reply").root(&root));
    fake.post(NewPost::new(
        BOB_ID,
        TOWN_SQUARE,
        &format!("@{BOT_USERNAME} from bob"),
    ));
    fake.post(NewPost::new(
        ALICE_ID,
        TOWN_SQUARE,
        &format!("@{BOT_USERNAME} question"),
    ));
    fake.add_channel(MID_RUN_CH, "O", "mid-run", "Mid Run", TEAM_ID);
    fake.post(NewPost::new(
        ALICE_ID,
        MID_RUN_CH,
        &format!("@{BOT_USERNAME} in the new channel"),
    ));
    fake.add_channel(MID_RUN_GROUP, "G", "mid-group", "alice, bob", "");
    fake.post(NewPost::new(
        ALICE_ID,
        MID_RUN_GROUP,
        &format!("@{BOT_USERNAME} in the new group"),
    ));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "dm 2"));
    // Accepted posts: all but bob's.
    6
}

/// What a host sees of each message, per channel, without ids and times.
fn transcript(bridge: &mut Bridge, count: usize) -> BTreeMap<String, Vec<Value>> {
    let mut per_channel: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for _ in 0..count {
        let m = bridge.next_message();
        per_channel
            .entry(m["channelId"].as_str().unwrap().to_string())
            .or_default()
            .push(json!({
                "text": m["text"], "channelType": m["channelType"],
                "channelName": m["channelName"], "channelDisplayName": m["channelDisplayName"],
                "teamId": m["teamId"], "inThread": !m["rootId"].is_null(),
                "sender": m["sender"], "mentioned": m["mentioned"], "catchUp": m["catchUp"],
            }));
    }
    bridge.no_message(SHORT);
    per_channel
}

#[test]
fn polling_delivers_what_the_websocket_delivers() {
    let ws_fake = FakeMattermost::start();
    let mut ws_bridge = start_bridge(&ws_fake, "");
    let count = script(&ws_fake);
    let by_websocket = transcript(&mut ws_bridge, count);

    let poll_fake = FakeMattermost::start();
    let mut poll_bridge = start_polling(&poll_fake, "");
    let count = script(&poll_fake);
    let by_polling = transcript(&mut poll_bridge, count);

    assert_eq!(by_polling, by_websocket);
    assert_eq!(
        by_polling.len(),
        4,
        "DM, town square, and both channels made mid-run"
    );
}

#[test]
fn a_restart_catches_up_by_polling_too() {
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.0.join("state.json");
    let extra = format!("stateFile: '{}'", state.display());
    let mut bridge = start_polling(&fake, &extra);
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "before"));
    assert_eq!(bridge.next_message()["text"], "before");
    bridge.close_stdin();
    assert!(bridge.wait_exit(WAIT).is_some_and(|s| s.success()));

    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "while down"));
    let mut bridge = start_polling(&fake, &extra);
    let m = bridge.next_message();
    assert_eq!(
        (m["text"].as_str(), m["catchUp"].as_bool()),
        (Some("while down"), Some(true))
    );
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "live again"));
    let m = bridge.next_message();
    assert_eq!(
        (m["text"].as_str(), m["catchUp"].as_bool()),
        (Some("live again"), Some(false))
    );
    bridge.no_message(SHORT);
}
