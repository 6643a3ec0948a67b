//! Interactive buttons through the bridge: `send` with `attachments` (first post only,
//! checked), `getPost` (the post with its props, the integration stripped by the server),
//! `interactionKey` (derived from the token as @openclaw/mattermost does), and the fake's
//! `click_button` carrying a click to the integration URL and applying its answer.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;

fn buttons(url: &str) -> Value {
    json!([{"text": "", "actions": [
        {"id": "yes", "type": "button", "name": "Yes", "style": "primary",
         "integration": {"url": url, "context": {"action_id": "yes", "_token": "t1"}}},
        {"id": "no", "type": "button", "name": "No", "style": "default",
         "integration": {"url": url, "context": {"action_id": "no", "_token": "t2"}}}
    ]}])
}

/// A click URL nothing listens on: these tests look at posts, not at callbacks.
const NOWHERE: &str = "http://127.0.0.1:9/mattermost/interactions/default";

/// Sends `text` with two buttons to town square; the first post's id.
fn post_with_buttons(bridge: &mut Bridge, text: &str) -> String {
    let sent = bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": text, "attachments": buttons(NOWHERE)}),
    );
    sent["postIds"][0].as_str().unwrap().to_string()
}

#[test]
fn send_puts_attachments_on_first_post_only() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "textChunkLimit: 100");
    let text = "word ".repeat(50);
    let url = "http://127.0.0.1:9/mattermost/interactions/default";
    let result = bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": text, "attachments": buttons(url)}),
    );
    let ids: Vec<&str> = (result["postIds"].as_array().unwrap().iter())
        .map(|id| id.as_str().unwrap())
        .collect();
    assert!(ids.len() >= 2, "{result}");
    let posts = fake.posts();
    let find = |id: &str| posts.iter().find(|p| p["id"] == id).unwrap().clone();
    let first = find(ids[0]);
    let actions = &first["props"]["attachments"][0]["actions"];
    assert_eq!(actions[0]["name"], "Yes");
    assert_eq!(actions[1]["id"], "no");
    // Stored for clicks, but never in a post the server serves.
    assert!(actions[0].get("integration").is_none(), "{first}");
    let stored = fake.integration(ids[0], "yes").unwrap();
    assert_eq!(stored["url"], url);
    assert_eq!(stored["context"]["_token"], "t1");
    for id in &ids[1..] {
        assert!(find(id)["props"].get("attachments").is_none());
    }
    // Buttons alone (no text) make one post.
    let alone = bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "attachments": buttons(url)}),
    );
    assert_eq!(alone["postIds"].as_array().unwrap().len(), 1);
}

#[test]
fn send_rejects_bad_attachments() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let before = fake.posts().len();
    for bad in [
        json!({"text": "not a list"}),
        json!([{"actions": [{"id": "a-b", "name": "x", "integration": {"url": "http://h/x"}}]}]),
        json!([{"actions": [{"id": "ok", "name": "x", "integration": {"url": "file:///x"}}]}]),
        json!(["text"]),
    ] {
        let error = bridge.call_err(
            "send",
            json!({"channelId": TOWN_SQUARE, "text": "hi", "attachments": bad}),
        );
        assert_eq!(error["code"], -32602, "{error}");
        assert_eq!(error["data"]["field"], "attachments");
    }
    assert_eq!(fake.posts().len(), before, "nothing was posted");
}

#[test]
fn get_post_returns_the_post_with_its_props() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let id = post_with_buttons(&mut bridge, "Pick one");
    let id = id.as_str();
    let answer = bridge.call("getPost", json!({"postId": id}));
    let post: Value = serde_json::from_str(answer["post"].as_str().unwrap()).unwrap();
    assert_eq!(post["id"], id);
    assert_eq!(post["channel_id"], TOWN_SQUARE);
    assert_eq!(post["message"], "Pick one");
    let actions = &post["props"]["attachments"][0]["actions"];
    assert_eq!(
        (actions[0]["id"].as_str(), actions[0]["name"].as_str()),
        (Some("yes"), Some("Yes"))
    );
    assert!(actions[0].get("integration").is_none());
    let missing = bridge.call_err("getPost", json!({"postId": "x".repeat(26)}));
    assert_eq!(missing["code"], -32000);
    assert_eq!(missing["data"]["status"], 404);
    let bad = bridge.call_err("getPost", json!({"postId": "../x"}));
    assert_eq!(bad["code"], -32602);
}

#[test]
fn interaction_key_matches_the_js_plugins_secret() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    // node -e 'console.log(require("crypto").createHmac("sha256",
    //   "openclaw-mattermost-interactions").update(TOKEN).digest("hex"))', as
    // @openclaw/mattermost's deriveInteractionSecret computes it.
    let key = bridge.call("interactionKey", json!({}));
    assert_eq!(
        key,
        json!({"key": "d3a1d2b192ba546dd1fe77c372422d28c0c9f1f29698b5ee2589e40089d9454b"})
    );
}

