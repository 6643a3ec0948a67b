//! Checks the fake Mattermost server itself, with ureq as the REST client and tungstenite as
//! the WebSocket client, so the bridge's tests can trust it.

use fake_mattermost::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

const WAIT: Duration = Duration::from_secs(3);

/// A client that returns 4xx/5xx responses instead of turning them into errors. One agent for
/// all tests, so its connection pool keeps connections alive like the bridge's does.
fn agent() -> ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT
        .get_or_init(|| {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(5)))
                .build()
                .into()
        })
        .clone()
}

struct Answer {
    status: u16,
    content_type: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn answer(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut response = result.expect("HTTP exchange");
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    Answer {
        status: response.status().as_u16(),
        content_type,
        headers,
        body: response.body_mut().read_to_string().expect("body"),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn get(fake: &FakeMattermost, path: &str, token: &str) -> Answer {
    answer(
        agent()
            .get(format!("{}{path}", fake.url()))
            .header("Authorization", bearer(token))
            .call(),
    )
}

fn send(fake: &FakeMattermost, method: &str, path: &str, body: Value) -> Answer {
    let url = format!("{}{path}", fake.url());
    let auth = bearer(TOKEN);
    let agent = agent();
    let result = match method {
        "POST" => agent
            .post(url)
            .header("Authorization", auth)
            .send_json(body),
        "PUT" => agent.put(url).header("Authorization", auth).send_json(body),
        "DELETE" => agent.delete(url).header("Authorization", auth).call(),
        other => panic!("method {other}"),
    };
    answer(result)
}

fn create_post(fake: &FakeMattermost, body: Value) -> Answer {
    send(fake, "POST", "/api/v4/posts", body)
}

/// A WebSocket to the fake, authenticated by header when `token` is given.
fn ws_connect(fake: &FakeMattermost, token: Option<&str>) -> WebSocket<TcpStream> {
    ws_connect_query(fake, token, "")
}

fn ws_connect_query(
    fake: &FakeMattermost,
    token: Option<&str>,
    query: &str,
) -> WebSocket<TcpStream> {
    let url = format!("ws://127.0.0.1:{}/api/v4/websocket{query}", fake.port());
    let mut request = url.into_client_request().unwrap();
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("Authorization", bearer(token).parse().unwrap());
    }
    let stream = TcpStream::connect(("127.0.0.1", fake.port())).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let (ws, response) = tungstenite::client(request, stream).expect("upgrade");
    assert_eq!(response.status().as_u16(), 101);
    ws
}

/// The next text frame as JSON (pings are answered by tungstenite on the way).
fn next_json(ws: &mut WebSocket<TcpStream>) -> Value {
    loop {
        match ws.read().expect("a frame") {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

fn send_text(ws: &mut WebSocket<TcpStream>, value: Value) {
    ws.send(Message::text(value.to_string())).unwrap();
}

/// Whether the server ends the connection within `within` without sending a text frame.
fn closes_without_text(ws: &mut WebSocket<TcpStream>, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        match ws.read() {
            Ok(Message::Text(text)) => panic!("unexpected text frame {text}"),
            Ok(_) => continue,
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                continue
            }
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn ids_look_like_mattermost_ids() {
    for id in [
        BOT_ID,
        ALICE_ID,
        BOB_ID,
        OTHERBOT_ID,
        TEAM_ID,
        OTHER_TEAM_ID,
        TOWN_SQUARE,
        PRIVATE_CH,
        OFFTOPIC,
        OTHER_TEAM_CH,
        DM_ALICE,
        GROUP_CH,
    ] {
        assert_eq!(id.len(), 26, "{id}");
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
            "{id}"
        );
    }
}

#[test]
fn ping_me_and_authentication() {
    let fake = FakeMattermost::start();
    let ping = answer(
        agent()
            .get(format!("{}/api/v4/system/ping", fake.url()))
            .call(),
    );
    assert_eq!(
        (ping.status, ping.json()["status"].as_str()),
        (200, Some("OK"))
    );

    let me = get(&fake, "/api/v4/users/me", TOKEN);
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(
        (me["id"].as_str(), me["username"].as_str()),
        (Some(BOT_ID), Some("openclaw"))
    );
    assert_eq!(me["is_bot"], true);

    let denied = get(&fake, "/api/v4/users/me", "wrong");
    assert_eq!(denied.status, 401);
    assert!(denied.content_type.starts_with("application/json"));
    let error = denied.json();
    assert_eq!(error["id"], "api.context.session_expired.app_error");
    assert_eq!(error["status_code"], 401);
    assert_eq!(error["request_id"].as_str(), denied.header("x-request-id"));
    assert_eq!(error["request_id"].as_str().unwrap().len(), 26);

    let lower = answer(
        agent()
            .get(format!("{}/api/v4/users/me/teams", fake.url()))
            .header("authorization", format!("bearer {TOKEN}"))
            .call(),
    );
    assert_eq!(lower.json().as_array().unwrap().len(), 2);

    fake.set_token_valid(false);
    assert_eq!(get(&fake, "/api/v4/users/me", TOKEN).status, 401);

    fake.set_token_valid(true);
    let missing = get(&fake, "/api/v4/nothing/here", TOKEN);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["id"], "api.context.404.app_error");

    // Every request was recorded, failed ones included, with lowercased header names.
    let requests = fake.requests();
    assert_eq!(requests.len(), 6);
    assert_eq!(requests[2].header("Authorization"), Some("Bearer wrong"));
    assert_eq!(requests[1].path_only(), "/api/v4/users/me");
}

#[test]
fn channels_users_and_config() {
    let fake = FakeMattermost::start();
    let channels = get(
        &fake,
        &format!("/api/v4/users/me/teams/{TEAM_ID}/channels"),
        TOKEN,
    )
    .json();
    let ids: Vec<&str> = channels
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for id in [TOWN_SQUARE, PRIVATE_CH, OFFTOPIC, DM_ALICE, GROUP_CH] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(!ids.contains(&OTHER_TEAM_CH));

    let dm = get(&fake, &format!("/api/v4/channels/{DM_ALICE}"), TOKEN).json();
    assert_eq!(dm["type"], "D");
    assert_eq!(dm["name"], format!("{ALICE_ID}__{BOT_ID}"));
    assert_eq!(dm["team_id"], "");
    assert_eq!(get(&fake, "/api/v4/channels/nope", TOKEN).status, 404);

    let direct = send(
        &fake,
        "POST",
        "/api/v4/channels/direct",
        json!([BOT_ID, ALICE_ID]),
    );
    assert_eq!(
        (direct.status, direct.json()["id"].as_str()),
        (201, Some(DM_ALICE))
    );
    let direct = send(
        &fake,
        "POST",
        "/api/v4/channels/direct",
        json!([BOB_ID, BOT_ID]),
    );
    assert_eq!(direct.status, 201);
    assert_eq!(direct.json()["name"], format!("{BOB_ID}__{BOT_ID}"));
    let bad = send(
        &fake,
        "POST",
        "/api/v4/channels/direct",
        json!([BOT_ID, "nobody"]),
    );
    assert_eq!(bad.status, 400);

    let users = send(
        &fake,
        "POST",
        "/api/v4/users/usernames",
        json!(["alice", "ghost"]),
    )
    .json();
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["id"], ALICE_ID);
    assert_eq!(
        get(&fake, &format!("/api/v4/users/{OTHERBOT_ID}"), TOKEN).json()["is_bot"],
        true
    );

    fake.set_max_post_size(4000);
    let config = get(&fake, "/api/v4/config/client?format=old", TOKEN).json();
    assert_eq!(config["MaxPostSize"], "4000");
    assert_eq!(config["MaxFileSize"], "104857600");
    assert_eq!(config["Version"], "10.11.0");
}

/// The bot is in two teams, as a real multi-team bot: `/users/me/…` and `/users/{bot id}/…`
/// (as @openclaw/mattermost asks) list both, and the server repeats the DMs and group DMs in
/// every team's channel listing.
#[test]
fn a_bot_in_two_teams() {
    let fake = FakeMattermost::start();
    let ids = |list: Value| -> Vec<String> {
        let list = list.as_array().unwrap().iter();
        list.map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    for who in ["me", BOT_ID] {
        let teams = get(&fake, &format!("/api/v4/users/{who}/teams"), TOKEN).json();
        assert_eq!(ids(teams), [TEAM_ID, OTHER_TEAM_ID], "{who}");
    }
    let other = format!("/api/v4/users/{BOT_ID}/teams/{OTHER_TEAM_ID}/channels");
    let listed = ids(get(&fake, &other, TOKEN).json());
    assert_eq!(listed, [OTHER_TEAM_CH, DM_ALICE, GROUP_CH]);
    // Someone else's teams, or a team the bot is not in: 403.
    let alice = format!("/api/v4/users/{ALICE_ID}/teams");
    assert_eq!(get(&fake, &alice, TOKEN).status, 403);
    let unknown = "/api/v4/users/me/teams/nosuchteam0000000000000001/channels";
    assert_eq!(get(&fake, unknown, TOKEN).status, 403);
}

#[test]
fn create_post_dedupes_and_validates() {
    let fake = FakeMattermost::start();
    let body = json!({"channel_id": TOWN_SQUARE, "message": "hi", "pending_post_id": "p1"});
    let first = create_post(&fake, body.clone());
    assert_eq!(first.status, 201);
    let post = first.json();
    assert_eq!(post["id"].as_str().unwrap().len(), 26);
    assert_eq!(post["user_id"], BOT_ID);
    assert_eq!(post["props"]["from_bot"], "true");
    assert_eq!(post["create_at"], post["update_at"]);
    assert_eq!(
        (post["edit_at"].as_i64(), post["type"].as_str()),
        (Some(0), Some(""))
    );

    let again = create_post(&fake, body);
    assert_eq!(
        (again.status, again.json()["id"].clone()),
        (201, post["id"].clone())
    );
    assert_eq!(fake.posts().len(), 1);
    // The answers echo the key; the stored post does not keep it (the real server's
    // Post.PendingPostId is not stored), so reading it back shows it empty.
    assert_eq!(post["pending_post_id"], "p1");
    assert_eq!(again.json()["pending_post_id"], "p1");
    assert_eq!(fake.posts()[0]["pending_post_id"], "");
    let read = get(
        &fake,
        &format!("/api/v4/posts/{}", post["id"].as_str().unwrap()),
        TOKEN,
    );
    assert_eq!(read.json()["pending_post_id"], "");

    let reply = create_post(
        &fake,
        json!({"channel_id": TOWN_SQUARE, "message": "re", "root_id": post["id"]}),
    );
    assert_eq!(reply.status, 201);
    assert!(reply.json()["create_at"].as_i64() > post["create_at"].as_i64());

    let long = create_post(
        &fake,
        json!({"channel_id": TOWN_SQUARE, "message": "é".repeat(16384)}),
    );
    assert_eq!(long.status, 400);
    assert_eq!(
        long.json()["id"],
        "model.post.is_valid.message_length.app_error"
    );
    let exact = create_post(
        &fake,
        json!({"channel_id": TOWN_SQUARE, "message": "é".repeat(16383)}),
    );
    assert_eq!(exact.status, 201, "counted in chars, not bytes");

    let nowhere = create_post(
        &fake,
        json!({"channel_id": "unknownchannel000000000001", "message": "x"}),
    );
    assert_eq!(nowhere.status, 403);
    assert_eq!(nowhere.json()["id"], "api.context.permissions.app_error");
    assert_eq!(fake.posts().len(), 3);
}

#[test]
fn edits_reactions_and_history() {
    let fake = FakeMattermost::start();
    let since = fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "old").create_at(1_000));
    let id = create_post(&fake, json!({"channel_id": OFFTOPIC, "message": "draft"})).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let edited = send(
        &fake,
        "PUT",
        &format!("/api/v4/posts/{id}/patch"),
        json!({"message": "final"}),
    );
    assert_eq!(edited.status, 200);
    assert!(edited.json()["edit_at"].as_i64().unwrap() > 0);
    assert_eq!(
        send(
            &fake,
            "PUT",
            "/api/v4/posts/missing/patch",
            json!({"message": "x"})
        )
        .status,
        404
    );

    let reaction = send(
        &fake,
        "POST",
        "/api/v4/reactions",
        json!({"user_id": BOT_ID, "post_id": id, "emoji_name": "thumbsup"}),
    );
    assert_eq!(reaction.status, 200);
    assert!(reaction.json()["create_at"].as_i64().unwrap() > 0);
    assert_eq!(fake.reactions().len(), 1);
    let removed = send(
        &fake,
        "DELETE",
        &format!("/api/v4/users/me/posts/{id}/reactions/thumbsup"),
        Value::Null,
    );
    assert_eq!(removed.json(), json!({"status": "OK"}));
    assert!(fake.reactions().is_empty());

    let typing = send(
        &fake,
        "POST",
        "/api/v4/users/me/typing",
        json!({"channel_id": OFFTOPIC, "parent_id": ""}),
    );
    assert_eq!(typing.status, 200);

    let list = get(
        &fake,
        &format!("/api/v4/channels/{OFFTOPIC}/posts?since=2000"),
        TOKEN,
    )
    .json();
    // The post and its edit-history row (the earlier text under a new id, deleted).
    let order = list["order"].as_array().unwrap();
    assert_eq!(order.len(), 2, "{list}");
    assert!(order.contains(&json!(id)));
    assert_eq!(list["posts"][&id]["message"], "final");
    let history = order.iter().find(|h| **h != json!(id)).unwrap();
    let history = &list["posts"][history.as_str().unwrap()];
    assert_eq!(history["original_id"], json!(id));
    assert!(history["delete_at"].as_i64().unwrap() > 0);
    let page = get(
        &fake,
        &format!("/api/v4/channels/{OFFTOPIC}/posts?page=0&per_page=1000"),
        TOKEN,
    )
    .json();
    assert_eq!(page["order"], json!([id, since]));
}

#[test]
fn update_replaces_the_whole_post() {
    let fake = FakeMattermost::start();
    let id = create_post(
        &fake,
        json!({"channel_id": OFFTOPIC, "message": "draft", "props": {"kept": "no"}}),
    )
    .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v4/posts/{id}");
    // The body must name the post it updates.
    let unnamed = send(&fake, "PUT", &path, json!({"message": "final"}));
    assert_eq!(unnamed.status, 400);
    assert_eq!(
        unnamed.json()["id"],
        "api.context.invalid_body_param.app_error"
    );
    let other = send(&fake, "PUT", &path, json!({"id": "x", "message": "final"}));
    assert_eq!(other.status, 400);
    let updated = send(&fake, "PUT", &path, json!({"id": id, "message": "final"}));
    assert_eq!(updated.status, 200);
    assert_eq!(updated.json()["message"], "final");
    assert!(updated.json()["edit_at"].as_i64().unwrap() > 0);
    // Unlike a patch, what the body leaves out is cleared.
    assert_eq!(updated.json()["props"], json!({}));
    let missing = send(
        &fake,
        "PUT",
        "/api/v4/posts/missing",
        json!({"id": "missing", "message": "x"}),
    );
    assert_eq!(missing.status, 404);
}

#[test]
fn teams_of_a_user_and_channels_by_name() {
    let fake = FakeMattermost::start();
    let mine = get(&fake, &format!("/api/v4/users/{BOT_ID}/teams"), TOKEN);
    assert_eq!(mine.status, 200);
    assert_eq!(
        mine.json(),
        get(&fake, "/api/v4/users/me/teams", TOKEN).json()
    );
    assert_eq!(
        get(&fake, &format!("/api/v4/users/{ALICE_ID}/teams"), TOKEN).status,
        403
    );
    let town = get(
        &fake,
        &format!("/api/v4/teams/{TEAM_ID}/channels/name/town-square"),
        TOKEN,
    );
    assert_eq!(town.status, 200, "{:?}", town.json());
    assert_eq!(town.json()["id"], TOWN_SQUARE);
    let missing = get(
        &fake,
        &format!("/api/v4/teams/{TEAM_ID}/channels/name/nowhere"),
        TOKEN,
    );
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json()["id"],
        "app.channel.get_by_name.missing.app_error"
    );
}

#[test]
fn a_thread_whole_or_by_page() {
    let fake = FakeMattermost::start();
    let root = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "root").create_at(1_000));
    let replies: Vec<String> = (1..=4)
        .map(|i| {
            fake.post(
                NewPost::new(ALICE_ID, TOWN_SQUARE, &format!("reply {i}"))
                    .root(&root)
                    .create_at(1_000 + i * 10),
            )
        })
        .collect();
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "elsewhere").create_at(1_005));
    // Asked through any of its posts: the whole thread, newest first, the root last.
    let whole = get(
        &fake,
        &format!("/api/v4/posts/{}/thread", replies[1]),
        TOKEN,
    )
    .json();
    let mut expected: Vec<&str> = replies.iter().rev().map(String::as_str).collect();
    expected.push(&root);
    assert_eq!(whole["order"], json!(expected));
    // Two replies older than the third one's time, and the root.
    let page = get(
        &fake,
        &format!(
            "/api/v4/posts/{root}/thread?perPage=2&direction=up&fromPost={}&fromCreateAt=1030",
            replies[2]
        ),
        TOKEN,
    )
    .json();
    assert_eq!(page["order"], json!([replies[1], replies[0], root]));
    assert_eq!(page["has_next"], false);
    let newer = get(
        &fake,
        &format!("/api/v4/posts/{root}/thread?perPage=1&direction=down&fromCreateAt=1010"),
        TOKEN,
    )
    .json();
    assert_eq!(newer["order"], json!([replies[1], root]));
    assert_eq!(newer["has_next"], true);
    assert_eq!(get(&fake, "/api/v4/posts/nope/thread", TOKEN).status, 404);
}

