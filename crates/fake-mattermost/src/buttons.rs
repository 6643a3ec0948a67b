//! A click on an interactive button, as the server's `DoPostActionWithCookie` handles
//! `POST /posts/{post_id}/actions/{action_id}`: the action's stored `integration` (which no
//! client ever sees) gives the URL and the context; the server POSTs the JSON body of
//! `PostActionIntegrationRequest` there and applies the answer: `update` replaces the post
//! (keeping `from_webhook` and the overrides) and broadcasts `post_edited`; `ephemeral_text` is
//! an ephemeral post for the clicker in the post's thread (recorded, never sent to the bot).

use crate::server::FakeMattermost;
use crate::slash::http_post;
use crate::util::new_id;
use serde_json::{json, Map, Value};

/// Props an `update` cannot change (`UpdatePost` keeps them from the old post).
const KEPT_PROPS: [&str; 3] = ["from_webhook", "override_username", "override_icon_url"];

impl FakeMattermost {
    /// `user_id` clicks `action_id` on `post_id`. `Ok({status, response})` once the answer was
    /// applied; `Err` with the server's error id and words otherwise (an unknown action, or one
    /// an `update` removed, is `api.post.do_action.action_id.app_error`, a 404).
    pub fn click_button(
        &self,
        user_id: &str,
        post_id: &str,
        action_id: &str,
    ) -> Result<Value, String> {
        let (url, body) = self.action_request(user_id, post_id, action_id)?;
        let failed = |why: String| {
            format!("api.post.do_action.action_integration.app_error: Unable to send the action to the integration: {why}")
        };
        let headers = "Content-Type: application/json\r\nAccept: application/json\r\n";
        let (status, _, answer) = http_post(&url, headers, &body.to_string()).map_err(failed)?;
        if status != 200 {
            return Err(failed(format!("status={status}")));
        }
        let response: Value = if answer.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(&answer).map_err(|e| failed(e.to_string()))?
        };
        let mut st = self.shared.lock();
        let index = st
            .post_index(post_id)
            .ok_or("the post was deleted meanwhile")?;
        let old = st.posts[index].clone();
        if let Some(update) = response.get("update").filter(|u| u.is_object()) {
            let mut props = match update.get("props") {
                Some(Value::Object(props)) => props.clone(),
                _ => Map::new(),
            };
            for key in KEPT_PROPS {
                match old["props"].get(key) {
                    Some(value) => props.insert(key.into(), value.clone()),
                    None => props.remove(key),
                };
            }
            let message = update["message"].as_str().unwrap_or("");
            st.edit_post(post_id, Some(message), Some(Value::Object(props)));
        }
        if let Some(text) = response["ephemeral_text"]
            .as_str()
            .filter(|t| !t.is_empty())
        {
            let root = match old["root_id"].as_str() {
                Some("") | None => post_id,
                Some(root) => root,
            };
            let ephemeral = json!({"user_id": user_id, "channel_id": old["channel_id"],
                "root_id": root, "message": text});
            st.ephemerals.push(ephemeral);
        }
        Ok(json!({ "status": status, "response": response }))
    }

    /// The stored action's URL and the `PostActionIntegrationRequest` the server sends to it.
    fn action_request(
        &self,
        user_id: &str,
        post_id: &str,
        action_id: &str,
    ) -> Result<(String, Value), String> {
        let st = self.shared.lock();
        let not_found = || {
            "api.post.do_action.action_id.app_error: Unable to find the action (404)".to_string()
        };
        let index = st.post_index(post_id).ok_or_else(not_found)?;
        let post = &st.posts[index];
        let (_, _, integration) = (st.integrations.iter())
            .find(|(post, action, _)| post == post_id && action == action_id)
            .ok_or_else(not_found)?;
        let url = integration["url"].as_str().unwrap_or("").to_string();
        let user = st.user(user_id).ok_or("unknown user")?;
        let channel_id = post["channel_id"].as_str().unwrap_or("");
        let channel = st.channel(channel_id).ok_or("unknown channel")?;
        let (team_id, team_domain) = match channel.kind.as_str() {
            "D" | "G" => (String::new(), String::new()),
            _ => {
                let team = st.teams.iter().find(|t| t.id == channel.team_id);
                (
                    channel.team_id.clone(),
                    team.map(|t| t.name.clone()).unwrap_or_default(),
                )
            }
        };
        let body = json!({
            "user_id": user_id, "user_name": user.username, "channel_id": channel_id,
            "channel_name": channel.name, "team_id": team_id, "team_domain": team_domain,
            "post_id": post_id, "trigger_id": format!("fake-trigger-{}", new_id()),
            "type": "button", "data_source": "", "context": integration["context"],
        });
        Ok((url, body))
    }

    /// The stored `integration` of a post's action (what clients never see), if any.
    pub fn integration(&self, post_id: &str, action_id: &str) -> Option<Value> {
        let st = self.shared.lock();
        (st.integrations.iter())
            .find(|(post, action, _)| post == post_id && action == action_id)
            .map(|(_, _, integration)| integration.clone())
    }
}
