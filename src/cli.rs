//! The command line: `--config PATH`, `--config-fd N`, `--unaddressed`, `--check [--json]`,
//! `--print-config`, `--directory KIND [--query TEXT]`, `--help`, `--version`.

use crate::config::{self, ConfigError, Loaded};
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "\
openclaw-mattermost: connects the OpenClaw assistant to a Mattermost server.

OpenClaw spawns this program and speaks JSON-RPC 2.0 lines with it over stdin/stdout
(see README.md). Logs go to stderr; set RUST_LOG=openclaw_mattermost=debug for more.

Usage: openclaw-mattermost [--config PATH | --config-fd N] [--account ID] [--unaddressed]
                           [--check [--json] | --print-config |
                            --directory groups|peers [--query TEXT]]

Options:
  -c, --config PATH   OpenClaw config file to read channels.mattermost from
                      (default: $OPENCLAW_CONFIG_PATH, $OPENCLAW_STATE_DIR/openclaw.json,
                      ~/.openclaw/openclaw.json)
      --config-fd N   read the config (same JSON5) from the inherited descriptor N (>= 3)
                      until end of file instead, then close it; the OpenClaw plugin uses
                      this so that no config file exists
      --unaddressed   also write channel posts that fail only the mention gate, marked
                      \"addressed\": false (the plugin checks OpenClaw's mention patterns)
      --account ID    use accounts.ID of a multi-account config: its keys over the
                      section's (default: defaultAccount, else \"default\"); the
                      environment fills gaps of the default account only
      --check         check the config, the server, the token, the team, the channels, the
                      users, the WebSocket and the slash command and button callbacks, one
                      line each with the fix; exit 0 only when the bridge would work
                      (--json: one JSON object instead)
      --print-config  print the effective config as JSON, with where each value came from
      --directory groups|peers
                      print the bot's channels (groups) or its first team's people (peers,
                      those matching --query TEXT when given) as one JSON line, then exit;
                      OpenClaw's `directory` commands use it where no bridge runs
  -h, --help          print this help
  -V, --version       print the version, target and git commit

Environment: MATTERMOST_URL, MATTERMOST_BOT_TOKEN, MATTERMOST_TEAM_ID fill keys the file
leaves unset. Exit codes: 0 clean stop, 1 runtime failure, 2 bad config or command line.
";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run {
        config: Option<PathBuf>,
        config_fd: Option<i32>,
        account: Option<String>,
        /// `--unaddressed`: see `Config::forward_unaddressed`.
        unaddressed: bool,
    },
    Check {
        config: Option<PathBuf>,
        config_fd: Option<i32>,
        json: bool,
        account: Option<String>,
    },
    PrintConfig {
        config: Option<PathBuf>,
        config_fd: Option<i32>,
        account: Option<String>,
    },
    /// `--directory KIND [--query TEXT]`: see `bridge::directory`.
    Directory {
        config: Option<PathBuf>,
        config_fd: Option<i32>,
        account: Option<String>,
        kind: String,
        query: String,
    },
    Help,
    Version,
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut config = None;
    let mut config_fd = None;
    let mut account = None;
    let (mut check, mut json, mut print_config) = (false, false, false);
    let mut unaddressed = false;
    let (mut directory, mut query) = (None, None);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        match text.as_ref() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--check" => check = true,
            "--json" => json = true,
            "--print-config" => print_config = true,
            "--unaddressed" => unaddressed = true,
            "-c" | "--config" => {
                let path = args.next().ok_or("--config needs a path")?;
                config = Some(PathBuf::from(path));
            }
            "--account" => {
                let id = args.next().ok_or("--account needs an account id")?;
                account = Some(id.to_string_lossy().into_owned());
            }
            "--config-fd" => {
                let n = args.next().ok_or("--config-fd needs a descriptor number")?;
                config_fd = Some(descriptor(&n.to_string_lossy())?);
            }
            "--directory" => {
                let kind = args.next().map(|k| k.to_string_lossy().into_owned());
                match kind.as_deref() {
                    Some("groups" | "peers") => directory = kind,
                    _ => return Err("--directory needs groups or peers".into()),
                }
            }
            "--query" => {
                let text = args.next().ok_or("--query needs a text")?;
                query = Some(text.to_string_lossy().into_owned());
            }
            other => match other.strip_prefix("--config=") {
                Some(path) if !path.is_empty() => config = Some(PathBuf::from(path)),
                _ => return Err(format!("unknown argument {other}")),
            },
        }
    }
    if config.is_some() && config_fd.is_some() {
        return Err("--config and --config-fd do not go together".into());
    }
    if let Some(kind) = directory {
        if check || print_config || unaddressed {
            return Err("--directory goes alone (with the config options and --query)".into());
        }
        return Ok(Command::Directory {
            config,
            config_fd,
            account,
            kind,
            query: query.unwrap_or_default(),
        });
    }
    if query.is_some() {
        return Err("--query goes with --directory".into());
    }
    match (check, json, print_config) {
        (true, _, true) => Err("--check and --print-config do not go together".into()),
        (false, true, _) => Err("--json goes with --check".into()),
        (true, json, false) => Ok(Command::Check {
            config,
            config_fd,
            json,
            account,
        }),
        (false, false, true) => Ok(Command::PrintConfig {
            config,
            config_fd,
            account,
        }),
        (false, false, false) => Ok(Command::Run {
            config,
            config_fd,
            account,
            unaddressed,
        }),
    }
}

