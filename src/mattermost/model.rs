//! The parts of Mattermost's JSON objects the bridge uses. Unknown fields are ignored and most
//! fields default, because servers of different versions send different subsets.

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    #[serde(default)]
    pub is_bot: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Team {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub display_name: String,
}

/// The bot's membership of a channel: its roles there (space-separated).
#[derive(Debug, Clone, Deserialize)]
pub struct ChannelMember {
    #[serde(default)]
    pub roles: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Role {
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Channel {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub team_id: String,
    #[serde(default)]
    pub create_at: i64,
    /// When the newest post was created (ms); lets a poller skip quiet channels.
    #[serde(default)]
    pub last_post_at: i64,
}

impl Channel {
    /// For a DM channel (named `idA__idB`), the member that is not `me`.
    pub fn dm_partner(&self, me: &str) -> Option<&str> {
        let (a, b) = self.name.split_once("__")?;
        match (a == me, b == me) {
            (true, true) => Some(a),
            (true, false) => Some(b),
            (false, true) => Some(a),
            (false, false) => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Post {
    pub id: String,
    #[serde(default)]
    pub create_at: i64,
    #[serde(default)]
    pub update_at: i64,
    #[serde(default)]
    pub edit_at: i64,
    #[serde(default)]
    pub delete_at: i64,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub channel_id: String,
    #[serde(default)]
    pub root_id: String,
    /// Set on the rows keeping a post's earlier versions (edit history): never a new post.
    #[serde(default)]
    pub original_id: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub props: PostProps,
    #[serde(default)]
    pub file_ids: Vec<String>,
    #[serde(default)]
    pub metadata: PostMetadata,
}

/// The props that mark automated authors. Servers write `"true"`; some integrations write `true`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostProps {
    #[serde(default, deserialize_with = "flag")]
    pub from_bot: bool,
    #[serde(default, deserialize_with = "flag")]
    pub from_webhook: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostMetadata {
    #[serde(default)]
    pub files: Vec<FileInfo>,
    /// Who wrote the posts this one embeds as permalink previews (Mattermost's way of quoting
    /// a post); the other embeds, and any odd shape, are ignored.
    #[serde(default, rename = "embeds", deserialize_with = "permalink_authors")]
    pub quoted_authors: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FileInfo {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub mime_type: String,
}

/// `GET /channels/{id}/posts`: ids newest first, and the posts by id.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostList {
    #[serde(default)]
    pub order: Vec<String>,
    #[serde(default)]
    pub posts: std::collections::HashMap<String, Post>,
    /// Set when there are newer posts than those listed (`after` listings).
    #[serde(default)]
    pub next_post_id: String,
    /// Set when there are older posts than those listed (`before` listings).
    #[serde(default)]
    pub prev_post_id: String,
}

/// `POST /files`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UploadedFiles {
    #[serde(default)]
    pub file_infos: Vec<FileInfo>,
}

/// The body of `POST /api/v4/posts`.
#[derive(Debug, Clone, Serialize)]
pub struct NewPost<'a> {
    pub channel_id: &'a str,
    pub message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub root_id: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub file_ids: &'a [String],
    /// Reused on every retry so the server never creates the post twice.
    pub pending_post_id: &'a str,
    /// `{"attachments": […]}` (interactive buttons), on the first post of a `send` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub props: Option<&'a serde_json::Value>,
}

/// The `data.post.user_id` of each `{"type":"permalink"}` embed.
fn permalink_authors<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    let embeds = value.as_array().map_or(&[][..], Vec::as_slice);
    Ok(embeds
        .iter()
        .filter(|embed| embed.get("type").and_then(|t| t.as_str()) == Some("permalink"))
        .filter_map(|embed| embed.get("data")?.get("post")?.get("user_id")?.as_str())
        .map(str::to_string)
        .collect())
}

/// Accepts `"true"`, `true` and anything else as false.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(matches!(value, serde_json::Value::Bool(true))
        || value
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("true")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_with_props_and_files() {
        let post: Post = serde_json::from_str(
            r#"{"id":"p","create_at":5,"user_id":"u","channel_id":"c","root_id":"","message":"hi",
                "type":"","props":{"from_bot":"true","attachments":[{"x":1}]},"file_ids":["f"],
                "metadata":{"files":[{"id":"f","name":"a.pdf","size":12,"mime_type":"application/pdf","extension":"pdf"}]},
                "extra":{"ignored":true}}"#,
        )
        .unwrap();
        assert!(post.props.from_bot);
        assert!(!post.props.from_webhook);
        assert_eq!(post.metadata.files[0].name, "a.pdf");
        let bare: Post =
            serde_json::from_str(r#"{"id":"p","props":{"from_webhook":true}}"#).unwrap();
        assert!(bare.props.from_webhook);
        assert_eq!(bare.kind, "");
    }

    #[test]
    fn permalink_embeds_name_the_quoted_author_and_odd_embeds_are_ignored() {
        let post: Post = serde_json::from_str(
            r#"{"id":"p","metadata":{"embeds":[
                {"type":"opengraph","url":"https://x","data":{"post":{"user_id":"not-a-quote"}}},
                {"type":"permalink","data":{"post_id":"q","post":{"id":"q","user_id":"bot-id"}}},
                {"type":"permalink","data":"junk"},
                7
            ]}}"#,
        )
        .unwrap();
        assert_eq!(post.metadata.quoted_authors, vec!["bot-id"]);
        let odd: Post =
            serde_json::from_str(r#"{"id":"p","metadata":{"embeds":{"a":1}}}"#).unwrap();
        assert!(odd.metadata.quoted_authors.is_empty());
    }

    #[test]
    fn dm_partner() {
        let dm = Channel {
            id: "c".into(),
            kind: "D".into(),
            name: "aaa__bbb".into(),
            display_name: String::new(),
            team_id: String::new(),
            create_at: 0,
            last_post_at: 0,
        };
        assert_eq!(dm.dm_partner("aaa"), Some("bbb"));
        assert_eq!(dm.dm_partner("bbb"), Some("aaa"));
        assert_eq!(dm.dm_partner("ccc"), None);
    }
}
