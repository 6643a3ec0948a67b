//! The requests behind the message tool's actions: `read` (a channel's history) and `react`
//! bound to the conversation the agent is in.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};

const INVALID_PARAMS: i64 = -32602;
const REFUSED: i64 = -32000;
const NOT_ALLOWED: i64 = -32001;

fn ids(result: &Value) -> Vec<String> {
    serde_json::from_value(result["postIds"].clone()).unwrap()
}

/// The posts of a `read` result, taken from the server's answer it carries.
fn posts_read(result: &Value) -> Vec<Value> {
    let listing: Value = serde_json::from_str(result["listing"].as_str().unwrap()).unwrap();
    ids(result)
        .iter()
        .map(|id| listing["posts"][id].clone())
        .collect()
}

#[test]
fn read_lists_a_channels_posts_newest_first_with_before_after_and_limit() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let posts: Vec<String> = (0..5)
        .map(|n| fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, &format!("post {n}"))))
        .collect();
    let reply = fake.post(NewPost::new(BOB_ID, TOWN_SQUARE, "in a thread").root(&posts[0]));
    let newest = bridge.call("read", json!({"channelId": TOWN_SQUARE}));
    assert_eq!(newest["channelId"], TOWN_SQUARE);
    assert_eq!(newest["channelType"], "open");
    assert_eq!(newest["hasMore"], false);
    let mut expected: Vec<String> = posts.iter().rev().cloned().collect();
    expected.insert(0, reply.clone());
    assert_eq!(ids(&newest), expected);
    let first = &posts_read(&newest)[0];
    // The server's post object, with its field names.
    assert_eq!(first["message"], "in a thread");
    assert_eq!(first["user_id"], BOB_ID);
    assert_eq!(first["root_id"], posts[0].as_str());
    assert_eq!(first["channel_id"], TOWN_SQUARE);
    assert_eq!(first["type"], "");
    assert_eq!(first["file_ids"], json!([]));
    assert!(first["create_at"].as_i64().unwrap() > 0);
    let limited = bridge.call("read", json!({"channelId": TOWN_SQUARE, "limit": 2}));
    assert_eq!(ids(&limited), vec![reply.clone(), posts[4].clone()]);
    let before = bridge.call(
        "read",
        json!({"channelId": TOWN_SQUARE, "before": posts[3], "limit": 2}),
    );
    assert_eq!(ids(&before), vec![posts[2].clone(), posts[1].clone()]);
    let after = bridge.call("read", json!({"channelId": TOWN_SQUARE, "after": posts[3]}));
    assert_eq!(ids(&after), vec![reply, posts[4].clone()]);
    let requests = fake.requests();
    let paths: Vec<&str> = requests
        .iter()
        .filter(|r| r.path.contains(&format!("/channels/{TOWN_SQUARE}/posts")))
        .map(|r| r.path.as_str())
        .collect();
    assert!(paths.iter().any(|p| p.contains("per_page=60")), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.contains(&format!("before={}", posts[3])) && p.contains("per_page=2")),
        "{paths:?}"
    );
}

#[test]
fn read_checks_its_params_and_the_policy() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, &format!("allowChannels: ['{TOWN_SQUARE}']"));
    let post = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "x"));
    let cases = [
        (
            json!({"channelId": TOWN_SQUARE, "before": post, "after": post}),
            "before",
        ),
        (json!({"channelId": TOWN_SQUARE, "limit": 0}), "limit"),
        (json!({"channelId": TOWN_SQUARE, "limit": 201}), "limit"),
        (json!({"channelId": TOWN_SQUARE, "limit": "5"}), "limit"),
        (
            json!({"channelId": TOWN_SQUARE, "before": "../../users/me"}),
            "before",
        ),
        (json!({"channelId": "town-square"}), "channelId"),
        (json!({}), "channelId"),
    ];
    for (params, field) in cases {
        let error = bridge.call_err("read", params.clone());
        assert_eq!(error["code"], INVALID_PARAMS, "{params}");
        assert_eq!(error["data"]["field"], field, "{params}");
    }
    let outside = bridge.call_err("read", json!({"channelId": OFFTOPIC}));
    assert_eq!(outside["code"], NOT_ALLOWED);
    // A DM with a user outside allowFrom (dmPolicy allowlist) is refused before any REST call.
    let bob = bridge.call_err("read", json!({"userId": BOB_ID}));
    assert_eq!(bob["code"], NOT_ALLOWED);
    // The DM with an allowed user, by user id.
    let dm_post = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "in the DM"));
    bridge.next_message();
    let dm = bridge.call("read", json!({"userId": ALICE_ID}));
    assert_eq!(dm["channelId"], DM_ALICE);
    assert_eq!(dm["channelType"], "direct");
    assert_eq!(ids(&dm), vec![dm_post]);
}

