//! Another local user against the bridge's folders: a `mediaDir` or `stateFile` folder that
//! is someone else's, writable by others or a symlink is refused at start (exit 2, and by
//! `--check`); a symlink planted where a download goes is never followed; the old shared
//! default folder is not used. Run as root (CI), the attacker's folders belong to uid 65534;
//! otherwise to root (which is then "another user") or the part is skipped, and said so.

use crate::support::*;
use fake_mattermost::*;
use serde_json::json;
use std::fs;
use std::os::unix::fs::{lchown, symlink, PermissionsExt};
use std::path::Path;
use std::time::Duration;

const FILE_ID: &str = "filekeys000000000000000001";
const ATTACKER: u32 = 65534;

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn mkdir(path: &Path, mode: u32) {
    fs::create_dir_all(path).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Gives `path` (not followed) to the attacker; false when we cannot (not root).
fn give_to_attacker(path: &Path) -> bool {
    is_root() && lchown(path, Some(ATTACKER), Some(ATTACKER)).is_ok()
}

/// Starts the bridge and expects it to refuse at once with exit 2, naming `path` and `words`.
fn refused(fake: &FakeMattermost, extra: &str, path: &Path, words: &str) {
    let config = config_text(
        &fake.url(),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}', {extra}"),
    );
    let mut bridge = Bridge::start(config, TOKEN);
    let status = bridge.wait_exit(Duration::from_secs(5));
    // The stderr reader may still be catching up with an exited bridge.
    let deadline = std::time::Instant::now() + WAIT;
    while !bridge.stderr().contains(words) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let stderr = bridge.stderr();
    assert_eq!(status.and_then(|s| s.code()), Some(2), "{extra}: {stderr}");
    assert!(stderr.contains(path_str(path)), "{stderr}");
    assert!(stderr.contains(words), "{stderr}");
    assert_eq!(fake.ws_connections(), 0, "refused before connecting");
}

#[test]
fn a_media_dir_others_can_write_or_own_is_refused_at_start() {
    let fake = FakeMattermost::start();
    let t = TempDir::new();
    let loose = t.0.join("loose");
    mkdir(&loose, 0o777);
    let extra = format!("mediaDir: '{}'", loose.display());
    refused(&fake, &extra, &loose, "chmod go-w");

    // Another user's folder, even with a private mode.
    let theirs = t.0.join("theirs");
    mkdir(&theirs, 0o700);
    let theirs = if give_to_attacker(&theirs) {
        theirs
    } else {
        eprintln!("not root: root's / stands for another user's folder");
        Path::new("/").to_path_buf()
    };
    let extra = format!("mediaDir: '{}'", theirs.display());
    refused(&fake, &extra, &theirs, "not to this user");

    // Another user's symlink to a folder of ours: they could point it elsewhere.
    let real = t.0.join("real");
    mkdir(&real, 0o700);
    let link = t.0.join("link");
    symlink(&real, &link).unwrap();
    if give_to_attacker(&link) {
        let extra = format!("mediaDir: '{}'", link.display());
        refused(&fake, &extra, &link, "symbolic link of uid 65534");
    } else {
        eprintln!("SKIPPED (needs root for a second uid): mediaDir is another user's symlink");
    }

    // Under another user's symlink to a folder of ours: they could point it elsewhere.
    let evil = t.0.join("evil");
    symlink(&real, &evil).unwrap();
    if give_to_attacker(&evil) {
        let inner = evil.join("media");
        let extra = format!("mediaDir: '{}'", inner.display());
        refused(&fake, &extra, &evil, "symbolic link of uid 65534");
    } else {
        eprintln!("SKIPPED (needs root for a second uid): mediaDir under another user's symlink");
    }

    // A sub-folder of another user's loose folder: the parent could be swapped.
    let parent = t.0.join("shared");
    mkdir(&parent, 0o777);
    let inner = parent.join("media");
    mkdir(&inner, 0o700);
    let extra = format!("mediaDir: '{}'", inner.display());
    refused(&fake, &extra, &parent, "chmod go-w");
}

#[test]
fn a_state_file_folder_others_can_write_or_own_is_refused_at_start() {
    let fake = FakeMattermost::start();
    let t = TempDir::new();
    let media = t.0.join("media");
    let loose = t.0.join("loose");
    mkdir(&loose, 0o777);
    let extra = format!(
        "mediaDir: '{}', stateFile: '{}/state.json'",
        media.display(),
        loose.display()
    );
    refused(&fake, &extra, &loose, "chmod go-w");

    let real = t.0.join("real");
    mkdir(&real, 0o700);
    let link = t.0.join("link");
    symlink(&real, &link).unwrap();
    let extra = format!(
        "mediaDir: '{}', stateFile: '{}/state.json'",
        media.display(),
        link.display()
    );
    if give_to_attacker(&link) {
        refused(&fake, &extra, &link, "symbolic link of uid 65534");
    } else {
        eprintln!(
            "SKIPPED (needs root for a second uid): stateFile folder is another user's symlink"
        );
    }

    let theirs = t.0.join("theirs");
    mkdir(&theirs, 0o700);
    if give_to_attacker(&theirs) {
        let extra = format!(
            "mediaDir: '{}', stateFile: '{}/state.json'",
            media.display(),
            theirs.display()
        );
        refused(&fake, &extra, &theirs, "not to this user");
    } else {
        eprintln!("SKIPPED (needs root for a second uid): stateFile folder of another user");
    }
}

