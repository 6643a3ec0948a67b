//! One WebSocket connection's thread: wait for a client frame or the poll period, send what
//! was queued, ping when due, write and flush frames.

use crate::conn::Conn;
use crate::json::app_error_json;
use crate::shared::Shared;
use crate::ws::broadcast::{Outgoing, SendQueue};
use crate::ws::{epoch, UNAUTHENTICATED_GRACE, WRITE_STAMP};
use serde_json::{json, Value};
use std::io;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tungstenite::{Bytes, Message, WebSocket};

/// The connection is over (or must be ended).
pub(crate) struct Closed;

pub(crate) type WsResult = Result<(), Closed>;

/// One WebSocket connection, owned by its thread: the only writer of the socket.
pub(crate) struct WsConn {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: u64,
    pub(crate) ws: WebSocket<Conn>,
    pub(crate) outbox: Receiver<Outgoing>,
    pub(crate) queue: Arc<SendQueue>,
    /// The seq of the next event on this connection (`hello` is 0).
    pub(crate) next_seq: u64,
    pub(crate) authed: bool,
    pub(crate) opened: Instant,
    pub(crate) last_ping: Instant,
    /// The read timeout now set on the socket.
    pub(crate) poll: Duration,
}

impl WsConn {
    pub(crate) fn run(&mut self) {
        while self.turn().is_ok() {}
    }

    pub(crate) fn close(&mut self) {
        self.shared.forget_ws(self.id);
        self.ws.get_ref().shutdown();
    }

    /// Sends what is queued, pings if due, then waits up to WS_POLL for one client frame.
    fn turn(&mut self) -> WsResult {
        self.send_queued()?;
        self.ping_if_due()?;
        if !self.authed && self.opened.elapsed() >= UNAUTHENTICATED_GRACE {
            return Err(Closed);
        }
        let poll = self.shared.ws_poll();
        if poll != self.poll {
            self.poll = poll;
            let _ = self.ws.get_ref().tcp().set_read_timeout(Some(poll));
        }
        match self.ws.read() {
            Ok(message) => self.on_message(message),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(())
            }
            Err(_) => Err(Closed),
        }
    }

    fn send_queued(&mut self) -> WsResult {
        self.queue.writing.store(true, Ordering::Relaxed);
        let result = self.drain_outbox();
        self.queue.writing.store(false, Ordering::Relaxed);
        result
    }

    fn drain_outbox(&mut self) -> WsResult {
        loop {
            let next = self.outbox.try_recv();
            if next.is_ok() {
                self.queue.pending.fetch_sub(1, Ordering::Relaxed);
            }
            match next {
                Ok(Outgoing::Event(event)) => self.write_event(event)?,
                Ok(Outgoing::Raw(text)) => self.write_text(text)?,
                Err(TryRecvError::Empty) => return self.flush(),
                // The handle was dropped: drop_websockets(), a full send queue, or the fake.
                Err(TryRecvError::Disconnected) => return Err(Closed),
            }
        }
    }

    fn ping_if_due(&mut self) -> WsResult {
        if self.last_ping.elapsed() < self.shared.ping_interval() {
            return Ok(());
        }
        self.last_ping = Instant::now();
        self.ws
            .write(Message::Ping(Bytes::new()))
            .map_err(|_| Closed)?;
        self.flush()
    }

    pub(crate) fn write_event(&mut self, mut event: Value) -> WsResult {
        event["seq"] = self.next_seq.into();
        self.next_seq += 1;
        self.write_text(event.to_string())
    }

    pub(crate) fn write_text(&mut self, text: String) -> WsResult {
        // Latency measurements: the moment the frame leaves the server, stamped into it.
        let text = if text.contains(WRITE_STAMP) {
            let micros = epoch().elapsed().as_micros().to_string();
            text.replacen(WRITE_STAMP, &micros, 1)
        } else {
            text
        };
        self.ws.write(Message::text(text)).map_err(|_| Closed)
    }

    pub(crate) fn flush(&mut self) -> WsResult {
        self.ws.flush().map_err(|_| Closed)
    }

    pub(crate) fn reply(&mut self, response: Value) -> WsResult {
        self.write_text(response.to_string())?;
        self.flush()
    }

    pub(crate) fn reply_fail(
        &mut self,
        seq: i64,
        id: &str,
        message: &str,
        status: u16,
    ) -> WsResult {
        let error = app_error_json(status, id, message, "");
        self.reply(json!({"status": "FAIL", "seq_reply": seq, "error": error}))
    }
}
