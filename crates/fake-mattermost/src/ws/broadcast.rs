//! Broadcasting events to the live sockets: each socket's outbox and send queue, closed like
//! the real server's when 256 events are waiting, and the event frame shape.

use crate::state::State;
use serde_json::{json, Value};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

/// What a WebSocket thread is asked to send.
#[derive(Clone)]
pub(crate) enum Outgoing {
    /// An event without `seq`; the connection numbers it.
    Event(Value),
    /// A text frame sent as is.
    Raw(String),
}

/// The fake's view of one open WebSocket; the socket itself belongs to its thread.
pub(crate) struct WsHandle {
    pub(crate) id: u64,
    pub(crate) outbox: Sender<Outgoing>,
    pub(crate) queue: Arc<SendQueue>,
    /// A clone of the socket, only for shutting it down from outside.
    pub(crate) socket: TcpStream,
    /// Events go only to authenticated connections, like the real hub.
    pub(crate) authed: bool,
    /// The connection is ready for events (after `hello`, or at once when resumed).
    pub(crate) hello_sent: bool,
    /// The `connection_id` this socket serves.
    pub(crate) session: Option<String>,
}

/// How many events the real server queues for a connected socket (its send channel).
pub(crate) const SEND_QUEUE_EVENTS: usize = 256;

/// What a WebSocket's thread has not written yet, shared with the broadcasters.
#[derive(Default)]
pub(crate) struct SendQueue {
    /// Events handed to the thread and not yet taken from its outbox.
    pub(crate) pending: AtomicUsize,
    /// The thread is writing to the socket (a client that does not read blocks it there).
    pub(crate) writing: AtomicBool,
}

impl State {
    /// Events are numbered per `connection_id` (detached ones included, for resumes); raw
    /// frames go only to live sockets, unnumbered.
    pub(crate) fn broadcast(&mut self, out: Outgoing) {
        if let Outgoing::Event(event) = &out {
            self.broadcast_text(&event.to_string());
            return;
        }
        for handle in self.ws.iter().filter(|h| h.authed) {
            // Counted before it is sent: the socket's thread may take it (and count it off) at
            // once. A closed connection's thread is gone; nothing to do for it.
            handle.queue.pending.fetch_add(1, Ordering::Relaxed);
            let _ = handle.outbox.send(out.clone());
        }
    }

    /// Numbers an event's text per `connection_id` and sends it to that connection's socket.
    ///
    /// Like the real hub, a socket whose send queue is full (more than 256 events while its
    /// thread is stuck writing to a client that does not read) is closed and its
    /// `connection_id` forgotten: it cannot be resumed.
    pub(crate) fn broadcast_text(&mut self, event: &str) {
        let mut full = Vec::new();
        for (id, session) in self.ws_sessions.iter_mut() {
            let numbered = session.number(event);
            let handle = self
                .ws
                .iter()
                .find(|h| h.session.as_deref() == Some(id.as_str()));
            if let Some(handle) = handle.filter(|h| h.authed) {
                // Counted before it is sent: the socket's thread may take it (and count it
                // off) at once, which wrapped the count below zero.
                let queue = &handle.queue;
                let pending = queue.pending.fetch_add(1, Ordering::Relaxed) + 1;
                let _ = handle.outbox.send(Outgoing::Raw(numbered));
                if pending > self.send_queue_limit && queue.writing.load(Ordering::Relaxed) {
                    full.push((handle.id, id.clone()));
                }
            }
        }
        for (handle_id, session_id) in full {
            self.ws_sessions.remove(&session_id);
            self.ws_send_queue_closes += 1;
            if let Some(at) = self.ws.iter().position(|h| h.id == handle_id) {
                let handle = self.ws.remove(at);
                let _ = handle.socket.shutdown(Shutdown::Both);
            }
        }
    }
}

/// An event frame without `seq` (each connection numbers its own events).
pub(crate) fn event_frame(event: &str, data: Value, channel_id: &str) -> Value {
    json!({
        "event": event,
        "data": data,
        "broadcast": {
            "omit_users": null, "user_id": "", "channel_id": channel_id, "team_id": "",
            "connection_id": "", "omit_connection_id": "",
        },
    })
}
