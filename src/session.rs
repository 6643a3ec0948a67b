//! Logging in and learning what the bridge needs before it can serve: who the bot is, which
//! teams it serves, who `@name` entries in `allowFrom` are, and how long a post may be.

use crate::config::Config;
use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::is_valid_id;
use crate::mattermost::model::{Team, User};
use crate::policy::Policy;
use crate::sync::lock;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Post length when the server does not say (older schemas).
const FALLBACK_MAX_POST: usize = 4000;

/// At most this many teams are listed (catch-up, polling, channel names): a server that
/// claims thousands cannot make every listing cost thousands of requests.
pub const MAX_TEAMS: usize = 100;

pub struct Session {
    pub bot: User,
    /// `teamId`: channel posts from other teams are ignored. `None`: every team is served.
    pub team_id: Option<String>,
    /// The teams whose channels catch-up and polling list: `teamId`, else the bot's teams at
    /// login (at most `MAX_TEAMS`). Empty when the bot is in no team.
    pub teams: Vec<String>,
    /// Outgoing text is split above this many characters.
    pub chunk_limit: usize,
    /// The server's `MaxPostSize`: the longest text one post (an edit) may hold.
    pub max_post: usize,
    pub policy: Policy,
}

/// Why a login attempt did not produce a session.
#[derive(Debug)]
pub enum LoginError {
    /// The token was rejected (401): retry slowly.
    Unauthorized(String),
    /// Network trouble or a server error: retry with backoff.
    Transient(String),
}

/// Logs in and builds the session. Each REST call is retried inside `Api`; what still fails
/// comes back classified.
pub fn establish(config: &Config, api: &Api) -> Result<Session, LoginError> {
    let bot = api.me().map_err(classify)?;
    let teams = served_teams(
        config.team_id.as_deref(),
        &api.my_teams().map_err(classify)?,
    );
    let [allow_from, group_allow_from] =
        resolve_names([&config.allow_from, &config.group_allow_from], api)?;
    let max_post = max_post(api);
    let chunk_limit = config
        .text_chunk_limit
        .map_or(max_post, |limit| limit.min(max_post));
    let policy = Policy::new(
        config,
        &bot.id,
        &bot.username,
        config.team_id.as_deref(),
        &allow_from,
        &group_allow_from,
    );
    Ok(Session {
        bot,
        team_id: config.team_id.clone(),
        teams,
        chunk_limit,
        max_post,
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

/// `teamId` when set (a warning when the bot is not in it), else all the bot's teams, as
/// @openclaw/mattermost serves them (at most `MAX_TEAMS`, with a warning).
fn served_teams(team_id: Option<&str>, teams: &[Team]) -> Vec<String> {
    if let Some(id) = team_id {
        if !teams.iter().any(|t| t.id == id) {
            log::warn!(
                "channels.mattermost.teamId {id} is not one of the bot's teams; add the bot to that team"
            );
        }
        return vec![id.to_string()];
    }
    if teams.is_empty() {
        log::warn!("the bot is in no team: it will only see direct and group messages");
    }
    if teams.len() > MAX_TEAMS {
        log::warn!(
            "the bot is in {} teams; catch-up and polling list the first {MAX_TEAMS} only (set channels.mattermost.teamId to choose one)",
            teams.len()
        );
    }
    // Ids go into request paths: a server's malformed one is skipped.
    teams
        .iter()
        .take(MAX_TEAMS)
        .filter(|t| is_valid_id(&t.id))
        .map(|t| t.id.clone())
        .collect()
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

/// The server's `MaxPostSize` (`textChunkLimit` never goes above it).
fn max_post(api: &Api) -> usize {
    match api.client_config() {
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
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn team(id: String) -> Team {
        Team {
            id,
            name: String::new(),
            display_name: String::new(),
        }
    }

    #[test]
    fn without_team_id_every_team_is_served_up_to_the_cap() {
        let two: Vec<Team> = ["a", "b"].map(|c| team(c.repeat(26))).to_vec();
        assert_eq!(served_teams(None, &two), ["a".repeat(26), "b".repeat(26)]);
        assert_eq!(served_teams(Some("chosen"), &two), ["chosen"]);
        assert!(served_teams(None, &[]).is_empty());
        // A hostile server's thousands of teams, and an id unfit for a URL path.
        let mut many: Vec<Team> = (0..5_000).map(|n| team(format!("{n:026}"))).collect();
        many[1].id = "../../users/me".into();
        let served = served_teams(None, &many);
        assert_eq!(served.len(), MAX_TEAMS - 1);
        assert_eq!(served[0], many[0].id);
        assert!(!served.contains(&many[1].id));
    }
}
