//! `--check` and `--print-config`: what an operator runs when the bot does not answer. Each
//! failure is injected into the fake server and must be named with its fix.

use crate::support::*;
use fake_mattermost::*;
use serde_json::Value;

/// Runs `--check` (plus `args`) with the usual test config and `extra` keys.
fn check(fake_url: &str, extra: &str, args: &[&str]) -> (i32, String) {
    let config = config_text(
        fake_url,
        &format!("allowFrom: ['{ALICE_ID}', '@bob'], teamId: '{TEAM_ID}', {extra}"),
    );
    let mut all_args = vec!["--check"];
    all_args.extend_from_slice(args);
    let (code, _stderr, stdout) =
        run_to_exit(Some(&config), &[("TEST_BOT_TOKEN", TOKEN)], &all_args);
    (code, stdout)
}

/// The line of one check, e.g. "✗ token: …".
fn line<'a>(out: &'a str, check: &str) -> &'a str {
    out.lines()
        .find(|l| {
            l.split_once(' ')
                .is_some_and(|(_, rest)| rest.starts_with(&format!("{check}:")))
        })
        .unwrap_or_else(|| panic!("no {check} line in:\n{out}"))
}

#[test]
fn a_working_setup_passes_every_check() {
    let fake = FakeMattermost::start();
    let extra = format!("allowChannels: ['{TOWN_SQUARE}']");
    let (code, out) = check(&fake.url(), &extra, &[]);
    assert_eq!(code, 0, "{out}");
    for name in [
        "config",
        "server",
        "token",
        "team",
        "channels",
        "allowFrom",
        "permissions",
        "websocket",
        "limits",
    ] {
        assert!(line(&out, name).starts_with('✓'), "{name}:\n{out}");
    }
    assert!(
        line(&out, "config").contains("botToken from file (${TEST_BOT_TOKEN})"),
        "{out}"
    );
    assert!(
        line(&out, "limits").contains(&format!("Mattermost {SERVER_VERSION}")),
        "{out}"
    );
    assert!(!out.contains(TOKEN), "the token never appears");

    let (code, out) = check(&fake.url(), &extra, &["--json"]);
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["server"]["version"], SERVER_VERSION);
    assert!(report["checks"].as_array().unwrap().len() >= 9);
    // Only the plain-http warning of the test setup; nothing failed.
    assert!(report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] == "ok" || c["message"].as_str().unwrap().contains("http://")));
}

#[test]
fn an_unreachable_server_and_a_bad_config_are_named() {
    // A port nobody listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}")
    };
    let (code, out) = check(&closed, "", &[]);
    assert_eq!(code, 1);
    let server = line(&out, "server");
    assert!(
        server.starts_with('✗') && server.contains("cannot reach"),
        "{out}"
    );
    assert!(out.contains("fix: nothing answers there"), "{out}");

    let (code, out) = check(&closed, "chatmode: 'sometimes'", &["--json"]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["checks"][0]["check"], "config");
    assert!(report["checks"][0]["message"]
        .as_str()
        .unwrap()
        .contains("chatmode"));
}

#[test]
fn a_misspelled_allow_from_fails_the_check_and_is_said_at_start() {
    let fake = FakeMattermost::start();
    let config = config_text(
        &fake.url(),
        &format!("allowfrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}'"),
    );
    let env = [("TEST_BOT_TOKEN", TOKEN)];
    let (code, _stderr, out) = run_to_exit(Some(&config), &env, &["--check"]);
    assert_eq!(
        code, 1,
        "a bridge that lets nobody talk would not work:\n{out}"
    );
    let allow = line(&out, "allowFrom");
    assert!(
        allow.starts_with('✗') && allow.contains("nobody can talk"),
        "{out}"
    );
    assert!(
        out.contains("channels.mattermost.allowfrom is not a key this bridge knows; ignored: did you mean allowFrom?"),
        "{out}"
    );
    assert!(!out.contains("config: config:"), "{out}");
    // The bridge itself says so, loudly, as it starts.
    let mut bridge = Bridge::start(config, TOKEN);
    bridge.wait_ready();
    let said = "WARN  openclaw_mattermost: channels.mattermost.allowFrom is empty, so nobody can talk to the bot";
    // stderr is read by another thread: give it a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !bridge.stderr().contains(said) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(bridge.stderr().contains(said), "{}", bridge.stderr());
}

