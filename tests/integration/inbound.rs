//! Posts flowing from Mattermost to the host: what is delivered, what is dropped, and how the
//! WebSocket connection is kept.

use crate::support::*;
use fake_mattermost::*;
use serde_json::json;
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(400);

#[test]
fn ready_reports_the_bot_and_the_server() {
    let fake = FakeMattermost::start();
    let config = config_text(&fake.url(), &format!("teamId: '{TEAM_ID}'"));
    let mut bridge = Bridge::start(config, TOKEN);
    let ready = bridge.wait_ready();
    assert_eq!(ready["jsonrpc"], "2.0");
    assert!(ready.get("id").is_none());
    let params = &ready["params"];
    assert_eq!(params["protocol"], 1);
    assert_eq!(params["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(params["bot"], json!({"id": BOT_ID, "username": "openclaw"}));
    assert_eq!(params["serverVersion"], "10.11.0");
    assert_eq!(params["transport"], "websocket");
    assert_eq!(params["teamId"], TEAM_ID);
    let upgrade = &fake.ws_upgrade_headers()[0];
    let auth = upgrade
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str());
    assert_eq!(auth, Some(format!("Bearer {TOKEN}").as_str()));
}

#[test]
fn dm_from_an_allowed_user_is_delivered_with_every_field() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let id = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "hello **bot**"));
    let m = bridge.next_message();
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["channelId"], DM_ALICE);
    assert_eq!(m["channelType"], "direct");
    assert_eq!(m["rootId"], serde_json::Value::Null);
    assert_eq!(m["threadId"], id.as_str());
    assert_eq!(m["sender"], json!({"id": ALICE_ID, "username": "alice"}));
    assert_eq!(m["text"], "hello **bot**");
    assert_eq!(m["mentioned"], false);
    assert_eq!(m["authorized"], true);
    assert_eq!(m["catchUp"], false);
    assert_eq!(m["files"], json!([]));
    assert!(m["createAt"].as_i64().unwrap() > 1_700_000_000_000);
    assert!(m["channelName"].is_string() && m["channelDisplayName"].is_string());
}

#[test]
fn dm_from_someone_not_allowed_is_dropped() {
    let fake = FakeMattermost::start();
    let dm_bob = "dmbob000000000000000000000";
    fake.add_channel(dm_bob, "D", &dm_name(BOT_ID, BOB_ID), "bob", "");
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(BOB_ID, dm_bob, "let me in"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "after bob"));
    assert_eq!(bridge.next_message()["text"], "after bob");
    bridge.no_message(SHORT);
}

#[test]
fn channel_posts_need_a_mention_by_default() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "just chatting"));
    fake.post(NewPost::new(
        ALICE_ID,
        TOWN_SQUARE,
        "`@openclaw` quoted in code",
    ));
    let id = fake.post(NewPost::new(
        ALICE_ID,
        TOWN_SQUARE,
        "hey @openclaw, summarize",
    ));
    // Detected from the text alone, without the server's `mentions` list:
    fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "@OpenClaw: ping").mentions(None));
    let m = bridge.next_message();
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["channelType"], "open");
    assert_eq!(m["teamId"], TEAM_ID);
    assert_eq!(m["mentioned"], true);
    assert_eq!(m["text"], "hey @openclaw, summarize");
    let m = bridge.next_message();
    assert_eq!(
        (m["channelId"].as_str(), m["mentioned"].as_bool()),
        (Some(OFFTOPIC), Some(true))
    );
    bridge.no_message(SHORT);
}

#[test]
fn onmessage_forwards_every_channel_post_from_allowed_users() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "chatmode: 'onmessage'");
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "bob is not allowed"));
    fake.post(NewPost::new(ALICE_ID, PRIVATE_CH, "no mention needed"));
    let m = bridge.next_message();
    assert_eq!(m["text"], "no mention needed");
    assert_eq!(m["channelType"], "private");
    assert_eq!(m["mentioned"], false);
    bridge.no_message(SHORT);
}

#[test]
fn onchar_forwards_prefixed_posts_without_the_prefix() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "chatmode: 'onchar', oncharPrefixes: ['!', '>>']");
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "no prefix"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, ">> what's the weather"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "!status"));
    assert_eq!(bridge.next_message()["text"], "what's the weather");
    assert_eq!(bridge.next_message()["text"], "status");
    bridge.no_message(SHORT);
}

#[test]
fn own_system_bot_and_webhook_posts_are_dropped() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "chatmode: 'onmessage', allowFrom: ['*']");
    fake.post(NewPost::new(BOT_ID, TOWN_SQUARE, "my own words"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "alice joined").kind("system_join_channel"));
    fake.post(NewPost::new(OTHERBOT_ID, TOWN_SQUARE, "beep").props(json!({"from_bot": "true"})));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "hook").props(json!({"from_webhook": "true"})));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "a human"));
    assert_eq!(bridge.next_message()["text"], "a human");
    bridge.no_message(SHORT);
}

#[test]
fn allow_bots_lets_other_bots_through() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(
        &fake,
        "chatmode: 'onmessage', allowFrom: ['*'], allowBots: true",
    );
    fake.post(NewPost::new(OTHERBOT_ID, TOWN_SQUARE, "beep").props(json!({"from_bot": "true"})));
    fake.post(NewPost::new(BOT_ID, TOWN_SQUARE, "still not my own"));
    assert_eq!(bridge.next_message()["text"], "beep");
    bridge.no_message(SHORT);
}

