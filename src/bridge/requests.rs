//! Carries out the host's requests over the REST API: `send`, `edit`, `typing`, `react` and
//! `allow`. Each method checks its params, applies the policy to its target, and maps failures
//! to the protocol's error codes.

use super::Shared;
use crate::chunk;
use crate::mattermost::is_valid_id;
use crate::mattermost::model::{Channel, NewPost};
use crate::policy::{ChannelType, Target};
use crate::protocol::{code, Request, RpcError};
use crate::random;
use crate::session::Session;
use crate::stop::lock;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct Requests {
    shared: Arc<Shared>,
    /// Channel facts never change for a given id (type, name, team), so they are cached.
    channels: Mutex<HashMap<String, Channel>>,
    /// user id → DM channel id.
    direct: Mutex<HashMap<String, String>>,
}

impl Requests {
    pub fn new(shared: Arc<Shared>) -> Requests {
        Requests {
            shared,
            channels: Mutex::new(HashMap::new()),
            direct: Mutex::new(HashMap::new()),
        }
    }

    pub fn handle(&self, session: &Session, request: &Request) -> Result<Value, RpcError> {
        match request.method.as_str() {
            "send" => self.send(session, request),
            "edit" => self.edit(session, request),
            "typing" => self.typing(session, request),
            "react" => self.react(session, request),
            "allow" => self.allow(session, request),
            "fetchFile" => Err(RpcError::new(
                code::METHOD_NOT_FOUND,
                "fetchFile is not available in this bridge version",
                Some(json!({ "method": "fetchFile" })),
            )),
            other => Err(RpcError::new(
                code::METHOD_NOT_FOUND,
                format!("unknown method {other}"),
                Some(json!({ "method": other })),
            )),
        }
    }

    fn send(&self, session: &Session, request: &Request) -> Result<Value, RpcError> {
        let text = request.str_param("text")?.unwrap_or("");
        if !request.str_list_param("files")?.is_empty() {
            return Err(RpcError::invalid_params(
                "files",
                "sending files is not available in this bridge version",
            ));
        }
        if text.trim().is_empty() {
            return Err(RpcError::invalid_params("text", "text is empty"));
        }
        let root_id = optional_id(request, "rootId")?.unwrap_or("");
        let channel_id = self.target_channel(session, request)?;
        let mut post_ids = Vec::new();
        for part in chunk::split(text, session.chunk_limit) {
            let pending_post_id = random::new_id();
            let post = NewPost {
                channel_id: &channel_id,
                message: &part,
                root_id,
                file_ids: &[],
                pending_post_id: &pending_post_id,
            };
            match self.shared.api.create_post(&post) {
                Ok(created) => post_ids.push(created.id),
                Err(e) => return Err(with_posted(RpcError::from_api(&e), &post_ids)),
            }
        }
        self.shared.stats.sent(post_ids.len() as u64);
        Ok(json!({ "channelId": channel_id, "postIds": post_ids }))
    }

    fn edit(&self, session: &Session, request: &Request) -> Result<Value, RpcError> {
        let post_id = required_id(request, "postId")?;
        let text = request.required_str("text")?;
        let length = text.chars().count();
        if length > session.chunk_limit {
            return Err(RpcError::invalid_params(
                "text",
                format!(
                    "text is {length} characters; an edit must fit in one post ({} characters)",
                    session.chunk_limit
                ),
            ));
        }
        self.shared
            .api
            .patch_post(post_id, text)
            .map_err(|e| RpcError::from_api(&e))?;
        Ok(json!({ "postId": post_id }))
    }

    fn typing(&self, session: &Session, request: &Request) -> Result<Value, RpcError> {
        let channel_id = required_id(request, "channelId")?;
        let root_id = optional_id(request, "rootId")?.unwrap_or("");
        self.check_channel(session, channel_id)?;
        self.shared
            .api
            .typing(channel_id, root_id)
            .map_err(|e| RpcError::from_api(&e))?;
        Ok(json!({}))
    }

    fn react(&self, session: &Session, request: &Request) -> Result<Value, RpcError> {
        let post_id = required_id(request, "postId")?;
        let emoji = emoji_name(request.required_str("emoji")?)?;
        let api = &self.shared.api;
        let result = if request.bool_param("remove")? {
            api.remove_reaction(post_id, emoji)
        } else {
            api.add_reaction(&session.bot.id, post_id, emoji)
        };
        result.map_err(|e| RpcError::from_api(&e))?;
        Ok(json!({}))
    }