#[test]
fn a_server_that_is_not_mattermost_and_https_on_a_plain_port_are_named() {
    // Another web server: answers every request with a 404 HTML page.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            use std::io::{Read, Write};
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let page =
                "<!DOCTYPE html>\n<html><body><h1>Not Found</h1>\nforged: line</body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    let (code, out) = check(&other, "", &[]);
    assert_eq!(code, 1);
    let server = line(&out, "server");
    assert!(
        server.starts_with('✗') && server.contains("is not Mattermost's API: HTTP 404"),
        "{out}"
    );
    assert!(!server.contains("cannot reach"), "{out}");
    assert!(
        !out.contains("<html") && !out.contains("forged"),
        "no HTML in --check:\n{out}"
    );

    // https:// on the fake's plain-HTTP port.
    let fake = FakeMattermost::start();
    let https = fake.url().replace("http://", "https://");
    let (code, out) = check(&https, "", &[]);
    assert_eq!(code, 1);
    assert!(
        line(&out, "server").contains("plain HTTP on that port?"),
        "{out}"
    );
    assert!(out.contains("fix: use http:// in serverUrl"), "{out}");
}

#[test]
fn token_problems_are_told_apart() {
    let fake = FakeMattermost::start();
    fake.set_token_valid(false);
    let (code, out) = check(&fake.url(), "", &[]);
    assert_eq!(code, 1);
    assert!(line(&out, "token").starts_with('✗'), "{out}");
    assert!(out.contains("Bot Accounts"), "{out}");

    let fake = FakeMattermost::start();
    fake.set_is_bot(BOT_ID, false);
    let (code, out) = check(&fake.url(), "", &[]);
    assert_eq!(code, 0, "a personal token works, with a warning:\n{out}");
    assert!(line(&out, "token").starts_with('!'), "{out}");
}

#[test]
fn membership_users_and_permissions_name_what_is_missing() {
    let fake = FakeMattermost::start();
    fake.set_bot_member(OFFTOPIC, false);
    let no_team = "noteam00000000000000000001";
    let extra = format!(
        "teamId: '{no_team}', allowChannels: ['{TOWN_SQUARE}', '{OFFTOPIC}'], allowFrom: ['@nobody', '{ALICE_ID}']"
    );
    let (code, out) = check(&fake.url(), &extra, &[]);
    assert_eq!(code, 1);
    let team = line(&out, "team");
    assert!(team.starts_with('✗') && team.contains(no_team), "{out}");
    let channels = line(&out, "channels");
    assert!(
        channels.starts_with('✗') && channels.contains("Off-Topic") && channels.contains(OFFTOPIC),
        "{out}"
    );
    assert!(!channels.contains("Town Square"), "{out}");
    let users = line(&out, "allowFrom");
    assert!(users.starts_with('✗') && users.contains("@nobody"), "{out}");

    let fake = FakeMattermost::start();
    fake.set_channel_user_permissions(&["read_channel"]);
    let extra = format!("allowChannels: ['{TOWN_SQUARE}'], allowFrom: []");
    let (code, out) = check(&fake.url(), &extra, &[]);
    assert_eq!(code, 1);
    assert!(line(&out, "permissions").starts_with('✗'), "{out}");
    assert!(
        line(&out, "allowFrom").contains("nobody can talk to the bot"),
        "{out}"
    );
}

#[test]
fn a_proxy_that_drops_the_upgrade_gets_the_directive_to_add() {
    let fake = FakeMattermost::start();
    fake.inject(
        "GET",
        "/api/v4/websocket",
        Fault::raw(200, "text/html", "<html>a proxy page</html>").times(5),
    );
    let (code, out) = check(&fake.url(), "", &[]);
    assert_eq!(code, 1);
    assert!(line(&out, "websocket").starts_with('✗'), "{out}");
    assert!(out.contains("proxy_set_header Upgrade"), "{out}");
}

#[test]
fn print_config_shows_values_and_their_sources() {
    let fake = FakeMattermost::start();
    let config = config_text(&fake.url(), "chatmode: 'onmessage'");
    let (code, _, out) = run_to_exit(
        Some(&config),
        &[("TEST_BOT_TOKEN", TOKEN), ("MATTERMOST_TEAM_ID", TEAM_ID)],
        &["--print-config"],
    );
    assert_eq!(code, 0);
    assert!(!out.contains(TOKEN));
    let printed: Value = serde_json::from_str(&out).unwrap();
    let keys = &printed["channels.mattermost"];
    assert_eq!(keys["botToken"]["value"], "[redacted]");
    assert_eq!(keys["botToken"]["source"], "file (${TEST_BOT_TOKEN})");
    assert_eq!(keys["chatmode"]["value"], "onmessage");
    assert_eq!(keys["chatmode"]["source"], "file");
    assert_eq!(keys["teamId"]["value"], TEAM_ID);
    assert_eq!(keys["teamId"]["source"], "env MATTERMOST_TEAM_ID");
    assert_eq!(keys["pollInterval"]["source"], "default");
    assert_eq!(keys["reconnectInterval"]["value"], 100);
}
