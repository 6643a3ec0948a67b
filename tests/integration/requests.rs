//! Requests from the host carried out over REST: send (chunked, threaded, to users), edit,
//! typing, react, status, and every error code of the protocol.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::time::Duration;

fn post_requests(fake: &FakeMattermost) -> Vec<Request> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path_only() == "/api/v4/posts")
        .collect()
}

#[test]
fn send_posts_top_level_and_in_a_thread() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let result = bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": "hello channel"}),
    );
    assert_eq!(result["channelId"], TOWN_SQUARE);
    let root = result["postIds"][0].as_str().unwrap().to_string();
    let result = bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": "in the thread", "rootId": root, "unknownField": 1}),
    );
    let reply = result["postIds"][0].as_str().unwrap();
    let posts = fake.posts();
    let find = |id: &str| posts.iter().find(|p| p["id"] == id).unwrap().clone();
    assert_eq!(find(&root)["message"], "hello channel");
    assert_eq!(find(&root)["root_id"], "");
    assert_eq!(find(reply)["message"], "in the thread");
    assert_eq!(find(reply)["root_id"], root.as_str());
    assert_eq!(find(reply)["channel_id"], TOWN_SQUARE);
    for request in post_requests(&fake) {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        let pending = request.json()["pending_post_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!pending.is_empty());
    }
    let status = bridge.call("status", json!({}));
    assert_eq!(status["sent"], 2);
}

#[test]
fn send_to_a_user_opens_the_direct_channel() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let result = bridge.call("send", json!({"userId": ALICE_ID, "text": "hi alice"}));
    let direct = fake
        .requests()
        .into_iter()
        .find(|r| r.path_only() == "/api/v4/channels/direct")
        .expect("POST /channels/direct");
    let mut members: Vec<String> = serde_json::from_value(direct.json()).unwrap();
    members.sort();
    let mut expected = vec![BOT_ID.to_string(), ALICE_ID.to_string()];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(result["channelId"], DM_ALICE);
    let post = fake.posts().into_iter().last().unwrap();
    assert_eq!(
        (post["channel_id"].as_str(), post["message"].as_str()),
        (Some(DM_ALICE), Some("hi alice"))
    );
}

fn direct_requests(fake: &FakeMattermost) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.path_only() == "/api/v4/channels/direct")
        .count()
}

/// `dmChannelRetry`, as OpenClaw's Mattermost plugin: transient failures are retried up to
/// `maxRetries` times.
#[test]
fn dm_channel_creation_is_retried_by_dm_channel_retry() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(
        &fake,
        "dmChannelRetry: { maxRetries: 2, initialDelayMs: 100, maxDelayMs: 1000 }",
    );
    fake.inject(
        "POST",
        "/api/v4/channels/direct",
        Fault::app_error(503, "api.server.unavailable", "busy").times(2),
    );
    let result = bridge.call("send", json!({"userId": ALICE_ID, "text": "third time"}));
    assert_eq!(result["channelId"], DM_ALICE);
    assert_eq!(direct_requests(&fake), 3);
    assert!(bridge.stderr_shows("retry 2 of 2"), "{}", bridge.stderr());
}

/// Past `maxRetries` the send fails, even with `retryBudget` left (checked against the old
/// code, which retried the 503s within the 60 s budget and posted on the third attempt).
#[test]
fn dm_channel_creation_gives_up_after_max_retries() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(
        &fake,
        "dmChannelRetry: { maxRetries: 1, initialDelayMs: 100, maxDelayMs: 1000 }",
    );
    fake.inject(
        "POST",
        "/api/v4/channels/direct",
        Fault::app_error(503, "api.server.unavailable", "busy").times(2),
    );
    let e = bridge.call_err("send", json!({"userId": ALICE_ID, "text": "lost"}));
    assert!(e["message"].as_str().unwrap().contains("busy"), "{e}");
    assert_eq!(direct_requests(&fake), 2);
    fake.inject(
        "POST",
        "/api/v4/channels/direct",
        Fault::app_error(403, "api.context.permissions", "no").times(1),
    );
    bridge.call_err("send", json!({"userId": ALICE_ID, "text": "refused"}));
    assert_eq!(
        direct_requests(&fake),
        3,
        "a 4xx other than 429 is not retried"
    );
    assert!(fake.posts().iter().all(|p| p["message"] != "lost"));
}