    fn allow(&self, session: &Session, request: &Request) -> Result<Value, RpcError> {
        let user_id = required_id(request, "userId")?;
        session.policy.allow(user_id);
        log::info!("user {user_id} added to the allow list by the host");
        Ok(json!({}))
    }

    /// The channel a `send` goes to: `channelId`, or the DM with `userId`, if the policy allows.
    fn target_channel(&self, session: &Session, request: &Request) -> Result<String, RpcError> {
        if let Some(channel_id) = optional_id(request, "channelId")? {
            self.check_channel(session, channel_id)?;
            return Ok(channel_id.to_string());
        }
        let Some(user_id) = optional_id(request, "userId")? else {
            return Err(RpcError::invalid_params(
                "channelId",
                "channelId or userId is required",
            ));
        };
        if !session.policy.may_dm(user_id) {
            return Err(RpcError::not_allowed("userId", user_id));
        }
        if let Some(id) = lock(&self.direct).get(user_id) {
            return Ok(id.clone());
        }
        let channel = self
            .shared
            .api
            .direct_channel(&session.bot.id, user_id)
            .map_err(|e| RpcError::from_api(&e))?;
        lock(&self.direct).insert(user_id.to_string(), channel.id.clone());
        let id = channel.id.clone();
        lock(&self.channels).insert(id.clone(), channel);
        Ok(id)
    }

    /// Refuses (-32001) a channel outside the policy.
    fn check_channel(&self, session: &Session, channel_id: &str) -> Result<(), RpcError> {
        let channel = self.channel(channel_id)?;
        let channel_type = ChannelType::from_code(&channel.kind).ok_or_else(|| {
            RpcError::new(
                code::MATTERMOST_REFUSED,
                format!("channel {channel_id} has unknown type {}", channel.kind),
                None,
            )
        })?;
        let target = Target {
            channel_type,
            channel_id,
            team_id: &channel.team_id,
            dm_user: channel.dm_partner(&session.bot.id),
        };
        if session.policy.may_post(&target) {
            Ok(())
        } else {
            Err(RpcError::not_allowed("channelId", channel_id))
        }
    }

    fn channel(&self, channel_id: &str) -> Result<Channel, RpcError> {
        if let Some(channel) = lock(&self.channels).get(channel_id) {
            return Ok(channel.clone());
        }
        let channel = self
            .shared
            .api
            .channel(channel_id)
            .map_err(|e| RpcError::from_api(&e))?;
        lock(&self.channels).insert(channel_id.to_string(), channel.clone());
        Ok(channel)
    }
}

fn optional_id<'r>(request: &'r Request, field: &str) -> Result<Option<&'r str>, RpcError> {
    match request.str_param(field)? {
        Some("") | None => Ok(None),
        Some(id) if is_valid_id(id) => Ok(Some(id)),
        Some(_) => Err(RpcError::invalid_params(
            field,
            format!("{field} is not a Mattermost id (26 lowercase letters and digits)"),
        )),
    }
}

fn required_id<'r>(request: &'r Request, field: &str) -> Result<&'r str, RpcError> {
    optional_id(request, field)?
        .ok_or_else(|| RpcError::invalid_params(field, format!("{field} is required")))
}

/// An emoji name without colons; only characters Mattermost uses, since it goes into a URL path.
fn emoji_name(raw: &str) -> Result<&str, RpcError> {
    let name = raw.trim().trim_matches(':');
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'));
    if valid {
        Ok(name)
    } else {
        Err(RpcError::invalid_params(
            "emoji",
            "emoji must be an emoji name such as thumbsup or white_check_mark",
        ))
    }
}

/// Adds the ids of parts already posted to an error, so the host knows what reached the channel.
fn with_posted(mut error: RpcError, post_ids: &[String]) -> RpcError {
    if !post_ids.is_empty() {
        let mut data = error.data.take().unwrap_or_else(|| json!({}));
        data["postIds"] = json!(post_ids);
        error.data = Some(data);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_names() {
        assert_eq!(emoji_name(":thumbsup:").unwrap(), "thumbsup");
        assert_eq!(emoji_name("+1").unwrap(), "+1");
        assert_eq!(emoji_name("white_check_mark").unwrap(), "white_check_mark");
        for bad in ["", "::", "a/b", "../x", "smile face", "é"] {
            assert!(emoji_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn partial_sends_report_posted_ids() {
        let error = with_posted(RpcError::unreachable("down"), &["p1".to_string()]);
        let data = error.data.unwrap();
        assert_eq!(data["postIds"], json!(["p1"]));
        assert_eq!(data["error"], "down");
    }
}
