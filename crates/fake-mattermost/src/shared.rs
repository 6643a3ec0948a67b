//! What every thread of the fake shares: the state behind one mutex, a condition variable
//! signalled on every observable change (so tests wait instead of sleeping), and the settings
//! that WebSocket threads read on each turn as atomics.

use crate::request::Request;
use crate::state::State;
use crate::ws::broadcast::WsHandle;
use crate::ws::upgrade::wants_websocket;
use crate::ws::{DEFAULT_PING_INTERVAL, WS_POLL};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub(crate) struct Shared {
    pub(crate) port: u16,
    state: Mutex<State>,
    /// Signalled whenever something observable changes (requests, WebSocket state).
    changed: Condvar,
    pub(crate) stopping: AtomicBool,
    /// Read by every WebSocket thread on each turn, so it is an atomic rather than state.
    pub(crate) ping_interval_ms: AtomicU64,
    /// Read timeout of the WebSocket threads, µs (see `set_ws_poll`).
    pub(crate) ws_poll_us: AtomicU64,
    pub(crate) next_conn: AtomicU64,
    /// Set: every connection is TLS.
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
}

impl Shared {
    pub(crate) fn new(port: u16) -> Shared {
        Shared {
            port,
            state: Mutex::new(State::seeded()),
            changed: Condvar::new(),
            stopping: AtomicBool::new(false),
            ping_interval_ms: AtomicU64::new(DEFAULT_PING_INTERVAL.as_millis() as u64),
            ws_poll_us: AtomicU64::new(WS_POLL.as_micros() as u64),
            next_conn: AtomicU64::new(1),
            tls: None,
        }
    }

    /// A panicking test thread must not take the whole fake down with a poisoned lock.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn notify(&self) {
        self.changed.notify_all();
    }

    pub(crate) fn wait_until<T>(
        &self,
        timeout: Duration,
        check: impl Fn(&State) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            if let Some(found) = check(&st) {
                return Some(found);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            st = self
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    pub(crate) fn record(&self, req: &Request) {
        let mut st = self.lock();
        st.requests.push(req.clone());
        if wants_websocket(req) {
            st.ws_upgrade_headers.push(req.headers.clone());
        }
        drop(st);
        self.notify();
    }

    pub(crate) fn update_ws(&self, id: u64, change: impl FnOnce(&mut WsHandle)) {
        if let Some(handle) = self.lock().ws.iter_mut().find(|h| h.id == id) {
            change(handle);
        }
        self.notify();
    }

    pub(crate) fn forget_ws(&self, id: u64) {
        let mut st = self.lock();
        st.ws.retain(|h| h.id != id);
        for session in st.ws_sessions.values_mut() {
            if session.attached == Some(id) {
                session.attached = None;
                session.queued_while_detached = 0;
            }
        }
        drop(st);
        self.notify();
    }

    pub(crate) fn ws_poll(&self) -> Duration {
        Duration::from_micros(self.ws_poll_us.load(Ordering::Relaxed))
    }

    pub(crate) fn ping_interval(&self) -> Duration {
        Duration::from_millis(self.ping_interval_ms.load(Ordering::Relaxed))
    }
}