#[test]
fn allow_channels_and_team_limit_where_the_bot_listens() {
    let fake = FakeMattermost::start();
    let extra = format!("chatmode: 'onmessage', allowChannels: ['{OFFTOPIC}', '{OTHER_TEAM_CH}']");
    let mut bridge = start_bridge(&fake, &extra);
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "not listed"));
    fake.post(NewPost::new(
        ALICE_ID,
        OTHER_TEAM_CH,
        "listed but other team",
    ));
    fake.post(NewPost::new(ALICE_ID, GROUP_CH, "group DMs need no entry"));
    fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "listed"));
    let m = bridge.next_message();
    assert_eq!(
        (m["text"].as_str(), m["channelType"].as_str()),
        (Some("group DMs need no entry"), Some("group"))
    );
    assert!(m["teamId"].is_null());
    assert_eq!(bridge.next_message()["text"], "listed");
    bridge.no_message(SHORT);
}

#[test]
fn replies_carry_their_thread() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let root = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "root"));
    let reply = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "in thread").root(&root));
    assert_eq!(bridge.next_message()["id"], root.as_str());
    let m = bridge.next_message();
    assert_eq!(m["id"], reply.as_str());
    assert_eq!(m["rootId"], root.as_str());
    assert_eq!(m["threadId"], root.as_str());
}

#[test]
fn attachments_the_server_does_not_know_are_listed_with_an_error() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.post(
        NewPost::new(ALICE_ID, DM_ALICE, "see file")
            .file_ids(vec!["file0000000000000000000001".into()]),
    );
    let m = bridge.next_message();
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["id"], "file0000000000000000000001");
    assert!(files[0]["path"].is_null());
    assert!(files[0]["error"]
        .as_str()
        .unwrap()
        .contains("cannot get the file's details"));
}

#[test]
fn pairing_forwards_unknown_senders_unauthorized_until_allowed() {
    let fake = FakeMattermost::start();
    let dm_bob = "dmbob000000000000000000000";
    fake.add_channel(dm_bob, "D", &dm_name(BOT_ID, BOB_ID), "bob", "");
    let mut bridge = start_bridge(&fake, "dmPolicy: 'pairing'");
    fake.post(NewPost::new(BOB_ID, dm_bob, "pair me"));
    let m = bridge.next_message();
    assert_eq!(
        (m["text"].as_str(), m["authorized"].as_bool()),
        (Some("pair me"), Some(false))
    );
    assert_eq!(bridge.call("allow", json!({"userId": BOB_ID})), json!({}));
    fake.post(NewPost::new(BOB_ID, dm_bob, "paired now"));
    let m = bridge.next_message();
    assert_eq!(
        (m["text"].as_str(), m["authorized"].as_bool()),
        (Some("paired now"), Some(true))
    );
}

#[test]
fn malformed_server_frames_are_skipped() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.broadcast_raw("this is not json");
    fake.broadcast_raw(r#"{"event":"posted","data":{"post":42}}"#);
    fake.broadcast_raw(r#"{"event":"posted","data":{"post":"{broken"}}"#);
    fake.broadcast_raw(r#"{"event":"some_future_event","data":{}}"#);
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "still here"));
    assert_eq!(bridge.next_message()["text"], "still here");
    assert!(bridge.stderr_shows("malformed server frame"));
    assert_eq!(fake.ws_connections(), 1, "no reconnect needed");
}

#[test]
fn server_pings_are_answered() {
    let fake = FakeMattermost::start();
    fake.set_ws_ping_interval(Duration::from_millis(100));
    let _bridge = start_bridge(&fake, "");
    std::thread::sleep(Duration::from_millis(600));
    assert!(fake.ws_pongs() >= 2, "pongs: {}", fake.ws_pongs());
}

#[test]
fn a_dropped_connection_is_reconnected() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "before"));
    assert_eq!(bridge.next_message()["text"], "before");
    fake.drop_websockets();
    let status = bridge.status("reconnecting");
    assert_eq!(status["attempt"], 1);
    assert!(status["retryInMs"].as_u64().unwrap() <= 120);
    assert!(status["error"].is_string());
    bridge.status("connected");
    assert!(fake.wait_for_ws(2, WAIT));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "after"));
    assert_eq!(bridge.next_message()["text"], "after");
    let status = bridge.call("status", json!({}));
    assert_eq!(status["state"], "connected");
    assert_eq!(status["reconnects"], 1);
    assert_eq!(status["delivered"], 2);
}

#[test]
fn a_token_revoked_while_connected_is_reported() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.set_token_valid(false);
    fake.drop_websockets();
    // The socket now closes before hello and REST says 401: the token problem is named.
    let status = bridge.status("unauthorized");
    assert!(status["retryInMs"].as_u64().unwrap() >= 60_000);
    assert!(status["error"].as_str().unwrap().contains("botToken"));
}

#[test]
fn a_gap_in_event_numbers_forces_a_reconnect() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    // An event numbered far ahead: events in between were lost on this connection.
    fake.broadcast_raw(r#"{"event":"typing","data":{},"broadcast":{},"seq":999}"#);
    let status = bridge.status("reconnecting");
    assert!(
        status["error"].as_str().unwrap().contains("missed events"),
        "{status}"
    );
    bridge.status("connected");
    assert!(fake.wait_for_ws(2, WAIT));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "after the gap"));
    assert_eq!(bridge.next_message()["text"], "after the gap");
}