#[test]
fn keep_alive_chunked_bodies_and_connection_close() {
    let fake = FakeMattermost::start();
    let mut stream = TcpStream::connect(("127.0.0.1", fake.port())).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let body = json!({"channel_id": TOWN_SQUARE, "message": "chunky"}).to_string();
    let (a, b) = body.split_at(10);
    let requests = format!(
        "GET /api/v4/system/ping HTTP/1.1\r\nHost: x\r\n\r\n\
         POST /api/v4/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\n\r\n\
         GET /api/v4/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n",
        a.len(),
        b.len()
    );
    stream.write_all(requests.as_bytes()).unwrap();
    let mut all = String::new();
    stream
        .read_to_string(&mut all)
        .expect("the server closes after Connection: close");
    assert_eq!(all.matches("HTTP/1.1 200 OK").count(), 2, "{all}");
    assert_eq!(all.matches("HTTP/1.1 201 Created").count(), 1, "{all}");
    assert!(all.contains("Connection: close"));
    assert_eq!(fake.posts()[0]["message"], "chunky");
    assert_eq!(fake.requests()[1].json()["message"], "chunky");
}

#[test]
fn injected_faults() {
    let fake = FakeMattermost::start();
    let body = json!({"channel_id": TOWN_SQUARE, "message": "x"});
    fake.inject(
        "POST",
        "/api/v4/posts",
        Fault::app_error(503, "api.server.unavailable", "busy"),
    );
    let busy = create_post(&fake, body.clone());
    assert_eq!(busy.status, 503);
    assert_eq!(busy.json()["message"], "busy");
    assert_eq!(create_post(&fake, body.clone()).status, 201);

    fake.inject("POST", "/api/v4/posts", Fault::rate_limited(2));
    let limited = create_post(&fake, body.clone());
    assert_eq!(limited.status, 429);
    assert!(limited.content_type.starts_with("text/plain"));
    assert_eq!(limited.body, "limit exceeded\n");
    assert_eq!(limited.header("retry-after"), Some("2"));
    assert_eq!(limited.header("x-ratelimit-reset"), Some("2"));

    fake.inject("POST", "/api/v4/posts", Fault::close());
    let closed = agent()
        .post(format!("{}/api/v4/posts", fake.url()))
        .header("Authorization", bearer(TOKEN))
        .send_json(body.clone());
    assert!(closed.is_err(), "no response at all");

    fake.inject(
        "GET",
        "/api/v4/users",
        Fault::app_error(500, "x", "y").after(1).times(2),
    );
    fake.inject(
        "GET",
        "/api/v4/users/me",
        Fault::pass().delayed(Duration::from_millis(150)),
    );
    let statuses: Vec<u16> = (0..3)
        .map(|_| get(&fake, "/api/v4/users/me", TOKEN).status)
        .collect();
    assert_eq!(statuses, [200, 500, 500]);
    let started = Instant::now();
    assert_eq!(get(&fake, "/api/v4/users/me", TOKEN).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    // Every attempt was recorded and only the successful one stored a post.
    let attempts = fake
        .requests()
        .iter()
        .filter(|r| r.path_only() == "/api/v4/posts")
        .count();
    assert_eq!((attempts, fake.posts().len()), (4, 1));
}

#[test]
fn websocket_hello_events_and_actions() {
    let fake = FakeMattermost::start();
    let mut ws = ws_connect(&fake, Some(TOKEN));
    let hello = next_json(&mut ws);
    assert_eq!(
        (hello["event"].as_str(), hello["seq"].as_i64()),
        (Some("hello"), Some(0))
    );
    assert_eq!(hello["data"]["connection_id"].as_str().unwrap().len(), 26);
    assert!(hello["data"]["server_version"]
        .as_str()
        .unwrap()
        .starts_with("10.11.0."));
    assert_eq!(hello["broadcast"]["user_id"], BOT_ID);
    assert!(fake.wait_for_ws(1, WAIT));
    assert_eq!(
        fake.ws_upgrade_headers()[0]
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1,
        bearer(TOKEN)
    );

    let first = fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "hey @OpenClaw!"));
    let second = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "`@openclaw` in code").root(&first));
    let event = next_json(&mut ws);
    assert_eq!(
        (event["event"].as_str(), event["seq"].as_i64()),
        (Some("posted"), Some(1))
    );
    let data = &event["data"];
    assert_eq!(data["mentions"], format!("[\"{BOT_ID}\"]"));
    assert_eq!(
        (data["channel_type"].as_str(), data["team_id"].as_str()),
        (Some("O"), Some(TEAM_ID))
    );
    assert_eq!(data["sender_name"], "@alice");
    assert_eq!(event["broadcast"]["channel_id"], TOWN_SQUARE);
    let post: Value =
        serde_json::from_str(data["post"].as_str().expect("post is a string")).unwrap();
    assert_eq!(
        (post["id"].as_str(), post["message"].as_str()),
        (Some(first.as_str()), Some("hey @OpenClaw!"))
    );

    let event = next_json(&mut ws);
    assert_eq!(event["seq"], 2);
    assert!(
        event["data"].get("mentions").is_none(),
        "code is not a mention"
    );
    assert_eq!(
        (
            event["data"]["channel_type"].as_str(),
            event["data"]["team_id"].as_str()
        ),
        (Some("D"), Some(""))
    );
    let post: Value = serde_json::from_str(event["data"]["post"].as_str().unwrap()).unwrap();
    assert_eq!(
        (post["id"].as_str(), post["root_id"].as_str()),
        (Some(second.as_str()), Some(first.as_str()))
    );

    send_text(&mut ws, json!({"seq": 1, "action": "ping"}));
    let pong = next_json(&mut ws);
    assert_eq!(
        (pong["status"].as_str(), pong["seq_reply"].as_i64()),
        (Some("OK"), Some(1))
    );
    assert_eq!(pong["data"]["text"], "pong");
    assert!(pong.get("seq").is_none());
    send_text(&mut ws, json!({"seq": 2, "action": "dance"}));
    let fail = next_json(&mut ws);
    assert_eq!(
        (fail["status"].as_str(), fail["error"]["id"].as_str()),
        (
            Some("FAIL"),
            Some("api.web_socket_router.bad_action.app_error")
        )
    );
    assert_eq!(fake.ws_client_frames().len(), 2);

    // The bot's own REST post comes back as an event, with the next seq.
    create_post(&fake, json!({"channel_id": OFFTOPIC, "message": "mine"}));
    let own = next_json(&mut ws);
    assert_eq!(
        (own["event"].as_str(), own["seq"].as_i64()),
        (Some("posted"), Some(3))
    );
    fake.broadcast_raw("not json");
    assert_eq!(ws.read().unwrap(), Message::text("not json"));
}

