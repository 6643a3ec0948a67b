//! The "nothing lost, nothing doubled" promise under a bad network: a 2,000-post conversation
//! while the WebSocket is dropped 20 times (some resumable, some forced onto a new connection),
//! the bridge is restarted once, and the host's replies meet 5xx, 429 and slow answers.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

const POSTS: usize = 2000;
const DROPS: usize = 20;
const CHANNELS: [&str; 3] = [DM_ALICE, TOWN_SQUARE, GROUP_CH];

/// Deterministic pauses: the same run every time, yet drops land at uneven points.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn launch(fake: &FakeMattermost, state: &Path) -> Bridge {
    // reconnectInterval 1 ms: ten drops per process double it to about half a second at most.
    start_bridge(
        fake,
        &format!(
            "stateFile: '{}', reconnectInterval: 1, chatmode: 'onmessage'",
            state.display()
        ),
    )
}

/// Every `message` the bridge wrote, in order.
fn messages(bridge: &Bridge) -> Vec<Value> {
    bridge
        .stdout_lines()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|v| v["method"] == "message")
        .map(|v| v["params"].clone())
        .collect()
}

/// A fault for the reply sent after drop number `n`.
fn reply_fault(n: usize) -> Fault {
    match n % 4 {
        0 => Fault::app_error(503, "api.server.unavailable", "Service unavailable").times(2),
        1 => Fault::rate_limited(1),
        2 => Fault::pass().delayed(Duration::from_millis(300)),
        _ => Fault::app_error(
            500,
            "api.post.deduplicate_create_post.pending",
            "A post with this pending id is still being created.",
        ),
    }
}

#[test]
fn every_post_arrives_once_and_every_reply_is_posted_once() {
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.0.join("mattermost-state.json");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut bridge = launch(&fake, &state);
    let mut earlier: Vec<Value> = Vec::new();
    // Per bridge process (each numbers its requests from 1).
    let mut answered: Vec<Vec<Value>> = Vec::new();

    std::thread::scope(|scope| {
        let poster = scope.spawn(|| {
            for n in 0..POSTS {
                let channel = CHANNELS[n % CHANNELS.len()];
                fake.post(NewPost::new(ALICE_ID, channel, &format!("post {n}")));
                if n % 7 == 0 {
                    fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "bob is filtered"));
                }
                std::thread::sleep(Duration::from_millis(7));
            }
        });
        for n in 0..DROPS {
            std::thread::sleep(Duration::from_millis(100 + rng.below(300)));
            if n == DROPS / 2 {
                bridge.close_stdin();
                assert!(bridge.wait_exit(WAIT).is_some_and(|s| s.success()));
                bridge.read_to_end(WAIT);
                earlier = messages(&bridge);
                answered.push(responses(&bridge));
                std::thread::sleep(Duration::from_millis(200));
                bridge = launch(&fake, &state);
            }
            if n % 3 == 0 {
                fake.expire_ws_sessions();
            }
            fake.drop_websockets();
            fake.inject("POST", "/api/v4/posts", reply_fault(n));
            let reply = bridge.request(
                "send",
                json!({ "channelId": TOWN_SQUARE, "text": format!("reply {n}") }),
            );
            assert!(reply.get("result").is_some(), "reply {n}: {reply}");
        }
        poster.join().unwrap();
    });

    // Wait until the last post has come through.
    let deadline = Instant::now() + Duration::from_secs(30);
    let last = format!("post {}", POSTS - 1);
    let arrived = |bridge: &Bridge| {
        earlier
            .iter()
            .chain(&messages(bridge))
            .any(|m| m["text"] == last.as_str())
    };
    while !arrived(&bridge) {
        if Instant::now() > deadline {
            let stderr = bridge.stderr();
            let tail: String = stderr
                .lines()
                .filter(|l| !l.contains("DEBUG"))
                .collect::<Vec<_>>()
                .join("\n");
            panic!("the last post never arrived; bridge log:\n{tail}");
        }
        bridge.wait_for(Duration::from_millis(100), |_| false);
    }
    // Anything late would show up below as doubled or out of order.
    bridge.wait_for(Duration::from_millis(500), |_| false);
    let mut all = earlier;
    all.extend(messages(&bridge));
    answered.push(responses(&bridge));

    // Every post from alice exactly once, nothing else.
    let mut count: HashMap<String, usize> = HashMap::new();
    for m in &all {
        *count
            .entry(m["text"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let missing: Vec<usize> = (0..POSTS)
        .filter(|n| !count.contains_key(&format!("post {n}")))
        .collect();
    assert!(missing.is_empty(), "lost posts: {missing:?}");
    let doubled: Vec<_> = count.iter().filter(|(_, c)| **c > 1).collect();
    assert!(doubled.is_empty(), "delivered twice: {doubled:?}");
    assert_eq!(all.len(), POSTS, "only alice's posts");

    // In order per channel.
    for channel in CHANNELS {
        let times: Vec<i64> = all
            .iter()
            .filter(|m| m["channelId"] == channel)
            .map(|m| m["createAt"].as_i64().unwrap())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] < w[1]),
            "out of order in {channel}"
        );
    }

    // Each reply posted exactly once, each request answered exactly once.
    let posts = fake.posts();
    for n in 0..DROPS {
        let text = format!("reply {n}");
        let copies = posts
            .iter()
            .filter(|p| p["message"] == text.as_str())
            .count();
        assert_eq!(copies, 1, "{text} posted {copies} times");
    }
    for responses in &answered {
        let mut ids: Vec<String> = responses.iter().map(|r| r["id"].to_string()).collect();
        let total = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), total, "a request was answered twice");
    }
    assert_eq!(answered.iter().map(Vec::len).sum::<usize>(), DROPS);
    let caught_up = all.iter().filter(|m| m["catchUp"] == true).count();
    eprintln!(
        "{POSTS} posts, {DROPS} drops, {} resumes, {caught_up} caught up over REST",
        fake.ws_resumes()
    );
}

/// Every response line (a line with an `id` and a result or error).
fn responses(bridge: &Bridge) -> Vec<Value> {
    bridge
        .stdout_lines()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|v| {
            v.get("id").is_some() && (v.get("result").is_some() || v.get("error").is_some())
        })
        .collect()
}
