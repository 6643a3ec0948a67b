//! Bad input from either side never crashes the bridge or costs a good message: broken stdin
//! lines each get their error response, broken server frames are logged once per kind and
//! skipped, and a huge but valid frame is delivered.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::time::Duration;

#[test]
fn every_broken_stdin_line_gets_its_error_and_serving_goes_on() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let cases: Vec<(Vec<u8>, Value, i64)> = vec![
        // A raw NUL inside a JSON string is not JSON.
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"x\":\"a\0b\"}".to_vec(),
            Value::Null,
            -32700,
        ),
        (b"\0\0\0".to_vec(), Value::Null, -32700),
        (vec![b'"', 0xc3, 0x28, b'"'], Value::Null, -32700),
        (br#"{"jsonrpc":"2.0","id":2,"method":"send","params":[1,2]}"#.to_vec(), json!(2), -32602),
        (br#"{"jsonrpc":"2.0","id":{"a":1},"method":"status"}"#.to_vec(), Value::Null, -32600),
        (br#"{"jsonrpc":"1.0","id":3,"method":"status"}"#.to_vec(), json!(3), -32600),
        (br#"{"jsonrpc":"2.0","id":4,"method":"send","params":{"channelId":unquoted}}"#.to_vec(), Value::Null, -32700),
        (
            format!(r#"{{"jsonrpc":"2.0","id":5,"method":"send","params":{{"channelId":"{TOWN_SQUARE}","text":5}}}}"#)
                .into_bytes(),
            json!(5),
            -32602,
        ),
        (
            format!(r#"{{"jsonrpc":"2.0","id":6,"method":"send","params":{{"channelId":"{TOWN_SQUARE}","text":"x","files":"notalist"}}}}"#)
                .into_bytes(),
            json!(6),
            -32602,
        ),
        (br#"{"jsonrpc":"2.0","id":7,"method":"nope"}"#.to_vec(), json!(7), -32601),
    ];
    for (line, id, code) in cases {
        bridge.write_line(&line);
        let answer = bridge.expect("an error response", |v| {
            v.get("error").is_some() && v["id"] == id && v["error"]["code"] == code
        });
        assert!(answer.get("result").is_none());
    }
    assert_eq!(bridge.call("status", json!({}))["state"], "connected");
    // No response was sent twice and nothing else slipped out.
    let responses = bridge
        .stdout_lines()
        .iter()
        .filter(|l| l.contains("\"error\""))
        .count();
    assert_eq!(responses, 10);
}

#[test]
fn a_duplicate_id_in_flight_is_refused_and_the_first_still_answered() {
    let fake = FakeMattermost::start();
    fake.inject(
        "POST",
        "/api/v4/posts",
        Fault::pass().delayed(Duration::from_millis(800)),
    );
    let mut bridge = start_bridge(&fake, "");
    let send = |text: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","id":"dup","method":"send","params":{{"channelId":"{TOWN_SQUARE}","text":"{text}"}}}}"#
        )
    };
    bridge.write_line(send("slow first").as_bytes());
    std::thread::sleep(Duration::from_millis(200));
    bridge.write_line(send("second").as_bytes());
    let refused = bridge.expect("the duplicate refused", |v| {
        v["id"] == "dup" && v.get("error").is_some()
    });
    assert_eq!(refused["error"]["code"], -32600);
    let first = bridge.expect("the first answered", |v| {
        v["id"] == "dup" && v.get("result").is_some()
    });
    assert_eq!(first["result"]["postIds"].as_array().unwrap().len(), 1);
    let bot_posts: Vec<Value> = fake
        .posts()
        .into_iter()
        .filter(|p| p["user_id"] == BOT_ID)
        .collect();
    assert_eq!(bot_posts.len(), 1);
    assert_eq!(bot_posts[0]["message"], "slow first");
    // Once answered, the id may be used again.
    bridge.write_line(send("reused").as_bytes());
    bridge.expect("the reused id answered", |v| {
        v["id"] == "dup" && v.get("result").is_some()
    });
}

#[test]
fn broken_server_frames_are_logged_once_per_kind_and_skipped() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    for _ in 0..3 {
        fake.broadcast_raw("not json at all");
    }
    fake.broadcast_raw(r#"{"event":"posted","seq":-1}"#);
    fake.broadcast_event("posted", json!({"channel_type": "D", "post": 42}));
    fake.broadcast_event("posted", json!({"channel_type": "D", "post": "{not json"}));
    fake.broadcast_event("posted", json!({"channel_type": "D"}));
    fake.broadcast_event("posted", json!({"channel_type": "D", "post": "{}"}));
    fake.broadcast_event("a_future_event", json!({"whatever": [1, 2, 3]}));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "the good one"));
    assert_eq!(bridge.next_message()["text"], "the good one");
    bridge.no_message(Duration::from_millis(200));
    let stderr = bridge.stderr();
    let warned = stderr
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("(not-json)"))
        .count();
    assert_eq!(warned, 1, "{stderr}");
    assert!(stderr.contains("(posted-post)"), "{stderr}");
}

#[test]
fn a_ten_megabyte_post_is_delivered_and_the_next_one_too() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let huge = "word ".repeat(2 * 1024 * 1024);
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, &huge));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "after the big one"));
    let big = bridge.next_message();
    assert_eq!(big["text"].as_str().unwrap().len(), huge.len());
    assert_eq!(bridge.next_message()["text"], "after the big one");
    assert_eq!(fake.ws_connections(), 1, "no reconnect needed");
}

/// A host that stops reading stdout must not make the bridge grow: the stdout queue fills, the
/// event reader stops reading, TCP pushes back on the server. When the host reads again,
/// everything arrives, in order.
#[test]
fn a_stalled_host_keeps_memory_flat_and_loses_nothing() {
    // 20,000 posts of 300 bytes: far more than every buffer on the way (the server closes the
    // socket at 256 queued events, and catch-up pages the rest; tests/integration/catch_up.rs).
    const POSTS: usize = 20_000;
    let _turn = one_flood_at_a_time();
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    bridge.pause_stdout();
    let text = "x".repeat(300);
    let mut samples = Vec::new();
    for n in 0..POSTS {
        fake.post(NewPost::new(ALICE_ID, DM_ALICE, &format!("{n} {text}")));
        if n % 5_000 == 4_999 {
            // Let the bridge take what it can before measuring.
            std::thread::sleep(Duration::from_millis(300));
            samples.push(bridge.rss_kib());
        }
    }
    eprintln!("bridge RSS (KiB) after each 5,000 posts: {samples:?}");
    let (first, last) = (samples[0], *samples.last().unwrap());
    assert!(
        last < first + 4 * 1024,
        "RSS grew from {first} KiB to {last} KiB while the host was stalled: {samples:?}"
    );
    bridge.resume_stdout();
    for n in 0..POSTS {
        let m = bridge.next_message_within(FLOOD_WAIT);
        let text = m["text"].as_str().unwrap();
        assert!(
            text.starts_with(&format!("{n} ")),
            "expected post {n}, got {}",
            &text[..12]
        );
    }
}