#[test]
fn server_pings_and_client_pongs() {
    let fake = FakeMattermost::start();
    fake.set_ws_ping_interval(Duration::from_millis(50));
    let mut ws = ws_connect(&fake, Some(TOKEN));
    let mut pings = 0;
    let deadline = Instant::now() + Duration::from_millis(400);
    while Instant::now() < deadline && pings < 3 {
        // Reading answers each Ping with a Pong.
        if let Message::Ping(_) = ws.read().unwrap() {
            pings += 1;
        }
    }
    ws.flush().unwrap();
    assert!(pings >= 3, "pings: {pings}");
    let deadline = Instant::now() + WAIT;
    while fake.ws_pongs() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(fake.ws_pongs() >= 2, "pongs: {}", fake.ws_pongs());
}

#[test]
fn drop_websockets_closes_the_client() {
    let fake = FakeMattermost::start();
    let mut ws = ws_connect(&fake, Some(TOKEN));
    next_json(&mut ws);
    assert_eq!(fake.ws_live(), 1);
    fake.drop_websockets();
    assert_eq!(fake.ws_live(), 0);
    assert!(closes_without_text(&mut ws, WAIT));
    let mut again = ws_connect(&fake, Some(TOKEN));
    assert_eq!(
        next_json(&mut again)["seq"],
        0,
        "a new connection starts over"
    );
    assert!(fake.wait_for_ws(2, WAIT));
    assert_eq!(fake.ws_connections(), 2);
}

