//! Slash commands: the thin requests the plugin registers and checks commands with (`teams`,
//! `listCommands`, `getCommand`, `createCommand`, `updateCommand`, `deleteCommand`) and
//! `authorize`, the post policy for a command's sender. Tokens reach the host, never a log.

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::time::Duration;

const CALLBACK: &str = "http://127.0.0.1:18789/api/channels/mattermost/command";
const OTHER_USER: &str = "someoneelse000000000000001";

fn create(bridge: &mut Bridge, trigger: &str) -> Value {
    bridge.call(
        "createCommand",
        json!({"teamId": TEAM_ID, "trigger": trigger, "url": CALLBACK,
               "description": "Show session status", "autoComplete": true, "autoCompleteHint": "[x]"}),
    )
}

#[test]
fn teams_lists_the_bots_teams() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let teams = bridge.call("teams", json!({}));
    let ids: Vec<&str> = (teams["teams"].as_array().unwrap().iter())
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [TEAM_ID, OTHER_TEAM_ID]);
    assert_eq!(teams["teams"][0]["name"], "acme");
}

#[test]
fn commands_are_created_listed_read_updated_and_deleted() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let created = create(&mut bridge, "oc_status");
    let stored = fake.commands()[0].clone();
    assert_eq!(created["id"], stored["id"]);
    assert_eq!(created["token"], stored["token"]);
    assert_eq!(
        (
            &created["teamId"],
            &created["trigger"],
            &created["method"],
            &created["url"]
        ),
        (
            &json!(TEAM_ID),
            &json!("oc_status"),
            &json!("P"),
            &json!(CALLBACK)
        )
    );
    assert_eq!(
        (
            &stored["auto_complete_desc"],
            &stored["auto_complete_hint"],
            &stored["auto_complete"]
        ),
        (&json!("Show session status"), &json!("[x]"), &json!(true))
    );
    let id = created["id"].as_str().unwrap().to_string();
    // Someone else's command is listed without its token.
    fake.add_command(OTHER_USER, TEAM_ID, "weather", "http://example.com/w");
    let listed = bridge.call("listCommands", json!({"teamId": TEAM_ID}));
    let listed = listed["commands"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["token"], created["token"]);
    assert_eq!(listed[1]["creatorId"], OTHER_USER);
    assert!(listed[1].get("token").is_none(), "{}", listed[1]);
    // An update keeps the token; a get sees the change.
    let updated = bridge.call(
        "updateCommand",
        json!({"commandId": id, "teamId": TEAM_ID, "trigger": "oc_status", "url": "http://127.0.0.1:1/new"}),
    );
    assert_eq!(updated["token"], created["token"]);
    let got = bridge.call("getCommand", json!({"commandId": id}));
    assert_eq!(got["url"], "http://127.0.0.1:1/new");
    assert_eq!(got["deleteAt"], 0);
    assert_eq!(
        bridge.call("deleteCommand", json!({"commandId": id})),
        json!({})
    );
    assert!(fake.commands()[0]["delete_at"].as_i64().unwrap() > 0);
    let gone = bridge.call_err("getCommand", json!({"commandId": id}));
    assert_eq!(
        (gone["code"].as_i64(), gone["data"]["status"].as_i64()),
        (Some(-32000), Some(404))
    );
}

