//! `contrib/openclaw-mattermost-docker`, the `binaryPath` that runs the bridge's container
//! image, started as OpenClaw's plugin starts a bridge (`--config-fd 3`, the token in an
//! environment variable). A stand-in `docker` on PATH records its command line and what it
//! was given, checks that every mount is at the same path and that `-e` carries names only,
//! then runs the real bridge with the container's environment: only the `-e` variables and
//! `HOME=/`. No Docker needed.

use crate::support::*;
use fake_mattermost::*;
use serde_json::json;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

const WRAPPER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/contrib/openclaw-mattermost-docker"
);

/// `docker run` as far as the wrapper uses it; `@LOG@` and `@BRIDGE@` are filled in.
const FAKE_DOCKER: &str = r#"#!/usr/bin/env bash
set -euo pipefail
log=@LOG@
printf '%s\0' "$@" >"$log.argv"
[ "$1" = run ] || { echo "fake docker: only run" >&2; exit 125; }
shift
container_env=(HOME=/)
while [ $# -gt 0 ]; do
    case $1 in
        -i | --rm) shift ;;
        --user) echo "$2" >"$log.user"; shift 2 ;;
        -e)
            case $2 in *=*) echo "fake docker: a value on the command line: -e $2" >&2; exit 125 ;; esac
            if [ -n "${!2+set}" ]; then container_env+=("$2=${!2}"); fi
            shift 2 ;;
        -v)
            src=${2%%:*} rest=${2#*:}
            dst=${rest%%:*}
            [ "$src" = "$dst" ] || { echo "fake docker: $src mounted at $dst" >&2; exit 125; }
            [ -e "$src" ] || { echo "fake docker: no $src to mount" >&2; exit 125; }
            shift 2 ;;
        -*) echo "fake docker: unexpected option $1" >&2; exit 125 ;;
        *) break ;;
    esac
done
echo "$1" >"$log.image"
shift
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    if [ "${args[i]}" = --config ]; then
        cp "${args[i+1]}" "$log.config"
        stat -c %a "${args[i+1]}" "$(dirname "${args[i+1]}")" >"$log.modes"
    fi
done
exec env -i "${container_env[@]}" @BRIDGE@ "$@"
"#;

/// Single-quoted for the shell.
fn quoted(word: &OsString) -> String {
    format!("'{}'", word.to_string_lossy().replace('\'', r"'\''"))
}

struct Setup {
    /// The fake docker, its records (`log.*`) and the state folder.
    dir: TempDir,
    fake: FakeMattermost,
}

impl Setup {
    fn new() -> Setup {
        let dir = TempDir::new();
        std::fs::create_dir(dir.0.join("bin")).unwrap();
        let bridge: Vec<String> = bridge_command_line().iter().map(quoted).collect();
        let script = FAKE_DOCKER
            .replace("@LOG@", &quoted(&dir.0.join("log").into_os_string()))
            .replace("@BRIDGE@", &bridge.join(" "));
        write_executable(&dir.0.join("bin/docker"), &script);
        Setup {
            dir,
            fake: FakeMattermost::start(),
        }
    }

    fn state(&self) -> PathBuf {
        self.dir.0.join("state")
    }

    fn record(&self, what: &str) -> String {
        std::fs::read_to_string(self.dir.0.join(format!("log.{what}")))
            .unwrap_or_else(|e| panic!("the fake docker wrote no log.{what}: {e}"))
    }

    fn argv(&self) -> Vec<String> {
        self.record("argv")
            .split_terminator('\0')
            .map(String::from)
            .collect()
    }