#[test]
fn resume_replays_missed_events_or_starts_over() {
    let fake = FakeMattermost::start();
    let mut ws = ws_connect(&fake, Some(TOKEN));
    let hello = next_json(&mut ws);
    let id = hello["data"]["connection_id"].as_str().unwrap().to_string();
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "one"));
    assert_eq!(next_json(&mut ws)["seq"], 1);
    fake.drop_websockets();
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "two"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "three"));

    // (1) Missed events are replayed with their numbers, and no hello comes first.
    let query = format!("?connection_id={id}&sequence_number=2");
    let mut resumed = ws_connect_query(&fake, Some(TOKEN), &query);
    let replayed: Vec<Value> = (0..2).map(|_| next_json(&mut resumed)).collect();
    assert_eq!(replayed[0]["seq"], 2);
    assert_eq!(replayed[1]["seq"], 3);
    assert!(replayed[1]["data"]["post"]
        .as_str()
        .unwrap()
        .contains("three"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "live again"));
    assert_eq!(next_json(&mut resumed)["seq"], 4);
    assert_eq!(fake.ws_resumes(), 1);
    drop(resumed);
    fake.drop_websockets();

    // (2) Nothing missed: no frame at all until the next event.
    let query = format!("?connection_id={id}&sequence_number=5");
    let mut quiet = ws_connect_query(&fake, Some(TOKEN), &query);
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "five"));
    assert_eq!(next_json(&mut quiet)["seq"], 5);
    fake.drop_websockets();

    // (3) A forgotten id (server restart, long idle): a new connection and a fresh hello.
    fake.expire_ws_sessions();
    let query = format!("?connection_id={id}&sequence_number=6");
    let mut fresh = ws_connect_query(&fake, Some(TOKEN), &query);
    let hello = next_json(&mut fresh);
    assert_eq!(
        (hello["event"].as_str(), hello["seq"].as_i64()),
        (Some("hello"), Some(0))
    );
    assert_ne!(hello["data"]["connection_id"], id.as_str());
    fake.drop_websockets();

    // An id without a sequence number is dropped.
    let mut bad = ws_connect_query(&fake, Some(TOKEN), &format!("?connection_id={id}"));
    assert!(closes_without_text(&mut bad, WAIT));
}