#[test]
fn ids_are_checked_here_the_rest_by_the_server() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    for (method, field) in [
        ("createCommand", "teamId"),
        ("listCommands", "teamId"),
        ("getCommand", "commandId"),
        ("deleteCommand", "commandId"),
    ] {
        let error = bridge.call_err(
            method,
            json!({field: "../users/me", "trigger": "t", "url": CALLBACK}),
        );
        assert_eq!(
            (error["code"].as_i64(), error["data"]["field"].as_str()),
            (Some(-32602), Some(field))
        );
    }
    assert!(!fake
        .requests()
        .iter()
        .any(|r| r.path.starts_with("/api/v4/commands")));
    let base = json!({"teamId": TEAM_ID, "trigger": "oc_x", "url": CALLBACK});
    for (field, value, id) in [
        (
            "trigger",
            json!("/oc_x"),
            "model.command.is_valid.trigger.app_error",
        ),
        (
            "url",
            json!("ftp://x"),
            "model.command.is_valid.url.app_error",
        ),
        (
            "description",
            json!("d".repeat(129)),
            "model.command.is_valid.description.app_error",
        ),
        (
            "trigger",
            json!("echo"),
            "api.command.duplicate_trigger.app_error",
        ),
    ] {
        let mut params = base.clone();
        params[field] = value;
        let error = bridge.call_err("createCommand", params);
        assert_eq!(
            (error["code"].as_i64(), error["data"]["id"].as_str()),
            (Some(-32000), Some(id))
        );
    }
    let error = bridge.call_err("createCommand", json!({"teamId": TEAM_ID, "url": CALLBACK}));
    assert_eq!(error["data"]["field"], "trigger");
}

#[test]
fn disabled_and_forbidden_commands_carry_the_servers_words() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.set_commands_allowed(TEAM_ID, false);
    let error = bridge.call_err("listCommands", json!({"teamId": TEAM_ID}));
    assert_eq!(error["data"]["status"], 403);
    fake.set_commands_enabled(false);
    let error = bridge.call_err(
        "createCommand",
        json!({"teamId": TEAM_ID, "trigger": "oc_x", "url": CALLBACK}),
    );
    assert_eq!(
        (
            error["code"].as_i64(),
            error["data"]["status"].as_i64(),
            error["data"]["id"].as_str()
        ),
        (
            Some(-32000),
            Some(501),
            Some("api.command.disabled.app_error")
        )
    );
    // A second create is not retried behind the host's back.
    let creates = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v4/commands")
        .count();
    assert_eq!(creates, 1);
}

#[test]
fn a_huge_or_malformed_listing_is_a_clear_error() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let entry = |i: usize| {
        json!({"id": format!("{i:026}"), "team_id": TEAM_ID, "trigger": format!("t{i}"),
               "method": "P", "url": CALLBACK, "creator_id": OTHER_USER})
    };
    fake.set_commands_listing(Some(Value::Array((0..1001).map(entry).collect())));
    let error = bridge.call_err("listCommands", json!({"teamId": TEAM_ID}));
    assert!(
        error["message"].as_str().unwrap().contains("at most 1000"),
        "{error}"
    );
    for bad in [
        json!("not a list"),
        json!(["a string"]),
        json!([{"id": format!("{:026}", 1), "team_id": TEAM_ID, "trigger": 5}]),
        json!([{"team_id": TEAM_ID, "trigger": "t"}]),
        json!([{"id": format!("{:026}", 1), "team_id": TEAM_ID, "trigger": "t", "token": "x".repeat(65)}]),
    ] {
        fake.set_commands_listing(Some(bad.clone()));
        let error = bridge.call_err("listCommands", json!({"teamId": TEAM_ID}));
        assert_eq!(error["code"], -32000, "{bad}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("unexpected answer from the server"),
            "{error}"
        );
    }
    fake.set_commands_listing(Some(Value::Array((0..1000).map(entry).collect())));
    let listed = bridge.call("listCommands", json!({"teamId": TEAM_ID}));
    assert_eq!(listed["commands"].as_array().unwrap().len(), 1000);
}

#[test]
fn command_tokens_never_reach_logs_or_error_text() {
    let fake = FakeMattermost::start();
    let config = config_text(&fake.url(), &format!("teamId: '{TEAM_ID}',"));
    let mut launch = Launch::new(config, TOKEN);
    launch.rust_log = "trace".into();
    let mut bridge = Bridge::launch(launch);
    bridge.wait_ready();
    let created = create(&mut bridge, "oc_status");
    let token = created["token"].as_str().unwrap().to_string();
    bridge.call("listCommands", json!({"teamId": TEAM_ID}));
    // A server that quotes the token back in an error.
    fake.inject(
        "PUT",
        "/api/v4/commands/",
        Fault::app_error(
            400,
            "api.command.x",
            &format!("bad command with token {token}"),
        ),
    );
    let id = created["id"].as_str().unwrap();
    let error = bridge.call_err(
        "updateCommand",
        json!({"commandId": id, "teamId": TEAM_ID, "trigger": "oc_status", "url": CALLBACK}),
    );
    assert!(!error.to_string().contains(&token), "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("[redacted]"),
        "{error}"
    );
    bridge.close_stdin();
    bridge
        .wait_exit(Duration::from_secs(10))
        .expect("the bridge exits");
    let stderr = bridge.stderr();
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "logging at trace"
    );
    assert!(!stderr.contains(&token), "a command token in the log");
    assert!(
        bridge.stdout_lines().iter().any(|l| l.contains(&token)),
        "the host gets it"
    );
}

