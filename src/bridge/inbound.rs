//! The event thread: logs in, then runs the configured transport (WebSocket or polling), which
//! hands posts to `Delivery`. What both transports share lives here: the login loop, `status`
//! lines for retries, and the one `ready` line.

use super::deliver::Delivery;
use super::{polling, websocket, Shared};
use crate::backoff::Backoff;
use crate::mattermost::api::Api;
use crate::protocol::{self, PROTOCOL_VERSION};
use crate::random;
use crate::session::{self, LoginError, Session};
use crate::stop::StopReason;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// A rejected token is retried no faster than this.
pub const UNAUTHORIZED_RETRY: Duration = Duration::from_secs(60);

pub fn run(shared: Arc<Shared>) {
    // Login failures are reported as `status` lines at once, so this client does not retry.
    let login_api = Api::new(
        &shared.config.server,
        &shared.config.token,
        &shared.link,
        Duration::ZERO,
    );
    let Some(session) = login(&shared, &login_api) else {
        return;
    };
    let delivery = Delivery::new(shared.clone(), session.clone());
    if shared.config.use_websocket {
        websocket::run(shared, session, login_api, delivery);
    } else {
        polling::run(shared, session, delivery);
    }
}

/// Logs in, retrying until it works or the bridge stops.
fn login(shared: &Shared, api: &Api) -> Option<Arc<Session>> {
    let mut backoff = Backoff::new(shared.config.reconnect_interval);
    loop {
        let (state, error, floor) = match session::establish(&shared.config, api) {
            Ok(session) => {
                let session = Arc::new(session);
                log::info!(
                    "logged in to {} as @{} ({}), team {}",
                    shared.config.server,
                    session.bot.username,
                    session.bot.id,
                    session.team_id.as_deref().unwrap_or("(none)")
                );
                shared.stats.set_bot(json!({
                    "id": session.bot.id, "username": session.bot.username
                }));
                shared.session.set(session.clone());
                return Some(session);
            }
            Err(LoginError::Config(message)) => {
                shared.stop.trigger(StopReason::Config(message));
                return None;
            }
            Err(LoginError::Unauthorized(e)) => ("unauthorized", e, UNAUTHORIZED_RETRY),
            Err(LoginError::Transient(e)) => ("reconnecting", e, Duration::ZERO),
        };
        let delay = backoff.next_delay(random::unit()).max(floor);
        report_retry(shared, state, backoff.attempt(), delay, &error);
        if shared.stop.sleep(delay) {
            return None;
        }
    }
}

/// Logs and announces a retry: `status` with the state, attempt, delay and error.
pub fn report_retry(
    shared: &Shared,
    state: &'static str,
    attempt: u32,
    delay: Duration,
    error: &str,
) {
    log::warn!(
        "{state}: {error}; retry {attempt} in {:.1} s",
        delay.as_secs_f64()
    );
    shared.stats.set_state(state);
    shared.output.send(protocol::notification(
        "status",
        &json!({
            "state": state, "attempt": attempt,
            "retryInMs": delay.as_millis() as u64, "error": error,
        }),
    ));
}

/// The `ready` line, sent once when the first connection (or first poll) works.
pub fn ready_line(session: &Session, server_version: &str, transport: &str) -> String {
    protocol::notification(
        "ready",
        &json!({
            "protocol": PROTOCOL_VERSION,
            "version": env!("CARGO_PKG_VERSION"),
            "bot": { "id": session.bot.id, "username": session.bot.username },
            "teamId": session.team_id,
            "serverVersion": short_version(server_version),
            "transport": transport,
        }),
    )
}

/// `10.11.0.12345.abc.true` → `10.11.0`.
fn short_version(full: &str) -> String {
    full.split('.').take(3).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_shortened() {
        assert_eq!(short_version("10.11.0.12345.abc.true"), "10.11.0");
        assert_eq!(short_version("9.5"), "9.5");
    }
}
