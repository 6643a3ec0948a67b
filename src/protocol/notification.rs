//! The lines the bridge writes without being asked: `ready`, `message`, `reaction` and
//! `status`. Each has its params type; `Notification::line` is the only way to render one.

use super::{to_line, PROTOCOL_VERSION};
use serde::{Serialize, Serializer};
use std::time::Duration;

/// A notification: a line with a `method` and `params` and no `id`.
pub enum Notification<'a> {
    /// Once, when the bot is logged in and events flow.
    Ready(Ready<'a>),
    /// One accepted post.
    Message(Message<'a>),
    /// A reaction added to or removed from a post, by a sender the policy accepts.
    Reaction(Reaction<'a>),
    /// The connection changed state.
    Status(Status<'a>),
}

impl Notification<'_> {
    pub fn method(&self) -> &'static str {
        match self {
            Notification::Ready(_) => "ready",
            Notification::Message(_) => "message",
            Notification::Reaction(_) => "reaction",
            Notification::Status(_) => "status",
        }
    }

    /// `{"jsonrpc":"2.0","method":…,"params":…}`, without the newline.
    pub fn line(&self) -> String {
        match self {
            Notification::Ready(params) => envelope(self.method(), params),
            Notification::Message(params) => envelope(self.method(), params),
            Notification::Reaction(params) => envelope(self.method(), params),
            Notification::Status(params) => envelope(self.method(), params),
        }
    }
}

fn envelope(method: &str, params: &impl Serialize) -> String {
    #[derive(Serialize)]
    struct Envelope<'a, P> {
        jsonrpc: &'static str,
        method: &'a str,
        params: &'a P,
    }
    to_line(&Envelope {
        jsonrpc: "2.0",
        method,
        params,
    })
}

/// `ready` params. Keys in alphabetical order, as they have always been written.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ready<'a> {
    bot: Bot,
    protocol: u32,
    server_version: String,
    team_id: Option<&'a str>,
    teams: &'a [String],
    transport: Transport,
    version: &'static str,
}

impl<'a> Ready<'a> {
    /// `server_version` as the server reports it (`10.11.0.12345.abc.true`); the line carries
    /// its first three parts. `teamId` is `team_id`, else the only one of `teams`.
    pub fn new(
        bot: Bot,
        team_id: Option<&'a str>,
        teams: &'a [String],
        server_version: &str,
        transport: Transport,
    ) -> Ready<'a> {
        Ready {
            bot,
            protocol: PROTOCOL_VERSION,
            server_version: short_version(server_version),
            team_id: match (team_id, teams) {
                (Some(id), _) => Some(id),
                (None, [only]) => Some(only.as_str()),
                _ => None,
            },
            teams,
            transport,
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// `10.11.0.12345.abc.true` → `10.11.0`.
fn short_version(full: &str) -> String {
    full.split('.').take(3).collect::<Vec<_>>().join(".")
}

/// The bot account, in `ready` and the `status` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bot {
    pub id: String,
    pub username: String,
}

/// How events reach the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Websocket,
    Polling,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Websocket => "websocket",
            Transport::Polling => "polling",
        }
    }
}

/// `message` params: one post, in the order of the fields below.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message<'a> {
    pub id: &'a str,
    pub channel_id: &'a str,
    /// `direct`, `group`, `open` or `private`.
    pub channel_type: &'static str,
    pub channel_name: &'a str,
    pub channel_display_name: &'a str,
    /// `null` for DMs and group DMs.
    pub team_id: Option<&'a str>,
    /// The thread's root, `null` for a top-level post.
    pub root_id: Option<&'a str>,
    /// Where a reply belongs: `root_id` when set, else the post's own id.
    pub thread_id: &'a str,
    pub sender: Sender<'a>,
    /// The sender as Mattermost's event names them (`sender_name`: `@alice` with the server's
    /// default name display), what OpenClaw's own plugin shows the agent.
    pub sender_name: &'a str,
    pub text: &'a str,
    pub mentioned: bool,
    /// Outside DMs: `replyToBot`, `quotedBot` or `threadParticipation` when the post is
    /// addressed to the bot that way (`implicitMentions`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implicit_mention: Option<&'static str>,
    /// `chatmode: onchar`: the post started with a trigger prefix (removed from `text`).
    pub onchar: bool,
    /// `false` (else absent) only under `--unaddressed`, for a channel post that failed the
    /// mention gate alone: the host decides whether it is addressed after all; its files are
    /// not downloaded and its `history` stays with the bridge for the next turn.
    #[serde(skip_serializing_if = "is_true")]
    pub addressed: bool,
    pub create_at: i64,
    pub files: &'a [FileEntry],
    pub catch_up: bool,
    pub authorized: bool,
    /// Posts of the conversation since the bot's last turn that were not addressed to it,
    /// oldest first (`historyLimit`, `contextVisibility`); empty for DMs.
    pub history: &'a [HistoryEntry],
}

