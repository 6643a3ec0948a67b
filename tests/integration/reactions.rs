//! Reactions on posts in the bot's conversations reaching the host as `reaction` lines: what
//! they carry, which the sender policy drops, and that hostile reaction events change nothing.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(400);

fn next_reaction(bridge: &mut Bridge) -> Value {
    bridge.expect("a reaction", |v| v["method"] == "reaction")["params"].clone()
}

fn no_reaction(bridge: &mut Bridge, wait: Duration) {
    if let Some(r) = bridge.wait_for(wait, |v| v["method"] == "reaction") {
        panic!("unexpected reaction: {r}");
    }
}

#[test]
fn a_reaction_in_a_thread_reaches_the_host_with_its_thread_root() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let root = fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "a question"));
    let reply = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "an answer").root(&root));
    fake.user_react(ALICE_ID, &reply, "+1", true);
    let added = next_reaction(&mut bridge);
    assert_eq!(added["action"], "added");
    assert_eq!(added["emoji"], "+1");
    assert_eq!(added["postId"], reply.as_str());
    assert_eq!(added["rootId"], root.as_str());
    assert_eq!(added["channelId"], TOWN_SQUARE);
    assert_eq!(added["channelType"], "open");
    assert_eq!(added["channelName"], "town-square");
    assert_eq!(added["teamId"], TEAM_ID);
    assert_eq!(
        added["sender"],
        json!({"id": ALICE_ID, "username": "alice"})
    );
    assert!(added["createAt"].as_i64().unwrap() > 0);
    fake.user_react(ALICE_ID, &reply, "+1", false);
    let removed = next_reaction(&mut bridge);
    assert_eq!(removed["action"], "removed");
    assert_eq!(removed["postId"], reply.as_str());
    // A top-level post has no root; a DM has no team.
    let top = fake.post(NewPost::new(BOB_ID, DM_ALICE, "in the DM"));
    fake.user_react(ALICE_ID, &top, "white_check_mark", true);
    let dm = next_reaction(&mut bridge);
    assert_eq!(dm["rootId"], Value::Null);
    assert_eq!(dm["channelType"], "direct");
    assert_eq!(dm["teamId"], Value::Null);
    assert_eq!(dm["emoji"], "white_check_mark");
}

#[test]
fn reactions_follow_the_sender_policy_of_posts_without_the_mention_gate() {
    let fake = FakeMattermost::start();
    let dm_bob = "dmbob000000000000000000000";
    fake.add_channel(dm_bob, "D", &dm_name(BOT_ID, BOB_ID), "bob", "");
    let mut bridge = start_bridge(&fake, &format!("allowChannels: ['{TOWN_SQUARE}']"));
    let post = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "no mention here"));
    let elsewhere = fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "off topic"));
    let bob_dm = fake.post(NewPost::new(BOB_ID, dm_bob, "hi"));
    fake.user_react(BOB_ID, &post, "eyes", true); // not in allowFrom
    fake.user_react(BOB_ID, &bob_dm, "eyes", true); // a DM under allowlist
    fake.user_react(ALICE_ID, &elsewhere, "eyes", true); // outside allowChannels
    fake.user_react(OTHERBOT_ID, &post, "eyes", true); // another bot
    fake.user_react(ALICE_ID, &post, "tada", true);
    let passed = next_reaction(&mut bridge);
    assert_eq!(passed["emoji"], "tada", "the earlier ones were dropped");
    assert_eq!(passed["sender"]["id"], ALICE_ID);
    no_reaction(&mut bridge, SHORT);
}

#[test]
fn the_bots_own_reactions_are_dropped_without_a_lookup() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let post = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "react to me"));
    bridge.next_message();
    bridge.call("react", json!({"postId": post, "emoji": "thumbsup"}));
    assert_eq!(fake.reactions().len(), 1);
    no_reaction(&mut bridge, SHORT);
    let looked_up = fake
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.path.contains(&format!("/posts/{post}")));
    assert!(!looked_up, "the bot's own reaction cost a REST call");
}

#[test]
fn pairing_senders_reactions_count_only_once_allowed() {
    let fake = FakeMattermost::start();
    let dm_bob = "dmbob000000000000000000000";
    fake.add_channel(dm_bob, "D", &dm_name(BOT_ID, BOB_ID), "bob", "");
    let mut bridge = start_bridge(&fake, "dmPolicy: 'pairing'");
    let post = fake.post(NewPost::new(BOB_ID, dm_bob, "let me in"));
    fake.user_react(BOB_ID, &post, "pray", true);
    no_reaction(&mut bridge, SHORT);
    bridge.call("allow", json!({"userId": BOB_ID}));
    fake.user_react(BOB_ID, &post, "smile", true);
    let r = next_reaction(&mut bridge);
    assert_eq!(r["emoji"], "smile");
    assert_eq!(r["sender"], json!({"id": BOB_ID, "username": "bob"}));
}

#[test]
fn allow_bots_lets_other_bots_reactions_through() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "allowBots: true, allowFrom: ['*']");
    let post = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "hello"));
    fake.user_react(OTHERBOT_ID, &post, "robot_face", true);
    assert_eq!(
        next_reaction(&mut bridge)["sender"]["username"],
        "helperbot"
    );
}

#[test]
fn hostile_reaction_events_are_skipped_and_the_stream_goes_on() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let post = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "target"));
    let reaction = |user: &str, post: &str, emoji: &str| json!({"user_id": user, "post_id": post, "emoji_name": emoji, "create_at": 1});
    let hostile = [
        json!({"reaction": "{not json"}),
        json!({"reaction": reaction(ALICE_ID, &post, "a/../../b").to_string()}),
        json!({"reaction": reaction(ALICE_ID, "../../users/me", "x").to_string()}),
        json!({"reaction": reaction(ALICE_ID, &post, "x\n{\"jsonrpc\"").to_string()}),
        json!({"reaction": format!("{{\"user_id\":\"{}\",\"pad\":\"{}\"}}", ALICE_ID, "x".repeat(1 << 20))}),
        json!({"reaction": 42}),
        json!({}),
    ];
    for data in hostile {
        fake.broadcast_event("reaction_added", data);
    }
    // Known ids, but the event names no channel at all (the fake's broadcast has none).
    fake.broadcast_event(
        "reaction_added",
        json!({"reaction": reaction(ALICE_ID, &post, "x").to_string()}),
    );
    fake.user_react(ALICE_ID, &post, "ok_hand", true);
    assert_eq!(next_reaction(&mut bridge)["emoji"], "ok_hand");
    no_reaction(&mut bridge, SHORT);
    assert_eq!(fake.ws_connections(), 1, "a bad reaction is no gap");
}

#[test]
fn a_reaction_naming_another_channel_than_its_post_is_dropped() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "allowFrom: ['*']");
    let elsewhere = fake.post(NewPost::new(BOB_ID, OFFTOPIC, "not here"));
    let frame = json!({
        "event": "reaction_added",
        "data": {"reaction": json!({"user_id": ALICE_ID, "post_id": elsewhere,
                                    "emoji_name": "x", "create_at": 1}).to_string()},
        "broadcast": {"channel_id": TOWN_SQUARE, "user_id": "", "team_id": ""},
    });
    fake.broadcast_event_text(&frame.to_string());
    let post = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "here"));
    fake.user_react(ALICE_ID, &post, "y", true);
    assert_eq!(next_reaction(&mut bridge)["emoji"], "y");
    no_reaction(&mut bridge, SHORT);
}
