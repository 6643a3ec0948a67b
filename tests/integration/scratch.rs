//! The static binary alone in an empty root, as in a `FROM scratch` container: no libc, no NSS
//! libraries, no `/dev`, no `/proc`; at most the `/etc/hosts` and `/etc/resolv.conf` that Docker
//! writes. It must connect by host name, log in, report `ready`, deliver a post and post a reply.
//!
//! Needs `OPENCLAW_MATTERMOST_STATIC_BIN` (a binary of `cross/build.sh`) and the right to
//! `chroot` (root) or `unshare --map-root-user --root`; without either each test prints why it
//! is skipped and passes, unless `OPENCLAW_MATTERMOST_SCRATCH_REQUIRED` is set (CI), which turns
//! a skip into a failure. With `OPENCLAW_MATTERMOST_RUNNER` (e.g. `qemu-aarch64-static` for an arm
//! binary) that program is copied into the root too and runs the binary there; it must be
//! statically linked itself, as Debian's qemu-user-static is.

use crate::support::*;
use fake_mattermost::*;
use serde_json::json;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What Docker writes, plus the name the tests use for the fake server.
const HOSTS: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
                     127.0.0.1\tmattermost.test mattermost\n";
/// A name server that does not exist (TEST-NET-1): names must come from /etc/hosts.
const RESOLV_CONF: &str = "nameserver 192.0.2.53\noptions timeout:1 attempts:1\n";

/// Why a test cannot run here; a failure instead of a skip when CI asks for these tests.
fn skip(reason: &str) {
    if std::env::var_os("OPENCLAW_MATTERMOST_SCRATCH_REQUIRED").is_some() {
        panic!("scratch test cannot run: {reason}");
    }
    eprintln!("skipped: {reason}");
}

/// An empty root with the static binary at `/openclaw-mattermost`, a writable `/tmp`, and the
/// given files (path inside the root, contents).
struct Root {
    dir: TempDir,
    /// The command inside the root that runs the binary (`/openclaw-mattermost`, or the
    /// runner copied in, its arguments, then the binary).
    inside: Vec<OsString>,
}