/// A symlink of this user's (or root's, as systemd's `StateDirectory` with `DynamicUser`
/// makes) to a private folder is fine.
#[test]
fn a_symlink_of_this_user_to_a_private_folder_is_followed() {
    let fake = FakeMattermost::start();
    let t = TempDir::new();
    let real = t.0.join("private");
    mkdir(&real, 0o700);
    let link = t.0.join("state");
    symlink(&real, &link).unwrap();
    let extra = format!(
        "mediaDir: '{}/media', stateFile: '{}/state.json'",
        link.display(),
        link.display()
    );
    let mut bridge = start_bridge(&fake, &extra);
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "hi"));
    bridge.next_message();
    bridge.close_stdin();
    assert!(bridge.wait_exit(WAIT).is_some_and(|s| s.success()));
    assert!(real.join("state.json").is_file());
    assert!(real.join("media").is_dir());
}

#[test]
fn check_reports_an_unsafe_media_dir() {
    let fake = FakeMattermost::start();
    let t = TempDir::new();
    let loose = t.0.join("loose");
    mkdir(&loose, 0o777);
    let config = config_text(
        &fake.url(),
        &format!("teamId: '{TEAM_ID}', mediaDir: '{}'", loose.display()),
    );
    let (code, _, stdout) = run_to_exit(Some(&config), &[("TEST_BOT_TOKEN", TOKEN)], &["--check"]);
    assert_eq!(code, 1, "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with('✗') && l.contains(path_str(&loose)))
        .unwrap_or_else(|| panic!("no failure naming {loose:?}: {stdout}"));
    assert!(line.contains("mediaDir"), "{line}");
    assert!(stdout.contains("chmod go-w"), "{stdout}");
}

/// The reported attack: the old default `<tmp>/openclaw-mattermost/media` was shared by all
/// users; the attacker made it, linked `media/<file id>` to the operator's `~/.ssh` and sent a
/// file named `authorized_keys`.
#[test]
fn the_shared_default_media_dir_of_an_attacker_is_not_used() {
    let fake = FakeMattermost::start();
    let t = TempDir::new();
    let tmp = t.0.join("tmp");
    mkdir(&tmp, 0o1777);
    let home = t.0.join("home");
    let ssh = home.join(".ssh");
    mkdir(&home, 0o700);
    mkdir(&ssh, 0o700);
    let shared = tmp.join("openclaw-mattermost");
    let media = shared.join("media");
    mkdir(&media, 0o777);
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
    let planted = media.join(FILE_ID);
    symlink(&ssh, &planted).unwrap();
    if !(give_to_attacker(&shared) && give_to_attacker(&media) && give_to_attacker(&planted)) {
        eprintln!("not root: the attacker's folders are ours, but loose (0777)");
    }
    fake.add_file(FILE_ID, "authorized_keys", b"ssh-ed25519 AAAA attacker");
    let config = config_text(
        &fake.url(),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}'"),
    );
    let mut launch = Launch::new(config, TOKEN);
    launch.env.push(("TMPDIR".into(), path_str(&tmp).into()));
    launch.env.push(("HOME".into(), path_str(&home).into()));
    let mut bridge = Bridge::launch(launch);
    bridge.wait_ready();
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "keys").file_ids(vec![FILE_ID.into()]));
    let m = bridge.next_message();
    assert!(
        !ssh.join("authorized_keys").exists(),
        "the operator's authorized_keys was written"
    );
    let path = m["files"][0]["path"]
        .as_str()
        .expect("downloaded elsewhere");
    assert!(!path.starts_with(path_str(&shared)), "{path}");
    // The private default: this user's, not readable by others.
    let dir = Path::new(path).parent().unwrap().parent().unwrap();
    let mode = fs::metadata(dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{dir:?} mode {mode:o}");
}

/// A symlink already in a private `mediaDir` where a download goes is not followed.
#[test]
fn a_symlink_where_a_download_goes_is_not_followed() {
    let fake = FakeMattermost::start();
    let t = TempDir::new();
    let media = t.0.join("media");
    mkdir(&media, 0o700);
    let victim = t.0.join("victim");
    mkdir(&victim, 0o700);
    symlink(&victim, media.join(FILE_ID)).unwrap();
    fake.add_file(FILE_ID, "authorized_keys", b"ssh-ed25519 AAAA attacker");
    let mut bridge = start_bridge(&fake, &format!("mediaDir: '{}'", media.display()));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "keys").file_ids(vec![FILE_ID.into()]));
    let m = bridge.next_message();
    let file = &m["files"][0];
    assert!(file["path"].is_null(), "{file}");
    assert!(file["error"].is_string(), "{file}");
    assert_eq!(
        fs::read_dir(&victim).unwrap().count(),
        0,
        "written through the link"
    );
    // The host's retry fails the same way, and says why.
    let error = bridge.call_err("fetchFile", json!({ "fileId": FILE_ID }));
    assert!(error["message"].is_string(), "{error}");
    assert_eq!(fs::read_dir(&victim).unwrap().count(), 0);
}