fn descriptor(text: &str) -> Result<i32, String> {
    match text.parse::<i32>() {
        Ok(n) if n >= 3 => Ok(n),
        _ => Err(format!(
            "--config-fd {text}: give an inherited descriptor number of 3 or more"
        )),
    }
}

/// Loads the config from where the command line says: descriptor `fd` (`--config-fd`), else
/// `path` (`--config`) or the usual places; `account` is `--account`. The environment fills
/// gaps (`config::load`).
pub fn load_config(
    path: Option<&Path>,
    fd: Option<i32>,
    account: Option<&str>,
) -> Result<Loaded, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    match fd {
        Some(fd) => {
            let text = read_config_fd(fd).map_err(ConfigError)?;
            config::load_text(&text, &format!("the config on --config-fd {fd}"), &env)
        }
        None => config::load(path, account, &env),
    }
}

/// Reads the config text from descriptor `fd` (`--config-fd`) to its end, then closes it.
/// At most 1 MiB: a config is a few KiB.
fn read_config_fd(fd: i32) -> Result<String, String> {
    const MAX: u64 = 1 << 20;
    let what = |e: std::io::Error| {
        format!("cannot read --config-fd {fd}: {e} (the parent must pass that descriptor open)")
    };
    // SAFETY: F_GETFD only asks whether the descriptor is open.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(what(std::io::Error::last_os_error()));
    }
    // SAFETY: `fd` (>= 3, so not stdio) is open, was inherited for this purpose and nothing
    // else in this process uses it; the File owns it from here and closes it when dropped.
    let file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let mut text = String::new();
    file.take(MAX + 1).read_to_string(&mut text).map_err(what)?;
    if text.len() as u64 > MAX {
        return Err(format!("--config-fd {fd} holds more than 1 MiB"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn arguments() {
        assert_eq!(
            parse_strs(&[]),
            Ok(Command::Run {
                config: None,
                config_fd: None,
                account: None,
                unaddressed: false
            })
        );
        assert_eq!(
            parse_strs(&["--config", "/a.json"]),
            Ok(Command::Run {
                config: Some("/a.json".into()),
                config_fd: None,
                account: None,
                unaddressed: false
            })
        );
        assert_eq!(
            parse_strs(&["--config=/b.json"]),
            Ok(Command::Run {
                config: Some("/b.json".into()),
                config_fd: None,
                account: None,
                unaddressed: false
            })
        );
        assert_eq!(
            parse_strs(&["--config-fd", "3"]),
            Ok(Command::Run {
                config: None,
                config_fd: Some(3),
                account: None,
                unaddressed: false
            })
        );
        assert!(
            parse_strs(&["--config-fd", "0"]).is_err(),
            "stdio is the protocol"
        );
        assert!(parse_strs(&["--config-fd", "x"]).is_err());
        assert!(parse_strs(&["--config-fd", "3", "--config", "/a"]).is_err());
        assert_eq!(
            parse_strs(&["--config-fd", "3", "--check", "--json"]),
            Ok(Command::Check {
                config: None,
                config_fd: Some(3),
                json: true,
                account: None
            })
        );
        assert_eq!(parse_strs(&["-h"]), Ok(Command::Help));
        assert_eq!(parse_strs(&["--version"]), Ok(Command::Version));
        assert_eq!(
            parse_strs(&["--check", "--json", "-c", "/c"]),
            Ok(Command::Check {
                config: Some("/c".into()),
                config_fd: None,
                json: true,
                account: None
            })
        );
        assert_eq!(
            parse_strs(&["--print-config"]),
            Ok(Command::PrintConfig {
                config: None,
                config_fd: None,
                account: None
            })
        );
        assert_eq!(
            parse_strs(&["--config-fd", "3", "--unaddressed"]),
            Ok(Command::Run {
                config: None,
                config_fd: Some(3),
                account: None,
                unaddressed: true
            })
        );
        assert_eq!(
            parse_strs(&["--check", "--account", "work"]),
            Ok(Command::Check {
                config: None,
                config_fd: None,
                json: false,
                account: Some("work".into())
            })
        );
        assert!(parse_strs(&["--account"]).is_err());
        assert!(parse_strs(&["--json"]).is_err());
        assert!(parse_strs(&["--check", "--print-config"]).is_err());
        assert!(parse_strs(&["--config"]).is_err());
        assert!(parse_strs(&["--bogus"]).is_err());
    }

    #[test]
    fn directory() {
        assert_eq!(
            parse_strs(&["--config-fd", "3", "--directory", "peers", "--query", "al"]),
            Ok(Command::Directory {
                config: None,
                config_fd: Some(3),
                account: None,
                kind: "peers".into(),
                query: "al".into()
            })
        );
        assert_eq!(
            parse_strs(&["--directory", "groups", "--account", "work"]),
            Ok(Command::Directory {
                config: None,
                config_fd: None,
                account: Some("work".into()),
                kind: "groups".into(),
                query: String::new()
            })
        );
        assert!(parse_strs(&["--directory"]).is_err());
        assert!(parse_strs(&["--directory", "users"]).is_err());
        assert!(parse_strs(&["--directory", "peers", "--check"]).is_err());
        assert!(parse_strs(&["--directory", "peers", "--query"]).is_err());
        assert!(parse_strs(&["--query", "al"]).is_err());
    }
}
