//! Storing posts as the server does: ids and strictly increasing timestamps, file
//! attachments, channel counters, edits (with their history rows) and deletes, each broadcast
//! as its event.

use crate::new_post::NewPost;
use crate::state::mentions::mentions_username;
use crate::state::world::{BOT_ID, BOT_USERNAME};
use crate::state::State;
use crate::util::new_id;
use crate::ws::broadcast::{event_frame, Outgoing};
use serde_json::{json, Map, Value};

impl State {
    /// Stores a post, as the server does on create; returns the Post JSON.
    pub(crate) fn store_post(&mut self, draft: &NewPost) -> Value {
        let now = match draft.create_at {
            Some(ms) => {
                self.last_ms = self.last_ms.max(ms);
                ms
            }
            None => self.tick(),
        };
        let mut props = draft.props.clone();
        // The server marks every post of a bot account.
        if self.user(&draft.user_id).is_some_and(|u| u.is_bot) {
            props.insert("from_bot".into(), "true".into());
        }
        let id = new_id();
        let mut props = Value::Object(props);
        self.keep_integrations(&id, &mut props);
        let files = self.attach_files(&draft.file_ids, &id, &draft.user_id, &draft.channel_id);
        let mut metadata = Map::new();
        if !files.is_empty() {
            metadata.insert("files".into(), Value::Array(files));
        }
        let embeds = self.permalink_embeds(&draft.message);
        if !embeds.is_empty() {
            metadata.insert("embeds".into(), Value::Array(embeds));
        }
        let post = json!({
            "id": id, "create_at": now, "update_at": now, "edit_at": 0, "delete_at": 0,
            "is_pinned": false, "user_id": draft.user_id, "channel_id": draft.channel_id,
            "root_id": draft.root_id, "original_id": "", "message": draft.message,
            "type": draft.kind, "props": props, "hashtags": "", "file_ids": draft.file_ids,
            "pending_post_id": "", "reply_count": 0, "metadata": metadata,
        });
        if let Some(channel) = self.channel_mut(&draft.channel_id) {
            channel.last_post_at = now;
            channel.total_msg_count += 1;
        }
        // A reply moves its thread root's `update_at` (so `since` lists the root again).
        let root = (!draft.root_id.is_empty()).then(|| self.post_index(&draft.root_id));
        if let Some(index) = root.flatten() {
            let root = &mut self.posts[index];
            let at = root["update_at"].as_i64().unwrap_or_default().max(now);
            root["update_at"] = at.into();
        }
        self.posts.push(post.clone());
        post
    }

    /// What the server embeds for each permalink (`…/<team>/pl/<post id>`) in a message: a
    /// preview of that post, the way Mattermost shows a quoted message.
    fn permalink_embeds(&self, message: &str) -> Vec<Value> {
        message
            .split("/pl/")
            .skip(1)
            .filter_map(|rest| rest.get(..26))
            .filter_map(|id| self.post_index(id).map(|at| self.posts[at].clone()))
            .map(|post| {
                let channel_id = post["channel_id"].as_str().unwrap_or_default().to_string();
                let channel = self.channel(&channel_id);
                json!({
                    "type": "permalink", "url": "",
                    "data": {
                        "post_id": post["id"], "post": post, "team_name": "acme",
                        "channel_display_name": channel.map(|c| c.display_name.clone()),
                        "channel_type": channel.map(|c| c.kind.clone()),
                        "channel_id": channel_id,
                    },
                })
            })
            .collect()
    }

    /// Links known files to a new post and returns their FileInfos (unknown ids are skipped,
    /// like the real server does).
    fn attach_files(
        &mut self,
        ids: &[String],
        post_id: &str,
        user_id: &str,
        channel_id: &str,
    ) -> Vec<Value> {
        let mut infos = Vec::new();
        for file in self
            .files
            .iter_mut()
            .filter(|f| ids.iter().any(|id| f.info["id"] == *id))
        {
            file.info["post_id"] = post_id.into();
            file.info["channel_id"] = channel_id.into();
            if file.info["user_id"] == "" {
                file.info["user_id"] = user_id.into();
            }
            infos.push(file.info.clone());
        }
        infos
    }

