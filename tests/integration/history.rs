//! History context (`historyLimit`, `contextVisibility`): posts the bot was not addressed by
//! reach the host with the next post that addresses it, from what the bridge saw on the socket,
//! and over REST only for a thread it has no record of.

use crate::support::*;
use fake_mattermost::*;
use serde_json::Value;

fn history(m: &Value) -> Vec<(String, String)> {
    m["history"]
        .as_array()
        .expect("history is an array")
        .iter()
        .map(|e| {
            (
                e["sender"].as_str().unwrap().to_string(),
                e["body"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn thread_reads(fake: &FakeMattermost) -> Vec<Request> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path_only().ends_with("/thread"))
        .collect()
}

#[test]
fn posts_since_the_last_turn_come_with_the_next_mention() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let first = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "first"));
    fake.post(NewPost::new(
        BOB_ID,
        TOWN_SQUARE,
        "bob is not allowed, but context",
    ));
    fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "another channel"));
    fake.post(NewPost::new(BOT_ID, TOWN_SQUARE, "the bot's own post"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "joined").kind("system_join_channel"));
    let mention = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw what now?"));
    let m = bridge.next_message();
    assert_eq!(m["id"], mention.as_str());
    assert_eq!(
        history(&m),
        pairs(&[
            ("@alice", "first"),
            ("@bob", "bob is not allowed, but context")
        ])
    );
    let entry = &m["history"][0];
    assert_eq!(entry["messageId"], first.as_str());
    assert!(entry["timestamp"].as_i64().unwrap() <= m["createAt"].as_i64().unwrap());
    // The list starts over after each turn; the other channel has its own.
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw again"));
    assert_eq!(history(&bridge.next_message()), vec![]);
    fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "@openclaw here?"));
    assert_eq!(
        history(&bridge.next_message()),
        pairs(&[("@alice", "another channel")])
    );
    // DMs carry none; a channel thread has its own list.
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "hi in a DM"));
    assert_eq!(history(&bridge.next_message()), vec![]);
    assert!(thread_reads(&fake).is_empty());
}

#[test]
fn allowlist_visibility_leaves_out_senders_outside_the_allow_list() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "contextVisibility: 'allowlist_quote'");
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "from bob"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "from alice"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw sum up"));
    assert_eq!(
        history(&bridge.next_message()),
        pairs(&[("@alice", "from alice")])
    );
}

#[test]
fn history_limit_keeps_the_newest_and_zero_keeps_none() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "historyLimit: 2");
    for text in ["one", "two", "three"] {
        fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, text));
    }
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw go"));
    assert_eq!(
        history(&bridge.next_message()),
        pairs(&[("@alice", "two"), ("@alice", "three")])
    );
    drop(bridge);

    let fake = FakeMattermost::start();
    let root = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "old thread"));
    let mut bridge = start_bridge(&fake, "historyLimit: 0");
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "chatter"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw go").root(&root));
    assert_eq!(history(&bridge.next_message()), vec![]);
    assert!(
        thread_reads(&fake).is_empty(),
        "historyLimit 0 reads nothing"
    );
}

#[test]
fn a_thread_older_than_the_bridge_is_read_once_over_rest() {
    let fake = FakeMattermost::start();
    let root = fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "the plan"));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "agreed").root(&root));
    fake.post(NewPost::new(BOT_ID, TOWN_SQUARE, "an old answer").root(&root));
    fake.post(NewPost::new(
        ALICE_ID,
        TOWN_SQUARE,
        "unrelated top-level post",
    ));
    let mut bridge = start_bridge(&fake, "historyLimit: 5");
    let mention = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw decide").root(&root));
    let m = bridge.next_message();
    assert_eq!(m["id"], mention.as_str());
    // As OpenClaw's plugin reads a thread back: senders by id, the bot's own posts too (its
    // sender rules are anyone's: outside the allow list, and `contextVisibility` is `all`).
    assert_eq!(
        history(&m),
        pairs(&[
            (BOB_ID, "the plan"),
            (ALICE_ID, "agreed"),
            (BOT_ID, "an old answer")
        ])
    );
    assert!(
        !fake
            .requests()
            .iter()
            .any(|r| r.path_only() == "/api/v4/users/ids"),
        "no names looked up"
    );
    let reads = thread_reads(&fake);
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].path_only(), format!("/api/v4/posts/{root}/thread"));
    assert_eq!(reads[0].query("perPage").as_deref(), Some("6"));
    assert_eq!(reads[0].query("direction").as_deref(), Some("up"));
    assert_eq!(
        reads[0].query("fromPost").as_deref(),
        Some(mention.as_str())
    );
    assert_eq!(
        reads[0].query("fromCreateAt"),
        Some(m["createAt"].as_i64().unwrap().to_string())
    );
    // Known now, and the bot had answered there before (no new session): the next turn in
    // the thread uses what the socket brought.
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "one more thing").root(&root));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw and?").root(&root));
    assert_eq!(
        history(&bridge.next_message()),
        pairs(&[("@bob", "one more thing")])
    );
    assert_eq!(thread_reads(&fake).len(), 1);
}

