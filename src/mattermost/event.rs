//! Parsing WebSocket frames from the server. This is the hot path: the outer frame is read into
//! borrowed types and only `posted` and reaction data are decoded further (the post, and the
//! reaction, are JSON inside a string).

use super::model::Post;
use super::{is_valid_emoji_name, is_valid_id};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// One server→client frame, classified.
#[derive(Debug)]
pub enum Frame {
    Hello(Hello),
    Posted(Box<Posted>),
    /// `reaction_added` or `reaction_removed`.
    Reaction(Box<Reaction>),
    /// `post_edited` or `post_deleted`: the post as it is now.
    Changed {
        post: Box<Post>,
        deleted: bool,
    },
    /// A reply to one of our actions (`ping`), `{"status":"OK","seq_reply":N}`.
    Reply {
        seq_reply: i64,
        ok: bool,
    },
    /// Any other event: only its sequence number matters to us.
    Other {
        event: String,
    },
}

/// A frame with its event sequence number (replies have none).
#[derive(Debug)]
pub struct Sequenced {
    pub seq: Option<i64>,
    pub frame: Frame,
}

#[derive(Debug, Clone)]
pub struct Hello {
    pub connection_id: String,
    pub server_version: String,
}

#[derive(Debug, Clone)]
pub struct Posted {
    pub channel_type: String,
    pub channel_name: String,
    pub channel_display_name: String,
    /// `@alice`, with the `@`.
    pub sender_name: String,
    pub team_id: String,
    /// User ids the server says this post mentions (for us: our own id, or nothing).
    pub mentions: Vec<String>,
    pub post: Post,
}

/// A reaction added to or removed from a post, its ids and emoji name checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub added: bool,
    pub user_id: String,
    pub post_id: String,
    /// The post's channel: the event's `broadcast.channel_id`, else the reaction's own.
    pub channel_id: String,
    pub emoji_name: String,
    pub create_at: i64,
}

/// The JSON of one reaction is about 250 bytes; a longer `reaction` string is not one.
const MAX_REACTION_BYTES: usize = 4096;

/// Why a frame could not be used; logged once per kind, then skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFrame {
    /// A short category for rate-limited logging (`not-json`, `posted-post`, …).
    pub kind: &'static str,
    pub detail: String,
}

#[derive(Deserialize)]
struct RawFrame<'a> {
    #[serde(borrow, default)]
    event: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<i64>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(default)]
    seq_reply: Option<i64>,
    #[serde(borrow, default)]
    broadcast: Option<RawBroadcast<'a>>,
}

#[derive(Deserialize, Default)]
struct RawBroadcast<'a> {
    #[serde(borrow, default)]
    channel_id: Cow<'a, str>,
}

#[derive(Deserialize)]
struct RawHello<'a> {
    #[serde(borrow, default)]
    connection_id: Cow<'a, str>,
    #[serde(borrow, default)]
    server_version: Cow<'a, str>,
}

#[derive(Deserialize)]
struct RawPosted<'a> {
    #[serde(borrow, default)]
    channel_type: Cow<'a, str>,
    #[serde(borrow, default)]
    channel_name: Cow<'a, str>,
    #[serde(borrow, default)]
    channel_display_name: Cow<'a, str>,
    #[serde(borrow, default)]
    sender_name: Cow<'a, str>,
    #[serde(borrow, default)]
    team_id: Cow<'a, str>,
    #[serde(borrow, default)]
    mentions: Option<Cow<'a, str>>,
    #[serde(borrow)]
    post: Cow<'a, str>,
}

pub fn parse(text: &str) -> Result<Sequenced, BadFrame> {
    let raw: RawFrame = serde_json::from_str(text).map_err(|e| bad("not-json", e))?;
    if let Some(seq_reply) = raw.seq_reply {
        let ok = raw.status.as_deref() == Some("OK");
        return Ok(Sequenced {
            seq: None,
            frame: Frame::Reply { seq_reply, ok },
        });
    }
    let event = raw.event.as_deref().ok_or_else(|| BadFrame {
        kind: "no-event",
        detail: "frame has neither event nor seq_reply".into(),
    })?;
    let frame = match event {
        "hello" => Frame::Hello(parse_hello(raw.data)?),
        "posted" => Frame::Posted(Box::new(parse_posted(raw.data)?)),
        "post_edited" | "post_deleted" => Frame::Changed {
            post: Box::new(parse_changed(raw.data)?),
            deleted: event == "post_deleted",
        },
        "reaction_added" | "reaction_removed" => {
            let channel_id = raw.broadcast.map(|b| b.channel_id).unwrap_or_default();
            let added = event == "reaction_added";
            Frame::Reaction(Box::new(parse_reaction(raw.data, added, &channel_id)?))
        }
        other => Frame::Other {
            event: other.to_string(),
        },
    };
    Ok(Sequenced {
        seq: raw.seq,
        frame,
    })
}

