//! Who may address the bot outside DMs and when a channel post counts as addressed to it, as
//! OpenClaw's own Mattermost plugin decides: `groupPolicy` with `groupAllowFrom`,
//! `groups.<channel id or *>.requireMention` over `chatmode`/`requireMention`, and the implicit
//! mentions (a thread the bot replied in, a thread it started, a quote of one of its posts).
//! A dropped post is always followed by one that is delivered, so "dropped" is never a timeout.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};

fn dm_bob(fake: &FakeMattermost) -> &'static str {
    let id = "dmbob000000000000000000000";
    fake.add_channel(id, "D", &dm_name(BOT_ID, BOB_ID), "bob", "");
    id
}

/// The delivered post's text, after the dropped ones before it.
fn next_text(bridge: &mut Bridge) -> String {
    bridge.next_message()["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn group_allow_from_admits_its_users_in_channels_only() {
    let fake = FakeMattermost::start();
    let dm = dm_bob(&fake);
    let mut bridge = start_bridge(&fake, "groupAllowFrom: ['@bob']");
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw from alice"));
    fake.post(NewPost::new(BOB_ID, PRIVATE_CH, "@openclaw from bob"));
    let m = bridge.next_message();
    assert_eq!(m["text"], "@openclaw from bob");
    assert_eq!(m["channelType"], "private");
    // allowFrom still decides DMs: alice yes, bob no.
    fake.post(NewPost::new(BOB_ID, dm, "bob's dm"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "alice's dm"));
    assert_eq!(next_text(&mut bridge), "alice's dm");
    bridge.no_message(std::time::Duration::from_millis(300));
}

#[test]
fn without_group_allow_from_channels_use_allow_from() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "@openclaw from bob"));
    fake.post(NewPost::new(BOB_ID, GROUP_CH, "@openclaw bob in the group"));
    fake.post(NewPost::new(
        ALICE_ID,
        GROUP_CH,
        "@openclaw alice in the group",
    ));
    assert_eq!(next_text(&mut bridge), "@openclaw alice in the group");
}

#[test]
fn group_policy_open_admits_anyone_in_channels_still_mention_gated() {
    let fake = FakeMattermost::start();
    let dm = dm_bob(&fake);
    let mut bridge = start_bridge(&fake, "groupPolicy: 'open'");
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "bob chatting"));
    fake.post(NewPost::new(BOB_ID, dm, "bob's dm is still allowFrom's"));
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "@openclaw bob asks"));
    assert_eq!(next_text(&mut bridge), "@openclaw bob asks");
}

#[test]
fn group_policy_disabled_drops_every_channel_post_but_not_dms() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "groupPolicy: 'disabled', chatmode: 'onmessage'");
    fake.post(NewPost::new(
        ALICE_ID,
        TOWN_SQUARE,
        "@openclaw in a channel",
    ));
    fake.post(NewPost::new(ALICE_ID, GROUP_CH, "in the group dm"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "in the dm"));
    assert_eq!(next_text(&mut bridge), "in the dm");
}

/// With neither list, channels are closed (OpenClaw's `group_policy_empty_allowlist`), and a
/// pairing approval opens the approved user's DMs only.
#[test]
fn pairing_approvals_do_not_open_channels() {
    let fake = FakeMattermost::start();
    let dm = dm_bob(&fake);
    let config = config_text(
        &fake.url(),
        &format!("dmPolicy: 'pairing', teamId: '{TEAM_ID}'"),
    );
    let mut bridge = Bridge::start(config, TOKEN);
    bridge.wait_ready();
    bridge.call("allow", json!({"userId": BOB_ID}));
    fake.post(NewPost::new(
        BOB_ID,
        TOWN_SQUARE,
        "@openclaw bob in a channel",
    ));
    fake.post(NewPost::new(BOB_ID, dm, "bob's dm"));
    let m = bridge.next_message();
    assert_eq!(m["text"], "bob's dm");
    assert_eq!(m["authorized"], true);
}

