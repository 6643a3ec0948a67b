//! The event thread: logs in, then runs the configured transport (`websocket` or `polling`),
//! which hands posts to `Delivery`. What both transports tell the host lives in `announce`.

use super::deliver::Delivery;
use super::shares::EventsShare;
use super::{announce, polling, websocket};
use crate::backoff::{Backoff, UNAUTHORIZED_RETRY};
use crate::mattermost::api::Api;
use crate::protocol::{Bot, Trouble};
use crate::random;
use crate::session::{self, LoginError, Session};
use std::sync::Arc;
use std::time::Duration;

pub fn run(shared: Arc<EventsShare>) {
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
fn login(shared: &EventsShare, api: &Api) -> Option<Arc<Session>> {
    let mut backoff = Backoff::new(shared.config.reconnect_interval);
    loop {
        let (trouble, error, floor) = match session::establish(&shared.config, api) {
            Ok(session) => {
                let session = Arc::new(session);
                log::info!(
                    "logged in to {} as @{} ({}), teams: {}",
                    shared.config.server,
                    session.bot.username,
                    session.bot.id,
                    match session.teams.as_slice() {
                        [] => "(none)".to_string(),
                        teams => teams.join(", "),
                    }
                );
                shared.stats.set_bot(Bot {
                    id: session.bot.id.clone(),
                    username: session.bot.username.clone(),
                });
                shared.session.set(session.clone());
                return Some(session);
            }
            Err(LoginError::Unauthorized(e)) => (Trouble::Unauthorized, e, UNAUTHORIZED_RETRY),
            Err(LoginError::Transient(e)) => (Trouble::Reconnecting, e, Duration::ZERO),
        };
        let delay = backoff.next_delay(random::unit()).max(floor);
        announce::retry(shared, trouble, backoff.attempt(), delay, &error);
        if shared.stop.sleep(delay) {
            return None;
        }
    }
}
