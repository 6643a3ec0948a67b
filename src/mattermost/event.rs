//! Parsing WebSocket frames from the server. This is the hot path: the outer frame is read into
//! borrowed types and only `posted` data is decoded further (its post is JSON inside a string).

use super::model::Post;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// One server→client frame, classified.
#[derive(Debug)]
pub enum Frame {
    Hello(Hello),
    Posted(Box<Posted>),
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
