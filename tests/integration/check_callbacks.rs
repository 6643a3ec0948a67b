//! `--check` for the callbacks of slash commands and buttons (issue 16): the address Mattermost
//! would call, whether it may (loopback and private addresses need the admin's consent), and
//! whether anything answers there, against real sockets on 127.0.0.1.

use crate::support::*;
use fake_mattermost::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;

/// A one-request HTTP server on 127.0.0.1 answering `response`; sends the request head it got.
struct Gateway {
    port: u16,
    heads: mpsc::Receiver<String>,
}

impl Gateway {
    fn answering(response: &'static str) -> Gateway {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, heads) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    head.push_str(&line);
                    line.clear();
                }
                let _ = stream.write_all(response.as_bytes());
                let _ = tx.send(head);
            }
        });
        Gateway { port, heads }
    }

    fn head(&self) -> String {
        self.heads
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("the check sent no request")
    }
}

const ANSWER_401: &str =
    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const ANSWER_302: &str = "HTTP/1.1 302 Found\r\nLocation: https://gw.example/login\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `--check --json` with `root` (extra top-level keys) and `section` (extra keys of
/// channels.mattermost); returns the findings of `check`.
fn findings(
    server: &str,
    root: &str,
    section: &str,
    env: &[(&str, &str)],
    check: &str,
) -> Vec<Value> {
    let config = format!(
        "{{ {root} channels: {{ mattermost: {{ serverUrl: '{server}', botToken: '${{TEST_BOT_TOKEN}}', allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}', {section} }} }} }}"
    );
    let mut vars = vec![("TEST_BOT_TOKEN", TOKEN)];
    vars.extend_from_slice(env);
    let (_code, stderr, stdout) = run_to_exit(Some(&config), &vars, &["--check", "--json"]);
    let report: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == check)
        .cloned()
        .collect()
}

fn find<'a>(list: &'a [Value], status: &str, text: &str) -> &'a Value {
    list.iter()
        .find(|c| c["status"] == status && c["message"].as_str().unwrap().contains(text))
        .unwrap_or_else(|| panic!("no {status} finding with {text:?} in {list:#?}"))
}

#[test]
fn a_command_callback_that_answers_is_reachable_but_loopback_needs_the_admins_consent() {
    let fake = FakeMattermost::start();
    let gateway = Gateway::answering(ANSWER_401);
    let url = format!(
        "http://127.0.0.1:{}/api/channels/mattermost/command",
        gateway.port
    );
    let section = format!("commands: {{ native: true, callbackUrl: '{url}' }}");
    let list = findings(&fake.url(), "", &section, &[], "commands");
    find(
        &list,
        "ok",
        &format!("{url} answers from this host (HTTP 401)"),
    );
    let private = find(&list, "warn", "loopback or private address: Mattermost refuses to call it unless ServiceSettings.AllowedUntrustedInternalConnections lists it");
    let fix = private["fix"].as_str().unwrap();
    assert!(fix.contains("add 127.0.0.1 (or its CIDR)"), "{fix}");
    assert!(
        fix.contains("channels.mattermost.commands.callbackUrl"),
        "{fix}"
    );
    // Mattermost's request: a form POST to the path.
    let head = gateway.head();
    assert!(
        head.starts_with("POST /api/channels/mattermost/command HTTP/1.1"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/x-www-form-urlencoded"),
        "{head}"
    );
}

#[test]
fn the_command_callback_defaults_to_the_gateways_port_from_the_file_or_the_environment() {
    let fake = FakeMattermost::start();
    let gateway = Gateway::answering(ANSWER_401);
    let root = format!(
        "gateway: {{ port: {}, customBindHost: '0.0.0.0' }},",
        gateway.port
    );
    let list = findings(
        &fake.url(),
        &root,
        "commands: { native: true, callbackPath: 'oc/cmd' }",
        &[],
        "commands",
    );
    find(
        &list,
        "ok",
        &format!("http://localhost:{}/oc/cmd answers", gateway.port),
    );
    assert!(gateway.head().starts_with("POST /oc/cmd "));
    // OPENCLAW_GATEWAY_PORT wins over gateway.port, as in OpenClaw.
    let other = Gateway::answering(ANSWER_401);
    let port = other.port.to_string();
    let list = findings(
        &fake.url(),
        &root,
        "commands: { native: true }",
        &[("OPENCLAW_GATEWAY_PORT", &port)],
        "commands",
    );
    find(
        &list,
        "ok",
        &format!("http://localhost:{port}/api/channels/mattermost/command answers"),
    );
    // native "auto" (the default): no slash commands, nothing to check.
    let list = findings(
        &fake.url(),
        &root,
        "commands: { native: 'auto' }",
        &[],
        "commands",
    );
    assert!(list.is_empty(), "{list:#?}");
}

#[test]
fn a_redirecting_or_closed_callback_is_a_warning_with_its_fix() {
    let fake = FakeMattermost::start();
    let gateway = Gateway::answering(ANSWER_302);
    let url = format!(
        "http://127.0.0.1:{}/api/channels/mattermost/command",
        gateway.port
    );
    let section = format!("commands: {{ native: true, callbackUrl: '{url}' }}");
    let list = findings(&fake.url(), "", &section, &[], "commands");
    let redirect = find(
        &list,
        "warn",
        "redirects (HTTP 302 to https://gw.example/login)",
    );
    assert!(
        redirect["message"].as_str().unwrap().contains("GET"),
        "{redirect}"
    );

    let url = format!("http://127.0.0.1:{}/cmd", closed_port());
    let section = format!("commands: {{ native: true, callbackUrl: '{url}' }}");
    let (code, stdout) = {
        let config = config_text(
            &fake.url(),
            &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}', {section}"),
        );
        let (code, _, stdout) =
            run_to_exit(Some(&config), &[("TEST_BOT_TOKEN", TOKEN)], &["--check"]);
        (code, stdout)
    };
    // Warnings: the bridge itself works.
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "! commands: {url} is not reachable from where the bridge runs"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("is the gateway up?"), "{stdout}");
    assert!(stdout.contains("fix: start OpenClaw's gateway"), "{stdout}");
}

