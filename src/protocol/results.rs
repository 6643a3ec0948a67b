//! What a successful request answers: one type per kind of `result`. Keys are in alphabetical
//! order, as they have always been written.

use super::notification::Bot;
use serde::Serialize;

/// A `result`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// `send`.
    Sent(Sent),
    /// `edit`.
    Edited(Edited),
    /// `fetchFile`.
    Fetched(Fetched),
    /// `status`.
    Status(Report),
    /// `read`.
    Read(Listing),
    /// `{}`: `typing`, `react`, `allow`, `shutdown`.
    Done(Done),
    /// `authorize`.
    Authorized(Authorized),
    /// Built as JSON from allow-listed fields: `teams` and the command requests.
    Value(serde_json::Value),
}

impl Answer {
    /// `{}`.
    pub fn done() -> Answer {
        Answer::Done(Done {})
    }
}

#[derive(Debug, Serialize)]
pub struct Done {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    pub channel_id: String,
    /// Every post made, in order (a long text or many files make several).
    pub post_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Edited {
    pub post_id: String,
}

/// A downloaded attachment.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fetched {
    pub mime_type: String,
    pub name: String,
    pub path: Option<String>,
    pub size: i64,
}

/// A `read` result: a channel's posts, newest first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    pub channel_id: String,
    /// `direct`, `group`, `channel`… (`policy::ChannelType`), or empty when unknown.
    pub channel_type: &'static str,
    /// More posts lie beyond these, in the direction read.
    pub has_more: bool,
    /// The server's answer as it wrote it (`order`, `posts`…): the plugin takes the posts of
    /// `post_ids` from it, whole, their fields in the server's order.
    pub listing: String,
    /// The posts read, newest first: those of the channel, at most `limit`, each checked.
    pub post_ids: Vec<String>,
}

/// The `status` result: the connection's state and the bridge's counters.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// `None` until the login worked.
    pub bot: Option<Bot>,
    /// When the connection last went live (ms, our clock).
    pub connected_since: Option<u64>,
    /// `message` lines written.
    pub delivered: u64,
    pub last_event_at: Option<u64>,
    /// Failed or lost connections, failed polls.
    pub reconnects: u64,
    /// Posts made by `send`.
    pub sent: u64,
    /// `connecting`, or a `status` notification's state.
    pub state: &'static str,
    pub transport: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::response;
    use serde_json::json;

    #[test]
    fn results_keep_their_bytes() {
        let line = |answer: Answer| response(&json!(1), &answer);
        assert_eq!(
            line(Answer::done()),
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#
        );
        let sent = Sent {
            channel_id: "c".into(),
            post_ids: vec!["p1".into(), "p2".into()],
        };
        assert_eq!(
            line(Answer::Sent(sent)),
            r#"{"jsonrpc":"2.0","id":1,"result":{"channelId":"c","postIds":["p1","p2"]}}"#
        );
        let edited = Edited {
            post_id: "p".into(),
        };
        assert_eq!(
            line(Answer::Edited(edited)),
            r#"{"jsonrpc":"2.0","id":1,"result":{"postId":"p"}}"#
        );
        let fetched = Fetched {
            mime_type: "text/plain".into(),
            name: "a.txt".into(),
            path: Some("/m/a.txt".into()),
            size: 5,
        };
        assert_eq!(
            line(Answer::Fetched(fetched)),
            r#"{"jsonrpc":"2.0","id":1,"result":{"mimeType":"text/plain","name":"a.txt","path":"/m/a.txt","size":5}}"#
        );
        let report = Report {
            bot: None,
            connected_since: None,
            delivered: 2,
            last_event_at: Some(7),
            reconnects: 1,
            sent: 3,
            state: "connecting",
            transport: "websocket",
        };
        assert_eq!(
            line(Answer::Status(report)),
            r#"{"jsonrpc":"2.0","id":1,"result":{"bot":null,"connectedSince":null,"delivered":2,"lastEventAt":7,"reconnects":1,"sent":3,"state":"connecting","transport":"websocket"}}"#
        );
    }
}

/// An `authorize` result: may this sender run a command in this channel, and the channel.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorized {
    pub authorized: bool,
    /// Why not: `dm-pairing`, `dm-disabled`, `channels-disabled`, `channel-no-allowlist` or
    /// `unauthorized`; `null` when authorized.
    pub reason: Option<&'static str>,
    pub channel_type: &'static str,
    pub channel_name: String,
    pub channel_display_name: String,
    pub team_id: String,
    pub sender: AuthorizedSender,
}

#[derive(Debug, Serialize)]
pub struct AuthorizedSender {
    pub id: String,
    pub username: String,
}