    /// The wrapper started as the plugin starts a bridge: the config text on descriptor 3
    /// (JSON as the plugin writes it, the token a reference to `token_var`), `token_var` set.
    fn start(&self, token_var: &str) -> Bridge {
        let state = self.state();
        // As the plugin's bridgeConfig writes it (JSON.stringify): one line, keys in its order.
        let config = format!(
            r#"{{"channels":{{"mattermost":{{"serverUrl":"{}","botToken":{{"source":"env","id":"{token_var}"}},"allowFrom":["{ALICE_ID}"],"teamId":"{TEAM_ID}","reconnectInterval":100,"stateFile":"{}","mediaDir":"{}"}}}}}}"#,
            self.fake.url(),
            state.join("mattermost-state.json").display(),
            state.join("media/mattermost").display(),
        );
        let config_file = self.dir.write("config-on-fd-3.json", &config);
        let path = format!(
            "{}:{}",
            self.dir.0.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut launch = Launch::new(String::new(), TOKEN);
        launch.command = vec![
            "sh".into(),
            "-c".into(),
            r#"exec 3<"$1" && shift && exec "$@""#.into(),
            "sh".into(),
            config_file.into_os_string(),
            WRAPPER.into(),
        ];
        launch.config = None;
        launch.args = vec!["--config-fd".into(), "3".into()];
        launch.env = vec![
            (token_var.into(), TOKEN.into()),
            ("PATH".into(), path),
            (
                "OPENCLAW_MATTERMOST_IMAGE".into(),
                "example/openclaw-mattermost:1".into(),
            ),
        ];
        Bridge::launch(launch)
    }

    /// What every run must show: `docker run -i --rm` as this user, the token variable by
    /// name and its value nowhere on the command line or in the config file, the state and
    /// media folders and the temp folder `tmp` mounted, the config in a private folder.
    fn check_launch(&self, token_var: &str, tmp: &Path) {
        let argv = self.argv();
        assert_eq!(argv[..3], ["run", "-i", "--rm"], "{argv:?}");
        assert!(
            argv.iter().all(|a| !a.contains(TOKEN)),
            "the token on docker's command line: {argv:?}"
        );
        let pair = |a: &str, b: &str| argv.windows(2).any(|w| w[0] == a && w[1] == b);
        assert!(pair("-e", token_var), "{argv:?}");
        assert!(pair("-e", "RUST_LOG"), "{argv:?}");
        // SAFETY: getuid and getgid have no preconditions.
        let user = unsafe { format!("{}:{}", libc::getuid(), libc::getgid()) };
        assert_eq!(self.record("user").trim(), user);
        let state = self.state();
        let media = state.join("media/mattermost");
        for dir in [&state, &media] {
            let mount = format!("{0}:{0}", dir.display());
            assert!(pair("-v", &mount), "{mount} not in {argv:?}");
        }
        // The temp folder (Bridge::launch points TMPDIR at the bridge's dir), read-only.
        let tmp = std::fs::canonicalize(tmp).unwrap();
        let mount = format!("{0}:{0}:ro", tmp.display());
        assert!(pair("-v", &mount), "{mount} not in {argv:?}");
        assert_eq!(self.record("image").trim(), "example/openclaw-mattermost:1");
        let config = self.record("config");
        assert!(
            config.contains(token_var) && !config.contains(TOKEN),
            "{config}"
        );
        assert_eq!(
            self.record("modes").split_whitespace().collect::<Vec<_>>(),
            ["600", "700"]
        );
    }
}

/// The wrapper's private config folders left in `tmp` (its TMPDIR).
fn config_folders(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("openclaw-mattermost-docker."))
        .collect()
}

#[test]
fn the_plugin_launch_runs_the_image_with_the_token_by_name() {
    let setup = Setup::new();
    let mut bridge = setup.start("OPENCLAW_MATTERMOST_BOT_TOKEN");
    let ready = bridge.wait_ready();
    assert_eq!(ready["params"]["bot"]["id"], BOT_ID);
    setup.check_launch("OPENCLAW_MATTERMOST_BOT_TOKEN", &bridge.dir.0);
    assert_eq!(
        config_folders(&bridge.dir.0).len(),
        1,
        "the config's folder while running"
    );

    // A DM in, a reply out: stdin and stdout go through `docker run -i`.
    let id = setup
        .fake
        .post(NewPost::new(ALICE_ID, DM_ALICE, "hello through docker"));
    let message = bridge.next_message();
    assert_eq!(message["text"], "hello through docker");
    let result = bridge.call(
        "send",
        json!({"channelId": DM_ALICE, "text": "hello back", "rootId": id}),
    );
    let reply_id = result["postIds"][0].as_str().unwrap().to_string();
    assert!(setup
        .fake
        .posts()
        .iter()
        .any(|p| p["id"] == reply_id.as_str() && p["message"] == "hello back"));
    // The bridge used the mounted state and media folders at OpenClaw's paths.
    assert!(setup.state().join("media/mattermost").is_dir());

    // stdin closed (the plugin's stop): the container ends, the wrapper exits with its
    // status and removes the config.
    bridge.close_stdin();
    let status = bridge.wait_exit(WAIT).expect("the wrapper exits on EOF");
    assert!(status.success(), "{status}\n{}", bridge.stderr());
    assert_eq!(config_folders(&bridge.dir.0), Vec::<String>::new());
}

#[test]
fn sigterm_stops_the_container_and_a_secret_ref_variable_is_passed_by_name() {
    let setup = Setup::new();
    // A user's own variable, named by a `{ source: "env", id }` secret ref in the config.
    let mut bridge = setup.start("MY_MATTERMOST_TOKEN");
    bridge.wait_ready();
    setup.check_launch("MY_MATTERMOST_TOKEN", &bridge.dir.0);
    assert!(!setup
        .argv()
        .windows(2)
        .any(|w| w[0] == "-e" && w[1] == "OPENCLAW_MATTERMOST_BOT_TOKEN"));
    // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
    unsafe { libc::kill(bridge.pid() as libc::pid_t, libc::SIGTERM) };
    let status = bridge
        .wait_exit(WAIT)
        .expect("the wrapper exits on SIGTERM");
    assert!(status.success(), "{status}\n{}", bridge.stderr());
    assert!(
        bridge.stderr().contains("stop"),
        "the bridge got the signal: {}",
        bridge.stderr()
    );
    assert_eq!(config_folders(&bridge.dir.0), Vec::<String>::new());
}