/// A one-shot HTTP server answering `answer` (JSON) to the first POST; its request body.
fn integration(answer: Value) -> (String, mpsc::Receiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/mattermost/interactions/default",
        listener.local_addr().unwrap()
    );
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).unwrap();
            raw.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&raw).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = (head.lines())
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    assert!(head.contains("Content-Type: application/json"), "{head}");
                    tx.send(serde_json::from_str(body).unwrap()).unwrap();
                    break;
                }
            }
        }
        let body = answer.to_string();
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(reply.as_bytes()).unwrap();
    });
    (url, rx)
}

#[test]
fn a_click_reaches_the_integration_and_its_update_replaces_the_post() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let answer = json!({
        "update": {"message": "Pick one", "props": {"attachments": [{"text": "✓ **Yes** selected by @alice"}]}},
        "ephemeral_text": "Answer submitted."
    });
    let (url, seen) = integration(answer.clone());
    let sent = bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": "Pick one", "attachments": buttons(&url)}),
    );
    let id = sent["postIds"][0].as_str().unwrap().to_string();
    let clicked = fake.click_button(ALICE_ID, &id, "yes").unwrap();
    assert_eq!(clicked, json!({"status": 200, "response": answer}));
    let body = seen.recv().unwrap();
    assert_eq!(body["user_id"], ALICE_ID);
    assert_eq!(body["user_name"], "alice");
    assert_eq!(body["channel_id"], TOWN_SQUARE);
    assert_eq!(body["team_id"], TEAM_ID);
    assert_eq!(body["post_id"], id.as_str());
    assert_eq!(body["type"], "button");
    assert_eq!(body["context"], json!({"action_id": "yes", "_token": "t1"}));
    let post = fake
        .posts()
        .into_iter()
        .find(|p| p["id"] == id.as_str())
        .unwrap();
    assert_eq!(post["message"], "Pick one");
    assert_eq!(
        post["props"]["attachments"],
        json!([{"text": "✓ **Yes** selected by @alice"}])
    );
    assert!(post["edit_at"].as_i64().unwrap() > 0);
    let ephemeral = fake.ephemerals().pop().unwrap();
    assert_eq!(ephemeral["message"], "Answer submitted.");
    assert_eq!(ephemeral["user_id"], ALICE_ID);
    assert_eq!(ephemeral["root_id"], id.as_str());
    // The update removed the buttons: a second click is the server's 404.
    let again = fake.click_button(ALICE_ID, &id, "no").unwrap_err();
    assert!(
        again.contains("api.post.do_action.action_id.app_error"),
        "{again}"
    );
    let unknown = fake.click_button(ALICE_ID, &id, "maybe").unwrap_err();
    assert!(
        unknown.contains("api.post.do_action.action_id.app_error"),
        "{unknown}"
    );
}

#[test]
fn edit_replaces_or_takes_off_the_buttons() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let url = NOWHERE;
    let id = post_with_buttons(&mut bridge, "pick");
    let post = |fake: &FakeMattermost| fake.posts().into_iter().find(|p| p["id"] == id).unwrap();

    let other = json!([{"text": "next", "actions": [
        {"id": "more", "type": "button", "name": "More",
         "integration": {"url": url, "context": {"action_id": "more"}}}]}]);
    bridge.call(
        "edit",
        json!({"postId": id, "text": "picked", "attachments": other}),
    );
    let edited = post(&fake);
    assert_eq!(edited["message"], "picked");
    assert_eq!(
        edited["props"]["attachments"][0]["actions"][0]["name"],
        "More"
    );
    assert_eq!(
        fake.integration(&id, "more").unwrap()["context"]["action_id"],
        "more"
    );
    assert!(
        fake.integration(&id, "yes").is_none(),
        "the old buttons are gone"
    );

    // Text only: the buttons stay; [] takes them off.
    bridge.call("edit", json!({"postId": id, "text": "still picked"}));
    assert_eq!(
        post(&fake)["props"]["attachments"][0]["actions"][0]["name"],
        "More"
    );
    bridge.call(
        "edit",
        json!({"postId": id, "text": "done", "attachments": []}),
    );
    assert_eq!(post(&fake)["props"]["attachments"], json!([]));

    let error = bridge.call_err(
        "edit",
        json!({"postId": id, "text": "x", "attachments": [{"actions": [{"id": "a-b", "name": "x"}]}]}),
    );
    assert_eq!(error["data"]["field"], "attachments", "{error}");
    assert_eq!(
        post(&fake)["message"],
        "done",
        "a refused edit changes nothing"
    );
}
