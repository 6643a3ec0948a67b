//! A bot in several teams, as @openclaw/mattermost serves it: without `teamId` every team's
//! channels are heard, caught up and polled (DMs once, though every team's listing repeats
//! them), channel names are looked up in each team, and `--check` names them all; `teamId`
//! restricts all of that to one team. The fake's bot is in two teams, `acme` and `other`.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(400);

/// Alice may talk to the bot; no `teamId`.
fn all_teams_bridge(fake: &FakeMattermost, extra: &str) -> Bridge {
    let config = config_text(&fake.url(), &format!("allowFrom: ['{ALICE_ID}'], {extra}"));
    let mut bridge = Bridge::start(config, TOKEN);
    bridge.wait_ready();
    bridge
}

fn mention(channel: &str, text: &str) -> NewPost {
    NewPost::new(ALICE_ID, channel, &format!("@{BOT_USERNAME} {text}"))
}

/// Reads messages until `count` arrived (then none more), returning (text, teamId, catchUp).
fn messages(bridge: &mut Bridge, count: usize) -> Vec<(String, Value, Value)> {
    let mut got = Vec::new();
    while got.len() < count {
        let m = bridge.next_message();
        got.push((
            m["text"].as_str().unwrap().to_string(),
            m["teamId"].clone(),
            m["catchUp"].clone(),
        ));
    }
    bridge.no_message(SHORT);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    got
}

fn listings(fake: &FakeMattermost) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path.contains("/teams/") && r.path.ends_with("/channels"))
        .map(|r| r.path)
        .collect()
}

#[test]
fn without_team_id_posts_from_every_team_arrive() {
    let fake = FakeMattermost::start();
    let mut bridge = all_teams_bridge(&fake, "");
    let ready = &bridge.stdout_lines()[0];
    let ready: Value = serde_json::from_str(ready).unwrap();
    assert!(ready["params"]["teamId"].is_null(), "{ready}");
    assert_eq!(ready["params"]["teams"], json!([TEAM_ID, OTHER_TEAM_ID]));
    fake.post(mention(TOWN_SQUARE, "in acme"));
    fake.post(mention(OTHER_TEAM_CH, "in other"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "in a dm"));
    let got = messages(&mut bridge, 3);
    let teams: Vec<&Value> = got.iter().map(|m| &m.1).collect();
    assert_eq!(
        got.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        [
            &format!("@{BOT_USERNAME} in acme")[..],
            &format!("@{BOT_USERNAME} in other"),
            "in a dm"
        ]
    );
    assert_eq!(
        teams,
        [&json!(TEAM_ID), &json!(OTHER_TEAM_ID), &Value::Null]
    );
}

#[test]
fn with_team_id_only_that_team_is_heard() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let ready: Value = serde_json::from_str(&bridge.stdout_lines()[0]).unwrap();
    assert_eq!(ready["params"]["teamId"], TEAM_ID);
    assert_eq!(ready["params"]["teams"], json!([TEAM_ID]));
    fake.post(mention(OTHER_TEAM_CH, "in other"));
    fake.post(mention(TOWN_SQUARE, "in acme"));
    let got = messages(&mut bridge, 1);
    assert_eq!(got[0].0, format!("@{BOT_USERNAME} in acme"));
}

/// Starts a bridge with `stateFile`, without `teamId` unless `extra` sets it.
fn stateful(fake: &FakeMattermost, state: &Path, extra: &str) -> Bridge {
    all_teams_bridge(fake, &format!("stateFile: '{}', {extra}", state.display()))
}

