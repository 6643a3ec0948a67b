//! What the event thread tells the host about the connection, for both transports: the one
//! `ready` line, and a `status` line (with the attempt and the delay) for every retry.

use super::shares::EventsShare;
use crate::protocol::{Bot, Notification, Ready, Retry, Status, Transport, Trouble};
use crate::session::Session;
use std::time::Duration;

/// Sends `ready`: once, when the first connection (or the first poll) works.
pub fn ready(shared: &EventsShare, session: &Session, server_version: &str, transport: Transport) {
    let bot = Bot {
        id: session.bot.id.clone(),
        username: session.bot.username.clone(),
    };
    let ready = Ready::new(
        bot,
        session.team_id.as_deref(),
        &session.teams,
        server_version,
        transport,
    );
    shared.output.send(Notification::Ready(ready).line());
}

/// Records a state the connection is in and sends it as `status`.
pub fn status(shared: &EventsShare, status: Status) {
    shared.stats.set_state(status.state());
    shared.output.send(Notification::Status(status).line());
}

/// Logs and announces a retry: `status` with the state, attempt, delay and error.
pub fn retry(shared: &EventsShare, trouble: Trouble, attempt: u32, delay: Duration, error: &str) {
    log::warn!(
        "{}: {error}; retry {attempt} in {:.1} s",
        trouble.state(),
        delay.as_secs_f64()
    );
    let retry = Retry {
        trouble,
        attempt,
        retry_in: delay,
        error,
    };
    status(shared, Status::Retrying(retry));
}
