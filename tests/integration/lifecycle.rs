//! Starting and stopping: config errors exit 2 with one line, EOF/shutdown/SIGTERM stop cleanly
//! after in-flight work, and the token never appears anywhere.

use crate::support::*;
use fake_mattermost::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn stdin_eof_stops_cleanly() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    bridge.close_stdin();
    bridge.status("stopping");
    let status = bridge.wait_exit(WAIT).expect("exited");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn shutdown_request_answers_then_exits() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    assert_eq!(bridge.call("shutdown", json!({})), json!({}));
    bridge.status("stopping");
    assert_eq!(bridge.wait_exit(WAIT).expect("exited").code(), Some(0));
}

#[test]
fn sigterm_stops_cleanly() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    // SAFETY: sending a signal to our own child process.
    let sent = unsafe { libc::kill(bridge.pid() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0);
    bridge.status("stopping");
    assert_eq!(bridge.wait_exit(WAIT).expect("exited").code(), Some(0));
}

#[test]
fn in_flight_requests_finish_before_exit() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.inject(
        "POST",
        "/api/v4/posts",
        Fault::pass().delayed(Duration::from_millis(700)),
    );
    bridge.write_line(
        json!({"jsonrpc":"2.0","id":"slow","method":"send","params":{"channelId": TOWN_SQUARE, "text": "slow one"}})
            .to_string()
            .as_bytes(),
    );
    assert!(fake
        .wait_for_request(|r| r.path_only() == "/api/v4/posts", WAIT)
        .is_some());
    bridge.close_stdin();
    let response = bridge.expect("the slow response", |v| v["id"] == "slow");
    assert!(response["result"]["postIds"].is_array(), "{response}");
    bridge.status("stopping");
    assert_eq!(bridge.wait_exit(WAIT).expect("exited").code(), Some(0));
    // The response came before the `stopping` status.
    let lines = bridge.stdout_lines();
    let at = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap();
    assert!(at("\"slow\"") < at("stopping"));
}

#[test]
fn requests_sent_before_login_wait_for_it() {
    let fake = FakeMattermost::start();
    fake.inject(
        "GET",
        "/api/v4/users/me",
        Fault::app_error(503, "", "starting up").times(2),
    );
    let config = config_text(
        &fake.url(),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}'"),
    );
    let mut bridge = Bridge::start(config, TOKEN);
    let result = bridge.call(
        "send",
        json!({"channelId": TOWN_SQUARE, "text": "early bird"}),
    );
    assert!(result["postIds"].is_array());
    let status = bridge.status("reconnecting");
    assert!(status["error"].as_str().unwrap().contains("503"));
    bridge.wait_ready();
}

#[test]
fn a_rejected_token_is_reported_not_hammered() {
    let fake = FakeMattermost::start();
    fake.set_token_valid(false);
    let config = config_text(&fake.url(), "");
    let mut bridge = Bridge::start(config, TOKEN);
    let status = bridge.status("unauthorized");
    assert!(status["retryInMs"].as_u64().unwrap() >= 60_000);
    assert!(status["error"].as_str().unwrap().contains("botToken"));
    std::thread::sleep(Duration::from_millis(500));
    let logins = fake
        .requests()
        .iter()
        .filter(|r| r.path_only() == "/api/v4/users/me")
        .count();
    assert_eq!(logins, 1, "no retry storm");
    bridge.close_stdin();
    assert_eq!(bridge.wait_exit(WAIT).expect("exited").code(), Some(0));
}

#[test]
fn a_token_refused_on_the_websocket_upgrade_is_unauthorized_not_hammered() {
    let fake = FakeMattermost::start();
    // REST accepts the token (login works); the upgrade answers 401, as Mattermost does when
    // the token is revoked between the two.
    fake.inject(
        "GET",
        "/api/v4/websocket",
        Fault::raw(
            401,
            "application/json",
            r#"{"id":"api.context.session_expired.app_error"}"#,
        ),
    );
    let config = config_text(
        &fake.url(),
        &format!("teamId: '{TEAM_ID}', reconnectInterval: 100"),
    );
    let mut bridge = Bridge::start(config, TOKEN);
    let status = bridge.status("unauthorized");
    assert!(status["retryInMs"].as_u64().unwrap() >= 60_000, "{status}");
    assert_eq!(
        status["error"],
        "WebSocket upgrade refused with HTTP 401: the bot token was rejected"
    );
    std::thread::sleep(Duration::from_millis(500));
    let upgrades = fake
        .requests()
        .iter()
        .filter(|r| r.path_only() == "/api/v4/websocket")
        .count();
    assert_eq!(upgrades, 1, "no retry storm");
    bridge.close_stdin();
    assert_eq!(bridge.wait_exit(WAIT).expect("exited").code(), Some(0));
}

