//! Injected faults: canned replies (errors, 429s, closed connections, delays, slow or cut
//! bodies) that the next matching REST requests or WebSocket upgrades get instead of the normal
//! answer, queued in order and consumed one use at a time.

use crate::json::app_error_json;
use crate::request::Request;
use crate::server::FakeMattermost;
use crate::state::State;
use std::time::Duration;

/// A canned reply for REST requests, queued with [`FakeMattermost::inject`].
#[derive(Clone, Debug)]
pub struct Fault {
    pub status: u16,
    pub body: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    /// How many matching requests get this fault.
    pub times: usize,
    /// Close the TCP connection instead of answering.
    pub close_without_response: bool,
    /// Wait this long before answering (or closing, or passing through).
    pub delay: Duration,
    /// Let this many matching requests through untouched before the fault applies.
    pub after: usize,
    /// Answer normally (after `delay`): only the delay is injected.
    pub pass: bool,
    /// Write the response body at this many bytes per second (a slow link).
    pub body_rate: Option<usize>,
    /// Announce the whole body, send only this many bytes of it, then close (a cut transfer).
    pub cut_body_after: Option<usize>,
}

impl Fault {
    /// A reply with any status, content type and body, once.
    pub fn raw(status: u16, content_type: &str, body: &str) -> Fault {
        Fault {
            status,
            body: body.to_string(),
            content_type: content_type.to_string(),
            headers: Vec::new(),
            times: 1,
            close_without_response: false,
            delay: Duration::ZERO,
            after: 0,
            pass: false,
            body_rate: None,
            cut_body_after: None,
        }
    }

    /// A JSON AppError like the real server's, once.
    pub fn app_error(status: u16, id: &str, message: &str) -> Fault {
        let body = app_error_json(status, id, message, "").to_string();
        Fault::raw(status, "application/json", &body)
    }

    /// 429 as the real rate limiter sends it: plain text plus the X-Ratelimit-* headers.
    pub fn rate_limited(retry_after_secs: u64) -> Fault {
        let secs = retry_after_secs.to_string();
        let mut fault = Fault::raw(429, "text/plain; charset=utf-8", "limit exceeded\n");
        fault.headers = vec![
            ("X-Ratelimit-Limit".into(), "10".into()),
            ("X-Ratelimit-Remaining".into(), "0".into()),
            ("X-Ratelimit-Reset".into(), secs.clone()),
            ("Retry-After".into(), secs),
        ];
        fault
    }

    /// Close the TCP connection without any response, once.
    pub fn close() -> Fault {
        let mut fault = Fault::raw(0, "", "");
        fault.close_without_response = true;
        fault
    }

    /// No fault at all: the request is answered normally. Combine with `delayed` to slow a call.
    pub fn pass() -> Fault {
        let mut fault = Fault::raw(0, "", "");
        fault.pass = true;
        fault
    }

    pub fn times(mut self, n: usize) -> Fault {
        self.times = n;
        self
    }

    pub fn delayed(mut self, d: Duration) -> Fault {
        self.delay = d;
        self
    }

    /// Sends the body no faster than `bytes_per_sec`.
    pub fn throttled(mut self, bytes_per_sec: usize) -> Fault {
        self.body_rate = Some(bytes_per_sec.max(10));
        self
    }

    /// Sends only the first `n` bytes of the body, then closes the connection.
    pub fn cut_after(mut self, n: usize) -> Fault {
        self.cut_body_after = Some(n);
        self
    }

    /// Let the first `n` matching requests through, then apply the fault.
    pub fn after(mut self, n: usize) -> Fault {
        self.after = n;
        self
    }
}

impl FakeMattermost {
    /// The next `fault.times` requests whose method matches and whose path (without query)
    /// starts with `path_prefix` get this reply. Faults form a queue: a request is handled by
    /// the first one that matches it, so two injected faults for the same path apply in turn.
    /// WebSocket upgrades (`GET /api/v4/websocket`) can be faulted too.
    pub fn inject(&self, method: &str, path_prefix: &str, fault: Fault) {
        if fault.times == 0 {
            return;
        }
        self.shared.lock().faults.push(PendingFault {
            method: method.to_string(),
            path_prefix: path_prefix.to_string(),
            fault,
        });
    }
}

pub(crate) struct PendingFault {
    method: String,
    path_prefix: String,
    fault: Fault,
}

impl State {
    /// The first queued fault matching this request, consumed by one use.
    pub(crate) fn take_fault(&mut self, req: &Request) -> Option<Fault> {
        let path = req.path_only();
        let index = self.faults.iter().position(|f| {
            f.method.eq_ignore_ascii_case(&req.method) && path.starts_with(&f.path_prefix)
        })?;
        let pending = &mut self.faults[index];
        if pending.fault.after > 0 {
            pending.fault.after -= 1;
            return None;
        }
        pending.fault.times -= 1;
        let fault = pending.fault.clone();
        if pending.fault.times == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }
}
