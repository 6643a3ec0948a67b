//! `--unaddressed`: a host that checks OpenClaw's mention patterns and text commands itself (the
//! plugin) also gets the channel posts that failed the mention gate alone, marked
//! `"addressed": false`, with the history they would carry; that history and the post stay with
//! the bridge for the next addressed post, the files are not downloaded, and such lines are
//! delivered at most once, like any other, across catch-up and restarts.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(300);

/// `start_bridge` with `--unaddressed`.
fn forwarding_bridge(fake: &FakeMattermost, extra: &str) -> Bridge {
    let config = config_text(
        &fake.url(),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}', {extra}"),
    );
    let mut launch = Launch::new(config, TOKEN);
    launch.args = vec!["--unaddressed".into()];
    let mut bridge = Bridge::launch(launch);
    bridge.wait_ready();
    bridge
}

fn bodies(m: &Value) -> Vec<String> {
    let entries = m["history"].as_array().expect("history is an array");
    entries
        .iter()
        .map(|e| e["body"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn posts_failing_only_the_mention_gate_come_only_when_asked() {
    let fake = FakeMattermost::start();
    let mut plain = start_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "just chatting"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw now you"));
    let m = plain.next_message();
    assert_eq!(m["text"], "@openclaw now you");
    assert_eq!(bodies(&m), ["just chatting"]);
    plain.no_message(SHORT);
    assert!(
        !plain.stdout_lines().iter().any(|l| l.contains("addressed")),
        "no unaddressed lines without --unaddressed"
    );
    stop(plain);

    let mut bridge = forwarding_bridge(&fake, "");
    let chat = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "hey Claw, /status"));
    // Every other rule still applies: a sender outside the list, the bot's own post, a
    // system post.
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "bob is not allowed"));
    fake.post(NewPost::new(BOT_ID, TOWN_SQUARE, "the bot's own"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "joined").kind("system_join_channel"));
    let mention = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw and now?"));
    let m = bridge.next_message();
    assert_eq!(m["id"], chat.as_str());
    assert_eq!(
        (
            &m["addressed"],
            &m["mentioned"],
            &m["text"],
            &m["authorized"]
        ),
        (
            &json!(false),
            &json!(false),
            &json!("hey Claw, /status"),
            &json!(true)
        )
    );
    assert_eq!(m["history"], json!([]));
    let m = bridge.next_message();
    assert_eq!(m["id"], mention.as_str());
    assert!(
        m.get("addressed").is_none(),
        "addressed lines stay as they were: {m}"
    );
    assert_eq!(
        bodies(&m),
        ["hey Claw, /status", "bob is not allowed"],
        "the unaddressed post stayed history"
    );
    // DMs have no mention gate; group DMs and threads do.
    fake.post(NewPost::new(ALICE_ID, GROUP_CH, "in the group"));
    assert_eq!(bridge.next_message()["addressed"], false);
    bridge.no_message(SHORT);
}

#[test]
fn an_unaddressed_post_carries_the_history_it_would_have_and_no_downloaded_files() {
    let fake = FakeMattermost::start();
    let file = "fileunaddressed00000000000";
    fake.add_file(file, "notes.txt", b"some notes");
    let mut bridge = forwarding_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "first"));
    assert_eq!(bodies(&bridge.next_message()), Vec::<String>::new());
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "second").file_ids(vec![file.into()]));
    let m = bridge.next_message();
    assert_eq!(m["addressed"], false);
    assert_eq!(bodies(&m), ["first"], "peeked, not taken");
    let listed = &m["files"][0];
    assert_eq!(
        (&listed["id"], &listed["path"]),
        (&json!(file), &Value::Null)
    );
    assert!(listed["error"].as_str().unwrap().contains("not addressed"));
    let downloads = |fake: &FakeMattermost| {
        let requests = fake.requests().into_iter();
        requests
            .filter(|r| r.path_only().starts_with("/api/v4/files/"))
            .count()
    };
    assert_eq!(
        downloads(&fake),
        0,
        "nothing downloaded for a post nobody took"
    );
    // The host fetches it when it takes the post as addressed after all.
    let fetched = bridge.call("fetchFile", json!({ "fileId": file }));
    let path = fetched["path"].as_str().unwrap();
    assert_eq!(std::fs::read(Path::new(path)).unwrap(), b"some notes");
    fake.post(NewPost::new(
        ALICE_ID,
        TOWN_SQUARE,
        "@openclaw what was said?",
    ));
    let m = bridge.next_message();
    assert_eq!(
        bodies(&m),
        ["first", "second\n<media:attachment>"],
        "both stayed history, once each"
    );
}

#[test]
fn unaddressed_lines_are_delivered_once_across_catch_up_and_restarts() {
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.0.join("state").join("mattermost-state.json");
    let extra = format!("stateFile: '{}'", state.display());
    let mut bridge = forwarding_bridge(&fake, &extra);
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "live chat"));
    assert_eq!(bridge.next_message()["text"], "live chat");
    stop(bridge);

    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "chat while down"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw while down"));
    let mut bridge = forwarding_bridge(&fake, &extra);
    let m = bridge.next_message();
    assert_eq!(
        (&m["text"], &m["catchUp"], &m["addressed"]),
        (&json!("chat while down"), &json!(true), &json!(false))
    );
    let m = bridge.next_message();
    assert_eq!(
        (&m["text"], &m["catchUp"]),
        (&json!("@openclaw while down"), &json!(true))
    );
    assert_eq!(bodies(&m), ["chat while down"]);
    bridge.no_message(SHORT);
    stop(bridge);

    // Written lines count as delivered: nothing comes again.
    let mut bridge = forwarding_bridge(&fake, &extra);
    bridge.no_message(SHORT);
    stop(bridge);
}