/// Each attempt is cut off after `timeoutMs`, and the next one is made.
#[test]
fn a_stalled_dm_channel_attempt_is_cut_off_by_timeout_ms() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(
        &fake,
        "dmChannelRetry: { maxRetries: 1, initialDelayMs: 100, maxDelayMs: 1000, timeoutMs: 5000 }",
    );
    fake.inject(
        "POST",
        "/api/v4/channels/direct",
        Fault::pass().delayed(Duration::from_secs(20)),
    );
    let result = bridge.call("send", json!({"userId": ALICE_ID, "text": "after a stall"}));
    assert_eq!(result["channelId"], DM_ALICE);
    assert_eq!(direct_requests(&fake), 2);
}

/// A 40,000-character reply with a long code block: split at the server's limit, in order,
/// each part under the limit, the code fence closed and reopened with its language.
#[test]
fn a_long_reply_is_split_and_code_fences_survive() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let mut text = String::new();
    for i in 0..150 {
        text.push_str(&format!(
            "Paragraph {i}: the quick brown fox jumps over the lazy dog, again and again.\n\n"
        ));
    }
    text.push_str("```python\n");
    let mut n = 0;
    while text.len() < 36_000 {
        text.push_str(&format!("value_{n} = compute({n}) * 2  # line {n}\n"));
        n += 1;
    }
    text.push_str("```\n\nThat is all.");
    while text.chars().count() < 40_000 {
        text.push_str(" More words follow here.");
    }
    let result = bridge.call("send", json!({"channelId": TOWN_SQUARE, "text": text}));
    let ids: Vec<&str> = result["postIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(ids.len() >= 3, "{} parts", ids.len());
    let posts = fake.posts();
    let parts: Vec<String> = ids
        .iter()
        .map(|id| {
            posts.iter().find(|p| p["id"] == *id).unwrap()["message"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for (i, part) in parts.iter().enumerate() {
        assert!(
            part.chars().count() <= 16383,
            "part {i} has {} chars",
            part.chars().count()
        );
        let fences = part.lines().filter(|l| l.starts_with("```")).count();
        assert_eq!(fences % 2, 0, "part {i} leaves a fence open");
    }
    assert!(parts[0].starts_with("Paragraph 0:"));
    assert!(parts.last().unwrap().ends_with("More words follow here."));
    let reopened = parts
        .iter()
        .skip(1)
        .filter(|p| p.starts_with("```python\n"))
        .count();
    assert!(
        reopened >= 1,
        "the code block continues in a reopened fence"
    );
    // Nothing lost: every code line arrives exactly once, in order.
    let code: Vec<&str> = parts
        .iter()
        .flat_map(|p| p.lines())
        .filter(|l| l.starts_with("value_"))
        .collect();
    assert_eq!(code.len(), n);
    assert!(code.windows(2).all(|w| {
        let num = |l: &str| l[6..l.find(' ').unwrap()].parse::<usize>().unwrap();
        num(w[1]) == num(w[0]) + 1
    }));
}

#[test]
fn text_chunk_limit_lowers_the_part_size() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "textChunkLimit: 100");
    let text = "word ".repeat(100);
    let result = bridge.call("send", json!({"channelId": TOWN_SQUARE, "text": text}));
    assert!(result["postIds"].as_array().unwrap().len() >= 5);
    let posts = fake.posts();
    for post in &posts {
        assert!(post["message"].as_str().unwrap().chars().count() <= 100);
    }
    // Split at spaces: every word arrives whole.
    let words: usize = posts
        .iter()
        .map(|p| {
            p["message"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .filter(|w| *w == "word")
                .count()
        })
        .sum();
    assert_eq!(words, 100);
}

/// Sends `text` to town-square through the bridge; the new post's id.
fn send_to_town_square(bridge: &mut Bridge, text: &str) -> String {
    let sent = bridge.call("send", json!({"channelId": TOWN_SQUARE, "text": text}));
    sent["postIds"][0].as_str().unwrap().to_string()
}

/// The post `id` as the fake stores it, if it has it.
fn stored_post(fake: &FakeMattermost, id: &str) -> Option<Value> {
    fake.posts().into_iter().find(|p| p["id"] == id)
}

/// `textChunkLimit` splits what is sent, not what an edit may hold: a streamed preview (as
/// OpenClaw's Mattermost plugin draws it, up to 4000 characters whatever the limit) is edited
/// in one post up to the server's `MaxPostSize`, and refused beyond it.
#[test]
fn an_edit_may_pass_text_chunk_limit_up_to_the_server_limit() {
    let fake = FakeMattermost::start();
    fake.set_max_post_size(4000);
    let mut bridge = start_bridge(&fake, "textChunkLimit: 100");
    let post_id = send_to_town_square(&mut bridge, "draft");
    let long = "é".repeat(4000);
    assert_eq!(
        bridge.call("edit", json!({"postId": post_id, "text": long})),
        json!({"postId": post_id})
    );
    let post = stored_post(&fake, &post_id).unwrap();
    assert_eq!(post["message"], long.as_str());
    let e = bridge.call_err("edit", json!({"postId": post_id, "text": "é".repeat(4001)}));
    assert_eq!(
        (e["code"].as_i64(), &e["data"]),
        (Some(-32602), &json!({"field": "text"})),
        "{e}"
    );
}

/// `delete` removes one of the bot's posts (a streamed preview); the server's refusal of another
/// user's post comes back as an error.
#[test]
fn delete_removes_a_bot_post() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let post_id = send_to_town_square(&mut bridge, "preview");
    assert_eq!(bridge.call("delete", json!({"postId": post_id})), json!({}));
    let gone = stored_post(&fake, &post_id);
    assert!(gone.is_some_and(|p| p["delete_at"].as_i64() > Some(0)));
    let theirs = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "mine"));
    let e = bridge.call_err("delete", json!({"postId": theirs}));
    assert_eq!(e["code"], -32000, "{e}");
    let e = bridge.call_err("delete", json!({"postId": "../users/me"}));
    assert_eq!(e["code"], -32602, "{e}");
}

