//! Logging in and learning what the bridge needs before it can serve: who the bot is, which
//! team it works in, who `@name` entries in `allowFrom` are, and how long a post may be.

use crate::config::Config;
use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::model::{Team, User};
use crate::policy::Policy;
use crate::sync::lock;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Post length when the server does not say (older schemas).
const FALLBACK_MAX_POST: usize = 4000;

pub struct Session {
    pub bot: User,
    pub team_id: Option<String>,
    /// Outgoing text is split above this many characters.
    pub chunk_limit: usize,
    pub policy: Policy,
}

/// Why a login attempt did not produce a session.
#[derive(Debug)]
pub enum LoginError {
    /// The token was rejected (401): retry slowly.
    Unauthorized(String),
    /// Network trouble or a server error: retry with backoff.
    Transient(String),
    /// The server's answer makes the config unusable (e.g. which team?): exit 2.
    Config(String),
}

/// Logs in and builds the session. Each REST call is retried inside `Api`; what still fails
/// comes back classified.
pub fn establish(config: &Config, api: &Api) -> Result<Session, LoginError> {
    let bot = api.me().map_err(classify)?;
    let team_id = choose_team(config, &api.my_teams().map_err(classify)?)?;
    let [allow_from, group_allow_from] =
        resolve_names([&config.allow_from, &config.group_allow_from], api)?;
    let chunk_limit = chunk_limit(config, api);
    let policy = Policy::new(
        config,
        &bot.id,
        &bot.username,
        team_id.as_deref(),
        &allow_from,
        &group_allow_from,
    );
    Ok(Session {
        bot,
        team_id,
        chunk_limit,
        policy,
    })
}

fn classify(error: ApiError) -> LoginError {
    match error.status() {
        Some(401) => LoginError::Unauthorized(format!(
            "Mattermost rejected the bot token ({error}); check channels.mattermost.botToken"
        )),
        _ => LoginError::Transient(error.to_string()),
    }
}

/// `teamId` when set (a warning when the bot is not in it), else the bot's only team.
fn choose_team(config: &Config, teams: &[Team]) -> Result<Option<String>, LoginError> {
    if let Some(id) = &config.team_id {
        if !teams.iter().any(|t| &t.id == id) {
            log::warn!(
                "channels.mattermost.teamId {id} is not one of the bot's teams; add the bot to that team"
            );
        }
        return Ok(Some(id.clone()));
    }
    match teams {
        [only] => Ok(Some(only.id.clone())),
        [] => {
            log::warn!("the bot is in no team: it will only see direct and group messages");
            Ok(None)
        }
        many => {
            let list = many
                .iter()
                .map(|t| format!("{} ({})", t.id, t.name))
                .collect::<Vec<_>>()
                .join(", ");
            Err(LoginError::Config(format!(
                "config: channels.mattermost.teamId is missing and the bot is in {} teams: {list} (set teamId to one of them)",
                many.len()
            )))
        }
    }
}

/// Turns the `@username` entries of `allowFrom` and `groupAllowFrom` into user ids (one
/// lookup for both); unknown names are warned about and dropped.
fn resolve_names(lists: [&[String]; 2], api: &Api) -> Result<[Vec<String>; 2], LoginError> {
    let mut names: Vec<String> = Vec::new();
    for name in lists.iter().flat_map(|list| list.iter()) {
        if let Some(name) = name.strip_prefix('@').map(str::to_lowercase) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let users = if names.is_empty() {
        Vec::new()
    } else {
        api.users_by_usernames(&names).map_err(classify)?
    };
    let resolve = |list: &[String], key: &str| -> Vec<String> {
        let mut ids = Vec::with_capacity(list.len());
        for entry in list {
            let Some(name) = entry.strip_prefix('@') else {
                ids.push(entry.clone());
                continue;
            };
            match users.iter().find(|u| u.username.eq_ignore_ascii_case(name)) {
                Some(user) => ids.push(user.id.clone()),
                None => log::warn!(
                    "channels.mattermost.{key}: no Mattermost user is called @{name}; entry ignored"
                ),
            }
        }
        ids
    };
    Ok([
        resolve(lists[0], "allowFrom"),
        resolve(lists[1], "groupAllowFrom"),
    ])
}

/// `textChunkLimit`, never above the server's `MaxPostSize`.
fn chunk_limit(config: &Config, api: &Api) -> usize {
    let server_max = match api.client_config() {
        Ok(map) => map
            .get("MaxPostSize")
            .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_u64()))
            .map_or(FALLBACK_MAX_POST, |n| n as usize),
        Err(e) => {
            log::warn!(
                "cannot read the server's post size limit ({e}); assuming {FALLBACK_MAX_POST}"
            );
            FALLBACK_MAX_POST
        }
    };
    config
        .text_chunk_limit
        .map_or(server_max, |limit| limit.min(server_max))
}

/// The session once login succeeded; request workers wait on it.
#[derive(Default)]
pub struct SessionCell {
    session: Mutex<Option<Arc<Session>>>,
    ready: Condvar,
}

impl SessionCell {
    pub fn set(&self, session: Arc<Session>) {
        *lock(&self.session) = Some(session);
        self.ready.notify_all();
    }

    /// Waits up to `timeout` for the login to complete.
    pub fn wait(&self, timeout: Duration) -> Option<Arc<Session>> {
        let slot = lock(&self.session);
        let (slot, _) = self
            .ready
            .wait_timeout_while(slot, timeout, |session| session.is_none())
            .unwrap_or_else(|p| p.into_inner());
        slot.clone()
    }
}
