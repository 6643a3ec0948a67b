//! Carries out the host's requests over the REST API: `send`, `edit`, `typing`, `react`,
//! `read`, `fetchFile`, `allow`, `authorize`, and hands `getPost`, `directory` and the slash
//! command ones to their modules. Each method checks its params, applies the policy to its
//! target, and maps failures to the protocol's error codes (`api_error` for Mattermost's).

use super::attachments;
use super::buttons;
use super::commands;
use super::directory;
use super::shares::StdinShare;
use crate::chunk;
use crate::mattermost::api::ApiError;
use crate::mattermost::model::{Channel, NewPost};
use crate::mattermost::{is_valid_emoji_name, is_valid_id, is_valid_name};
use crate::media::{DownloadError, Outgoing};
use crate::policy::{ChannelType, DropReason, Incoming, Target};
use crate::protocol::{
    code, Answer, Authorized, AuthorizedSender, Edited, Fetched, Listing, Request, RpcError, Sent,
};
use crate::random;
use crate::session::{Session, MAX_TEAMS};
use crate::sync::lock;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Mattermost attaches at most this many files to one post.
const FILES_PER_POST: usize = 10;
/// `read`: posts per request by default, and at most (the server's own cap).
const READ_DEFAULT: u64 = 60;
const READ_MAX: u64 = 200;

pub struct Requests {
    shared: Arc<StdinShare>,
    /// Channel facts never change for a given id (type, name, team), so they are cached.
    channels: Mutex<HashMap<String, Channel>>,
    /// user id → DM channel id.
    direct: Mutex<HashMap<String, String>>,
}

impl Requests {
    pub fn new(shared: Arc<StdinShare>) -> Requests {
        Requests {
            shared,
            channels: Mutex::new(HashMap::new()),
            direct: Mutex::new(HashMap::new()),
        }
    }

    pub fn handle(&self, session: &Session, request: &Request) -> Result<Answer, RpcError> {
        match request.method.as_str() {
            "send" => self.send(session, request),
            "edit" => self.edit(session, request),
            "delete" => self.delete(request),
            "typing" => self.typing(session, request),
            "react" => self.react(session, request),
            "read" => self.read(session, request),
            "allow" => self.allow(session, request),
            "fetchFile" => self.fetch_file(request),
            "authorize" => self.authorize(session, request),
            "getPost" => buttons::get_post(&self.shared.api, request),
            "directory" => directory::handle(&self.shared.api, session, request),
            "teams" | "listCommands" | "getCommand" | "createCommand" | "updateCommand"
            | "deleteCommand" => commands::handle(&self.shared.api, session, request),
            other => Err(RpcError::new(
                code::METHOD_NOT_FOUND,
                format!("unknown method {other}"),
                Some(json!({ "method": other })),
            )),
        }
    }

    /// Posts `text` (chunked) with `files` (uploaded first, at most 10 per post). Every file is
    /// checked before anything is uploaded or posted.
    fn send(&self, session: &Session, request: &Request) -> Result<Answer, RpcError> {
        let text = request.str_param("text")?.unwrap_or("");
        let paths = request.str_list_param("files")?;
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        let files = self
            .shared
            .media
            .check_outgoing(&paths)
            .map_err(|e| RpcError::local_file(&e.path, e.message))?;
        let props = buttons::props(request)?;
        if text.trim().is_empty() && files.is_empty() && props.is_none() {
            return Err(RpcError::invalid_params("text", "text is empty"));
        }
        let root_id = optional_id(request, "rootId")?.unwrap_or("");
        let channel_id = self.target_channel(session, request)?;
        let file_ids = self.upload_all(&channel_id, &files)?;
        let parts = if text.trim().is_empty() {
            Vec::new()
        } else {
            chunk::split(text, session.chunk_limit)
        };
        let groups: Vec<&[String]> = file_ids.chunks(FILES_PER_POST).collect();
        let mut post_ids = Vec::new();
        let posts = parts.len().max(groups.len()).max(props.is_some() as usize);
        for i in 0..posts {
            let pending_post_id = random::new_id();
            let post = NewPost {
                channel_id: &channel_id,
                message: parts.get(i).map_or("", String::as_str),
                root_id,
                file_ids: groups.get(i).copied().unwrap_or_default(),
                pending_post_id: &pending_post_id,
                props: props.as_ref().filter(|_| i == 0),
            };
            match self.shared.api.create_post(&post) {
                Ok(created) => post_ids.push(created.id),
                Err(e) => return Err(with_posted(api_error(&e), &post_ids)),
            }
        }
        self.shared.stats.sent(post_ids.len() as u64);
        Ok(Answer::Sent(Sent {
            channel_id,
            post_ids,
        }))
    }