fn parse_hello(data: Option<&RawValue>) -> Result<Hello, BadFrame> {
    let data: RawHello =
        serde_json::from_str(data.map_or("{}", RawValue::get)).map_err(|e| bad("hello", e))?;
    Ok(Hello {
        connection_id: data.connection_id.into_owned(),
        server_version: data.server_version.into_owned(),
    })
}

fn parse_posted(data: Option<&RawValue>) -> Result<Posted, BadFrame> {
    let data = data.ok_or_else(|| BadFrame {
        kind: "posted-data",
        detail: "posted event without data".into(),
    })?;
    let raw: RawPosted = serde_json::from_str(data.get()).map_err(|e| bad("posted-data", e))?;
    let post: Post = serde_json::from_str(&raw.post).map_err(|e| bad("posted-post", e))?;
    if post.id.is_empty() || post.channel_id.is_empty() {
        return Err(BadFrame {
            kind: "posted-post",
            detail: "post without id or channel_id".into(),
        });
    }
    let mentions = match raw.mentions.as_deref() {
        Some(list) if !list.is_empty() => {
            serde_json::from_str(list).map_err(|e| bad("posted-mentions", e))?
        }
        _ => Vec::new(),
    };
    Ok(Posted {
        channel_type: raw.channel_type.into_owned(),
        channel_name: raw.channel_name.into_owned(),
        channel_display_name: raw.channel_display_name.into_owned(),
        sender_name: raw.sender_name.into_owned(),
        team_id: raw.team_id.into_owned(),
        mentions,
        post,
    })
}

/// The post of a `post_edited`/`post_deleted` event (`data.post`, JSON text).
fn parse_changed(data: Option<&RawValue>) -> Result<Post, BadFrame> {
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        post: Cow<'a, str>,
    }
    let raw: Raw = serde_json::from_str(data.map_or("{}", RawValue::get))
        .map_err(|e| bad("changed-data", e))?;
    serde_json::from_str(&raw.post).map_err(|e| bad("changed-post", e))
}

/// `data.reaction` is the Reaction as JSON text (an object is taken too, as the JS plugin
/// does). Everything in it comes from users and the server: ids and the emoji name are checked
/// here, so nothing else reaches a URL or a line.
fn parse_reaction(
    data: Option<&RawValue>,
    added: bool,
    broadcast_channel: &str,
) -> Result<Reaction, BadFrame> {
    #[derive(Deserialize)]
    struct RawData<'a> {
        #[serde(borrow)]
        reaction: &'a RawValue,
    }
    #[derive(Deserialize)]
    struct RawReaction {
        #[serde(default)]
        user_id: String,
        #[serde(default)]
        post_id: String,
        #[serde(default)]
        emoji_name: String,
        #[serde(default)]
        channel_id: String,
        #[serde(default)]
        create_at: i64,
    }
    let reject = |detail: &str| BadFrame {
        kind: "reaction",
        detail: detail.to_string(),
    };
    let data = data.ok_or_else(|| reject("reaction event without data"))?;
    let data: RawData = serde_json::from_str(data.get()).map_err(|e| bad("reaction", e))?;
    let text = data.reaction.get();
    if text.len() > MAX_REACTION_BYTES {
        return Err(reject(&format!("reaction of {} bytes", text.len())));
    }
    let inner: Cow<str> = match serde_json::from_str::<Cow<str>>(text) {
        Ok(json_text) => json_text,
        Err(_) => Cow::Borrowed(text),
    };
    let r: RawReaction = serde_json::from_str(&inner).map_err(|e| bad("reaction", e))?;
    let channel_id = if broadcast_channel.is_empty() {
        r.channel_id
    } else {
        broadcast_channel.to_string()
    };
    if ![&r.user_id, &r.post_id, &channel_id]
        .iter()
        .all(|id| is_valid_id(id))
    {
        return Err(reject("reaction without valid user, post and channel ids"));
    }
    if !is_valid_emoji_name(&r.emoji_name) {
        return Err(reject("reaction with an invalid emoji name"));
    }
    Ok(Reaction {
        added,
        user_id: r.user_id,
        post_id: r.post_id,
        channel_id,
        emoji_name: r.emoji_name,
        create_at: r.create_at,
    })
}

