//! Shaping the fixture's world before or during a test: server limits, the token's validity,
//! users, channels, the bot's memberships and permissions, stored files.

use crate::server::FakeMattermost;
use crate::state::records::{Channel, StoredFile, User};
use serde_json::Value;

impl FakeMattermost {
    /// `MaxPostSize` in runes (Unicode scalar values).
    pub fn set_max_post_size(&self, n: usize) {
        self.shared.lock().max_post_size = n;
    }

    pub fn set_max_file_size(&self, n: u64) {
        self.shared.lock().max_file_size = n;
    }

    /// false: REST answers 401 and a WebSocket gets no `hello` and is closed after ~1 s.
    pub fn set_token_valid(&self, valid: bool) {
        self.shared.lock().token_valid = valid;
    }

    /// Adds (or replaces) a user.
    pub fn add_user(&self, id: &str, username: &str, is_bot: bool) {
        let mut st = self.shared.lock();
        st.users.retain(|u| u.id != id);
        st.users.push(User {
            id: id.to_string(),
            username: username.to_string(),
            is_bot,
            first_name: String::new(),
            last_name: String::new(),
            nickname: String::new(),
        });
    }

    /// Adds (or replaces) a channel; the bot is a member. `kind` is O, P, D or G.
    pub fn add_channel(&self, id: &str, kind: &str, name: &str, display_name: &str, team_id: &str) {
        let mut st = self.shared.lock();
        st.channels.retain(|c| c.id != id);
        let channel = Channel::created_now(id, kind, name, display_name, team_id);
        st.channels.push(channel);
    }

    /// Whether a channel with this id exists (`post` panics on an unknown one).
    pub fn has_channel(&self, id: &str) -> bool {
        self.shared.lock().channel(id).is_some()
    }

    /// Makes the bot join or leave a channel (a channel it left answers 403 to posts).
    pub fn set_bot_member(&self, channel_id: &str, member: bool) {
        if let Some(channel) = self.shared.lock().channel_mut(channel_id) {
            channel.bot_member = member;
        }
    }

    /// Stores a file as if a user had uploaded it; returns its FileInfo.
    pub fn add_file(&self, id: &str, name: &str, bytes: &[u8]) -> Value {
        let mut st = self.shared.lock();
        let now = st.tick();
        let file = StoredFile::new(id, "", "", name, None, bytes.to_vec(), now);
        let info = file.info.clone();
        st.files.push(file);
        info
    }

    /// The bytes of a stored file (uploaded by the bridge or added by a test).
    pub fn file_bytes(&self, id: &str) -> Option<Vec<u8>> {
        let st = self.shared.lock();
        st.files
            .iter()
            .find(|f| f.info["id"] == id)
            .map(|f| f.bytes.clone())
    }

    /// Marks a user as a bot account or a person (the bot's own token then is a personal one).
    pub fn set_is_bot(&self, user_id: &str, is_bot: bool) {
        let mut st = self.shared.lock();
        if let Some(user) = st.users.iter_mut().find(|u| u.id == user_id) {
            user.is_bot = is_bot;
        }
    }

    /// What the `channel_user` role may do (default includes `create_post`).
    pub fn set_channel_user_permissions(&self, permissions: &[&str]) {
        self.shared.lock().channel_user_permissions =
            permissions.iter().map(|p| p.to_string()).collect();
    }

    /// Makes a stored file's FileInfo claim `size` bytes (a server whose metadata lies).
    pub fn set_file_declared_size(&self, id: &str, size: u64) {
        let mut st = self.shared.lock();
        if let Some(file) = st.files.iter_mut().find(|f| f.info["id"] == id) {
            file.info["size"] = size.into();
        }
    }

    // --- events ------------------------------------------------------------------------------
}