#[test]
fn bad_token_gets_no_hello_and_is_closed() {
    let fake = FakeMattermost::start();
    fake.set_token_valid(false);
    let started = Instant::now();
    let mut ws = ws_connect(&fake, Some(TOKEN));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "not for you"));
    assert!(closes_without_text(&mut ws, WAIT));
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert!(!fake.wait_for_ws(1, Duration::ZERO));
    assert_eq!(fake.ws_connections(), 1);
}

#[test]
fn in_band_authentication_challenge() {
    let fake = FakeMattermost::start();
    let mut ws = ws_connect(&fake, None);
    send_text(
        &mut ws,
        json!({"seq": 1, "action": "authentication_challenge", "data": {"token": TOKEN}}),
    );
    assert_eq!(next_json(&mut ws)["event"], "hello");
    assert_eq!(next_json(&mut ws), json!({"status": "OK", "seq_reply": 1}));

    let mut refused = ws_connect(&fake, None);
    send_text(
        &mut refused,
        json!({"seq": 1, "action": "authentication_challenge", "data": {"token": "nope"}}),
    );
    assert!(closes_without_text(&mut refused, WAIT));
}

#[test]
fn files_upload_and_download() {
    let fake = FakeMattermost::start();
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"channel_id\"\r\n\r\n{TOWN_SQUARE}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"client_ids\"\r\n\r\nc1\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"notes.txt\"\r\nContent-Type: application/octet-stream\r\n\r\nhello file\r\n\
         --{boundary}--\r\n"
    );
    let uploaded = answer(
        agent()
            .post(format!("{}/api/v4/files", fake.url()))
            .header("Authorization", bearer(TOKEN))
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .send(body.as_bytes()),
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let info = &uploaded.json()["file_infos"][0];
    assert_eq!(
        (
            info["name"].as_str(),
            info["size"].as_u64(),
            info["mime_type"].as_str()
        ),
        (Some("notes.txt"), Some(10), Some("text/plain"))
    );
    assert_eq!(uploaded.json()["client_ids"], json!(["c1"]));
    let id = info["id"].as_str().unwrap();
    assert_eq!(
        get(&fake, &format!("/api/v4/files/{id}"), TOKEN).body,
        "hello file"
    );
    assert_eq!(
        get(&fake, &format!("/api/v4/files/{id}/info"), TOKEN).json()["extension"],
        "txt"
    );

    let post = create_post(
        &fake,
        json!({"channel_id": TOWN_SQUARE, "message": "", "file_ids": [id]}),
    )
    .json();
    assert_eq!(post["metadata"]["files"][0]["id"], id);
}

