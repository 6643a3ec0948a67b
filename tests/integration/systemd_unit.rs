//! `contrib/openclaw-mattermost.service`, as far as a machine without systemd can try it: the
//! unit's own directives (user, environment, state directory, umask) applied by hand, and the
//! bridge run as an unprivileged uid the way the service's gateway would spawn it. Root only
//! (CI runs as root): the service user is uid 65534, which stands for the `openclaw` user of
//! the install steps.

use crate::support::*;
use fake_mattermost::*;
use std::collections::HashMap;
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

const UNIT: &str = include_str!("../../contrib/openclaw-mattermost.service");
const SERVICE_UID: u32 = 65534;

/// Every `Key=value` of the unit's `[Service]` section, in order.
fn directives() -> Vec<(&'static str, &'static str)> {
    UNIT.lines()
        .skip_while(|l| l.trim() != "[Service]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .collect()
}

fn directive(key: &str) -> Option<&'static str> {
    directives()
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

#[test]
fn the_unit_runs_as_the_user_that_owns_the_state_and_survives_an_outage_at_boot() {
    assert_eq!(
        directive("DynamicUser"),
        None,
        "a dynamic uid cannot own the config the install steps made"
    );
    assert_eq!(directive("User"), Some("openclaw"));
    assert_eq!(directive("StateDirectory"), Some("openclaw"));
    let pre = directive("ExecStartPre").expect("the --check before the start");
    assert!(
        pre.starts_with("-/") && pre.ends_with("--check"),
        "a failed check must not keep the gateway down: {pre}"
    );
    let env: HashMap<&str, &str> = directives()
        .into_iter()
        .filter(|(k, _)| *k == "Environment")
        .filter_map(|(_, v)| v.split_once('='))
        .collect();
    assert_eq!(env.get("OPENCLAW_STATE_DIR"), Some(&"/var/lib/openclaw"));
    assert_eq!(
        env.get("OPENCLAW_CONFIG_PATH"),
        None,
        "the config lives in the state directory"
    );
    assert!(
        UNIT.contains("openclaw pairing approve mattermost CODE"),
        "how to approve against the service's state"
    );
}

#[test]
fn the_service_user_reads_its_config_and_makes_its_folders() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED (needs root to run the bridge as another uid)");
        return;
    }
    let fake = FakeMattermost::start();
    // The install steps, with /var/lib/openclaw and /etc/openclaw under a scratch root.
    let root = TempDir::new();
    std::fs::set_permissions(&root.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let state = root.0.join("var/lib/openclaw");
    std::fs::create_dir_all(&state).unwrap();
    for dir in [root.0.join("var"), root.0.join("var/lib")] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let owned = |path: &Path, mode: u32| {
        chown(path, Some(SERVICE_UID), Some(SERVICE_UID)).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    owned(&state, 0o700);
    let config = config_text(
        &fake.url(),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}'"),
    )
    .replace("\"${TEST_BOT_TOKEN}\"", "\"${MATTERMOST_BOT_TOKEN}\"");
    std::fs::write(state.join("openclaw.json"), config).unwrap();
    owned(&state.join("openclaw.json"), 0o600);
    // EnvironmentFile: read by systemd (root) before it drops to the user.
    let env_file = format!("MATTERMOST_BOT_TOKEN={TOKEN}\n");

    let mut command = Command::new(&bridge_command_line()[0]);
    command
        .args(&bridge_command_line()[1..])
        .arg("--check")
        .env_clear();
    for (_, value) in directives()
        .into_iter()
        .filter(|(k, _)| *k == "Environment")
    {
        let (name, value) = value.split_once('=').unwrap();
        let value = value.replace("/var/lib/openclaw", state.to_str().unwrap());
        command.env(name, value);
    }
    for line in env_file.lines() {
        let (name, value) = line.split_once('=').unwrap();
        command.env(name, value);
    }
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    let umask = u32::from_str_radix(directive("UMask").unwrap(), 8).unwrap();
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::umask(umask as libc::mode_t);
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(SERVICE_UID) != 0
                || libc::setuid(SERVICE_UID) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = command.stdin(Stdio::null()).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "✓ config: {}",
            state.join("openclaw.json").display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("botToken from file (${MATTERMOST_BOT_TOKEN})"),
        "{stdout}"
    );
    let folders = format!(
        "✓ folders: mediaDir {}/media/mattermost is created at start\n✓ folders: stateFile {} is this user's alone",
        state.display(),
        state.display()
    );
    assert!(stdout.contains(&folders), "{stdout}");
}