#[test]
fn groups_require_mention_per_channel_and_star_win_over_chatmode() {
    let fake = FakeMattermost::start();
    let extra =
        format!("groups: {{ '{TOWN_SQUARE}': {{ requireMention: false }}, '{OFFTOPIC}': {{}} }}");
    let mut bridge = start_bridge(&fake, &extra);
    fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "chat in off-topic"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "chat in town square"));
    assert_eq!(next_text(&mut bridge), "chat in town square");

    let fake = FakeMattermost::start();
    let extra = format!(
        "chatmode: 'onmessage', groups: {{ '*': {{ requireMention: true }}, '{OFFTOPIC}': {{ requireMention: false }} }}"
    );
    let mut bridge = start_bridge(&fake, &extra);
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "chat in town square"));
    fake.post(NewPost::new(ALICE_ID, GROUP_CH, "chat in the group dm"));
    fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "chat in off-topic"));
    assert_eq!(next_text(&mut bridge), "chat in off-topic");
}

#[test]
fn the_legacy_require_mention_gives_way_to_groups_and_onchar_keeps_its_prefix() {
    let fake = FakeMattermost::start();
    let extra =
        format!("requireMention: false, groups: {{ '{TOWN_SQUARE}': {{ requireMention: true }} }}");
    let mut bridge = start_bridge(&fake, &extra);
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "chat in town square"));
    fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "chat in off-topic"));
    assert_eq!(next_text(&mut bridge), "chat in off-topic");

    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(
        &fake,
        "chatmode: 'onchar', groups: { '*': { requireMention: false } }",
    );
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "no prefix"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "!with prefix"));
    assert_eq!(next_text(&mut bridge), "with prefix");
}

/// Alice mentions the bot; the host answers in her thread; her follow-up there needs no
/// mention. A thread the bot did not reply in still does.
#[test]
fn a_thread_the_bot_replied_in_counts_as_a_mention() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let root = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw question"));
    assert_eq!(bridge.next_message()["id"], root.as_str());
    bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "rootId": root, "text": "answer"}),
    );
    let other = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "another topic"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "in a thread without the bot").root(&other));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "follow-up").root(&root));
    let m = bridge.next_message();
    assert_eq!(m["text"], "follow-up");
    assert_eq!(m["mentioned"], false);
    assert_eq!(m["implicitMention"], "threadParticipation");
    // Other senders still need the sender policy.
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "bob follows up").root(&root));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw again").root(&root));
    let m = bridge.next_message();
    assert_eq!(m["text"], "@openclaw again");
    assert_eq!(m["mentioned"], true);
}

#[test]
fn thread_participation_can_be_turned_off() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "implicitMentions: { threadParticipation: false }");
    let root = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw question"));
    bridge.next_message();
    bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "rootId": root, "text": "answer"}),
    );
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "follow-up").root(&root));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw mention").root(&root));
    let m = bridge.next_message();
    assert_eq!(m["text"], "@openclaw mention");
    assert!(m.get("implicitMention").is_none(), "{m}");
}

/// A thread the bot started (with `send`) counts through `replyToBot`, even where thread
/// participation is off; with `replyToBot` off too, it does not.
#[test]
fn a_reply_to_a_thread_the_bot_started_counts_as_replying_to_it() {
    for (extra, counts) in [
        ("implicitMentions: { threadParticipation: false }", true),
        (
            "implicitMentions: { threadParticipation: false, replyToBot: false }",
            false,
        ),
    ] {
        let fake = FakeMattermost::start();
        let mut bridge = start_bridge(&fake, extra);
        let result = bridge.call(
            "send",
            json!({"channelId": OFFTOPIC, "text": "daily standup: how are you?"}),
        );
        let root = result["postIds"][0].as_str().unwrap().to_string();
        fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "fine, thanks").root(&root));
        fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "@openclaw sentinel"));
        let m = bridge.next_message();
        if counts {
            assert_eq!(m["text"], "fine, thanks", "{extra}");
            assert_eq!(m["implicitMention"], "replyToBot");
            assert_eq!(next_text(&mut bridge), "@openclaw sentinel");
        } else {
            assert_eq!(m["text"], "@openclaw sentinel", "{extra}");
        }
    }
}

