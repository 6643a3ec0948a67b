//! The records the state keeps: users, teams, channels and stored files (bytes plus FileInfo).

use crate::json::CREATED_AT;
use crate::util::{mime_for, now_ms};
use serde_json::{json, Value};

pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) username: String,
    pub(crate) is_bot: bool,
    /// The profile's names; "" when unset, as the server answers them.
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) nickname: String,
}

pub(crate) struct Team {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) display_name: String,
}

pub(crate) struct Channel {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) display_name: String,
    pub(crate) team_id: String,
    pub(crate) create_at: i64,
    pub(crate) last_post_at: i64,
    pub(crate) total_msg_count: i64,
    pub(crate) bot_member: bool,
}

impl Channel {
    pub(crate) fn new(
        id: &str,
        kind: &str,
        name: &str,
        display_name: &str,
        team_id: &str,
    ) -> Channel {
        Channel {
            id: id.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            display_name: display_name.to_string(),
            team_id: team_id.to_string(),
            create_at: CREATED_AT,
            last_post_at: 0,
            total_msg_count: 0,
            bot_member: true,
        }
    }

    /// A channel created now (mid-run), not with the fixture.
    pub(crate) fn created_now(
        id: &str,
        kind: &str,
        name: &str,
        display_name: &str,
        team_id: &str,
    ) -> Channel {
        Channel {
            create_at: now_ms(),
            ..Channel::new(id, kind, name, display_name, team_id)
        }
    }

    pub(crate) fn is_direct_or_group(&self) -> bool {
        self.kind == "D" || self.kind == "G"
    }
}

pub(crate) struct StoredFile {
    pub(crate) info: Value,
    pub(crate) bytes: Vec<u8>,
}

impl StoredFile {
    pub(crate) fn new(
        id: &str,
        user_id: &str,
        channel_id: &str,
        name: &str,
        declared_mime: Option<&str>,
        bytes: Vec<u8>,
        now: i64,
    ) -> StoredFile {
        let extension = name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .unwrap_or_default();
        let mime = mime_for(&extension, declared_mime);
        let info = json!({
            "id": id, "user_id": user_id, "post_id": "", "channel_id": channel_id,
            "create_at": now, "update_at": now, "delete_at": 0,
            "name": name, "extension": extension, "size": bytes.len(), "mime_type": mime,
            "width": 0, "height": 0, "has_preview_image": false, "mini_preview": null,
            "remote_id": "", "archived": false,
        });
        StoredFile { info, bytes }
    }
}