#[test]
fn edit_typing_and_react() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let post_id = send_to_town_square(&mut bridge, "draft");

    assert_eq!(
        bridge.call("edit", json!({"postId": post_id, "text": "final"})),
        json!({"postId": post_id})
    );
    let post = stored_post(&fake, &post_id).unwrap();
    assert_eq!(post["message"], "final");

    assert_eq!(
        bridge.call(
            "typing",
            json!({"channelId": TOWN_SQUARE, "rootId": post_id})
        ),
        json!({})
    );
    let typing = fake
        .requests()
        .into_iter()
        .find(|r| r.path_only() == "/api/v4/users/me/typing")
        .unwrap();
    assert_eq!(
        typing.json(),
        json!({"channel_id": TOWN_SQUARE, "parent_id": post_id})
    );

    assert_eq!(
        bridge.call("react", json!({"postId": post_id, "emoji": ":thumbsup:"})),
        json!({})
    );
    let reactions = fake.reactions();
    assert_eq!(reactions.len(), 1);
    assert_eq!(reactions[0]["emoji_name"], "thumbsup");
    assert_eq!(reactions[0]["user_id"], BOT_ID);
    assert_eq!(reactions[0]["post_id"], post_id.as_str());

    assert_eq!(
        bridge.call(
            "react",
            json!({"postId": post_id, "emoji": "thumbsup", "remove": true})
        ),
        json!({})
    );
    assert!(fake.reactions().is_empty());
    assert!(fake.requests().iter().any(|r| r.method == "DELETE"
        && r.path_only() == format!("/api/v4/users/me/posts/{post_id}/reactions/thumbsup")));
}