    /// Uploads the checked files to the channel, in order; their ids in the same order.
    fn upload_all(&self, channel_id: &str, files: &[Outgoing]) -> Result<Vec<String>, RpcError> {
        let mut ids = Vec::with_capacity(files.len());
        for file in files {
            let uploaded =
                self.shared
                    .api
                    .upload_file(channel_id, &file.path, &file.name, file.mime_type);
            match uploaded {
                Ok(info) => ids.push(info.id),
                Err(ApiError::Local(why)) => {
                    return Err(RpcError::local_file(&file.path.to_string_lossy(), why))
                }
                Err(e) => return Err(api_error(&e)),
            }
        }
        Ok(ids)
    }

    /// Downloads an attachment on demand, into `mediaDir` like inbound ones.
    fn fetch_file(&self, request: &Request) -> Result<Answer, RpcError> {
        let file_id = required_id(request, "fileId")?;
        let shared = &self.shared;
        match attachments::fetch_by_id(&shared.api, &shared.media, file_id) {
            Ok(entry) => Ok(Answer::Fetched(Fetched {
                mime_type: entry.mime_type,
                name: entry.name,
                path: entry.path,
                size: entry.size,
            })),
            Err(DownloadError::Api(e)) => Err(api_error(&e)),
            Err(DownloadError::TooLarge(why) | DownloadError::Local(why)) => Err(RpcError::new(
                code::LOCAL_FILE,
                why,
                Some(json!({ "fileId": file_id, "path": null })),
            )),
        }
    }

    fn edit(&self, session: &Session, request: &Request) -> Result<Answer, RpcError> {
        let post_id = required_id(request, "postId")?;
        let text = request.required_str("text")?;
        // (`textChunkLimit` splits what is sent; a streamed preview may be longer, as in
        // OpenClaw's Mattermost plugin, up to what the server takes in one post)
        let length = text.chars().count();
        if length > session.max_post {
            return Err(RpcError::invalid_params(
                "text",
                format!(
                    "text is {length} characters; an edit must fit in one post ({} characters)",
                    session.max_post
                ),
            ));
        }
        // (buttons, checked as `send`'s: an empty list takes them off)
        let props = buttons::props(request)?;
        self.shared
            .api
            .patch_post(post_id, text, props)
            .map_err(|e| api_error(&e))?;
        Ok(Answer::Edited(Edited {
            post_id: post_id.to_string(),
        }))
    }

    /// Removes one of the bot's posts (a streamed preview the answer replaced).
    fn delete(&self, request: &Request) -> Result<Answer, RpcError> {
        let post_id = required_id(request, "postId")?;
        self.shared
            .api
            .delete_post(post_id)
            .map_err(|e| api_error(&e))?;
        Ok(Answer::done())
    }

    fn typing(&self, session: &Session, request: &Request) -> Result<Answer, RpcError> {
        let channel_id = required_id(request, "channelId")?;
        let root_id = optional_id(request, "rootId")?.unwrap_or("");
        self.check_channel(session, channel_id)?;
        self.shared
            .api
            .typing(channel_id, root_id)
            .map_err(|e| api_error(&e))?;
        Ok(Answer::done())
    }