#[test]
fn the_token_never_appears_in_output_or_logs() {
    let fake = FakeMattermost::start();
    let config = config_text(
        &fake.url(),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}'"),
    );
    let mut launch = Launch::new(config, TOKEN);
    launch.rust_log = "trace".into();
    let mut bridge = Bridge::launch(launch);
    bridge.wait_ready();
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "hi"));
    bridge.next_message();
    bridge.call("send", json!({"channelId": TOWN_SQUARE, "text": "reply"}));
    fake.inject(
        "POST",
        "/api/v4/posts",
        Fault::app_error(
            401,
            "api.context.session_expired.app_error",
            &format!("token {TOKEN} expired"),
        ),
    );
    let e = bridge.call_err("send", json!({"channelId": TOWN_SQUARE, "text": "x"}));
    assert_eq!(e["code"], -32000);
    fake.drop_websockets();
    bridge.status("connected");
    bridge.close_stdin();
    bridge.wait_exit(WAIT).expect("exited");
    let stderr = bridge.stderr();
    assert!(
        stderr.contains("WebSocket connected"),
        "logs were written: {stderr}"
    );
    assert!(!stderr.contains(TOKEN), "token in stderr");
    let stdout = bridge.stdout_lines().join("\n");
    assert!(!stdout.contains(TOKEN), "token in stdout");
    assert!(
        stdout.contains("[redacted]"),
        "the server's echo of the token was masked"
    );
}

#[test]
fn bad_config_exits_2_with_one_clear_line() {
    let cases: Vec<(Option<&str>, &str)> = vec![
        (None, "config: channels.mattermost.serverUrl is missing (set it in"),
        (Some("{channels:{mattermost:{serverUrl:'https://x.example'}}}"),
         "config: channels.mattermost.botToken is missing"),
        (Some("{channels:{mattermost:{serverUrl:'x.example', botToken:'t0ken'}}}"),
         "config: channels.mattermost.serverUrl \"x.example\" must start with https://"),
        (Some("{channels:{mattermost:{serverUrl:'https://x.example', botToken:'${NOT_SET_ANYWHERE}'}}}"),
         "environment variable NOT_SET_ANYWHERE is not set"),
        (Some("{channels:{mattermost:{serverUrl:'https://x.example', botToken:'t0ken', chatmode:'sometimes'}}}"),
         "channels.mattermost.chatmode is \"sometimes\" (use one of"),
        (Some("{channels:{mattermost:{serverUrl:'https://x.example', botToken:'t0ken', respondToDMs:'yes'}}}"),
         "channels.mattermost.respondToDMs must be true or false"),
        (Some("{channels:{mattermost:{ oops }}}"), "must be valid JSON5"),
    ];
    for (config, expected) in cases {
        let (code, stderr, stdout) = run_to_exit(config, &[], &[]);
        assert_eq!(code, 2, "{config:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(
            lines[0].contains(expected),
            "{config:?}\n got: {}\nwant: {expected}",
            lines[0]
        );
        assert!(!stderr.contains("t0ken"));
        assert!(stdout.is_empty(), "stdout stays protocol-only: {stdout}");
    }
}

#[test]
fn config_can_come_from_the_environment_alone() {
    let fake = FakeMattermost::start();
    let url = fake.url();
    let mut launch = Launch::new(String::new(), TOKEN);
    launch.config = None;
    launch.env = vec![
        ("MATTERMOST_URL".into(), url),
        ("MATTERMOST_BOT_TOKEN".into(), TOKEN.into()),
        ("MATTERMOST_TEAM_ID".into(), TEAM_ID.into()),
    ];
    let mut bridge = Bridge::launch(launch);
    assert_eq!(bridge.wait_ready()["params"]["teamId"], TEAM_ID);
}

#[test]
fn disabled_exits_0_at_once() {
    let started = Instant::now();
    let (code, stderr, stdout) =
        run_to_exit(Some("{channels:{mattermost:{enabled:false}}}"), &[], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("enabled is false"));
    assert!(stdout.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn help_version_and_bad_arguments() {
    let (code, _, stdout) = run_to_exit(None, &[], &["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("--config PATH"));
    let (code, _, stdout) = run_to_exit(None, &[], &["--version"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with(&format!(
        "openclaw-mattermost {}",
        env!("CARGO_PKG_VERSION")
    )));
    // The target triple and the commit, for bug reports.
    assert!(stdout.contains("-linux-"), "{stdout}");
    assert!(stdout.contains("commit "), "{stdout}");
    let (code, stderr, _) = run_to_exit(None, &[], &["--frobnicate"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown argument --frobnicate"));
}