#[test]
fn protocol_errors_get_error_responses_and_the_bridge_carries_on() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let null_id = |v: &Value| v["id"].is_null() && v.get("error").is_some();

    bridge.write_line(b"this is not json");
    let e = bridge.expect("parse error", null_id);
    assert_eq!(e["error"]["code"], -32700);

    bridge.write_line(&[0xff, 0xfe, b'{', 0x00]);
    assert_eq!(
        bridge.expect("utf-8 error", null_id)["error"]["code"],
        -32700
    );

    bridge.write_line(b"[1,2,3]");
    assert_eq!(
        bridge.expect("invalid request", null_id)["error"]["code"],
        -32600
    );

    bridge.write_line(br#"{"jsonrpc":"2.0","id":"x1","method":42}"#);
    let e = bridge.expect("invalid request with id", |v| v["id"] == "x1");
    assert_eq!(e["error"]["code"], -32600);

    let mut huge = br#"{"jsonrpc":"2.0","id":9,"method":"send","params":{"text":""#.to_vec();
    huge.extend(std::iter::repeat_n(b'a', 1_100_000));
    huge.extend(br#""}}"#);
    bridge.write_line(&huge);
    let e = bridge.expect("line too long", null_id);
    assert_eq!(e["error"]["code"], -32600);
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("longer than"));

    let e = bridge.call_err("no_such_method", json!({}));
    assert_eq!(e["code"], -32601);
    assert_eq!(e["data"], json!({"method": "no_such_method"}));

    let e = bridge.call_err("send", json!({"channelId": TOWN_SQUARE}));
    assert_eq!(
        (e["code"].as_i64(), &e["data"]),
        (Some(-32602), &json!({"field": "text"}))
    );
    let e = bridge.call_err("send", json!({"text": "to nowhere"}));
    assert_eq!(
        (e["code"].as_i64(), &e["data"]),
        (Some(-32602), &json!({"field": "channelId"}))
    );
    let e = bridge.call_err("send", json!({"channelId": "../../users/me", "text": "x"}));
    assert_eq!(
        (e["code"].as_i64(), &e["data"]),
        (Some(-32602), &json!({"field": "channelId"}))
    );
    let e = bridge.call_err("react", json!({"postId": TOWN_SQUARE, "emoji": "a/b"}));
    assert_eq!(
        (e["code"].as_i64(), &e["data"]),
        (Some(-32602), &json!({"field": "emoji"}))
    );
    let e = bridge.call_err("edit", json!({"postId": 5, "text": "x"}));
    assert_eq!(
        (e["code"].as_i64(), &e["data"]),
        (Some(-32602), &json!({"field": "postId"}))
    );

    // Still serving after all that.
    assert!(bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": "still fine"})
    )["postIds"]
        .is_array());
}

#[test]
fn mattermost_refusals_are_reported_with_the_servers_words() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.inject(
        "POST",
        "/api/v4/posts",
        Fault::app_error(
            403,
            "api.context.permissions.app_error",
            "You do not have the appropriate permissions.",
        ),
    );
    let e = bridge.call_err("send", json!({"channelId": TOWN_SQUARE, "text": "x"}));
    assert_eq!(e["code"], -32000);
    assert_eq!(e["data"]["status"], 403);
    assert_eq!(e["data"]["id"], "api.context.permissions.app_error");
    assert_eq!(
        e["data"]["message"],
        "You do not have the appropriate permissions."
    );
    assert!(e["data"]["requestId"].is_string());
    assert_eq!(post_requests(&fake).len(), 1, "a 403 is not retried");
}