    /// With `channelId` or `userId`, only on a post in that channel, or in the DM with that
    /// user (-32001 otherwise): the host passes the conversation the agent is in.
    fn react(&self, session: &Session, request: &Request) -> Result<Answer, RpcError> {
        let post_id = required_id(request, "postId")?;
        let emoji = emoji_name(request.required_str("emoji")?)?;
        let in_channel = optional_id(request, "channelId")?;
        let with_user = optional_id(request, "userId")?;
        let api = &self.shared.api;
        if in_channel.is_some() || with_user.is_some() {
            let post = api.post(post_id).map_err(|e| api_error(&e))?;
            let in_place = match (in_channel, with_user) {
                (Some(id), _) => post.channel_id == id,
                (_, user) => {
                    let channel = self.channel(&post.channel_id)?;
                    channel.kind == "D" && channel.dm_partner(&session.bot.id) == user
                }
            };
            if !in_place {
                return Err(RpcError::not_allowed("postId", post_id));
            }
        }
        let result = if request.bool_param("remove")? {
            api.remove_reaction(post_id, emoji)
        } else {
            api.add_reaction(&session.bot.id, post_id, emoji)
        };
        result.map_err(|e| api_error(&e))?;
        Ok(Answer::done())
    }

    /// A channel's posts, newest first: the newest, or those `before` or `after` a post; at
    /// most `limit`. The channel (`channelId`, or the DM with `userId`) must be one the bridge
    /// may post in. Posts the server lists for another channel are left out.
    fn read(&self, session: &Session, request: &Request) -> Result<Answer, RpcError> {
        let before = optional_id(request, "before")?;
        let after = optional_id(request, "after")?;
        if before.is_some() && after.is_some() {
            return Err(RpcError::invalid_params(
                "before",
                "give before or after, not both",
            ));
        }
        let limit = request
            .count_param("limit", READ_MAX)?
            .unwrap_or(READ_DEFAULT) as usize;
        let channel_id = self.target_channel(session, request)?;
        let channel = self.channel(&channel_id)?;
        let api = &self.shared.api;
        let (list, listing) = api
            .posts_with_text(&channel_id, before, after, limit)
            .map_err(|e| api_error(&e))?;
        let mut post_ids = Vec::with_capacity(list.order.len().min(limit));
        for id in list.order.iter().take(limit) {
            let Some(post) = list.posts.get(id) else {
                return Err(RpcError::new(
                    code::MATTERMOST_REFUSED,
                    format!("unexpected answer from the server: post {id} is listed but missing"),
                    None,
                ));
            };
            if post.channel_id == channel_id {
                post_ids.push(id.clone());
            }
        }
        let more = if after.is_some() {
            &list.next_post_id
        } else {
            &list.prev_post_id
        };
        Ok(Answer::Read(Listing {
            channel_id: channel_id.to_string(),
            channel_type: ChannelType::from_code(&channel.kind).map_or("", ChannelType::as_str),
            has_more: !more.is_empty(),
            listing,
            post_ids,
        }))
    }

    fn allow(&self, session: &Session, request: &Request) -> Result<Answer, RpcError> {
        let user_id = required_id(request, "userId")?;
        session.policy.allow(user_id);
        log::info!("user {user_id} added to the allow list by the host");
        Ok(Answer::done())
    }

