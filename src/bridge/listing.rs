//! The bot's channels in the teams it serves, each once: one `GET /users/me/teams/{team}/channels`
//! per team. The server adds the bot's DMs and group DMs (they have no team) to every team's
//! listing, so they are kept the first time only.

use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::model::Channel;
use std::collections::HashSet;

pub fn channels(api: &Api, teams: &[String]) -> Result<Vec<Channel>, ApiError> {
    let mut seen = HashSet::new();
    let mut all = Vec::new();
    for team in teams {
        for channel in api.team_channels(team)? {
            if seen.insert(channel.id.clone()) {
                all.push(channel);
            }
        }
    }
    Ok(all)
}