#[test]
fn targets_outside_the_policy_are_refused() {
    let fake = FakeMattermost::start();
    let dm_bob = "dmbob000000000000000000000";
    fake.add_channel(dm_bob, "D", &dm_name(BOT_ID, BOB_ID), "bob", "");
    let mut bridge = start_bridge(&fake, &format!("allowChannels: ['{OFFTOPIC}']"));
    let e = bridge.call_err("send", json!({"channelId": TOWN_SQUARE, "text": "x"}));
    assert_eq!(
        (e["code"].as_i64(), &e["data"]),
        (Some(-32001), &json!({"channelId": TOWN_SQUARE}))
    );
    let e = bridge.call_err("send", json!({"userId": BOB_ID, "text": "x"}));
    assert_eq!(
        (e["code"].as_i64(), &e["data"]),
        (Some(-32001), &json!({"userId": BOB_ID}))
    );
    let e = bridge.call_err("send", json!({"channelId": dm_bob, "text": "x"}));
    assert_eq!(
        (e["code"].as_i64(), &e["data"]),
        (Some(-32001), &json!({"channelId": dm_bob}))
    );
    let e = bridge.call_err("typing", json!({"channelId": OTHER_TEAM_CH}));
    assert_eq!(e["code"], -32001);
    assert!(post_requests(&fake).is_empty(), "nothing was posted");
    // Allowed targets still work.
    bridge.call("send", json!({"channelId": OFFTOPIC, "text": "ok"}));
    bridge.call("send", json!({"channelId": DM_ALICE, "text": "ok"}));
    bridge.call("send", json!({"channelId": GROUP_CH, "text": "ok"}));
}

#[test]
fn transient_failures_are_retried_without_posting_twice() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.inject(
        "POST",
        "/api/v4/posts",
        Fault::app_error(503, "api.server.unavailable", "busy").times(2),
    );
    fake.inject("POST", "/api/v4/posts", Fault::close());
    let result = bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": "persistent"}),
    );
    assert_eq!(result["postIds"].as_array().unwrap().len(), 1);
    let attempts = post_requests(&fake);
    assert_eq!(attempts.len(), 4);
    let pending: Vec<Value> = attempts
        .iter()
        .map(|r| r.json()["pending_post_id"].clone())
        .collect();
    assert!(
        pending.iter().all(|p| *p == pending[0]),
        "one pending_post_id for every retry: {pending:?}"
    );
    assert_eq!(
        fake.posts()
            .iter()
            .filter(|p| p["message"] == "persistent")
            .count(),
        1
    );
}

#[test]
fn rate_limits_are_waited_out() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.inject("POST", "/api/v4/posts", Fault::rate_limited(1));
    let started = std::time::Instant::now();
    bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": "after the limit"}),
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for Retry-After"
    );
    assert_eq!(post_requests(&fake).len(), 2);
}

#[test]
fn an_unreachable_server_fails_after_the_retry_budget() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "retryBudget: 1500");
    fake.inject(
        "POST",
        "/api/v4/posts",
        Fault::app_error(502, "", "bad gateway").times(1000),
    );
    let e = bridge.call_err("send", json!({"channelId": TOWN_SQUARE, "text": "lost?"}));
    assert_eq!(e["code"], -32003);
    assert!(e["data"]["error"].as_str().unwrap().contains("502"));
    assert!(post_requests(&fake).len() >= 2, "it was retried");
}

/// REST buffers are small (16 KiB heads): a proxy's big headers still pass up to that, and a
/// bigger head is an error that says so.
#[test]
fn response_heads_up_to_16_kib_pass_and_bigger_ones_are_named() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "retryBudget: 500");
    let with_cookie = |bytes: usize| {
        let post = json!({"id": "p".repeat(26), "channel_id": TOWN_SQUARE, "create_at": 1});
        let mut fault = Fault::raw(201, "application/json", &post.to_string());
        fault.headers = vec![("Set-Cookie".into(), format!("sso={}", "c".repeat(bytes)))];
        fault
    };
    fake.inject("POST", "/api/v4/posts", with_cookie(10 * 1024));
    bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": "big cookie"}),
    );

    fake.inject("POST", "/api/v4/posts", with_cookie(20 * 1024).times(100));
    let e = bridge.call_err(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": "huge cookie"}),
    );
    let error = e["data"]["error"].as_str().unwrap();
    assert!(error.contains("response header is too big"), "{e}");
}

