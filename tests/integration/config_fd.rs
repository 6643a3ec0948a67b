//! `--config-fd N`: the config arrives on an inherited descriptor (a socket pair, as Node's
//! `child_process` stdio pipes are), so that no config file exists for another local user to
//! swap or read.

use crate::support::*;
use fake_mattermost::{FakeMattermost, ALICE_ID, TEAM_ID, TOKEN};
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// Runs the bridge with `args`, `text` readable on descriptor 3; returns (code, stderr, stdout).
fn run_with_fd3(text: Option<&str>, args: &[&str]) -> (i32, String, String) {
    run_with_fd3_env(text, args, &[("TEST_BOT_TOKEN", "tok-from-env-0123456789")])
}

fn run_with_fd3_env(
    text: Option<&str>,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let line = bridge_command_line();
    let mut command = Command::new(&line[0]);
    command.args(&line[1..]).args(args);
    let (ours, theirs) = UnixStream::pair().unwrap();
    if let Some(text) = text {
        let raw = std::os::fd::AsRawFd::as_raw_fd(&theirs);
        // SAFETY: dup2 is async-signal-safe; it puts the socket at descriptor 3 in the child.
        unsafe {
            command.pre_exec(move || {
                if libc::dup2(raw, 3) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut ours = ours;
        ours.write_all(text.as_bytes()).unwrap();
        drop(ours); // end of file for the reader
    }
    let home = TempDir::new();
    let output = command
        .env_remove("MATTERMOST_URL")
        .env_remove("MATTERMOST_BOT_TOKEN")
        .env_remove("OPENCLAW_CONFIG_PATH")
        .env_remove("OPENCLAW_STATE_DIR")
        .env("HOME", &home.0)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("running the bridge");
    drop(theirs);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn config_is_read_from_the_descriptor() {
    let text = config_text("https://chat.example.com", "mediaDir: '/srv/m', ");
    let (code, stderr, stdout) = run_with_fd3(Some(&text), &["--print-config", "--config-fd", "3"]);
    assert_eq!(code, 0, "{stderr}");
    let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let shown = printed.to_string();
    assert!(shown.contains("https://chat.example.com"), "{shown}");
    assert!(shown.contains("/srv/m"), "{shown}");
    assert!(!shown.contains("tok-from-env"), "token printed: {shown}");
    assert_eq!(printed["file"], serde_json::Value::Null, "no file was read");
}

#[test]
fn a_bad_config_on_the_descriptor_names_the_key_and_the_source() {
    let text = config_text("ftp://chat.example.com", "");
    let (code, stderr, _) = run_with_fd3(Some(&text), &["--config-fd", "3"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("serverUrl"), "{stderr}");
    let text = config_text("https://chat.example.com", "dmPolicy: 'maybe', ");
    let (code, stderr, _) = run_with_fd3(Some(&text), &["--config-fd", "3"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("dmPolicy"), "{stderr}");
    let (code, stderr, _) = run_with_fd3(Some("{ not json"), &["--config-fd", "3"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--config-fd 3"), "{stderr}");
}

#[test]
fn a_descriptor_that_is_not_open_is_a_clear_error() {
    let (code, stderr, _) = run_with_fd3(None, &["--config-fd", "9"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot read --config-fd 9"), "{stderr}");
}

/// The plugin's doctor and setup run `--check --json --config-fd 3` on the block they would
/// start the bridge with: no file is written.
#[test]
fn check_reads_the_config_from_the_descriptor() {
    let fake = FakeMattermost::start();
    let text = config_text(
        &fake.url(),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}', "),
    );
    let env = [("TEST_BOT_TOKEN", TOKEN)];
    let (code, stderr, stdout) = run_with_fd3_env(
        Some(&text),
        &["--check", "--json", "--config-fd", "3"],
        &env,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["checks"][0]["check"], "config");
    assert!(
        report["checks"][0]["message"]
            .as_str()
            .unwrap()
            .contains("--config-fd"),
        "{report:#}"
    );
    assert!(!stdout.contains(TOKEN));
    // A bad config on the descriptor is a failed check (exit 1, one JSON object), not a usage error.
    let text = config_text(&fake.url(), "dmPolicy: 'maybe', ");
    let (code, _, stdout) = run_with_fd3_env(
        Some(&text),
        &["--check", "--json", "--config-fd", "3"],
        &env,
    );
    assert_eq!(code, 1, "{stdout}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["checks"][0]["status"], "fail");
    assert!(report["checks"][0]["message"]
        .as_str()
        .unwrap()
        .contains("dmPolicy"));
    // A descriptor that is not open: the same.
    let (code, _, stdout) = run_with_fd3_env(None, &["--check", "--config-fd", "9"], &env);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("✗ config: cannot read --config-fd 9"),
        "{stdout}"
    );
}