fn is_true(flag: &bool) -> bool {
    *flag
}

/// One earlier post in a `message`'s `history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The sender's username (its user id when the name is unknown).
    pub sender: String,
    /// The text, with `<media:attachment>` for files.
    pub body: String,
    /// `create_at` (ms).
    pub timestamp: i64,
    pub message_id: String,
}

/// `reaction` params, in the order of the fields below.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reaction<'a> {
    /// `added` or `removed`.
    pub action: &'static str,
    /// The emoji's name, without colons (`+1`, `white_check_mark`).
    pub emoji: &'a str,
    /// The post reacted to.
    pub post_id: &'a str,
    /// That post's thread root; `null` for a top-level post (or when the post could not be
    /// read).
    pub root_id: Option<&'a str>,
    pub channel_id: &'a str,
    /// `direct`, `group`, `open` or `private`.
    pub channel_type: &'static str,
    pub channel_name: &'a str,
    pub channel_display_name: &'a str,
    /// `null` for DMs and group DMs.
    pub team_id: Option<&'a str>,
    /// Who reacted.
    pub sender: Sender<'a>,
    /// When the reaction was made (server time, ms).
    pub create_at: i64,
}

/// Who wrote a post.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sender<'a> {
    pub id: &'a str,
    /// Without the leading `@`.
    pub username: &'a str,
}

/// An attachment as the host sees it (`files` in a `message`, the `fetchFile` result). A file
/// that could not be had has `path: null` and the reason in `error`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FileEntry {
    pub id: String,
    pub name: String,
    pub size: i64,
    pub mime_type: String,
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `status` params: `{"state":…}`, with the attempt, delay and error while retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<'a> {
    Connected,
    /// Polling works (`useWebSocket: false`).
    Polling,
    Stopping,
    Retrying(Retry<'a>),
}

/// A failed connection (or poll, or login) and when the next attempt comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry<'a> {
    pub trouble: Trouble,
    /// 1 for the first retry.
    pub attempt: u32,
    pub retry_in: Duration,
    pub error: &'a str,
}

/// Why the bridge is retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// The server could not be reached or the connection was lost.
    Reconnecting,
    /// The server rejected the bot token; retried slowly.
    Unauthorized,
}

impl Status<'_> {
    /// The `state` field; `status` results and the log use the same words.
    pub fn state(&self) -> &'static str {
        match self {
            Status::Connected => "connected",
            Status::Polling => "polling",
            Status::Stopping => "stopping",
            Status::Retrying(retry) => retry.trouble.state(),
        }
    }
}

impl Trouble {
    pub fn state(self) -> &'static str {
        match self {
            Trouble::Reconnecting => "reconnecting",
            Trouble::Unauthorized => "unauthorized",
        }
    }
}

