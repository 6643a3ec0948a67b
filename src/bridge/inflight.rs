//! Requests accepted but not yet answered, counted by the stdin thread and its workers so that a
//! stop can wait for them, and so that an id still running is not accepted twice.

use crate::sync::lock;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Requests accepted but not yet answered: how many (so a stop can wait for them) and their ids
/// (so a second request with the id of one still running is refused, not answered twice).
#[derive(Default)]
pub struct InFlight {
    state: Mutex<InFlightState>,
    idle: Condvar,
}

#[derive(Default)]
struct InFlightState {
    count: usize,
    /// Each running request's id as JSON text (`1` and `"1"` are different ids).
    ids: HashSet<String>,
}

impl InFlight {
    /// Counts a request in; false (and nothing counted) when its id is already in flight.
    pub fn begin(&self, id: Option<&Value>) -> bool {
        let mut state = lock(&self.state);
        if let Some(id) = id {
            if !state.ids.insert(id.to_string()) {
                return false;
            }
        }
        state.count += 1;
        true
    }

    /// Frees the request's id. Called before its response is written, so a host that reuses
    /// the id as soon as it reads the response is never refused.
    pub fn release_id(&self, id: Option<&Value>) {
        if let Some(id) = id {
            lock(&self.state).ids.remove(&id.to_string());
        }
    }

    /// Counts a request out, after its response was queued.
    pub fn end(&self) {
        let mut state = lock(&self.state);
        state.count = state.count.saturating_sub(1);
        if state.count == 0 {
            self.idle.notify_all();
        }
    }

    /// Waits until no request is in flight; false on timeout.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let state = lock(&self.state);
        let (state, _) = self
            .idle
            .wait_timeout_while(state, timeout, |state| state.count > 0)
            .unwrap_or_else(|p| p.into_inner());
        state.count == 0
    }
}
