//! The HTTP upgrade to a WebSocket: the handshake answer, `hello` for an authenticated
//! connection (or a resume), and the grace period for an unauthenticated one.

use crate::conn::Conn;
use crate::http::reply::{write_reply, Reply};
use crate::request::Request;
use crate::routes::authorized;
use crate::shared::Shared;
use crate::ws::broadcast::{SendQueue, WsHandle};
use crate::ws::socket::WsConn;
use crate::ws::CLIENT_FRAME_LIMIT;
use std::io::{BufReader, Write};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::WebSocket;

pub(crate) fn wants_websocket(req: &Request) -> bool {
    req.method == "GET" && req.path_only() == "/api/v4/websocket"
}

/// The Sec-WebSocket-Key of a valid upgrade request.
fn upgrade_key(req: &Request) -> Option<&str> {
    let has_token = |header: &str, token: &str| {
        req.header(header)
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    let ok = has_token("upgrade", "websocket")
        && has_token("connection", "upgrade")
        && req.header("sec-websocket-version") == Some("13");
    ok.then(|| req.header("sec-websocket-key")).flatten()
}

/// Answers the upgrade and runs the connection on this thread until it closes.
pub(crate) fn serve_websocket(shared: Arc<Shared>, mut reader: BufReader<Conn>, req: &Request) {
    let Some(key) = upgrade_key(req) else {
        let reply = Reply::text(400, "Bad Request\n");
        let _ = write_reply(reader.get_mut(), &reply, true);
        return;
    };
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    );
    if reader.get_mut().write_all(response.as_bytes()).is_err() {
        return;
    }
    // Bytes the client sent right after the request are already in the reader's buffer.
    let leftover = reader.buffer().to_vec();
    let stream = reader.into_inner();
    let Ok(socket) = stream.tcp().try_clone() else {
        return;
    };
    // The timeout lets one loop both read client frames and send what is queued.
    if stream
        .tcp()
        .set_read_timeout(Some(shared.ws_poll()))
        .is_err()
    {
        return;
    }
    let (outbox_tx, outbox) = mpsc::channel();
    let queue = Arc::new(SendQueue::default());
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    {
        let mut st = shared.lock();
        st.ws.push(WsHandle {
            id,
            outbox: outbox_tx,
            queue: queue.clone(),
            socket,
            authed: false,
            hello_sent: false,
            session: None,
        });
        st.ws_total += 1;
    }
    shared.notify();
    let config = WebSocketConfig::default()
        .max_message_size(Some(CLIENT_FRAME_LIMIT))
        .max_frame_size(Some(CLIENT_FRAME_LIMIT));
    let ws = WebSocket::from_partially_read(stream, leftover, Role::Server, Some(config));
    let header_ok = authorized(&shared, req);
    let mut conn = WsConn {
        shared,
        id,
        ws,
        outbox,
        queue,
        next_seq: 0,
        authed: false,
        opened: Instant::now(),
        last_ping: Instant::now(),
        poll: Duration::ZERO,
    };
    // A resume needs both parameters; the real server drops a socket that sends only the id.
    match (req.query("connection_id"), req.query("sequence_number")) {
        (Some(_), None) => return conn.close(),
        (Some(id), Some(n)) if header_ok => {
            if let Some(replay) = conn.try_resume(&id, n.parse().unwrap_or(u64::MAX)) {
                if replay
                    .into_iter()
                    .try_for_each(|frame| conn.write_text(frame))
                    .is_ok()
                {
                    conn.run();
                }
                return conn.close();
            }
        }
        _ => {}
    }
    if !header_ok || conn.authenticate().is_ok() {
        conn.run();
    }
    conn.close();
}