#[test]
fn read_survives_a_hostile_listing() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let path = format!("/api/v4/channels/{TOWN_SQUARE}/posts");
    let post = |id: &str, channel: &str| json!({"id": id, "channel_id": channel, "user_id": ALICE_ID, "message": id, "create_at": 1});
    // More posts than asked for, one of another channel, and older ones announced.
    let listing = json!({
        "order": ["p1", "p2", "p3", "p4"],
        "posts": {"p1": post("p1", TOWN_SQUARE), "p2": post("p2", OFFTOPIC),
                  "p3": post("p3", TOWN_SQUARE), "p4": post("p4", TOWN_SQUARE)},
        "next_post_id": "", "prev_post_id": "p5",
    });
    fake.inject(
        "GET",
        &path,
        Fault::raw(200, "application/json", &listing.to_string()),
    );
    let result = bridge.call("read", json!({"channelId": TOWN_SQUARE, "limit": 3}));
    assert_eq!(
        ids(&result),
        vec!["p1", "p3"],
        "another channel's post is left out"
    );
    assert_eq!(result["hasMore"], true);
    // `order` naming a post the answer does not contain.
    let broken = json!({"order": ["p1", "ghost"], "posts": {"p1": post("p1", TOWN_SQUARE)}});
    fake.inject(
        "GET",
        &path,
        Fault::raw(200, "application/json", &broken.to_string()),
    );
    let error = bridge.call_err("read", json!({"channelId": TOWN_SQUARE}));
    assert_eq!(error["code"], REFUSED);
    // Not a post list at all: taken as a passing fault, asked again.
    let real = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "real"));
    fake.inject("GET", &path, Fault::raw(200, "application/json", "[1,2,3]"));
    let result = bridge.call("read", json!({"channelId": TOWN_SQUARE}));
    assert_eq!(ids(&result), vec![real]);
}

/// `read` hands over the server's answer as it wrote it (the JS plugin's tool result shows
/// the agent the server's whole post objects, fields in the server's order), with the ids of
/// the posts read: the plugin takes those from it.
#[test]
fn read_passes_the_servers_answer_through() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let path = format!("/api/v4/channels/{TOWN_SQUARE}/posts");
    let listing = format!(
        "{{\"order\": [\"p1\", \"p2\"],\n \"posts\": {{\"p1\": {{\n  \"id\": \"p1\",\r\n  \"create_at\": 1732400000000,\n  \"is_pinned\": false,\n  \"user_id\": \"{ALICE_ID}\",\n  \"channel_id\": \"{TOWN_SQUARE}\",\n  \"message\": \"two\\nlines\",\n  \"props\": {{\"x\": [1, {{\"y\": null}}]}},\n  \"hashtags\": \"\"\n}}, \"p2\": {{\"id\": \"p2\", \"channel_id\": \"{OFFTOPIC}\"}}}}, \"next_post_id\": \"\", \"prev_post_id\": \"\"}}"
    );
    fake.inject("GET", &path, Fault::raw(200, "application/json", &listing));
    let result = bridge.call("read", json!({"channelId": TOWN_SQUARE}));
    assert_eq!(
        result["listing"],
        listing.as_str(),
        "the server's text as it came"
    );
    assert_eq!(
        ids(&result),
        vec!["p1"],
        "another channel's post is not read"
    );
    assert_eq!(
        posts_read(&result)[0]["props"],
        json!({"x": [1, {"y": null}]})
    );
    // One line all the same.
    let line = bridge
        .stdout_lines()
        .into_iter()
        .find(|l| l.contains("is_pinned"))
        .expect("the read answer");
    assert!(line.contains("\\r\\n  \\\"create_at"), "{line}");
}