#[test]
fn authorize_applies_the_post_policy() {
    let fake = FakeMattermost::start();
    let bob_dm = "dmbob000000000000000000001";
    fake.add_channel(bob_dm, "D", &dm_name(BOT_ID, BOB_ID), "", "");
    let ask = |bridge: &mut Bridge, user: &str, channel: &str| {
        bridge.call("authorize", json!({"userId": user, "channelId": channel}))
    };
    let reason = |v: &Value| v["reason"].as_str().map(str::to_string);
    // allowFrom alice, teamId acme, groupPolicy allowlist (by default).
    let mut bridge = start_bridge(&fake, "dmPolicy: 'pairing',");
    let ok = ask(&mut bridge, ALICE_ID, TOWN_SQUARE);
    assert_eq!(
        ok,
        json!({"authorized": true, "reason": null, "channelType": "open", "channelName": "town-square",
               "channelDisplayName": "Town Square", "teamId": TEAM_ID,
               "sender": {"id": ALICE_ID, "username": "alice"}})
    );
    assert_eq!(
        reason(&ask(&mut bridge, BOB_ID, TOWN_SQUARE)).as_deref(),
        Some("unauthorized")
    );
    assert_eq!(
        reason(&ask(&mut bridge, BOB_ID, bob_dm)).as_deref(),
        Some("dm-pairing")
    );
    assert_eq!(
        ask(&mut bridge, ALICE_ID, DM_ALICE)["channelType"],
        "direct"
    );
    assert_eq!(ask(&mut bridge, ALICE_ID, DM_ALICE)["authorized"], true);
    assert_eq!(
        reason(&ask(&mut bridge, ALICE_ID, OTHER_TEAM_CH)).as_deref(),
        Some("unauthorized"),
        "teamId"
    );
    assert_eq!(
        reason(&ask(&mut bridge, OTHERBOT_ID, TOWN_SQUARE)).as_deref(),
        Some("unauthorized"),
        "bots"
    );
    // A pairing approval (`allow`) opens the DM, as it does for posts.
    bridge.call("allow", json!({"userId": BOB_ID}));
    assert_eq!(ask(&mut bridge, BOB_ID, bob_dm)["authorized"], true);
    stop(bridge);

    let mut bridge = start_bridge(&fake, "groupPolicy: 'disabled', dmPolicy: 'disabled',");
    assert_eq!(
        reason(&ask(&mut bridge, ALICE_ID, TOWN_SQUARE)).as_deref(),
        Some("channels-disabled")
    );
    assert_eq!(
        reason(&ask(&mut bridge, ALICE_ID, DM_ALICE)).as_deref(),
        Some("dm-disabled")
    );
    stop(bridge);

    let config = config_text(&fake.url(), "groupPolicy: 'allowlist', dmPolicy: 'open',");
    let mut bridge = Bridge::start(config, TOKEN);
    bridge.wait_ready();
    assert_eq!(
        reason(&ask(&mut bridge, ALICE_ID, TOWN_SQUARE)).as_deref(),
        Some("channel-no-allowlist")
    );
    assert_eq!(
        ask(&mut bridge, BOB_ID, bob_dm)["authorized"],
        true,
        "dmPolicy open"
    );
    let unknown = bridge.call_err(
        "authorize",
        json!({"userId": ALICE_ID, "channelId": "nochannel00000000000000001"}),
    );
    assert_eq!(unknown["code"], -32000);
    stop(bridge);
}