fn ids(list: &Value) -> Vec<String> {
    let order = list["order"].as_array().unwrap();
    order
        .iter()
        .map(|id| id.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn since_is_capped_at_1000_in_an_undefined_order_with_history_and_roots() {
    let fake = FakeMattermost::start();
    let root = fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "root").create_at(1_000));
    let edited = fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "v1").create_at(1_001));
    fake.edit_post(&edited, "v2");
    let gone = fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "gone").create_at(1_002));
    fake.delete_post(&gone);
    let mut posted = Vec::new();
    for n in 0..1_500 {
        posted
            .push(fake.post(NewPost::new(ALICE_ID, OFFTOPIC, &n.to_string()).create_at(5_000 + n)));
    }
    let reply = fake.post(
        NewPost::new(ALICE_ID, OFFTOPIC, "reply")
            .root(&root)
            .create_at(7_000),
    );
    let list = get(
        &fake,
        &format!("/api/v4/channels/{OFFTOPIC}/posts?since=2000"),
        TOKEN,
    )
    .json();
    let listed = ids(&list);
    assert_eq!(listed.len(), 1000, "capped");
    let newest: Vec<&String> = posted.iter().rev().take(1000).collect();
    assert!(
        listed.iter().filter(|id| newest.contains(id)).count() < 1000,
        "not simply the newest 1000"
    );
    // Small enough to be complete: deleted posts, edit-history rows and the bumped root
    // (update_at moved by the reply) are all listed.
    let list = get(
        &fake,
        &format!("/api/v4/channels/{OFFTOPIC}/posts?since={}", 6_499),
        TOKEN,
    )
    .json();
    let listed = ids(&list);
    for id in [&root, &edited, &gone, &reply] {
        assert!(listed.contains(id), "{id} listed");
    }
    let history: Vec<&String> = listed
        .iter()
        .filter(|id| list["posts"][id.as_str()]["original_id"] == json!(edited))
        .collect();
    assert_eq!(history.len(), 1, "one edit-history row");
    assert_eq!(
        list["posts"][&gone]["delete_at"].as_i64().map(|d| d > 0),
        Some(true)
    );
}

#[test]
fn after_and_before_page_strictly_by_create_at() {
    let fake = FakeMattermost::start();
    let root = fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "root").create_at(1_000));
    let mut posted = Vec::new();
    for n in 0..250 {
        // Five posts per millisecond.
        posted.push(
            fake.post(
                NewPost::new(ALICE_ID, OFFTOPIC, "x")
                    .root(&root)
                    .create_at(2_000 + n / 5),
            ),
        );
    }
    let gone = fake.post(NewPost::new(ALICE_ID, OFFTOPIC, "gone").create_at(3_000));
    fake.delete_post(&gone);
    let url = |query: &str| format!("/api/v4/channels/{OFFTOPIC}/posts?{query}");
    // per_page is clamped to 200; `order` is newest first; the thread root is in `posts`
    // without being in `order`.
    let page = get(&fake, &url(&format!("after={root}&per_page=500")), TOKEN).json();
    let listed = ids(&page);
    assert_eq!(listed.len(), 200);
    let mut oldest_first = listed.clone();
    oldest_first.reverse();
    assert_eq!(oldest_first, posted[..200].to_vec());
    assert!(page["posts"][&root].is_object() && !listed.contains(&root));
    // Strictly later than the cursor's millisecond: its four siblings are skipped.
    let next = get(
        &fake,
        &url(&format!("after={}&per_page=200", posted[199])),
        TOKEN,
    )
    .json();
    assert_eq!(ids(&next).len(), 50);
    let next = get(
        &fake,
        &url(&format!("after={}&per_page=200", posted[197])),
        TOKEN,
    )
    .json();
    assert_eq!(ids(&next).len(), 50, "same millisecond as posted[199]");
    // page= is an offset from the cursor; deleted posts are never listed.
    let second = get(
        &fake,
        &url(&format!("after={root}&page=1&per_page=200")),
        TOKEN,
    )
    .json();
    let mut second_ids = ids(&second);
    second_ids.reverse();
    assert_eq!(second_ids, posted[200..].to_vec());
    // before= pages backwards from the cursor's millisecond, `order` newest first.
    let before = get(
        &fake,
        &url(&format!("before={}&per_page=3", posted[10])),
        TOKEN,
    )
    .json();
    assert_eq!(
        ids(&before),
        vec![posted[9].clone(), posted[8].clone(), posted[7].clone()]
    );
    // An unknown cursor: an empty list.
    let unknown = get(&fake, &url("after=nosuchpost0000000000000001"), TOKEN).json();
    assert!(ids(&unknown).is_empty());
    // No cursor: the newest page first.
    let top = get(&fake, &url("page=0&per_page=2"), TOKEN).json();
    assert_eq!(ids(&top), vec![posted[249].clone(), posted[248].clone()]);
}

#[test]
fn a_full_send_queue_closes_the_socket_and_forgets_the_connection() {
    let fake = FakeMattermost::start();
    let mut ws = ws_connect(&fake, Some(TOKEN));
    let hello = next_json(&mut ws);
    let id = hello["data"]["connection_id"].as_str().unwrap().to_string();
    // A client that reads nothing: the socket buffers fill, the server's writer blocks, and
    // its queue of 256 events overflows.
    let text = "y".repeat(16 * 1024);
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.ws_send_queue_closes() == 0 {
        assert!(Instant::now() < deadline, "the socket was never closed");
        for _ in 0..100 {
            fake.post(NewPost::new(ALICE_ID, DM_ALICE, &text));
        }
    }
    // The connection cannot be resumed: a fresh hello with a new connection_id.
    let query = format!("?connection_id={id}&sequence_number=1");
    let mut again = ws_connect_query(&fake, Some(TOKEN), &query);
    let hello = next_json(&mut again);
    assert_eq!(hello["event"], "hello");
    assert_ne!(hello["data"]["connection_id"], json!(id));
    // A client that keeps reading is not closed, however many events pass in all. (Not a
    // burst of more than 256 at once: whether the server's writer drains that in time depends
    // on the scheduler, here as on the real server.)
    for batch in 0..6 {
        for n in 0..100 {
            fake.post(NewPost::new(ALICE_ID, DM_ALICE, &n.to_string()));
        }
        for n in 0..100 {
            assert_eq!(next_json(&mut again)["seq"], batch * 100 + n + 1);
        }
    }
    assert_eq!(fake.ws_send_queue_closes(), 1);
}

