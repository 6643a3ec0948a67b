//! `NewPost`: a post a test has a user write (channel, message, thread root, type, props,
//! mentions, files, creation time), stored and broadcast by `FakeMattermost::post`.

use serde_json::{Map, Value};

/// A post written by someone on the server side (a user, another bot, the system).
#[derive(Clone, Debug)]
pub struct NewPost {
    pub(crate) user_id: String,
    pub(crate) channel_id: String,
    pub(crate) message: String,
    pub(crate) root_id: String,
    pub(crate) kind: String,
    pub(crate) props: Map<String, Value>,
    /// `None`: the default rule; `Some(None)`: omit `data.mentions`; `Some(Some(ids))`: these.
    pub(crate) mentions: Option<Option<Vec<String>>>,
    pub(crate) file_ids: Vec<String>,
    pub(crate) create_at: Option<i64>,
}

impl NewPost {
    pub fn new(user_id: &str, channel_id: &str, message: &str) -> NewPost {
        NewPost {
            user_id: user_id.to_string(),
            channel_id: channel_id.to_string(),
            message: message.to_string(),
            root_id: String::new(),
            kind: String::new(),
            props: Map::new(),
            mentions: None,
            file_ids: Vec::new(),
            create_at: None,
        }
    }

    pub fn root(mut self, root_id: &str) -> NewPost {
        self.root_id = root_id.to_string();
        self
    }

    /// `Post.type`, e.g. "system_join_channel".
    pub fn kind(mut self, post_type: &str) -> NewPost {
        self.kind = post_type.to_string();
        self
    }

    /// `Post.props`; must be a JSON object.
    pub fn props(mut self, props: Value) -> NewPost {
        match props {
            Value::Object(map) => self.props = map,
            other => panic!("NewPost::props wants a JSON object, got {other}"),
        }
        self
    }

    /// Overrides `data.mentions` of the `posted` event (`None` omits it).
    pub fn mentions(mut self, ids: Option<Vec<String>>) -> NewPost {
        self.mentions = Some(ids);
        self
    }

    pub fn file_ids(mut self, ids: Vec<String>) -> NewPost {
        self.file_ids = ids;
        self
    }

    /// Sets `create_at` and `update_at` (ms since the epoch).
    pub fn create_at(mut self, ms: i64) -> NewPost {
        self.create_at = Some(ms);
        self
    }
}
