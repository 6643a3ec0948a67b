//! Interactive buttons (`docs/protocol.md`, "Buttons"): the plugin builds, signs and checks
//! them; the bridge posts them (`send`'s `attachments`), reads a post back for a click's
//! checks (`getPost`), and derives the key the plugin signs with (`interactionKey`), so that
//! the bot token never leaves the bridge.

use super::commands::object;
use super::requests::{api_error, required_id};
use crate::mattermost::api::Api;
use crate::protocol::{Answer, Request, RpcError};
use crate::redact;
use ring::hmac;
use serde_json::{Map, Value};

/// `send`'s `attachments`, serialized, at most (buttons need a few hundred bytes each).
const MAX_ATTACHMENTS_BYTES: usize = 32 * 1024;
/// Actions in one post's attachments, at most.
const MAX_ACTIONS: usize = 25;
/// An action id, at most: it goes into the click's URL (`/posts/{id}/actions/{action_id}`).
const MAX_ACTION_ID: usize = 64;

/// hex(HMAC-SHA256(key = "openclaw-mattermost-interactions", msg = token)): @openclaw/mattermost's
/// interaction secret, so that buttons posted by either plugin verify with the other's key. It
/// is a secret too: registered with `redact`.
pub fn interaction_key(token: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, b"openclaw-mattermost-interactions");
    let tag = hmac::sign(&key, token.as_bytes());
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    redact::register_secret(&hex);
    hex
}

/// `{"key": "…"}`, the `interactionKey` answer.
pub fn key_answer(key: &str) -> Answer {
    Answer::Value(object([("key", key)]))
}

/// `send`'s `attachments` as the first post's `props`, checked: a list of at most 32 KiB of
/// objects whose `actions` (at most 25 in all) have ids of letters and digits (the server
/// routes a click by it) and an http(s) `integration.url`. `None` when absent.
pub fn props(request: &Request) -> Result<Option<Value>, RpcError> {
    let attachments = match request.params.get("attachments") {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value,
    };
    let bad = |why: &'static str| RpcError::invalid_params("attachments", why);
    let Value::Array(list) = attachments else {
        return Err(bad("attachments must be a list of objects"));
    };
    if attachments.to_string().len() > MAX_ATTACHMENTS_BYTES {
        return Err(bad("attachments are over 32 KiB"));
    }
    let mut count = 0;
    for attachment in list {
        let actions = match attachment.get("actions") {
            _ if !attachment.is_object() => {
                return Err(bad("attachments must be a list of objects"))
            }
            None | Some(Value::Null) => continue,
            Some(Value::Array(actions)) => actions,
            Some(_) => return Err(bad("attachments have actions that are not a list")),
        };
        count += actions.len();
        if count > MAX_ACTIONS {
            return Err(bad("attachments have more than 25 actions"));
        }
        for action in actions {
            let id = action.get("id").and_then(Value::as_str).unwrap_or("");
            if id.is_empty()
                || id.len() > MAX_ACTION_ID
                || !id.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(bad(
                    "have an action whose id is not 1 to 64 letters and digits",
                ));
            }
            let url = (action.get("integration"))
                .and_then(|i| i.get("url"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(bad(
                    "attachments have an action without an http(s) integration.url",
                ));
            }
        }
    }
    let mut props = Map::new();
    props.insert("attachments".into(), attachments.clone());
    Ok(Some(Value::Object(props)))
}

/// `getPost`: `{"post": "…"}`, the post as the server wrote it (a string, as `read`'s
/// `listing`), `props` included: the host reads a click's action names and the post's channel
/// from it (the server strips the actions' `integration`).
pub fn get_post(api: &Api, request: &Request) -> Result<Answer, RpcError> {
    let post_id = required_id(request, "postId")?;
    let text = api.post_text(post_id).map_err(|e| api_error(&e))?;
    Ok(Answer::Value(object([("post", text)])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interaction_key_matches_the_js_plugin() {
        // node -e 'console.log(require("crypto").createHmac("sha256",
        //   "openclaw-mattermost-interactions").update("test-token-abc").digest("hex"))'
        assert_eq!(
            interaction_key("test-token-abc"),
            "5964781e61164905a7790d1bb5cc8098d23ed21fb69c5129dcba5133dc3390ea"
        );
    }

    fn request(attachments: Value) -> Request {
        let mut params = Map::new();
        params.insert("attachments".into(), attachments);
        Request {
            id: None,
            method: "send".into(),
            params,
        }
    }

    #[test]
    fn attachments_are_checked() {
        let button = |id: &str, url: &str| {
            serde_json::json!([{"text": "", "actions": [{"id": id, "name": "Yes",
                "integration": {"url": url, "context": {"a": 1}}}]}])
        };
        let good = props(&request(button(
            "yes1",
            "http://gw/mattermost/interactions/default",
        )));
        assert!(good.unwrap().unwrap()["attachments"][0]["actions"][0]["id"] == "yes1");
        for bad in [
            serde_json::json!({"text": "x"}),
            serde_json::json!(["x"]),
            serde_json::json!([{"actions": "x"}]),
            button("a-b", "http://gw/x"),
            button("", "http://gw/x"),
            button("ok", "ftp://gw/x"),
            button("ok", ""),
            serde_json::json!([{"text": "x".repeat(40_000)}]),
        ] {
            let error = props(&request(bad.clone())).unwrap_err();
            assert_eq!(error.data.unwrap()["field"], "attachments", "{bad}");
        }
        let many: Vec<Value> = (0..26)
            .map(|i| {
                serde_json::json!({"id": format!("b{i}"), "name": "n",
                "integration": {"url": "https://gw/x"}})
            })
            .collect();
        let error = props(&request(serde_json::json!([{"actions": many}]))).unwrap_err();
        assert!(error.message.contains("25"), "{}", error.message);
        assert!(props(&request(Value::Null)).unwrap().is_none());
    }
}