fn new_command(trigger: &str) -> Value {
    json!({"team_id": TEAM_ID, "trigger": trigger, "method": "P",
           "url": "http://127.0.0.1:9/cmd", "description": "d", "auto_complete": true})
}

#[test]
fn slash_commands_follow_the_real_rules() {
    let fake = FakeMattermost::start();
    let created = send(&fake, "POST", "/api/v4/commands", new_command("OC_Status"));
    assert_eq!(created.status, 201, "{}", created.body);
    let created = created.json();
    assert_eq!(created["trigger"], "oc_status", "lower-cased");
    assert_eq!(created["creator_id"], BOT_ID);
    let (id, token) = (
        created["id"].as_str().unwrap(),
        created["token"].as_str().unwrap(),
    );
    assert_eq!((id.len(), token.len()), (26, 26));
    // Decoded as the server's struct: a field the body left out is there, empty.
    assert_eq!(
        (&created["auto_complete_hint"], &created["display_name"]),
        (&json!(""), &json!(""))
    );
    // The same trigger again, a built-in one, broken fields.
    let again = send(&fake, "POST", "/api/v4/commands", new_command("oc_status"));
    assert_eq!(again.status, 400);
    assert_eq!(
        again.json()["id"],
        "api.command.duplicate_trigger.app_error"
    );
    let builtin = send(&fake, "POST", "/api/v4/commands", new_command("echo"));
    assert_eq!(
        builtin.json()["id"],
        "api.command.duplicate_trigger.app_error"
    );
    for (key, value, error) in [
        (
            "trigger",
            json!("/x"),
            "model.command.is_valid.trigger.app_error",
        ),
        (
            "trigger",
            json!("a b"),
            "model.command.is_valid.trigger.app_error",
        ),
        (
            "url",
            json!("ftp://x"),
            "model.command.is_valid.url.app_error",
        ),
        (
            "method",
            json!("X"),
            "model.command.is_valid.method.app_error",
        ),
        (
            "description",
            json!("d".repeat(129)),
            "model.command.is_valid.description.app_error",
        ),
        (
            "team_id",
            json!("nope"),
            "model.command.is_valid.team_id.app_error",
        ),
    ] {
        let mut body = new_command("oc_x");
        body[key] = value;
        let answer = send(&fake, "POST", "/api/v4/commands", body);
        assert_eq!(
            (answer.status, answer.json()["id"].as_str()),
            (400, Some(error)),
            "{key}"
        );
    }
    // Listing, getting, updating (token kept, team fixed), deleting (soft).
    let listing = get(
        &fake,
        &format!("/api/v4/commands?team_id={TEAM_ID}&custom_only=true"),
        TOKEN,
    );
    assert_eq!(listing.json().as_array().unwrap().len(), 1);
    let missing_team = get(&fake, "/api/v4/commands?custom_only=true", TOKEN);
    assert_eq!(missing_team.status, 400);
    let mut update = created.clone();
    update["url"] = json!("http://127.0.0.1:10/new");
    update["token"] = json!("ignored");
    let updated = send(
        &fake,
        "PUT",
        &format!("/api/v4/commands/{id}"),
        update.clone(),
    );
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.json()["token"], token, "PUT keeps the token");
    assert_eq!(updated.json()["url"], "http://127.0.0.1:10/new");
    // The body replaces the command: a field it leaves out is emptied, not kept.
    let mut partial = update.clone();
    partial.as_object_mut().unwrap().remove("description");
    let partial = send(&fake, "PUT", &format!("/api/v4/commands/{id}"), partial);
    assert_eq!(
        (
            partial.json()["description"].as_str(),
            partial.json()["token"].as_str()
        ),
        (Some(""), Some(token))
    );
    update["team_id"] = json!(OTHER_TEAM_ID);
    let moved = send(
        &fake,
        "PUT",
        &format!("/api/v4/commands/{id}"),
        update.clone(),
    );
    assert_eq!(moved.json()["id"], "api.command.team_mismatch.app_error");
    update["id"] = json!("someotherid000000000000001");
    let other = send(&fake, "PUT", &format!("/api/v4/commands/{id}"), update);
    assert_eq!(other.status, 400);
    assert_eq!(
        get(&fake, &format!("/api/v4/commands/{id}"), TOKEN).status,
        200
    );
    let deleted = send(
        &fake,
        "DELETE",
        &format!("/api/v4/commands/{id}"),
        json!(null),
    );
    assert_eq!(deleted.json(), json!({"status": "OK"}));
    assert_eq!(
        get(&fake, &format!("/api/v4/commands/{id}"), TOKEN).status,
        404
    );
    assert!(
        fake.commands()[0]["delete_at"].as_i64().unwrap() > 0,
        "soft delete"
    );
    let listing = get(
        &fake,
        &format!("/api/v4/commands?team_id={TEAM_ID}&custom_only=true"),
        TOKEN,
    );
    assert_eq!(listing.json(), json!([]));
    // Knobs.
    fake.set_commands_allowed(OTHER_TEAM_ID, false);
    let mut elsewhere = new_command("oc_y");
    elsewhere["team_id"] = json!(OTHER_TEAM_ID);
    assert_eq!(
        send(&fake, "POST", "/api/v4/commands", elsewhere).status,
        403
    );
    fake.set_commands_enabled(false);
    let off = send(&fake, "POST", "/api/v4/commands", new_command("oc_z"));
    assert_eq!(
        (off.status, off.json()["id"].as_str()),
        (501, Some("api.command.disabled.app_error"))
    );
}

