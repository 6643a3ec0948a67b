//! What a test makes happen on the server: posts written, edited and deleted by users,
//! reactions added and removed by users,
//! events and raw frames broadcast, WebSockets dropped or their sessions forgotten, and the
//! WebSocket settings (ping interval, poll period, send-queue limit).

use crate::new_post::NewPost;
use crate::server::FakeMattermost;
use crate::ws::broadcast::{event_frame, Outgoing};
use serde_json::{json, Value};
use std::net::Shutdown;
use std::sync::atomic::Ordering;
use std::time::Duration;

impl FakeMattermost {
    /// Stores a post and sends `posted` to every authenticated WebSocket; returns the post id.
    /// Panics if the channel is unknown (add it with `add_channel` first).
    pub fn post(&self, p: NewPost) -> String {
        let mut st = self.shared.lock();
        assert!(
            st.channel(&p.channel_id).is_some(),
            "fake.post: unknown channel {}",
            p.channel_id
        );
        let post = st.store_post(&p);
        let mentions = st.mentions_for(&p);
        st.broadcast_posted(&post, mentions);
        post["id"].as_str().unwrap_or_default().to_string()
    }

    /// Edits a stored post as its author would, sending `post_edited`; returns the new Post.
    pub fn edit_post(&self, post_id: &str, message: &str) -> Option<Value> {
        self.shared.lock().edit_post(post_id, Some(message), None)
    }

    /// Deletes a stored post, sending `post_deleted`; returns the deleted Post.
    pub fn delete_post(&self, post_id: &str) -> Option<Value> {
        self.shared.lock().delete_post(post_id)
    }

    /// A user adds (`add`) or removes a reaction on a stored post, as the web app would: the
    /// reaction is stored or removed and `reaction_added`/`reaction_removed` goes to the
    /// channel's sockets, the Reaction as JSON text in `data.reaction`. Panics on an unknown
    /// post.
    pub fn user_react(&self, user_id: &str, post_id: &str, emoji: &str, add: bool) {
        let mut st = self.shared.lock();
        let index = st
            .post_index(post_id)
            .unwrap_or_else(|| panic!("fake.user_react: unknown post {post_id}"));
        let channel_id = st.posts[index]["channel_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let same = |r: &Value| {
            r["user_id"] == user_id && r["post_id"] == post_id && r["emoji_name"] == emoji
        };
        let reaction = if add {
            let now = st.tick();
            let reaction = json!({
                "user_id": user_id, "post_id": post_id, "emoji_name": emoji, "create_at": now,
                "update_at": now, "delete_at": 0, "remote_id": "", "channel_id": channel_id,
            });
            st.reactions.push(reaction.clone());
            reaction
        } else {
            match st.reactions.iter().position(same) {
                Some(i) => st.reactions.remove(i),
                None => return,
            }
        };
        let event = if add {
            "reaction_added"
        } else {
            "reaction_removed"
        };
        let data = json!({"reaction": reaction.to_string()});
        st.broadcast(Outgoing::Event(event_frame(event, data, &channel_id)));
    }

    /// Sends any event (with seq bookkeeping) to every authenticated WebSocket.
    pub fn broadcast_event(&self, event: &str, data: Value) {
        let frame = event_frame(event, data, "");
        self.shared.lock().broadcast(Outgoing::Event(frame));
    }

    /// Sends an event already rendered as JSON text (an object without `seq`), numbered like
    /// any other event: for benchmarks that must send faster than building JSON values allows.
    pub fn broadcast_event_text(&self, event: &str) {
        self.shared.lock().broadcast_text(event);
    }

    /// Many events under one lock, for benchmarks whose sender must outrun the bridge.
    pub fn broadcast_event_texts(&self, events: &[String]) {
        let mut st = self.shared.lock();
        for event in events {
            st.broadcast_text(event);
        }
    }

    /// Sends an arbitrary text frame to every authenticated WebSocket; no seq bookkeeping.
    pub fn broadcast_raw(&self, frame: &str) {
        self.shared
            .lock()
            .broadcast(Outgoing::Raw(frame.to_string()));
    }

    /// Closes every live WebSocket abruptly: TCP shutdown, no close frame.
    pub fn drop_websockets(&self) {
        let handles = {
            let mut st = self.shared.lock();
            for session in st.ws_sessions.values_mut() {
                session.attached = None;
                session.queued_while_detached = 0;
            }
            std::mem::take(&mut st.ws)
        };
        for handle in handles {
            let _ = handle.socket.shutdown(Shutdown::Both);
        }
        self.shared.notify();
    }

    /// Forgets every `connection_id`, as a restarted server (or a long idle) does: the next
    /// resume gets a new connection and a fresh `hello`.
    pub fn expire_ws_sessions(&self) {
        self.shared.lock().ws_sessions.clear();
    }

    /// How many sockets were closed (and their `connection_id` forgotten) because their send
    /// queue was full.
    pub fn ws_send_queue_closes(&self) -> usize {
        self.shared.lock().ws_send_queue_closes
    }

    /// How many events a socket may have queued before it is closed: 256 like the real server
    /// unless changed. Only the benchmark raises it (`usize::MAX`), to measure how fast the
    /// bridge reads a flood rather than how the server gives up on it.
    pub fn set_send_queue_limit(&self, events: usize) {
        self.shared.lock().send_queue_limit = events;
    }

    /// How many connections were resumed (reconnects that got their missed events, no `hello`).
    pub fn ws_resumes(&self) -> usize {
        self.shared.lock().ws_resumes
    }

    /// The server sends WebSocket Ping frames at this interval (default 60 s).
    pub fn set_ws_ping_interval(&self, d: Duration) {
        let ms = d.as_millis().clamp(1, u64::MAX as u128) as u64;
        self.shared.ping_interval_ms.store(ms, Ordering::Relaxed);
    }

    /// How long a WebSocket thread waits for a client frame before sending what was queued
    /// meanwhile (default 20 ms). Events queued at a steady rate leave in bursts of this period;
    /// latency benchmarks shorten it so each event leaves on its own.
    pub fn set_ws_poll(&self, d: Duration) {
        let us = d.as_micros().clamp(1, u64::MAX as u128) as u64;
        self.shared.ws_poll_us.store(us, Ordering::Relaxed);
    }

    // --- faults ------------------------------------------------------------------------------
}
