//! The command line: `--config PATH`, `--check [--json]`, `--print-config`, `--help`,
//! `--version`.

use std::ffi::OsString;
use std::path::PathBuf;

pub const USAGE: &str = "\
openclaw-mattermost: connects the OpenClaw assistant to a Mattermost server.

OpenClaw spawns this program and speaks JSON-RPC 2.0 lines with it over stdin/stdout
(see README.md). Logs go to stderr; set RUST_LOG=openclaw_mattermost=debug for more.

Usage: openclaw-mattermost [--config PATH] [--check [--json] | --print-config]

Options:
  -c, --config PATH   OpenClaw config file to read channels.mattermost from
                      (default: $OPENCLAW_CONFIG_PATH, $OPENCLAW_STATE_DIR/openclaw.json,
                      ~/.openclaw/openclaw.json)
      --check         check the config, the server, the token, the team, the channels, the
                      users and the WebSocket, one line each with the fix; exit 0 only when
                      the bridge would work (--json: one JSON object instead)
      --print-config  print the effective config as JSON, with where each value came from
  -h, --help          print this help
  -V, --version       print the version, target and git commit

Environment: MATTERMOST_URL, MATTERMOST_BOT_TOKEN, MATTERMOST_TEAM_ID fill keys the file
leaves unset. Exit codes: 0 clean stop, 1 runtime failure, 2 bad config or command line.
";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run { config: Option<PathBuf> },
    Check { config: Option<PathBuf>, json: bool },
    PrintConfig { config: Option<PathBuf> },
    Help,
    Version,
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut config = None;
    let (mut check, mut json, mut print_config) = (false, false, false);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        match text.as_ref() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--check" => check = true,
            "--json" => json = true,
            "--print-config" => print_config = true,
            "-c" | "--config" => {
                let path = args.next().ok_or("--config needs a path")?;
                config = Some(PathBuf::from(path));
            }
            other => match other.strip_prefix("--config=") {
                Some(path) if !path.is_empty() => config = Some(PathBuf::from(path)),
                _ => return Err(format!("unknown argument {other}")),
            },
        }
    }
    match (check, json, print_config) {
        (true, _, true) => Err("--check and --print-config do not go together".into()),
        (false, true, _) => Err("--json goes with --check".into()),
        (true, json, false) => Ok(Command::Check { config, json }),
        (false, false, true) => Ok(Command::PrintConfig { config }),
        (false, false, false) => Ok(Command::Run { config }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn arguments() {
        assert_eq!(parse_strs(&[]), Ok(Command::Run { config: None }));
        assert_eq!(
            parse_strs(&["--config", "/a.json"]),
            Ok(Command::Run {
                config: Some("/a.json".into())
            })
        );
        assert_eq!(
            parse_strs(&["--config=/b.json"]),
            Ok(Command::Run {
                config: Some("/b.json".into())
            })
        );
        assert_eq!(parse_strs(&["-h"]), Ok(Command::Help));
        assert_eq!(parse_strs(&["--version"]), Ok(Command::Version));
        assert_eq!(
            parse_strs(&["--check", "--json", "-c", "/c"]),
            Ok(Command::Check {
                config: Some("/c".into()),
                json: true
            })
        );
        assert_eq!(
            parse_strs(&["--print-config"]),
            Ok(Command::PrintConfig { config: None })
        );
        assert!(parse_strs(&["--json"]).is_err());
        assert!(parse_strs(&["--check", "--print-config"]).is_err());
        assert!(parse_strs(&["--config"]).is_err());
        assert!(parse_strs(&["--bogus"]).is_err());
    }
}
