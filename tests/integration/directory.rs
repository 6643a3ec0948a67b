//! The directory: the `directory` request of a running bridge and the one-shot
//! `--directory groups|peers [--query TEXT]` (OpenClaw's CLI, where no bridge runs). The
//! bot's public and private channels; its team's people but itself, page by page or through
//! the server's user search; a hostile server's answers reduced to checked fields.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = (list.as_array().unwrap().iter())
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn groups_are_the_bots_open_and_private_channels_of_every_team() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let answer = bridge.call("directory", json!({"kind": "groups"}));
    let mut want = vec![TOWN_SQUARE, PRIVATE_CH, OFFTOPIC, OTHER_TEAM_CH];
    want.sort();
    assert_eq!(ids(&answer["channels"]), want, "{answer}");
    let channels = answer["channels"].as_array().unwrap();
    let private = channels.iter().find(|c| c["id"] == PRIVATE_CH).unwrap();
    assert_eq!(
        private,
        &json!({"id": PRIVATE_CH, "channelType": "private", "name": "secret-plans", "displayName": "Secret Plans"})
    );
}

#[test]
fn peers_are_the_teams_people_but_the_bot() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let answer = bridge.call("directory", json!({"kind": "peers"}));
    assert_eq!(
        ids(&answer["users"]),
        [ALICE_ID, BOB_ID, OTHERBOT_ID].map(String::from),
        "{answer}"
    );
    let alice = (answer["users"].as_array().unwrap().iter())
        .find(|u| u["id"] == ALICE_ID)
        .unwrap();
    assert_eq!(
        alice,
        &json!({"id": ALICE_ID, "username": "alice", "firstName": "Alice", "lastName": "Liddell", "nickname": ""})
    );
    let listed = fake.requests();
    let members = (listed.iter()).find(|r| {
        r.path
            .starts_with(&format!("/api/v4/teams/{TEAM_ID}/members"))
    });
    assert!(members.is_some(), "the configured team's members were read");
}

#[test]
fn a_query_is_the_servers_user_search_in_the_team() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let answer = bridge.call("directory", json!({"kind": "peers", "query": "lidd"}));
    assert_eq!(ids(&answer["users"]), [ALICE_ID.to_string()], "{answer}");
    let search = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/api/v4/users/search")
        .expect("a user search");
    assert_eq!(search.json(), json!({"term": "lidd", "team_id": TEAM_ID}));
    // The bot is never listed, even when the search finds it.
    let answer = bridge.call("directory", json!({"kind": "peers", "query": "openclaw"}));
    assert_eq!(answer["users"], json!([]));
}

#[test]
fn members_are_read_page_by_page_and_users_in_batches() {
    let fake = FakeMattermost::start();
    for n in 0..250 {
        fake.add_user(&format!("member{n:020}"), &format!("member{n}"), false);
    }
    let mut bridge = start_bridge(&fake, "");
    let answer = bridge.call("directory", json!({"kind": "peers"}));
    assert_eq!(answer["users"].as_array().unwrap().len(), 253);
    let listed = fake.requests();
    let pages: Vec<String> = (listed.iter())
        .filter(|r| r.path.starts_with("/api/v4/teams/"))
        .filter_map(|r| r.query("page"))
        .collect();
    assert_eq!(
        pages,
        ["0", "1"],
        "254 members: a page of 200, then the rest"
    );
    let batches: Vec<usize> = (listed.iter())
        .filter(|r| r.path == "/api/v4/users/ids")
        .map(|r| r.json().as_array().unwrap().len())
        .collect();
    assert_eq!(batches, [200, 53]);
}

#[test]
fn a_hostile_servers_answers_keep_only_checked_fields() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let long = "n".repeat(5000);
    let channels = json!([
        {"id": "../../users/me", "type": "O", "name": "traversal"},
        "not an object",
        {"id": OFFTOPIC, "type": "O", "name": long, "display_name": 5, "header": "dropped"},
        {"id": DM_ALICE, "type": "D", "name": "a dm"},
    ]);
    fake.inject(
        "GET",
        "/api/v4/users/me/channels",
        Fault::raw(200, "application/json", &channels.to_string()),
    );
    let answer = bridge.call("directory", json!({"kind": "groups"}));
    let listed = answer["channels"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{answer}");
    assert_eq!(listed[0]["name"].as_str().unwrap().len(), 256);
    assert_eq!(listed[0]["displayName"], "");
    assert!(listed[0].get("header").is_none());

    let members = json!([{"user_id": "x/../y"}, {"user_id": BOB_ID}, 7]);
    fake.inject(
        "GET",
        &format!("/api/v4/teams/{TEAM_ID}/members"),
        Fault::raw(200, "application/json", &members.to_string()),
    );
    let answer = bridge.call("directory", json!({"kind": "peers"}));
    assert_eq!(ids(&answer["users"]), [BOB_ID.to_string()]);
    let asked = (fake.requests().into_iter())
        .rfind(|r| r.path == "/api/v4/users/ids")
        .unwrap();
    assert_eq!(
        asked.json(),
        json!([BOB_ID]),
        "only checked ids are asked for"
    );
}

#[test]
fn bad_params_are_refused_before_the_server_is_asked() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let before = fake.requests().len();
    let error = bridge.call_err("directory", json!({"kind": "everyone"}));
    assert_eq!(
        (error["code"].clone(), error["data"]["field"].clone()),
        (json!(-32602), json!("kind"))
    );
    let query = "q".repeat(257);
    let error = bridge.call_err("directory", json!({"kind": "peers", "query": query}));
    assert_eq!(error["data"]["field"], "query", "{error}");
    assert_eq!(fake.requests().len(), before);
}

#[test]
fn the_command_line_prints_one_json_line_and_exits() {
    let fake = FakeMattermost::start();
    let config = config_text(&fake.url(), "");
    let env = [("TEST_BOT_TOKEN", TOKEN)];
    let (code, stderr, out) = run_to_exit(Some(&config), &env, &["--directory", "groups"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["channels"].as_array().unwrap().len(), 4, "{answer}");

    let args = ["--directory", "peers", "--query", "bob"];
    let (code, stderr, out) = run_to_exit(Some(&config), &env, &args);
    assert_eq!(code, 0, "{stderr}");
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(ids(&answer["users"]), [BOB_ID.to_string()]);
    // No teamId: the bot's first team, as @openclaw/mattermost takes it.
    let search = (fake.requests().into_iter())
        .rfind(|r| r.path == "/api/v4/users/search")
        .unwrap();
    assert_eq!(search.json()["team_id"], TEAM_ID);

    // A server that refuses: exit 1, the reason on stderr, nothing on stdout, no token.
    fake.inject(
        "GET",
        "/api/v4/users/me/channels",
        Fault::app_error(
            403,
            "api.context.permissions.app_error",
            "You do not have the appropriate permissions.",
        ),
    );
    let (code, stderr, out) = run_to_exit(Some(&config), &env, &["--directory", "groups"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(out, "");
    assert!(
        stderr.contains("listing the directory failed") && stderr.contains("permissions"),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN));
}