#[test]
fn without_team_id_a_restart_catches_up_every_team_and_dms_once() {
    let fake = FakeMattermost::start();
    let dir = TempDir::new();
    let state = dir.0.join("state.json");
    let mut bridge = stateful(&fake, &state, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "before"));
    assert_eq!(bridge.next_message()["text"], "before");
    stop(bridge);

    fake.post(mention(TOWN_SQUARE, "missed in acme"));
    fake.post(mention(OTHER_TEAM_CH, "missed in other"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "missed in a dm"));
    fake.post(NewPost::new(
        ALICE_ID,
        GROUP_CH,
        &format!("@{BOT_USERNAME} missed in a group"),
    ));
    let listed_before = listings(&fake).len();
    let mut bridge = stateful(&fake, &state, "");
    let got = messages(&mut bridge, 4);
    assert!(got.iter().all(|m| m.2 == true), "{got:?}");
    let texts: HashSet<&str> = got.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(texts.len(), 4, "each once: {got:?}");
    assert!(texts.contains("missed in a dm"), "{got:?}");
    // One listing per team, and each channel with new posts read once: the DMs and the
    // group DM, in both teams' listings, are not read twice.
    for channel in [DM_ALICE, GROUP_CH, TOWN_SQUARE, OTHER_TEAM_CH] {
        let reads = fake
            .requests()
            .iter()
            .filter(|r| {
                r.path
                    .starts_with(&format!("/api/v4/channels/{channel}/posts"))
            })
            .count();
        assert_eq!(reads, 1, "{channel}");
    }
    let listed: Vec<String> = listings(&fake).split_off(listed_before);
    assert_eq!(
        listed,
        [
            format!("/api/v4/users/me/teams/{TEAM_ID}/channels"),
            format!("/api/v4/users/me/teams/{OTHER_TEAM_ID}/channels"),
        ]
    );
    stop(bridge);

    // With teamId, the other team's posts are neither listed nor delivered.
    fake.post(mention(OTHER_TEAM_CH, "other, restricted"));
    fake.post(mention(TOWN_SQUARE, "acme, restricted"));
    let listed_before = listings(&fake).len();
    let mut bridge = stateful(&fake, &state, &format!("teamId: '{TEAM_ID}'"));
    let got = messages(&mut bridge, 1);
    assert_eq!(got[0].0, format!("@{BOT_USERNAME} acme, restricted"));
    assert_eq!(
        listings(&fake).split_off(listed_before),
        [format!("/api/v4/users/me/teams/{TEAM_ID}/channels")]
    );
}

#[test]
fn without_team_id_polling_covers_every_team_and_dms_once() {
    let fake = FakeMattermost::start();
    let mut bridge = all_teams_bridge(&fake, "useWebSocket: false, pollInterval: 100");
    fake.post(mention(TOWN_SQUARE, "polled in acme"));
    fake.post(mention(OTHER_TEAM_CH, "polled in other"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "polled in a dm"));
    let got = messages(&mut bridge, 3);
    let texts: HashSet<&str> = got.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(texts.len(), 3, "each once: {got:?}");
    let teams: HashSet<String> = got.iter().map(|m| m.1.to_string()).collect();
    assert_eq!(teams.len(), 3, "acme, other and no team: {got:?}");
}

#[test]
fn a_channel_name_is_found_in_any_team_without_team_id_and_in_team_id_with_it() {
    let fake = FakeMattermost::start();
    let mut bridge = all_teams_bridge(&fake, "");
    // `lobby` is in the second team only.
    let sent = bridge.call(
        "send",
        json!({"channelName": "#lobby", "text": "to the lobby"}),
    );
    assert_eq!(sent["channelId"], OTHER_TEAM_CH, "{sent}");
    let posted = fake.posts();
    assert_eq!(posted.last().unwrap()["message"], "to the lobby");
    assert_eq!(posted.last().unwrap()["channel_id"], OTHER_TEAM_CH);
    stop(bridge);

    let mut bridge = start_bridge(&fake, "");
    let missing = bridge.call_err("send", json!({"channelName": "lobby", "text": "x"}));
    assert_eq!(missing["code"], -32000, "refused: {missing}");
    assert_eq!(missing["data"]["channelName"], "lobby", "{missing}");
}

/// `--check` with alice allowed and `extra` keys; returns (exit code, the `team` line).
fn check_team_line(fake: &FakeMattermost, extra: &str) -> (i32, String) {
    let config = config_text(&fake.url(), &format!("allowFrom: ['{ALICE_ID}'], {extra}"));
    let (code, _stderr, stdout) =
        run_to_exit(Some(&config), &[("TEST_BOT_TOKEN", TOKEN)], &["--check"]);
    let line = stdout
        .lines()
        .find(|l| l.contains(" team:"))
        .unwrap_or_else(|| panic!("no team line:\n{stdout}"))
        .to_string();
    (code, line)
}

#[test]
fn check_names_every_team_without_team_id_and_one_with_it() {
    let fake = FakeMattermost::start();
    let (code, line) = check_team_line(&fake, "");
    assert_eq!(code, 0, "{line}");
    assert!(line.starts_with('✓'), "{line}");
    assert!(
        line.contains(TEAM_ID) && line.contains(OTHER_TEAM_ID),
        "{line}"
    );

    let (code, line) = check_team_line(&fake, &format!("teamId: '{TEAM_ID}'"));
    assert_eq!(code, 0, "{line}");
    assert!(line.starts_with('✓') && line.contains(TEAM_ID), "{line}");
    assert!(!line.contains(OTHER_TEAM_ID), "{line}");
}
