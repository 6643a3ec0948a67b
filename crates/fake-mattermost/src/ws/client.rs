//! What a client sends: the authentication challenge (or the token in the upgrade), resumes
//! by `connection_id` and `sequence_number`, pongs and other frames (recorded).

use crate::state::world::{BOT_ID, SERVER_VERSION, SERVER_VERSION_FULL};
use crate::util::{new_id, now_ms};
use crate::ws::broadcast::event_frame;
use crate::ws::session::WsSession;
use crate::ws::socket::{Closed, WsConn, WsResult};
use serde_json::{json, Value};
use tungstenite::Message;

impl WsConn {
    /// Reattaches this socket to an earlier `connection_id` when every event from
    /// `sequence_number` on is still known; returns those events to send (no `hello`).
    pub(crate) fn try_resume(
        &mut self,
        connection_id: &str,
        sequence_number: u64,
    ) -> Option<Vec<String>> {
        let mut st = self.shared.lock();
        let session = st.ws_sessions.get_mut(connection_id)?;
        if session.attached.is_some() {
            return None;
        }
        let replay = session.replay_from(sequence_number)?;
        session.attached = Some(self.id);
        session.queued_while_detached = 0;
        st.ws_resumes += 1;
        let id = self.id;
        if let Some(handle) = st.ws.iter_mut().find(|h| h.id == id) {
            handle.authed = true;
            handle.hello_sent = true;
            handle.session = Some(connection_id.to_string());
        }
        drop(st);
        self.authed = true;
        self.shared.notify();
        Some(replay)
    }

    /// Marks the connection authenticated under a new `connection_id` and sends `hello`. From
    /// the moment the handle is marked, broadcasts queue up behind `hello`, which this thread
    /// writes first.
    pub(crate) fn authenticate(&mut self) -> WsResult {
        self.authed = true;
        let connection_id = new_id();
        {
            let mut st = self.shared.lock();
            let mut session = WsSession::new();
            session.attached = Some(self.id);
            st.ws_sessions.insert(connection_id.clone(), session);
            let id = self.id;
            if let Some(handle) = st.ws.iter_mut().find(|h| h.id == id) {
                handle.authed = true;
                handle.session = Some(connection_id.clone());
            }
        }
        let mut hello = event_frame(
            "hello",
            json!({
                "server_version": SERVER_VERSION_FULL,
                "connection_id": connection_id,
                "server_hostname": "fake",
            }),
            "",
        );
        hello["broadcast"]["user_id"] = BOT_ID.into();
        self.write_event(hello)?;
        self.flush()?;
        self.shared.update_ws(self.id, |h| h.hello_sent = true);
        Ok(())
    }

    pub(crate) fn on_message(&mut self, message: Message) -> WsResult {
        match message {
            Message::Text(text) => self.on_client_text(text.as_str()),
            Message::Pong(_) => {
                self.shared.lock().ws_pongs += 1;
                self.shared.notify();
                Ok(())
            }
            // Pings are answered and close frames completed by tungstenite on later calls.
            _ => Ok(()),
        }
    }

    /// Client requests, checked in the order of the real server's router.
    fn on_client_text(&mut self, text: &str) -> WsResult {
        let frame: Value =
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into()));
        self.shared.lock().ws_client_frames.push(frame.clone());
        self.shared.notify();
        if !frame.is_object() {
            return Ok(());
        }
        let seq = frame["seq"].as_i64().unwrap_or(0);
        let action = frame["action"].as_str().unwrap_or_default();
        if action.is_empty() {
            return self.reply_fail(
                seq,
                "api.web_socket_router.no_action.app_error",
                "No websocket action.",
                400,
            );
        }
        if seq <= 0 {
            return self.reply_fail(
                seq,
                "api.web_socket_router.bad_seq.app_error",
                "Invalid sequence for WebSocket message.",
                400,
            );
        }
        if action == "authentication_challenge" {
            return self.on_challenge(seq, &frame["data"]["token"]);
        }
        if !self.authed {
            return self.reply_fail(
                seq,
                "api.web_socket_router.not_authenticated.app_error",
                "No websocket authentication.",
                401,
            );
        }
        match action {
            "ping" => self.reply(json!({
                "status": "OK", "seq_reply": seq,
                "data": {"text": "pong", "version": SERVER_VERSION, "server_time": now_ms(), "node_id": ""},
            })),
            "user_typing" => self.reply(json!({"status": "OK", "seq_reply": seq})),
            _ => self.reply_fail(seq, "api.web_socket_router.bad_action.app_error", "Invalid action.", 501),
        }
    }

    /// In-band auth: `hello` then OK; a bad token closes the socket; an already authenticated
    /// connection gets no reply at all.
    fn on_challenge(&mut self, seq: i64, token: &Value) -> WsResult {
        if self.authed {
            return Ok(());
        }
        let valid = token
            .as_str()
            .is_some_and(|t| self.shared.lock().token_ok(t));
        if !valid {
            return Err(Closed);
        }
        self.authenticate()?;
        self.reply(json!({"status": "OK", "seq_reply": seq}))
    }
}