impl Serialize for Status<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Keys in alphabetical order, as they have always been written.
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Retrying<'a> {
            attempt: u32,
            error: &'a str,
            retry_in_ms: u64,
            state: &'static str,
        }
        #[derive(Serialize)]
        struct Plain {
            state: &'static str,
        }
        match self {
            Status::Retrying(retry) => Retrying {
                attempt: retry.attempt,
                error: retry.error,
                retry_in_ms: retry.retry_in.as_millis() as u64,
                state: self.state(),
            }
            .serialize(serializer),
            _ => Plain {
                state: self.state(),
            }
            .serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_shortened() {
        assert_eq!(short_version("10.11.0.12345.abc.true"), "10.11.0");
        assert_eq!(short_version("9.5"), "9.5");
    }

    /// The bytes the host and the plugin read, exactly (they were built with `json!` before,
    /// which sorts keys: the typed params keep that order).
    #[test]
    fn status_lines() {
        let line = |status| Notification::Status(status).line();
        assert_eq!(
            line(Status::Connected),
            r#"{"jsonrpc":"2.0","method":"status","params":{"state":"connected"}}"#
        );
        assert_eq!(
            line(Status::Polling),
            r#"{"jsonrpc":"2.0","method":"status","params":{"state":"polling"}}"#
        );
        assert_eq!(
            line(Status::Stopping),
            r#"{"jsonrpc":"2.0","method":"status","params":{"state":"stopping"}}"#
        );
        let retry = Retry {
            trouble: Trouble::Unauthorized,
            attempt: 3,
            retry_in: Duration::from_millis(60_400),
            error: "token \"rejected\"",
        };
        assert_eq!(
            line(Status::Retrying(retry)),
            r#"{"jsonrpc":"2.0","method":"status","params":{"attempt":3,"error":"token \"rejected\"","retryInMs":60400,"state":"unauthorized"}}"#
        );
    }

    #[test]
    fn ready_line() {
        let bot = Bot {
            id: "b1".into(),
            username: "openclaw".into(),
        };
        let teams = ["t1".to_string()];
        let ready = Ready::new(
            bot.clone(),
            Some("t1"),
            &teams,
            "10.11.0.1.x.true",
            Transport::Websocket,
        );
        assert_eq!(
            Notification::Ready(ready).line(),
            format!(
                r#"{{"jsonrpc":"2.0","method":"ready","params":{{"bot":{{"id":"b1","username":"openclaw"}},"protocol":1,"serverVersion":"10.11.0","teamId":"t1","teams":["t1"],"transport":"websocket","version":"{}"}}}}"#,
                env!("CARGO_PKG_VERSION")
            )
        );
        let no_team = Ready::new(bot.clone(), None, &[], "", Transport::Polling);
        let line = Notification::Ready(no_team).line();
        assert!(
            line.contains(r#""serverVersion":"","teamId":null,"teams":[],"transport":"polling""#),
            "{line}"
        );
        // Without teamId, one team is named; several are not.
        let one = Ready::new(bot.clone(), None, &teams, "", Transport::Polling);
        assert!(Notification::Ready(one)
            .line()
            .contains(r#""teamId":"t1","teams":["t1"]"#));
        let two = ["t1".to_string(), "t2".to_string()];
        let several = Ready::new(bot, None, &two, "", Transport::Polling);
        let line = Notification::Ready(several).line();
        assert!(
            line.contains(r#""teamId":null,"teams":["t1","t2"]"#),
            "{line}"
        );
    }

    #[test]
    fn reaction_line() {
        let reaction = Reaction {
            action: "removed",
            emoji: "+1",
            post_id: "p1",
            root_id: Some("r1"),
            channel_id: "c1",
            channel_type: "direct",
            channel_name: "a__b",
            channel_display_name: "",
            team_id: None,
            sender: Sender {
                id: "u1",
                username: "alice",
            },
            create_at: 5,
        };
        assert_eq!(
            Notification::Reaction(reaction).line(),
            concat!(
                r#"{"jsonrpc":"2.0","method":"reaction","params":{"action":"removed","emoji":"+1","#,
                r#""postId":"p1","rootId":"r1","channelId":"c1","channelType":"direct","#,
                r#""channelName":"a__b","channelDisplayName":"","teamId":null,"#,
                r#""sender":{"id":"u1","username":"alice"},"createAt":5}}"#
            )
        );
    }

    #[test]
    fn message_line() {
        let files = [
            FileEntry {
                id: "f1".into(),
                name: "a.pdf".into(),
                size: 3,
                mime_type: "application/pdf".into(),
                path: Some("/m/a.pdf".into()),
                error: None,
            },
            FileEntry {
                id: "f2".into(),
                name: "b".into(),
                size: 9,
                mime_type: String::new(),
                path: None,
                error: Some("too large".into()),
            },
        ];
        let message = Message {
            id: "p1",
            channel_id: "c1",
            channel_type: "open",
            channel_name: "town",
            channel_display_name: "Town",
            team_id: Some("t1"),
            root_id: None,
            thread_id: "p1",
            sender: Sender {
                id: "u1",
                username: "alice",
            },
            sender_name: "@alice",
            text: "hi\n**bot**",
            mentioned: true,
            implicit_mention: None,
            onchar: false,
            addressed: true,
            create_at: 1_700_000_000_000,
            files: &files,
            catch_up: false,
            authorized: true,
            history: &[HistoryEntry {
                sender: "bob".into(),
                body: "<media:attachment>".into(),
                timestamp: 1_699_999_999_000,
                message_id: "p0".into(),
            }],
        };
        assert_eq!(
            Notification::Message(message).line(),
            concat!(
                r#"{"jsonrpc":"2.0","method":"message","params":{"id":"p1","channelId":"c1","#,
                r#""channelType":"open","channelName":"town","channelDisplayName":"Town","#,
                r#""teamId":"t1","rootId":null,"threadId":"p1","sender":{"id":"u1","username":"alice"},"#,
                r#""senderName":"@alice","text":"hi\n**bot**","mentioned":true,"onchar":false,"#,
                r#""createAt":1700000000000,"files":["#,
                r#"{"id":"f1","name":"a.pdf","size":3,"mimeType":"application/pdf","path":"/m/a.pdf"},"#,
                r#"{"id":"f2","name":"b","size":9,"mimeType":"","path":null,"error":"too large"}],"#,
                r#""catchUp":false,"authorized":true,"history":[{"sender":"bob","#,
                r#""body":"<media:attachment>","timestamp":1699999999000,"messageId":"p0"}]}}"#
            )
        );
    }
}