fn bad(kind: &'static str, error: serde_json::Error) -> BadFrame {
    BadFrame {
        kind,
        detail: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few thousand broken variants of real frames (outer frame and the post inside it):
    /// each parses or is a `BadFrame`, none panics.
    #[test]
    fn mutated_frames_never_panic() {
        let post = r#"{"id":"p1","create_at":1,"user_id":"u","channel_id":"c","root_id":"","message":"hi @bot","type":"","props":{"from_bot":"true"},"file_ids":["f"],"metadata":{"files":[{"id":"f","name":"a.pdf","size":3}]}}"#;
        let posted = serde_json::json!({
            "event": "posted", "seq": 4,
            "data": {"channel_type": "D", "channel_name": "a__b", "sender_name": "@alice",
                     "team_id": "", "post": post, "mentions": "[\"u\"]"},
            "broadcast": {"channel_id": "c", "user_id": "", "team_id": ""},
        })
        .to_string();
        let seeds = [
            posted,
            r#"{"event":"hello","data":{"connection_id":"x","server_version":"10.11.0"},"seq":0}"#
                .to_string(),
            r#"{"status":"OK","seq_reply":3,"data":{"text":"pong"}}"#.to_string(),
            r#"{"event":"reaction_added","data":{"reaction":"{\"user_id\":\"u0000000000000000000000000\",\"post_id\":\"p0000000000000000000000000\",\"emoji_name\":\"+1\",\"create_at\":5}"},"broadcast":{"channel_id":"c0000000000000000000000000"},"seq":2}"#.to_string(),
        ];
        let mut rng = crate::random::XorShift(0x5eed_0002);
        for n in 0..4000 {
            let bytes = rng.mutate(seeds[n % seeds.len()].as_bytes());
            // Frames arrive as text, so only valid UTF-8 reaches the parser.
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse(&text);
        }
        // Mutating only the post inside a well-formed frame reaches the inner parser.
        for _ in 0..2000 {
            let inner = String::from_utf8_lossy(&rng.mutate(post.as_bytes())).into_owned();
            let frame = serde_json::json!({"event":"posted","seq":1,"data":{"channel_type":"O","post":inner}});
            let _ = parse(&frame.to_string());
        }
    }

    #[test]
    fn a_ten_megabyte_post_parses() {
        let message = "x".repeat(10 * 1024 * 1024);
        let post = serde_json::json!({"id":"p","channel_id":"c","message": message}).to_string();
        let frame =
            serde_json::json!({"event":"posted","seq":1,"data":{"channel_type":"O","post":post}});
        match parse(&frame.to_string()).unwrap().frame {
            Frame::Posted(posted) => assert_eq!(posted.post.message.len(), 10 * 1024 * 1024),
            other => panic!("{other:?}"),
        }
    }

    const POSTED: &str = r#"{"event":"posted","data":{"channel_display_name":"Town Square","channel_name":"town-square","channel_type":"O","mentions":"[\"botid\"]","post":"{\"id\":\"p1\",\"create_at\":1732400000000,\"update_at\":1732400000000,\"edit_at\":0,\"delete_at\":0,\"user_id\":\"alice\",\"channel_id\":\"c1\",\"root_id\":\"\",\"message\":\"hello \\\"bot\\\"\",\"type\":\"\",\"props\":{},\"file_ids\":[]}","sender_name":"@alice","set_online":true,"team_id":"t1"},"broadcast":{"omit_users":null,"user_id":"","channel_id":"c1","team_id":""},"seq":5}"#;

    #[test]
    fn posted_event() {
        let parsed = parse(POSTED).unwrap();
        assert_eq!(parsed.seq, Some(5));
        let Frame::Posted(posted) = parsed.frame else {
            panic!("not posted")
        };
        assert_eq!(posted.channel_type, "O");
        assert_eq!(posted.sender_name, "@alice");
        assert_eq!(posted.mentions, vec!["botid"]);
        assert_eq!(posted.post.message, "hello \"bot\"");
        assert_eq!(posted.post.create_at, 1732400000000);
    }

    #[test]
    fn hello_and_reply() {
        let hello = parse(r#"{"event":"hello","data":{"server_version":"10.11.0.1.x.true","connection_id":"cid"},"broadcast":{"user_id":"bot"},"seq":0}"#).unwrap();
        assert_eq!(hello.seq, Some(0));
        match hello.frame {
            Frame::Hello(h) => {
                assert_eq!(h.connection_id, "cid");
                assert_eq!(h.server_version, "10.11.0.1.x.true");
            }
            other => panic!("{other:?}"),
        }
        let reply = parse(r#"{"status":"OK","seq_reply":3,"data":{"text":"pong"}}"#).unwrap();
        assert!(matches!(
            reply.frame,
            Frame::Reply {
                seq_reply: 3,
                ok: true
            }
        ));
        assert_eq!(reply.seq, None);
    }

    const ALICE: &str = "alice00000000000000000000a";
    const POST: &str = "post000000000000000000000p";
    const CHANNEL: &str = "chan000000000000000000000c";

    fn reaction_frame(event: &str, reaction: serde_json::Value, broadcast_channel: &str) -> String {
        serde_json::json!({
            "event": event, "seq": 3, "data": {"reaction": reaction},
            "broadcast": {"channel_id": broadcast_channel, "user_id": "", "team_id": ""},
        })
        .to_string()
    }

    #[test]
    fn reaction_events() {
        let reaction = serde_json::json!({"user_id": ALICE, "post_id": POST, "emoji_name": "+1",
            "create_at": 17, "channel_id": "ignored-when-broadcast-has-one"});
        // As the server sends it: the reaction is JSON inside a string.
        let text = reaction_frame("reaction_added", reaction.to_string().into(), CHANNEL);
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.seq, Some(3));
        let expected = Reaction {
            added: true,
            user_id: ALICE.into(),
            post_id: POST.into(),
            channel_id: CHANNEL.into(),
            emoji_name: "+1".into(),
            create_at: 17,
        };
        match parsed.frame {
            Frame::Reaction(r) => assert_eq!(*r, expected),
            other => panic!("{other:?}"),
        }
        // An object is taken too; without a broadcast channel, the reaction's own.
        let object = serde_json::json!({"user_id": ALICE, "post_id": POST, "emoji_name": "+1",
            "create_at": 17, "channel_id": CHANNEL});
        match parse(&reaction_frame("reaction_removed", object, ""))
            .unwrap()
            .frame
        {
            Frame::Reaction(r) => assert_eq!(
                *r,
                Reaction {
                    added: false,
                    ..expected
                }
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hostile_reactions_are_bad_frames() {
        let ok = |user: &str, post: &str, emoji: &str| serde_json::json!({"user_id": user, "post_id": post, "emoji_name": emoji});
        let huge = serde_json::json!({"user_id": ALICE, "post_id": POST, "emoji_name": "x",
            "padding": "p".repeat(MAX_REACTION_BYTES)});
        let cases = [
            (ok(ALICE, POST, "smile").to_string().into(), ""),
            (
                ok("../../users/me", POST, "smile").to_string().into(),
                CHANNEL,
            ),
            (ok(ALICE, "", "smile").to_string().into(), CHANNEL),
            (ok(ALICE, POST, "a/../b").to_string().into(), CHANNEL),
            (
                ok(ALICE, POST, "\n{\"jsonrpc\"").to_string().into(),
                CHANNEL,
            ),
            (ok(ALICE, POST, &"x".repeat(65)).to_string().into(), CHANNEL),
            (ok(ALICE, POST, "smile").to_string().into(), "../c"),
            (huge.to_string().into(), CHANNEL),
            (huge, CHANNEL),
            ("not json".into(), CHANNEL),
            (serde_json::json!(5), CHANNEL),
            (serde_json::Value::Null, CHANNEL),
        ];
        for (reaction, channel) in cases {
            let text = reaction_frame("reaction_added", reaction, channel);
            assert_eq!(parse(&text).unwrap_err().kind, "reaction", "{text}");
        }
        let no_data = r#"{"event":"reaction_added","seq":1}"#;
        assert_eq!(parse(no_data).unwrap_err().kind, "reaction");
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        let cases = [
            ("not json", "not-json"),
            ("[1,2]", "not-json"),
            (r#"{"seq":1}"#, "no-event"),
            (r#"{"event":"posted","seq":1}"#, "posted-data"),
            (
                r#"{"event":"posted","data":{"post":5},"seq":1}"#,
                "posted-data",
            ),
            (
                r#"{"event":"posted","data":{"post":"not json"},"seq":1}"#,
                "posted-post",
            ),
            (
                r#"{"event":"posted","data":{"post":"{}"},"seq":1}"#,
                "posted-post",
            ),
            (
                r#"{"event":"posted","data":{"post":"{\"id\":\"p\",\"channel_id\":\"c\"}","mentions":"nope"},"seq":1}"#,
                "posted-mentions",
            ),
        ];
        for (text, kind) in cases {
            assert_eq!(parse(text).unwrap_err().kind, kind, "{text}");
        }
        assert!(matches!(
            parse(r#"{"event":"typing","data":{},"seq":9}"#)
                .unwrap()
                .frame,
            Frame::Other { .. }
        ));
    }
}