#[test]
fn a_thread_with_live_posts_is_not_read() {
    // As OpenClaw's plugin: what the socket brought is enough once there is some.
    let fake = FakeMattermost::start();
    let root = fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "the plan"));
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "live reply").root(&root));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw decide").root(&root));
    assert_eq!(
        history(&bridge.next_message()),
        pairs(&[("@alice", "live reply")])
    );
    assert!(thread_reads(&fake).is_empty());
}

#[test]
fn a_failing_thread_read_does_not_hold_the_turn() {
    let fake = FakeMattermost::start();
    let root = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "old root"));
    let mut bridge = start_bridge(&fake, "");
    fake.inject(
        "GET",
        &format!("/api/v4/posts/{root}/thread"),
        Fault::app_error(500, "boom", "the database is gone"),
    );
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw hello").root(&root));
    assert_eq!(history(&bridge.next_message()), vec![]);
    assert_eq!(thread_reads(&fake).len(), 1);
    // Failed reads are retried at the earliest a minute later, not at the next turn.
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw still there?").root(&root));
    assert_eq!(history(&bridge.next_message()), vec![]);
    assert_eq!(thread_reads(&fake).len(), 1);
}

#[test]
fn a_new_threads_second_turn_sees_the_whole_thread_from_what_the_bridge_saw() {
    // As OpenClaw's plugin, whose second turn in a thread it opened a session for reads the
    // thread again: the root, the first turn's post, the bot's answer and what came since.
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let root = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "a new topic"));
    let first = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw your view?").root(&root));
    let m = bridge.next_message();
    assert_eq!(m["id"], first.as_str());
    assert_eq!(history(&m), pairs(&[(ALICE_ID, "a new topic")]));
    assert_eq!(
        thread_reads(&fake).len(),
        1,
        "the thread's start, read once"
    );
    // A streamed answer: posted with its first text, then edited to the final one.
    let answer = fake.post(NewPost::new(BOT_ID, TOWN_SQUARE, "my").root(&root));
    let preview = fake.post(NewPost::new(BOT_ID, TOWN_SQUARE, "a deleted preview").root(&root));
    fake.edit_post(&answer, "my view");
    fake.delete_post(&preview);
    // (bob is outside the allow list: context, as contextVisibility is `all`)
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "hm").root(&root));
    // A follow-up without a mention: the bot takes part in the thread now.
    let second = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "and one more thing").root(&root));
    let m = bridge.next_message();
    assert_eq!(m["id"], second.as_str());
    assert_eq!(m["implicitMention"], "threadParticipation");
    assert_eq!(
        history(&m),
        pairs(&[
            (ALICE_ID, "a new topic"),
            (ALICE_ID, "@openclaw your view?"),
            (BOT_ID, "my view"),
            ("@bob", "hm"),
        ])
    );
    assert_eq!(m["history"][2]["messageId"], answer.as_str());
    assert_eq!(
        thread_reads(&fake).len(),
        1,
        "built from what the bridge saw"
    );
    // The turn after: only what came since, as before.
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw thanks").root(&root));
    assert_eq!(history(&bridge.next_message()), vec![]);
    assert_eq!(thread_reads(&fake).len(), 1);
}

#[test]
fn a_second_turn_reads_the_thread_when_the_bridge_never_read_its_start() {
    // The first turn had live posts of the thread (no read): the second reads it, once.
    let fake = FakeMattermost::start();
    let root = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "older root"));
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "live reply").root(&root));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw go").root(&root));
    assert_eq!(
        history(&bridge.next_message()),
        pairs(&[("@bob", "live reply")])
    );
    assert!(thread_reads(&fake).is_empty());
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "@openclaw again").root(&root));
    assert_eq!(
        history(&bridge.next_message()),
        pairs(&[
            (ALICE_ID, "older root"),
            (BOB_ID, "live reply"),
            (ALICE_ID, "@openclaw go")
        ])
    );
    assert_eq!(thread_reads(&fake).len(), 1);
}