/// Mattermost's way of quoting a post is its permalink, which the server embeds as a preview.
#[test]
fn a_permalink_to_a_bot_post_counts_as_quoting_it() {
    for (extra, counts) in [
        ("", true),
        ("implicitMentions: { quotedBot: false }", false),
    ] {
        let fake = FakeMattermost::start();
        let mut bridge = start_bridge(&fake, extra);
        let result = bridge.call("send", json!({"channelId": OFFTOPIC, "text": "the plan"}));
        let bot_post = result["postIds"][0].as_str().unwrap().to_string();
        let alices = fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "my own words"));
        let url = fake.url();
        fake.post(NewPost::new(
            ALICE_ID,
            TOWN_SQUARE,
            &format!("about {url}/acme/pl/{alices}"),
        ));
        fake.post(NewPost::new(
            ALICE_ID,
            TOWN_SQUARE,
            &format!("about {url}/acme/pl/{bot_post}"),
        ));
        fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw sentinel"));
        let m: Value = bridge.next_message();
        if counts {
            assert!(m["text"].as_str().unwrap().ends_with(&bot_post), "{m}");
            assert_eq!(m["implicitMention"], "quotedBot");
            assert_eq!(m["mentioned"], false);
        } else {
            assert_eq!(m["text"], "@openclaw sentinel", "{extra}");
        }
    }
}

/// The bot's own posts teach the bridge its threads without asking the server: no thread or
/// post lookups happen for implicit mentions. (History is off: a thread's first turn may read
/// the thread for its history, as OpenClaw's plugin does; tests/integration/history.rs.)
#[test]
fn implicit_mentions_cost_no_rest_calls() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "historyLimit: 0");
    let root = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw question"));
    bridge.next_message();
    bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "rootId": root, "text": "answer"}),
    );
    let before = fake.requests().len();
    let other = fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "bob's topic"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "no bot here").root(&other));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "follow-up").root(&root));
    assert_eq!(next_text(&mut bridge), "follow-up");
    let lookups: Vec<String> = fake.requests()[before..]
        .iter()
        .map(|r| r.path_only().to_string())
        .filter(|path| path.starts_with("/api/v4/posts"))
        .collect();
    assert!(lookups.is_empty(), "{lookups:?}");
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The threads the bot took part in are kept in `stateFile`: after a restart a follow-up still
/// needs no mention, without the bot's reply being caught up again and without a REST lookup.
#[test]
fn thread_participation_survives_a_restart_through_the_state_file() {
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.0.join("state.json");
    let mut bridge = stateful_bridge(&fake, &state, "");
    let now = now_ms();
    let root = fake
        .post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw question").create_at(now - 60_000));
    assert_eq!(bridge.next_message()["id"], root.as_str());
    // The bot's reply, as the server shows it on the socket, well before the restart.
    fake.post(
        NewPost::new(BOT_ID, TOWN_SQUARE, "answer")
            .root(&root)
            .create_at(now - 50_000),
    );
    // A later post, so catch-up after the restart starts after the reply.
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "later").create_at(now - 10_000));
    assert_eq!(next_text(&mut bridge), "later");
    stop(bridge);

    let mut bridge = stateful_bridge(&fake, &state, "");
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "follow-up").root(&root));
    let m = bridge.next_message();
    assert_eq!(m["text"], "follow-up");
    assert_eq!(m["implicitMention"], "threadParticipation");
    stop(bridge);
}

/// `dangerouslyAllowNameMatching`: a bare name in `groupAllowFrom` is the sender's name as
/// the server shows it (the event's `sender_name`, `@bob`), compared without case; without the
/// flag it matches nobody (it is taken as an id), as in OpenClaw's own plugin.
#[test]
fn names_in_allow_lists_match_only_with_dangerously_allow_name_matching() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "groupAllowFrom: ['Bob']");
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "@openclaw bob by name"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "alice's dm"));
    assert_eq!(next_text(&mut bridge), "alice's dm");
    drop(bridge);

    let mut bridge = start_bridge(
        &fake,
        "groupAllowFrom: ['Bob'], dangerouslyAllowNameMatching: true",
    );
    fake.post(NewPost::new(
        ALICE_ID,
        TOWN_SQUARE,
        "@openclaw alice is not bob",
    ));
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "@openclaw bob again"));
    assert_eq!(next_text(&mut bridge), "@openclaw bob again");
}