#[test]
fn react_bound_to_a_conversation_refuses_posts_elsewhere() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let in_town = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "town"));
    let in_dm = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "dm"));
    bridge.next_message();
    let react = |post: &str, bound: Value| {
        let mut params = json!({"postId": post, "emoji": "eyes"});
        params
            .as_object_mut()
            .unwrap()
            .extend(bound.as_object().unwrap().clone());
        params
    };
    bridge.call("react", react(&in_town, json!({"channelId": TOWN_SQUARE})));
    bridge.call("react", react(&in_dm, json!({"userId": ALICE_ID})));
    let refused = [
        react(&in_town, json!({"channelId": OFFTOPIC})),
        react(&in_town, json!({"userId": ALICE_ID})),
        react(&in_dm, json!({"userId": BOB_ID})),
        react(&in_dm, json!({"channelId": TOWN_SQUARE})),
    ];
    for params in refused {
        let error = bridge.call_err("react", params.clone());
        assert_eq!(error["code"], NOT_ALLOWED, "{params}");
        assert_eq!(error["data"]["postId"], params["postId"]);
    }
    assert_eq!(fake.reactions().len(), 2);
}

#[test]
fn send_resolves_usernames_and_bare_ids_user_first() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, &format!("allowChannels: ['{TOWN_SQUARE}']"));
    let to_alice = bridge.call("send", json!({"username": "@Alice", "text": "by name"}));
    assert_eq!(to_alice["channelId"], DM_ALICE);
    let by_peer = bridge.call("send", json!({"peerId": ALICE_ID, "text": "by user id"}));
    assert_eq!(by_peer["channelId"], DM_ALICE);
    let in_town = bridge.call(
        "send",
        json!({"peerId": TOWN_SQUARE, "text": "by channel id"}),
    );
    assert_eq!(in_town["channelId"], TOWN_SQUARE);
    bridge.call("send", json!({"peerId": TOWN_SQUARE, "text": "again"}));
    let user_lookups = fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == format!("/api/v4/users/{TOWN_SQUARE}"))
        .count();
    assert_eq!(user_lookups, 1, "a channel id is looked up as a user once");
    let texts: Vec<(String, String)> = fake
        .posts()
        .iter()
        .map(|p| {
            (
                p["channel_id"].as_str().unwrap().into(),
                p["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (channel, text) in [
        (DM_ALICE, "by name"),
        (DM_ALICE, "by user id"),
        (TOWN_SQUARE, "by channel id"),
        (TOWN_SQUARE, "again"),
    ] {
        assert!(
            texts.contains(&(channel.into(), text.into())),
            "{text}: {texts:?}"
        );
    }
    // The policy still applies: a channel outside allowChannels, a DM outside allowFrom.
    let outside = bridge.call_err("send", json!({"peerId": OFFTOPIC, "text": "x"}));
    assert_eq!(outside["code"], NOT_ALLOWED);
    let bob = bridge.call_err("send", json!({"username": "bob", "text": "x"}));
    assert_eq!(bob["code"], NOT_ALLOWED);
    let nobody = bridge.call_err("send", json!({"username": "nobody", "text": "x"}));
    assert_eq!(nobody["code"], REFUSED);
    assert_eq!(nobody["data"]["status"], 404);
    for bad in ["../users/me", "a b", ""] {
        let error = bridge.call_err("send", json!({"username": bad, "text": "x"}));
        assert_eq!(error["code"], INVALID_PARAMS, "{bad}");
    }
}

#[test]
fn send_finds_channels_by_name_in_the_team() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, &format!("allowChannels: ['{TOWN_SQUARE}']"));
    for name in ["town-square", "#Town-Square"] {
        let sent = bridge.call("send", json!({"channelName": name, "text": name}));
        assert_eq!(sent["channelId"], TOWN_SQUARE, "{name}");
    }
    let path = format!("/api/v4/teams/{TEAM_ID}/channels/name/town-square");
    assert!(fake.requests().iter().any(|r| r.path == path));
    let outside = bridge.call_err("send", json!({"channelName": "off-topic", "text": "x"}));
    assert_eq!(outside["code"], NOT_ALLOWED);
    let missing = bridge.call_err("send", json!({"channelName": "nowhere", "text": "x"}));
    assert_eq!(missing["code"], REFUSED);
    assert_eq!(missing["data"]["channelName"], "nowhere");
    let bad = bridge.call_err(
        "send",
        json!({"channelName": "../../users/me", "text": "x"}),
    );
    assert_eq!(bad["code"], INVALID_PARAMS);
}