    /// Whether `userId` may run a command in `channelId`: the sender rules of posts
    /// (`Policy::decide_sender`, no mention gate), with the reason a refusal gets in
    /// @openclaw/mattermost's answers and the channel's facts.
    fn authorize(&self, session: &Session, request: &Request) -> Result<Answer, RpcError> {
        let user_id = required_id(request, "userId")?;
        let channel_id = required_id(request, "channelId")?;
        let channel = self.channel(channel_id)?;
        let Some(channel_type) = ChannelType::from_code(&channel.kind) else {
            return Err(RpcError::new(
                code::MATTERMOST_REFUSED,
                format!("channel {channel_id} has unknown type {}", channel.kind),
                None,
            ));
        };
        let user = self.shared.api.user(user_id).map_err(|e| api_error(&e))?;
        let sender_name = format!("@{}", user.username);
        let who = Incoming::sender(
            channel_type,
            channel_id,
            &channel.team_id,
            user_id,
            &sender_name,
            user.is_bot,
        );
        let direct = channel_type == ChannelType::Direct;
        let reason = match session.policy.decide_sender(&who) {
            Ok(true) => None,
            Ok(false) => Some("dm-pairing"),
            Err(DropReason::DmsDisabled) => Some("dm-disabled"),
            Err(DropReason::GroupsDisabled) if !direct => Some("channels-disabled"),
            Err(DropReason::NoGroupAllowlist) if !direct => Some("channel-no-allowlist"),
            Err(_) => Some("unauthorized"),
        };
        Ok(Answer::Authorized(Authorized {
            authorized: reason.is_none(),
            reason,
            channel_type: channel_type.as_str(),
            channel_name: channel.name,
            channel_display_name: channel.display_name,
            team_id: channel.team_id,
            sender: AuthorizedSender {
                id: user_id.to_string(),
                username: user.username,
            },
        }))
    }

    /// The channel a `send` (or `read`) goes to, if the policy allows: `channelId`, or the
    /// channel called `channelName` in `teamId`, else in the bot's teams; the DM with
    /// `userId`, or with the user called `username`; or `peerId`, an id that may be either, as
    /// @openclaw/mattermost resolves a bare id: a user's when the server knows such a user,
    /// else a channel's.
    fn target_channel(&self, session: &Session, request: &Request) -> Result<String, RpcError> {
        if let Some(channel_id) = optional_id(request, "channelId")? {
            self.check_channel(session, channel_id)?;
            return Ok(channel_id.to_string());
        }
        if let Some(name) = request.str_param("channelName")? {
            let channel_id = self.channel_named(session, name)?;
            self.check_channel(session, &channel_id)?;
            return Ok(channel_id);
        }
        let user_id = if let Some(id) = optional_id(request, "userId")? {
            id.to_string()
        } else if let Some(name) = request.str_param("username")? {
            self.user_named(name)?
        } else if let Some(id) = optional_id(request, "peerId")? {
            if !self.is_user(id) {
                self.check_channel(session, id)?;
                return Ok(id.to_string());
            }
            id.to_string()
        } else {
            return Err(RpcError::invalid_params(
                "channelId",
                "channelId, channelName, userId, username or peerId is required",
            ));
        };
        let user_id = user_id.as_str();
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
            .map_err(|e| api_error(&e))?;
        lock(&self.direct).insert(user_id.to_string(), channel.id.clone());
        let id = channel.id.clone();
        lock(&self.channels).insert(id.clone(), channel);
        Ok(id)
    }

    /// The id of the user called `name` (a leading `@` is dropped).
    fn user_named(&self, name: &str) -> Result<String, RpcError> {
        let name = name.trim().trim_start_matches('@').to_lowercase();
        if !is_valid_name(&name) {
            return Err(RpcError::invalid_params(
                "username",
                "username must be a Mattermost username (lowercase letters, digits, . - _)",
            ));
        }
        let user = self
            .shared
            .api
            .user_by_name(&name)
            .map_err(|e| api_error(&e))?;
        if !is_valid_id(&user.id) {
            return Err(RpcError::new(
                code::MATTERMOST_REFUSED,
                format!("the server answered user @{name} with an invalid id"),
                None,
            ));
        }
        Ok(user.id)
    }