#[test]
fn a_loopback_callback_with_mattermost_elsewhere_would_call_mattermost_itself() {
    // 192.0.2.1 (TEST-NET-1): not loopback, not private. The server checks fail; the callback
    // findings come first.
    let gateway = Gateway::answering(ANSWER_401);
    let url = format!("http://localhost:{}/cmd", gateway.port);
    let section = format!("commands: {{ native: true, callbackUrl: '{url}' }}");
    let list = findings("http://192.0.2.1:9", "", &section, &[], "commands");
    let elsewhere = find(
        &list,
        "warn",
        "is loopback, but Mattermost (http://192.0.2.1:9) is elsewhere",
    );
    assert!(
        elsewhere["fix"]
            .as_str()
            .unwrap()
            .contains("commands.callbackUrl"),
        "{elsewhere}"
    );
}

#[test]
fn button_callbacks_and_their_source_addresses_are_checked() {
    let fake = FakeMattermost::start();
    let gateway = Gateway::answering(ANSWER_401);
    let section = format!(
        "interactions: {{ callbackBaseUrl: 'http://127.0.0.1:{}/', allowedSourceIps: ['10.0.0.0/8', 'mattermost.lan', '10.1.2.3/40'] }}",
        gateway.port
    );
    let list = findings(&fake.url(), "", &section, &[], "interactions");
    find(
        &list,
        "ok",
        &format!(
            "http://127.0.0.1:{}/mattermost/interactions answers",
            gateway.port
        ),
    );
    find(&list, "warn", "loopback or private address");
    let bad = find(&list, "warn", "never match (not an IP or CIDR)");
    let message = bad["message"].as_str().unwrap();
    assert!(
        message.ends_with("mattermost.lan, 10.1.2.3/40"),
        "{message}"
    );
    assert!(gateway.head().starts_with("POST /mattermost/interactions "));

    // A public callback that lets every source in.
    let list = findings(
        &fake.url(),
        "",
        "interactions: { callbackBaseUrl: 'http://192.0.2.1:9', allowedSourceIps: [] }",
        &[],
        "interactions",
    );
    let open = find(&list, "warn", "allowedSourceIps is empty");
    assert!(
        open["fix"].as_str().unwrap().contains("allowedSourceIps"),
        "{open}"
    );
    // A loopback callback with no list: only the gateway's own machine can reach it anyway.
    let list = findings(
        &fake.url(),
        "",
        &format!(
            "interactions: {{ callbackBaseUrl: 'http://127.0.0.1:{}' }}",
            closed_port()
        ),
        &[],
        "interactions",
    );
    assert!(
        !list.iter().any(|c| c["message"]
            .as_str()
            .unwrap()
            .contains("allowedSourceIps is empty")),
        "{list:#?}"
    );
}

#[test]
fn the_bots_permission_to_register_slash_commands_is_probed_without_creating_any() {
    let fake = FakeMattermost::start();
    let section = "commands: { native: true, callbackUrl: 'http://127.0.0.1:1/cmd' }";
    let list = findings(&fake.url(), "", section, &[], "commands");
    find(
        &list,
        "ok",
        "the bot may manage slash commands in 2 team(s)",
    );
    // A team where the bot may not manage commands (403) names the team and the fix.
    fake.set_commands_allowed(OTHER_TEAM_ID, false);
    let list = findings(&fake.url(), "", section, &[], "commands");
    find(
        &list,
        "ok",
        "the bot may manage slash commands in 1 team(s)",
    );
    let forbidden = find(
        &list,
        "warn",
        "the bot may not manage slash commands in team ",
    );
    assert_eq!(
        forbidden["fix"],
        "make the bot a team admin, or give All Members 'Manage Own Slash Commands'"
    );
    // The server's commands switched off (501): one finding, not one per team.
    fake.set_commands_enabled(false);
    let list = findings(&fake.url(), "", section, &[], "commands");
    let off = find(&list, "warn", "the server has custom slash commands off");
    assert_eq!(
        off["fix"],
        "System Console › Integrations › Integration Management › Enable Custom Slash Commands"
    );
    let offs = list
        .iter()
        .filter(|c| c["message"] == off["message"])
        .count();
    assert_eq!(offs, 1, "{list:#?}");
    assert!(!list
        .iter()
        .any(|c| c["message"].as_str().unwrap().contains("may manage")));
    // Without native commands, nothing is listed.
    fake.set_commands_enabled(true);
    let list = findings(
        &fake.url(),
        "",
        "commands: { native: 'auto' }",
        &[],
        "commands",
    );
    assert!(list.is_empty(), "{list:#?}");
    assert!(fake.commands().is_empty(), "the check created a command");
    let commands = |r: &fake_mattermost::Request| r.path.starts_with("/api/v4/commands");
    let calls: Vec<_> = fake.requests().into_iter().filter(commands).collect();
    // Two teams listed, then two, then the first answers 501 and ends the probe.
    assert_eq!(calls.len(), 2 + 2 + 1, "{calls:#?}");
    for call in calls {
        assert_eq!(call.method, "GET");
        assert!(call.path.ends_with("&custom_only=true"), "{}", call.path);
    }
}