    /// `data.mentions` for a post: the override, or the bot when the text @-mentions it
    /// outside code (the server removes code before looking for mentions; an author is never
    /// told about their own mention).
    pub(crate) fn mentions_for(&self, draft: &NewPost) -> Option<Vec<String>> {
        if let Some(explicit) = &draft.mentions {
            return explicit.clone();
        }
        let addressed = draft.user_id != BOT_ID && mentions_username(&draft.message, BOT_USERNAME);
        addressed.then(|| vec![BOT_ID.to_string()])
    }

    pub(crate) fn broadcast_posted(&mut self, post: &Value, mentions: Option<Vec<String>>) {
        let channel_id = post["channel_id"].as_str().unwrap_or_default();
        let Some(channel) = self.channel(channel_id) else {
            return;
        };
        let mut data = json!({
            "channel_display_name": channel.display_name,
            "channel_name": channel.name,
            "channel_type": channel.kind,
            "post": post.to_string(),
            "sender_name": self.sender_name(post),
            "set_online": true,
            "team_id": channel.team_id,
        });
        if let Some(ids) = mentions {
            data["mentions"] = Value::String(Value::from(ids).to_string());
        }
        self.broadcast(Outgoing::Event(event_frame("posted", data, channel_id)));
    }

    /// "@username", or a webhook's override name.
    fn sender_name(&self, post: &Value) -> String {
        let props = &post["props"];
        if props["from_webhook"] == "true" {
            if let Some(name) = props["override_username"].as_str() {
                return name.to_string();
            }
        }
        let user_id = post["user_id"].as_str().unwrap_or_default();
        match self.user(user_id) {
            Some(user) => format!("@{}", user.username),
            None => user_id.to_string(),
        }
    }

    pub(crate) fn edit_post(
        &mut self,
        id: &str,
        message: Option<&str>,
        props: Option<Value>,
    ) -> Option<Value> {
        let index = self.post_index(id)?;
        let now = self.tick();
        // The earlier version stays as an edit-history row: a new id, `original_id` set,
        // deleted, changed now (so `since` lists it).
        let mut history = self.posts[index].clone();
        history["id"] = new_id().into();
        history["original_id"] = id.into();
        history["delete_at"] = now.into();
        history["update_at"] = now.into();
        self.posts.push(history);
        if let Some(message) = message {
            self.posts[index]["message"] = message.into();
        }
        if let Some(mut props) = props {
            self.keep_integrations(id, &mut props);
            self.posts[index]["props"] = props;
        }
        let post = &mut self.posts[index];
        post["edit_at"] = now.into();
        post["update_at"] = now.into();
        let post = post.clone();
        self.broadcast_post_change("post_edited", &post, json!({"post": post.to_string()}));
        Some(post)
    }

    /// Moves the `integration` of each action in `props.attachments` out of the post into
    /// `integrations` (replacing the post's earlier ones), as the server strips it from
    /// every post it sends to clients but keeps it for clicks.
    fn keep_integrations(&mut self, post_id: &str, props: &mut Value) {
        self.integrations.retain(|(post, _, _)| post != post_id);
        let Some(attachments) = props.get_mut("attachments").and_then(Value::as_array_mut) else {
            return;
        };
        for attachment in attachments {
            let Some(actions) = attachment.get_mut("actions").and_then(Value::as_array_mut) else {
                continue;
            };
            for action in actions.iter_mut().filter_map(Value::as_object_mut) {
                let id = action
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if let Some(integration) = action.remove("integration") {
                    self.integrations
                        .push((post_id.to_string(), id, integration));
                }
            }
        }
    }

    pub(crate) fn delete_post(&mut self, id: &str) -> Option<Value> {
        let index = self.post_index(id)?;
        let now = self.tick();
        let post = &mut self.posts[index];
        post["delete_at"] = now.into();
        post["update_at"] = now.into();
        let post = post.clone();
        let data = json!({"post": post.to_string(), "delete_by": BOT_ID});
        self.broadcast_post_change("post_deleted", &post, data);
        Some(post)
    }

    fn broadcast_post_change(&mut self, event: &str, post: &Value, data: Value) {
        let channel_id = post["channel_id"].as_str().unwrap_or_default();
        self.broadcast(Outgoing::Event(event_frame(event, data, channel_id)));
    }
}