    /// The id of the channel called `name` (a leading `#` is dropped): in `teamId`, or
    /// without it in the first of the bot's teams (as the server lists them now, at most
    /// `MAX_TEAMS`) that has it, as @openclaw/mattermost looks it up.
    fn channel_named(&self, session: &Session, name: &str) -> Result<String, RpcError> {
        let name = name.trim().trim_start_matches('#').to_lowercase();
        if !is_valid_name(&name) {
            return Err(RpcError::invalid_params(
                "channelName",
                "channelName must be a Mattermost channel name (lowercase letters, digits, . - _)",
            ));
        }
        let api = &self.shared.api;
        let teams = match &session.team_id {
            Some(team) => vec![team.clone()],
            None => api
                .my_teams()
                .map_err(|e| api_error(&e))?
                .into_iter()
                .take(MAX_TEAMS)
                .map(|t| t.id)
                .collect(),
        };
        for team in teams.iter().filter(|t| is_valid_id(t)) {
            match api.channel_by_name(team, &name) {
                Ok(channel) if is_valid_id(&channel.id) => {
                    let id = channel.id.clone();
                    lock(&self.channels).insert(id.clone(), channel);
                    return Ok(id);
                }
                Ok(_) => {}
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(api_error(&e)),
            }
        }
        Err(RpcError::new(
            code::MATTERMOST_REFUSED,
            format!("no channel called {name} in the bot's teams"),
            Some(json!({ "channelName": name })),
        ))
    }

    /// Whether `id` is a user's: a known channel or DM is not; else the server is asked, and
    /// anything but a user found (404, other errors) counts as a channel, as in the JS plugin.
    fn is_user(&self, id: &str) -> bool {
        if lock(&self.channels).contains_key(id) {
            return false;
        }
        lock(&self.direct).contains_key(id) || self.shared.api.user(id).is_ok()
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
            .map_err(|e| api_error(&e))?;
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

pub(super) fn required_id<'r>(request: &'r Request, field: &str) -> Result<&'r str, RpcError> {
    optional_id(request, field)?
        .ok_or_else(|| RpcError::invalid_params(field, format!("{field} is required")))
}

/// An emoji name without colons; only characters Mattermost uses, since it goes into a URL path.
fn emoji_name(raw: &str) -> Result<&str, RpcError> {
    let name = raw.trim().trim_matches(':');
    if is_valid_emoji_name(name) {
        Ok(name)
    } else {
        Err(RpcError::invalid_params(
            "emoji",
            "emoji must be an emoji name such as thumbsup or white_check_mark",
        ))
    }
}

/// A REST failure as the host sees it: a refusal (-32000, with the server's status, error id,
/// message and request id) or, for transient ones (already retried), unreachable (-32003).
pub(super) fn api_error(error: &ApiError) -> RpcError {
    match error {
        ApiError::Status {
            status,
            id,
            message,
            request_id,
            ..
        } if !error.is_transient() => RpcError::new(
            code::MATTERMOST_REFUSED,
            format!("Mattermost refused the call: {message}"),
            Some(json!({
                "status": status, "id": id, "message": message, "requestId": request_id
            })),
        ),
        other => RpcError::unreachable(other.to_string()),
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
    fn api_errors_map_to_codes() {
        let refused = ApiError::Status {
            status: 403,
            id: "api.context.permissions.app_error".into(),
            message: "no".into(),
            request_id: "r".into(),
            retry_after: None,
        };
        let e = api_error(&refused);
        assert_eq!(e.code, code::MATTERMOST_REFUSED);
        assert_eq!(
            e.data.unwrap(),
            json!({"status": 403, "id": "api.context.permissions.app_error", "message": "no", "requestId": "r"})
        );
        let down = api_error(&ApiError::Network("connection refused".into()));
        assert_eq!(down.code, code::UNREACHABLE);
        let busy = ApiError::Status {
            status: 503,
            id: String::new(),
            message: "x".into(),
            request_id: String::new(),
            retry_after: None,
        };
        assert_eq!(api_error(&busy).code, code::UNREACHABLE);
    }

    #[test]
    fn partial_sends_report_posted_ids() {
        let error = with_posted(RpcError::unreachable("down"), &["p1".to_string()]);
        let data = error.data.unwrap();
        assert_eq!(data["postIds"], json!(["p1"]));
        assert_eq!(data["error"], "down");
    }
}