impl Root {
    fn new(binary: &Path, files: &[(&str, &[u8])]) -> Root {
        let dir = TempDir::new();
        let inside = dir.0.join("openclaw-mattermost");
        copy_executable(binary, &inside);
        std::fs::set_permissions(&inside, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(dir.0.join("tmp")).unwrap();
        std::fs::set_permissions(dir.0.join("tmp"), std::fs::Permissions::from_mode(0o1777))
            .unwrap();
        for (path, contents) in files {
            let path = dir.0.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }
        let runner = std::env::var("OPENCLAW_MATTERMOST_RUNNER").unwrap_or_default();
        let mut words = runner.split_whitespace();
        let mut inside: Vec<OsString> = Vec::new();
        if let Some(program) = words.next() {
            let found = find_program(program)
                .unwrap_or_else(|| panic!("OPENCLAW_MATTERMOST_RUNNER: {program} not found"));
            copy_executable(&found, &dir.0.join("runner"));
            inside.push("/runner".into());
            inside.extend(words.map(OsString::from));
        }
        inside.push("/openclaw-mattermost".into());
        Root { dir, inside }
    }

    /// The command line that runs `/openclaw-mattermost` inside this root.
    fn command_line(&self) -> Vec<OsString> {
        let root = self.dir.0.clone().into_os_string();
        // SAFETY: geteuid has no preconditions.
        let mut line: Vec<OsString> = if unsafe { libc::geteuid() } == 0 {
            vec!["chroot".into(), root]
        } else {
            let mut root_arg = OsString::from("--root=");
            root_arg.push(root);
            vec!["unshare".into(), "--map-root-user".into(), root_arg]
        };
        line.extend(self.inside.iter().cloned());
        line
    }

    /// None when the binary runs inside the root; else why not.
    fn check_runnable(&self) -> Option<String> {
        let line = self.command_line();
        let output = Command::new(&line[0])
            .args(&line[1..])
            .arg("--version")
            .stdin(Stdio::null())
            .output();
        match output {
            Ok(out) if out.status.success() => None,
            Ok(out) => Some(format!(
                "{} failed ({}): {}",
                line[0].to_string_lossy(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => Some(format!("cannot run {}: {e}", line[0].to_string_lossy())),
        }
    }
}

/// `name` itself if it has a `/`, else the first match on `PATH`.
fn find_program(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// The static binary, or None (with the reason printed) when the tests cannot run.
fn static_binary() -> Option<PathBuf> {
    match std::env::var_os("OPENCLAW_MATTERMOST_STATIC_BIN") {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "OPENCLAW_MATTERMOST_STATIC_BIN={path:?} is no file"
            );
            Some(path)
        }
        _ => {
            skip("OPENCLAW_MATTERMOST_STATIC_BIN is not set (cross/build.sh x86_64 builds it)");
            None
        }
    }
}

/// Starts the bridge inside a root holding `files` and `/openclaw.json` (serverUrl
/// `server_url`, alice allowed, `extra_config` appended). None: skipped.
fn start_in_root(
    files: &[(&str, &[u8])],
    server_url: &str,
    extra_config: &str,
) -> Option<(Root, Bridge)> {
    let binary = static_binary()?;
    let config = config_text(
        server_url,
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}', {extra_config}"),
    );
    let mut all: Vec<(&str, &[u8])> = files.to_vec();
    all.push(("/openclaw.json", config.as_bytes()));
    let root = Root::new(&binary, &all);
    if let Some(reason) = root.check_runnable() {
        skip(&reason);
        return None;
    }
    let mut launch = Launch::new(String::new(), TOKEN);
    launch.command = root.command_line();
    launch.config = None;
    launch.args = vec!["--config".into(), "/openclaw.json".into()];
    // Launch points HOME and TMPDIR at a directory outside the root: move them inside. HOME
    // is `/`, as Docker sets it when the image has no user database.
    launch.env.push(("HOME".into(), "/".into()));
    launch.env.push(("TMPDIR".into(), "/tmp".into()));
    let bridge = Bridge::launch(launch);
    Some((root, bridge))
}

/// Connect, log in, `ready`, a DM delivered, a reply in its thread posted. `server_url` names
/// the fake by host name; for TLS pass an `https://` URL, `caFile: '/ca.pem'` in
/// `extra_config` and the CA in `files`.
fn full_round(
    fake: &FakeMattermost,
    files: &[(&str, &[u8])],
    server_url: &str,
    extra_config: &str,
) {
    let Some((root, mut bridge)) = start_in_root(files, server_url, extra_config) else {
        return;
    };
    let ready = bridge.wait_ready();
    // The default mediaDir without a home: this user's own folder in /tmp, owner-only.
    let media = root.dir.0.join("tmp/openclaw-mattermost-0/media");
    let mode = std::fs::metadata(&media).map(|m| m.permissions().mode());
    assert_eq!(mode.ok().map(|m| m & 0o777), Some(0o700), "{media:?}");
    assert_eq!(ready["params"]["transport"], "websocket");
    assert_eq!(ready["params"]["bot"]["id"], BOT_ID);
    let id = fake.post(NewPost::new(ALICE_ID, DM_ALICE, "hello from the host"));
    let message = bridge.next_message();
    assert_eq!(message["id"], id.as_str());
    assert_eq!(message["text"], "hello from the host");
    let result = bridge.call(
        "send",
        json!({"channelId": DM_ALICE, "text": "hello from scratch", "rootId": id}),
    );
    let reply_id = result["postIds"][0].as_str().unwrap().to_string();
    let posts = fake.posts();
    let reply = posts.iter().find(|p| p["id"] == reply_id.as_str()).unwrap();
    assert_eq!(reply["message"], "hello from scratch");
    assert_eq!(reply["root_id"], id.as_str());
    // The idempotency key came from the OS's randomness, without /dev/urandom.
    let pending = fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST" && r.path_only() == "/api/v4/posts")
        .unwrap()
        .json()["pending_post_id"]
        .clone();
    assert!(pending.as_str().is_some_and(|p| p.len() > 20), "{pending}");
    bridge.close_stdin();
    let status = bridge
        .wait_exit(WAIT)
        .expect("the bridge exits on stdin EOF");
    assert!(status.success(), "{status}\n{}", bridge.stderr());
    assert!(!bridge.stderr().contains("panicked"), "{}", bridge.stderr());
}

fn by_name(fake: &FakeMattermost, host: &str) -> String {
    format!("http://{host}:{}", fake.port())
}

#[test]
fn a_name_from_etc_hosts_in_an_empty_root() {
    let fake = FakeMattermost::start();
    let files: &[(&str, &[u8])] = &[
        ("/etc/hosts", HOSTS.as_bytes()),
        ("/etc/resolv.conf", RESOLV_CONF.as_bytes()),
    ];
    full_round(&fake, files, &by_name(&fake, "mattermost.test"), "");
}

#[test]
fn localhost_in_a_root_without_any_file() {
    let fake = FakeMattermost::start();
    full_round(&fake, &[], &by_name(&fake, "localhost"), "");
}

#[test]
fn an_unknown_name_without_files_is_a_clear_error() {
    let fake = FakeMattermost::start();
    let url = by_name(&fake, "mattermost.test");
    let Some((_root, mut bridge)) = start_in_root(&[], &url, "") else {
        return;
    };
    let status = bridge.status("reconnecting");
    let error = status["error"].as_str().unwrap_or_default().to_string();
    assert!(
        error.contains(
            "cannot resolve mattermost.test: there is no /etc/hosts and there is no /etc/resolv.conf"
        ),
        "{status}"
    );
    assert!(!bridge.stderr().contains("panicked"), "{}", bridge.stderr());
    assert!(fake.requests().is_empty(), "nothing reached the server");
}

#[test]
fn https_with_ca_file_in_an_empty_root() {
    // The fake's certificate is for `localhost` (tests/tls/), signed by the test CA, which the
    // bridge knows only from `caFile` inside the root: TLS with ring's randomness, no /dev.
    let fake = FakeMattermost::start_tls();
    assert!(fake.url().starts_with("https://localhost:"));
    let ca = std::fs::read(fake_mattermost::conn::test_ca_file()).expect("the test CA");
    let files: &[(&str, &[u8])] = &[
        ("/etc/hosts", HOSTS.as_bytes()),
        ("/etc/resolv.conf", RESOLV_CONF.as_bytes()),
        ("/ca.pem", &ca),
    ];
    full_round(&fake, files, &fake.url(), "caFile: '/ca.pem'");
}
