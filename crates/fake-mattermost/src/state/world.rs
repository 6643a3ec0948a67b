//! The fixture's world: a bot, two people and another bot, two teams (everyone is a member of
//! both), public, private, direct and group channels. Ids are 26 lowercase alphanumerics, like
//! Mattermost's.

use crate::state::records::{Channel, Team, User};
use crate::state::State;
use crate::util::sorted_pair_name;
use crate::ws::broadcast::SEND_QUEUE_EVENTS;
use std::collections::HashMap;

/// The bot's personal access token; any other bearer token is rejected.
pub const TOKEN: &str = "tok3nAbCdEf0123456789secret";
pub const BOT_USERNAME: &str = "openclaw";
/// What `/config/client` reports as `Version`.
pub const SERVER_VERSION: &str = "10.11.0";
/// What `hello` reports: version, build number, build hash, enterprise flag.
pub const SERVER_VERSION_FULL: &str = "10.11.0.12345.abc.true";

pub const BOT_ID: &str = "openclawbot000000000000001";
pub const ALICE_ID: &str = "alice000000000000000000001";
pub const BOB_ID: &str = "bob00000000000000000000001";
pub const OTHERBOT_ID: &str = "helperbot00000000000000001";

pub const TEAM_ID: &str = "teamacme000000000000000001";
pub const OTHER_TEAM_ID: &str = "teamother00000000000000001";

pub const TOWN_SQUARE: &str = "townsquare0000000000000001";
pub const PRIVATE_CH: &str = "secretplans000000000000001";
pub const OFFTOPIC: &str = "offtopic000000000000000001";
pub const OTHER_TEAM_CH: &str = "otherlobby0000000000000001";
pub const DM_ALICE: &str = "dmalice0000000000000000001";
pub const GROUP_CH: &str = "groupchat00000000000000001";

const DEFAULT_MAX_POST_SIZE: usize = 16383;
const DEFAULT_MAX_FILE_SIZE: u64 = 104_857_600;

impl State {
    /// The fixture described at the top of this file.
    pub(crate) fn seeded() -> State {
        let user = |id: &str, username: &str, is_bot, names: [&str; 3]| User {
            id: id.into(),
            username: username.into(),
            is_bot,
            first_name: names[0].into(),
            last_name: names[1].into(),
            nickname: names[2].into(),
        };
        let team = |id: &str, name: &str, display_name: &str| Team {
            id: id.into(),
            name: name.into(),
            display_name: display_name.into(),
        };
        let dm_name = sorted_pair_name(BOT_ID, ALICE_ID);
        State {
            token_valid: true,
            max_post_size: DEFAULT_MAX_POST_SIZE,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            users: vec![
                user(BOT_ID, BOT_USERNAME, true, ["", "", ""]),
                user(ALICE_ID, "alice", false, ["Alice", "Liddell", ""]),
                user(BOB_ID, "bob", false, ["", "", "bobby"]),
                user(OTHERBOT_ID, "helperbot", true, ["", "", ""]),
            ],
            teams: vec![
                team(TEAM_ID, "acme", "Acme"),
                team(OTHER_TEAM_ID, "other", "Other"),
            ],
            channels: vec![
                Channel::new(TOWN_SQUARE, "O", "town-square", "Town Square", TEAM_ID),
                Channel::new(PRIVATE_CH, "P", "secret-plans", "Secret Plans", TEAM_ID),
                Channel::new(OFFTOPIC, "O", "off-topic", "Off-Topic", TEAM_ID),
                Channel::new(OTHER_TEAM_CH, "O", "lobby", "Lobby", OTHER_TEAM_ID),
                Channel::new(DM_ALICE, "D", &dm_name, "alice", ""),
                // Real group channels are named by a hash of their members.
                Channel::new(
                    GROUP_CH,
                    "G",
                    "8f2c4e6a0b1d3f5e7a9c1b3d5f7e9a0c2b4d6f80",
                    "alice, bob, openclaw",
                    "",
                ),
            ],
            posts: Vec::new(),
            pending_posts: Vec::new(),
            reactions: Vec::new(),
            files: Vec::new(),
            faults: Vec::new(),
            requests: Vec::new(),
            ws: Vec::new(),
            ws_total: 0,
            ws_upgrade_headers: Vec::new(),
            ws_client_frames: Vec::new(),
            ws_pongs: 0,
            ws_sessions: HashMap::new(),
            ws_resumes: 0,
            ws_send_queue_closes: 0,
            send_queue_limit: SEND_QUEUE_EVENTS,
            channel_user_permissions: [
                "read_channel",
                "create_post",
                "add_reaction",
                "upload_file",
                "edit_post",
            ]
            .map(String::from)
            .to_vec(),
            commands: Vec::new(),
            commands_enabled: true,
            commands_forbidden: Vec::new(),
            commands_listing: None,
            ephemerals: Vec::new(),
            integrations: Vec::new(),
            last_ms: 0,
        }
    }
}