/// A one-shot HTTP server: the request it got, and `answer` as its reply.
fn callback_server(answer: &'static str) -> (String, std::thread::JoinHandle<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).unwrap();
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen).to_string();
            if let Some(split) = text.find("\r\n\r\n") {
                let length: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if seen.len() >= split + 4 + length {
                    break;
                }
            }
        }
        stream.write_all(answer.as_bytes()).unwrap();
        String::from_utf8_lossy(&seen).to_string()
    });
    (url, handle)
}

#[test]
fn run_command_posts_the_form_and_handles_the_answer() {
    let fake = FakeMattermost::start();
    let ephemeral =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
                     2D\r\n{\"response_type\":\"ephemeral\",\"text\":\"Hi you\"}\r\n0\r\n\r\n";
    let (url, server) = callback_server(ephemeral);
    let command = fake.add_command(BOT_ID, TEAM_ID, "oc_status", &url);
    let answer = fake
        .run_command(ALICE_ID, TOWN_SQUARE, "/oc_status all of it", None)
        .unwrap();
    assert_eq!(answer["status"], 200);
    assert_eq!(answer["response"]["text"], "Hi you");
    let request = server.join().unwrap();
    assert!(request.starts_with("POST /hook HTTP/1.1\r\n"), "{request}");
    let token = command["token"].as_str().unwrap();
    assert!(request.contains(&format!("Authorization: Token {token}\r\n")));
    assert!(request.contains("Content-Type: application/x-www-form-urlencoded\r\n"));
    assert!(request.contains("User-Agent: Mattermost-Bot/1.1\r\n"));
    let form = request.split("\r\n\r\n").nth(1).unwrap();
    for field in [
        format!("token={token}"),
        format!("team_id={TEAM_ID}"),
        "team_domain=acme".into(),
        format!("channel_id={TOWN_SQUARE}"),
        "channel_name=town-square".into(),
        format!("user_id={ALICE_ID}"),
        "user_name=alice".into(),
        "command=%2Foc_status".into(),
        "text=all+of+it".into(),
    ] {
        assert!(form.split('&').any(|f| f == field), "{field} in {form}");
    }
    assert_eq!(
        fake.ephemerals(),
        vec![json!({"user_id": ALICE_ID, "channel_id": TOWN_SQUARE, "message": "Hi you"})]
    );
    // in_channel: a post as the user, from_webhook.
    let (url, _server) = callback_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 43\r\n\r\n{\"response_type\":\"in_channel\",\"text\":\"All\"}",
    );
    fake.add_command(BOT_ID, TEAM_ID, "oc_all", &url);
    let answer = fake
        .run_command(ALICE_ID, TOWN_SQUARE, "/oc_all", None)
        .unwrap();
    let post_id = answer["postId"].as_str().unwrap();
    let post = fake
        .posts()
        .into_iter()
        .find(|p| p["id"] == post_id)
        .unwrap();
    assert_eq!(
        (post["user_id"].as_str(), post["message"].as_str()),
        (Some(ALICE_ID), Some("All"))
    );
    assert_eq!(post["props"]["from_webhook"], "true");
    // Failures reach the caller: a non-200, an unknown trigger, a DM without a team.
    let (url, _server) = callback_server("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    fake.add_command(BOT_ID, TEAM_ID, "oc_denied", &url);
    let error = fake
        .run_command(ALICE_ID, TOWN_SQUARE, "/oc_denied", None)
        .unwrap_err();
    assert!(
        error.contains("Command with a trigger of '/oc_denied' failed"),
        "{error}"
    );
    let error = fake
        .run_command(ALICE_ID, TOWN_SQUARE, "/nothing", None)
        .unwrap_err();
    assert!(
        error.contains("api.command.execute_command.not_found.app_error"),
        "{error}"
    );
    assert!(fake
        .run_command(ALICE_ID, DM_ALICE, "/oc_status", None)
        .is_err());
}

#[test]
fn button_integrations_are_kept_but_never_served() {
    let fake = FakeMattermost::start();
    let mut ws = ws_connect(&fake, Some(TOKEN));
    let hello = next_json(&mut ws);
    assert_eq!(hello["event"], "hello");
    let integration =
        json!({"url": "http://127.0.0.1:9/cb", "context": {"action_id": "yes", "_token": "t"}});
    let post = create_post(
        &fake,
        json!({"channel_id": TOWN_SQUARE, "message": "Pick", "props": {"attachments": [
            {"text": "", "actions": [{"id": "yes", "name": "Yes", "integration": integration}]}
        ]}}),
    );
    assert_eq!(post.status, 201);
    let id = post.json()["id"].as_str().unwrap().to_string();
    // Not in the create answer, a GET, or the `posted` event.
    assert!(post.json()["props"]["attachments"][0]["actions"][0]
        .get("integration")
        .is_none());
    let got = get(&fake, &format!("/api/v4/posts/{id}"), TOKEN).json();
    assert_eq!(got["props"]["attachments"][0]["actions"][0]["name"], "Yes");
    assert!(got["props"]["attachments"][0]["actions"][0]
        .get("integration")
        .is_none());
    let event = next_json(&mut ws);
    assert_eq!(event["event"], "posted");
    let served: Value = serde_json::from_str(event["data"]["post"].as_str().unwrap()).unwrap();
    assert!(!served.to_string().contains("integration"), "{served}");
    // Kept for clicks; a click on an unknown action is the server's 404 error.
    assert_eq!(fake.integration(&id, "yes"), Some(integration));
    let unknown = fake.click_button(ALICE_ID, &id, "no").unwrap_err();
    assert!(
        unknown.starts_with("api.post.do_action.action_id.app_error"),
        "{unknown}"
    );
    // A click whose integration cannot be reached is the caller's error; nothing changes.
    let refused = fake.click_button(ALICE_ID, &id, "yes").unwrap_err();
    assert!(
        refused.starts_with("api.post.do_action.action_integration.app_error"),
        "{refused}"
    );
    assert_eq!(
        fake.integration(&id, "yes").unwrap()["url"],
        "http://127.0.0.1:9/cb"
    );
}