#[test]
fn a_partly_sent_reply_reports_what_was_posted() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "textChunkLimit: 50");
    // The first part succeeds, the second is refused.
    let text = format!("{}\n\n{}", "a".repeat(40), "b".repeat(40));
    fake.inject(
        "POST",
        "/api/v4/posts",
        Fault::app_error(400, "x", "no").after(1),
    );
    let e = bridge.call_err("send", json!({"channelId": TOWN_SQUARE, "text": text}));
    assert_eq!(e["code"], -32000);
    assert_eq!(e["data"]["postIds"].as_array().unwrap().len(), 1);
}

#[test]
fn notifications_are_carried_out_without_a_response() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    bridge.write_line(
        json!({"jsonrpc":"2.0","method":"typing","params":{"channelId": TOWN_SQUARE}})
            .to_string()
            .as_bytes(),
    );
    assert!(fake
        .wait_for_request(|r| r.path_only() == "/api/v4/users/me/typing", WAIT)
        .is_some());
    let status = bridge.call("status", json!({}));
    assert_eq!(status["state"], "connected");
    assert!(bridge
        .stdout_lines()
        .iter()
        .all(|l| !l.contains("\"id\":null")));
}

#[test]
fn status_describes_the_connection() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "one"));
    bridge.next_message();
    let status = bridge.call("status", json!({}));
    assert_eq!(status["state"], "connected");
    assert_eq!(status["transport"], "websocket");
    assert_eq!(status["bot"], json!({"id": BOT_ID, "username": "openclaw"}));
    assert!(status["connectedSince"].as_u64().unwrap() > 1_700_000_000_000);
    assert!(status["lastEventAt"].as_u64().unwrap() >= status["connectedSince"].as_u64().unwrap());
    assert_eq!(
        (
            status["delivered"].as_u64(),
            status["sent"].as_u64(),
            status["reconnects"].as_u64()
        ),
        (Some(1), Some(0), Some(0))
    );
}

/// A slow 429 asking for 2^64-1 seconds: the bridge neither overflows (it used to abort) nor
/// waits past `retryBudget`; it answers the request with an error and carries on.
#[test]
fn a_huge_retry_after_fails_within_the_budget_and_the_bridge_lives_on() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "retryBudget: 4000");
    fake.inject(
        "POST",
        "/api/v4/posts",
        Fault::rate_limited(u64::MAX).delayed(Duration::from_millis(1100)),
    );
    let started = std::time::Instant::now();
    let e = bridge.call_err("send", json!({"channelId": TOWN_SQUARE, "text": "limited"}));
    assert!(
        started.elapsed() < Duration::from_millis(4000),
        "waited past retryBudget: {:?}",
        started.elapsed()
    );
    assert_eq!(e["code"], -32003, "{e}");
    assert!(e["data"]["error"].as_str().unwrap().contains("429"), "{e}");
    assert_eq!(
        post_requests(&fake).len(),
        1,
        "no retry the budget cannot hold"
    );
    // Still alive and still working.
    bridge.call("send", json!({"channelId": TOWN_SQUARE, "text": "after"}));
    assert!(!bridge.stderr().contains("panicked"), "{}", bridge.stderr());
}

/// A `Retry-After` too big for any integer type still means "later than the budget": one try,
/// no hammering with ordinary backoff retries.
#[test]
fn a_retry_after_beyond_u64_is_not_ignored() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "retryBudget: 3000");
    let mut fault = Fault::rate_limited(1).times(1000);
    fault.headers = vec![("Retry-After".into(), "9".repeat(30))];
    fake.inject("POST", "/api/v4/posts", fault);
    let e = bridge.call_err("send", json!({"channelId": TOWN_SQUARE, "text": "limited"}));
    assert_eq!(e["code"], -32003, "{e}");
    assert_eq!(post_requests(&fake).len(), 1, "retried: {e}");
}
