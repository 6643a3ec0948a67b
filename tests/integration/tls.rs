//! TLS for self-hosted servers and HTTP proxies: the fake server speaks https/wss with a
//! certificate from a private test CA (tests/tls/), which the bridge trusts only through
//! `caFile`; a small CONNECT proxy on 127.0.0.1 stands in for a corporate proxy.

use crate::support::*;
use fake_mattermost::conn::test_ca_file;
use fake_mattermost::*;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn ca_key(path: &Path) -> String {
    format!("caFile: '{}'", path_str(path))
}

fn other_ca_file() -> PathBuf {
    test_ca_file().with_file_name("other-ca.pem")
}

/// A bridge against `fake` with the standard allow list, `extra` keys and `env`.
fn launch(fake: &FakeMattermost, extra: &str, env: &[(&str, &str)]) -> Bridge {
    let config = config_text(
        &fake.url(),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}', {extra}"),
    );
    let mut launch = Launch::new(config, TOKEN);
    launch
        .env
        .extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Bridge::launch(launch)
}

/// A DM in, a reply out: REST and WebSocket both work over whatever path the bridge took.
fn round_trip(fake: &FakeMattermost, bridge: &mut Bridge) {
    bridge.wait_ready();
    let id = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "over TLS?"));
    let message = bridge.next_message();
    assert_eq!(message["id"], id.as_str());
    let result = bridge.call(
        "send",
        json!({"channelId": DM_ALICE, "text": "yes", "rootId": id}),
    );
    let reply = result["postIds"][0].as_str().unwrap();
    let post = fake.posts().into_iter().find(|p| p["id"] == reply).unwrap();
    assert_eq!(post["message"], "yes");
}

#[test]
fn with_ca_file_the_bridge_works_over_https_and_wss() {
    let fake = FakeMattermost::start_tls();
    assert!(fake.url().starts_with("https://localhost:"));
    let mut bridge = launch(&fake, &ca_key(&test_ca_file()), &[]);
    round_trip(&fake, &mut bridge);
    assert!(!bridge.stderr().contains(TOKEN));
}

#[test]
fn without_ca_file_the_error_names_the_certificate_problem_and_the_fix() {
    let fake = FakeMattermost::start_tls();
    let mut bridge = launch(&fake, "", &[]);
    let status = bridge.status("reconnecting");
    let error = status["error"].as_str().unwrap().to_string();
    assert!(error.contains("certificate is not trusted"), "{error}");
    assert!(error.contains("caFile"), "{error}");
    assert!(bridge
        .wait_for(Duration::from_millis(300), |l| l["method"] == "ready")
        .is_none());
    assert!(
        fake.requests().is_empty(),
        "no request may be sent over an unverified connection"
    );

    // Trusting the wrong CA fails the same way, and says that caFile is the wrong one.
    let mut bridge = launch(&fake, &ca_key(&other_ca_file()), &[]);
    let status = bridge.status("reconnecting");
    let error = status["error"].as_str().unwrap();
    assert!(
        error.contains("other-ca.pem does not hold the CA"),
        "{error}"
    );
}

#[test]
fn an_unreadable_ca_file_stops_the_bridge_with_a_config_error() {
    let fake = FakeMattermost::start_tls();
    let config = config_text(&fake.url(), "caFile: '/nonexistent/ca.pem'");
    let (code, stderr, stdout) = run_to_exit(Some(&config), &[("TEST_BOT_TOKEN", TOKEN)], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("caFile /nonexistent/ca.pem: cannot read"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn check_explains_an_untrusted_certificate_and_passes_with_ca_file() {
    let fake = FakeMattermost::start_tls();
    let base = format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}'");
    let run = |extra: &str| {
        let config = config_text(&fake.url(), &format!("{base}, {extra}"));
        let (code, _, stdout) =
            run_to_exit(Some(&config), &[("TEST_BOT_TOKEN", TOKEN)], &["--check"]);
        (code, stdout)
    };
    let (code, out) = run("");
    assert_eq!(code, 1, "{out}");
    let server = out.lines().find(|l| l.contains("server:")).unwrap();
    assert!(
        server.starts_with('✗') && server.contains("not trusted"),
        "{out}"
    );
    assert!(
        out.contains(
            "fix: the server's certificate is not trusted: set channels.mattermost.caFile"
        ),
        "{out}"
    );

    let (code, out) = run(&ca_key(&test_ca_file()));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("caFile") && out.contains("trusted besides the built-in roots"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("✓ websocket")), "{out}");
}

/// A minimal HTTP CONNECT proxy that records the targets it tunnelled to.
struct ConnectProxy {
    port: u16,
    targets: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = targets.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || tunnel(client, &seen));
            }
        });
        ConnectProxy { port, targets }
    }

    fn url(&self) -> String {
        format!("http://user:pr0xy-secret@127.0.0.1:{}", self.port)
    }

    fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

fn tunnel(client: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut authorized = false;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        // "user:pr0xy-secret" in base64.
        authorized |= header.trim() == "Proxy-Authorization: Basic dXNlcjpwcjB4eS1zZWNyZXQ=";
        if header.trim().is_empty() {
            break;
        }
    }
    let mut client = client;
    let target = match request_line.split_whitespace().collect::<Vec<_>>()[..] {
        ["CONNECT", target, _] if authorized => target.to_string(),
        _ => {
            let _ = client.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
            return;
        }
    };
    seen.lock().unwrap().push(target.clone());
    let target = target.replace("localhost", "127.0.0.1");
    let Ok(upstream) = TcpStream::connect(&target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
        return;
    };
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .unwrap();
    let pipe = |mut from: TcpStream, mut to: TcpStream| {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Write);
        })
    };
    pipe(client.try_clone().unwrap(), upstream.try_clone().unwrap());
    pipe(upstream, client);
}

#[test]
fn https_proxy_carries_rest_and_the_websocket() {
    let fake = FakeMattermost::start_tls();
    let proxy = ConnectProxy::start();
    let url = proxy.url();
    let env = [("HTTPS_PROXY", url.as_str()), ("NO_PROXY", "")];
    let mut bridge = launch(&fake, &ca_key(&test_ca_file()), &env);
    round_trip(&fake, &mut bridge);
    let targets = proxy.targets();
    let expected = format!("localhost:{}", fake.port());
    assert!(
        targets.len() >= 2,
        "REST and WebSocket each tunnel: {targets:?}"
    );
    assert!(targets.iter().all(|t| *t == expected), "{targets:?}");
    assert!(fake.ws_upgrade_headers().len() == 1);
    let stderr = bridge.stderr();
    assert!(!stderr.contains("pr0xy-secret"), "{stderr}");
}

#[test]
fn no_proxy_bypasses_the_proxy() {
    let fake = FakeMattermost::start_tls();
    let proxy = ConnectProxy::start();
    let url = proxy.url();
    let env = [
        ("HTTPS_PROXY", url.as_str()),
        ("NO_PROXY", "example.org,localhost"),
    ];
    let mut bridge = launch(&fake, &ca_key(&test_ca_file()), &env);
    round_trip(&fake, &mut bridge);
    assert!(proxy.targets().is_empty(), "{:?}", proxy.targets());
}
