//! What a test can look at afterwards, or wait for: the requests received, stored posts,
//! reactions and files, WebSocket connections, client frames, pongs and upgrade headers.

use crate::request::Request;
use crate::server::FakeMattermost;
use serde_json::Value;
use std::time::Duration;

impl FakeMattermost {
    /// Every HTTP request received (REST calls and WebSocket upgrades), in order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().requests.clone()
    }

    /// The first request, already received or arriving within `timeout`, that matches `pred`.
    pub fn wait_for_request(
        &self,
        pred: impl Fn(&Request) -> bool,
        timeout: Duration,
    ) -> Option<Request> {
        self.shared
            .wait_until(timeout, |st| st.requests.iter().find(|r| pred(r)).cloned())
    }

    /// Stored posts (Post JSON) in creation order, with their current content (edit-history
    /// rows left out).
    pub fn posts(&self) -> Vec<Value> {
        let st = self.shared.lock();
        st.posts
            .iter()
            .filter(|p| p["original_id"] == "")
            .cloned()
            .collect()
    }

    /// Stored reactions (Reaction JSON).
    pub fn reactions(&self) -> Vec<Value> {
        self.shared.lock().reactions.clone()
    }

    /// FileInfos of stored files (uploaded or added).
    pub fn files(&self) -> Vec<Value> {
        self.shared
            .lock()
            .files
            .iter()
            .map(|f| f.info.clone())
            .collect()
    }

    /// How many WebSocket upgrades were accepted in total.
    pub fn ws_connections(&self) -> usize {
        self.shared.lock().ws_total
    }

    /// How many WebSockets are open now (authenticated or not).
    pub fn ws_live(&self) -> usize {
        self.shared.lock().ws.len()
    }

    /// Waits until `ws_connections() >= total` and a live connection has been sent `hello`.
    pub fn wait_for_ws(&self, total: usize, timeout: Duration) -> bool {
        self.shared
            .wait_until(timeout, |st| {
                (st.ws_total >= total && st.ws.iter().any(|h| h.hello_sent)).then_some(())
            })
            .is_some()
    }

    /// Text frames the clients sent (parsed JSON; a non-JSON frame appears as a JSON string).
    pub fn ws_client_frames(&self) -> Vec<Value> {
        self.shared.lock().ws_client_frames.clone()
    }

    /// Pong frames received from clients.
    pub fn ws_pongs(&self) -> usize {
        self.shared.lock().ws_pongs
    }

    /// The headers of each WebSocket upgrade request (names lowercased).
    pub fn ws_upgrade_headers(&self) -> Vec<Vec<(String, String)>> {
        self.shared.lock().ws_upgrade_headers.clone()
    }
}
