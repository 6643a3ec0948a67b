//! `--check`: answers the operator's "why does the bot not respond?" before they read a log.
//! Each check prints one line (✓ ok, ! warning, ✗ failure) with the concrete fix; the exit
//! code is 0 only when the bridge would work. `--json` prints the same as one object.

use crate::config::{self, Config, Loaded};
use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::event::{self, Frame};
use crate::mattermost::model::{Channel, Team};
use crate::mattermost::net::Link;
use crate::mattermost::ws::{Connection, Read};
use crate::redact;
use serde::Serialize;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// `hello` must arrive this soon after the upgrade.
const HELLO_WITHIN: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Default)]
struct Report {
    findings: Vec<Finding>,
    server: Value,
}

impl Report {
    fn add(&mut self, check: &'static str, status: Status, message: String, fix: Option<&str>) {
        self.findings.push(Finding {
            check,
            status,
            message,
            fix: fix.map(str::to_string),
        });
    }

    fn ok(&mut self, check: &'static str, message: String) {
        self.add(check, Status::Ok, message, None);
    }

    fn passed(&self) -> bool {
        self.findings.iter().all(|f| f.status != Status::Fail)
    }
}

/// Runs every check and prints the report; returns the exit code (0 all good, 1 otherwise).
pub fn run(config_path: Option<&Path>, account: Option<&str>, json: bool) -> i32 {
    let report = check_all(config_path, account);
    if json {
        let out = json!({
            "ok": report.passed(),
            "checks": report.findings,
            "server": report.server,
        });
        println!("{out}");
    } else {
        for finding in &report.findings {
            let mark = match finding.status {
                Status::Ok => "✓",
                Status::Warn => "!",
                Status::Fail => "✗",
            };
            println!("{mark} {}: {}", finding.check, finding.message);
            if let Some(fix) = &finding.fix {
                println!("    fix: {fix}");
            }
        }
    }
    if report.passed() {
        0
    } else {
        1
    }
}

fn check_all(config_path: Option<&Path>, account: Option<&str>) -> Report {
    let mut report = Report::default();
    let Some(config) = check_config(&mut report, config_path, account) else {
        return report;
    };
    redact::register_secret(&config.token);
    check_folders(&mut report, &config);
    let Some(link) = check_link(&mut report, &config) else {
        return report;
    };
    let api = Api::new(&config.server, &config.token, &link, Duration::ZERO);
    if !check_server(&mut report, &config, &api) || !check_token(&mut report, &api) {
        return report;
    }
    let channels = check_team_and_channels(&mut report, &config, &api);
    check_allow_from(&mut report, &config, &api);
    check_permissions(&mut report, &api, &channels);
    check_websocket(&mut report, &config, &link);
    check_limits(&mut report, &config, &api);
    report
}

/// 1. The config is found and valid; which keys came from the environment.
fn check_config(report: &mut Report, path: Option<&Path>, account: Option<&str>) -> Option<Config> {
    match config::load(path, account, &|name| std::env::var(name).ok()) {
        // The message names the key (or the file, line and column) and its fix.
        Err(e) => {
            report.add("config", Status::Fail, e.0, None);
            None
        }
        Ok(Loaded::Disabled { file }) => {
            let file = file.map_or("the config".into(), |f| f.display().to_string());
            let message = format!("channels.mattermost.enabled is false in {file}");
            let fix = "set channels.mattermost.enabled to true (or remove it)";
            report.add("config", Status::Fail, message, Some(fix));
            None
        }
        Ok(Loaded::Enabled(config)) => {
            let file = config
                .file
                .as_ref()
                .map_or("no file (environment only)".into(), |f| {
                    f.display().to_string()
                });
            let from_env: Vec<String> = config
                .sources
                .iter()
                .filter(|(_, source)| source.starts_with("env") || source.contains("${"))
                .map(|(key, source)| format!("{key} from {source}"))
                .collect();
            let env_note = if from_env.is_empty() {
                String::new()
            } else {
                format!(" ({})", from_env.join(", "))
            };
            report.ok("config", format!("{file}{env_note}"));
            // A bridge that lets nobody talk would run silently: that fails the check.
            let silent = config.nobody_can_talk();
            for warning in &config.warnings {
                if Some(warning) == silent.as_ref() {
                    report.add(
                        "allowFrom",
                        Status::Fail,
                        warning.clone(),
                        Some(ALLOW_FROM_FIX),
                    );
                } else {
                    report.add("config", Status::Warn, warning.clone(), None);
                }
            }
            Some(*config)
        }
    }
}

/// Part of 1: `mediaDir` and `stateFile`'s folder are this user's alone (else the bridge
/// refuses to start); a missing one is created at start.
fn check_folders(report: &mut Report, config: &Config) {
    let state_dir = config.state_file.as_ref().map(|f| match f.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    });
    let folders = [
        ("mediaDir", Some(config.media_dir.as_path())),
        ("stateFile", state_dir),
    ];
    for (key, dir) in folders {
        let Some(dir) = dir else { continue };
        match crate::fsutil::Dir::open(dir, false) {
            Ok(_) => report.ok(
                "folders",
                format!("{key} {} is this user's alone", dir.display()),
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => report.ok(
                "folders",
                format!("{key} {} is created at start", dir.display()),
            ),
            Err(e) => {
                let text = e.to_string();
                let (why, fix) = text
                    .rsplit_once("; ")
                    .unwrap_or((&text, "use a folder of your own"));
                let message = format!("{key} {}: {why}", dir.display());
                report.add("folders", Status::Fail, message, Some(fix));
            }
        }
    }
}

/// Part of 1: `caFile` can be read and a proxy variable, if set, is usable.
fn check_link(report: &mut Report, config: &Config) -> Option<Link> {
    match Link::new(config) {
        Err(e) => {
            let fix = "point caFile at a readable PEM file of your CA's certificate, or correct the proxy variable named above";
            report.add("config", Status::Fail, e, Some(fix));
            None
        }
        Ok(link) => {
            if let Some(path) = &config.ca_file {
                report.ok(
                    "config",
                    format!(
                        "caFile {} trusted besides the built-in roots",
                        path.display()
                    ),
                );
            }
            if let Some(proxy) = &link.proxy {
                report.ok(
                    "config",
                    format!("connecting through proxy {proxy} (from the environment)"),
                );
            }
            Some(link)
        }
    }
}

/// 2. The server answers `/system/ping`.
fn check_server(report: &mut Report, config: &Config, api: &Api) -> bool {
    match api.ping() {
        Ok(()) => {
            report.ok("server", format!("{} answers", config.server));
            true
        }
        Err(e @ ApiError::Status { status: 500.., .. }) => {
            let message = format!("{} answered with a server error: {e}", config.server);
            let fix = "Mattermost (or the proxy's upstream behind it) is down or failing: check that it runs and its logs";
            report.add("server", Status::Fail, message, Some(fix));
            false
        }
        // Something answered, but not as Mattermost does.
        Err(e @ ApiError::Status { .. }) => {
            let message = format!(
                "{} answers, but it is not Mattermost's API: {e}",
                config.server
            );
            report.add("server", Status::Fail, message, Some(reach_fix(&e)));
            false
        }
        Err(e) => {
            let message = format!("cannot reach {}: {e}", config.server);
            report.add("server", Status::Fail, message, Some(reach_fix(&e)));
            false
        }
    }
}

/// The fix for a server that cannot be reached, from what went wrong.
fn reach_fix(error: &ApiError) -> &'static str {
    let text = error.to_string().to_ascii_lowercase();
    if text.contains("unknownissuer")
        || text.contains("not trusted")
        || text.contains("self-signed")
    {
        "the server's certificate is not trusted: set channels.mattermost.caFile to your CA's PEM file"
    } else if text.contains("notvalidforname") || text.contains("name mismatch") {
        "the certificate is for another name: use the host name the certificate was issued for in serverUrl"
    } else if text.contains("expired") {
        "the server's certificate has expired: renew it on the server"
    } else if text.contains("dns") || text.contains("resolve") || text.contains("lookup") {
        "the host name does not resolve: check serverUrl's spelling and this machine's DNS"
    } else if text.contains("refused") || text.contains("timed out") || text.contains("timeout") {
        "nothing answers there: check serverUrl's host and port, that Mattermost runs, and firewalls in between"
    } else if text.contains("plain http on that port") {
        "use http:// in serverUrl, or the port that serves https (usually 443)"
    } else if error.status().is_some() {
        "check that serverUrl is the address you open Mattermost at in a browser (not a proxy's page or another site)"
    } else {
        "check serverUrl and the network between this machine and the server"
    }
}

/// 3. The token is accepted; a bot account is expected.
fn check_token(report: &mut Report, api: &Api) -> bool {
    match api.me() {
        Ok(me) if me.is_bot => {
            report.ok("token", format!("accepted: bot account @{}", me.username));
            true
        }
        Ok(me) => {
            report.add(
                "token",
                Status::Warn,
                format!("accepted, but it belongs to the user @{}, not a bot account", me.username),
                Some("create a bot account (System Console > Integrations > Bot Accounts) and use its token"),
            );
            true
        }
        Err(e) if e.status() == Some(401) => {
            report.add(
                "token",
                Status::Fail,
                format!("rejected by Mattermost ({e})"),
                Some("create a new token for the bot (Integrations > Bot Accounts > Create New Token) and set channels.mattermost.botToken"),
            );
            false
        }
        Err(e) => {
            report.add("token", Status::Fail, format!("cannot check it: {e}"), None);
            false
        }
    }
}

/// 4. Member of the team, and of every `allowChannels` channel; returns the channels found.
fn check_team_and_channels(report: &mut Report, config: &Config, api: &Api) -> Vec<Channel> {
    match api.my_teams() {
        Ok(teams) => check_team(report, config, &teams),
        Err(e) => report.add(
            "team",
            Status::Fail,
            format!("cannot list teams: {e}"),
            None,
        ),
    }
    if config.allow_channels.is_empty() {
        report.ok(
            "channels",
            "no allowChannels: the bot listens in every channel it is a member of".into(),
        );
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for id in &config.allow_channels {
        let channel = api.channel(id).ok();
        let member = api.my_channel_member(id).is_ok();
        let name = channel
            .as_ref()
            .map_or("(unknown channel)".to_string(), |c| c.display_name.clone());
        match (channel, member) {
            (Some(channel), true) => found.push(channel),
            _ => missing.push(format!("{name} ({id})")),
        }
    }
    if missing.is_empty() {
        report.ok(
            "channels",
            format!("member of all {} allowChannels", found.len()),
        );
    } else {
        report.add(
            "channels",
            Status::Fail,
            format!("not a member of: {}", missing.join(", ")),
            Some("add the bot to these channels (channel menu > Add Members), or fix the ids in allowChannels"),
        );
    }
    found
}

fn check_team(report: &mut Report, config: &Config, teams: &[Team]) {
    let names = || {
        teams
            .iter()
            .map(|t| format!("{} ({})", t.display_name, t.id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (&config.team_id, teams) {
        (Some(id), _) => match teams.iter().find(|t| &t.id == id) {
            Some(team) => report.ok("team", format!("member of {} ({id})", team.display_name)),
            None => report.add(
                "team",
                Status::Fail,
                format!("not a member of teamId {id}; the bot is in: {}", names()),
                Some("add the bot to the team (Main Menu > Invite People), or correct teamId"),
            ),
        },
        (None, [team]) => report.ok(
            "team",
            format!("{} ({}), the bot's only team", team.display_name, team.id),
        ),
        (None, []) => report.add(
            "team",
            Status::Fail,
            "the bot is in no team".into(),
            Some("add the bot to a team (Main Menu > Invite People)"),
        ),
        (None, _) => report.add(
            "team",
            Status::Fail,
            format!("the bot is in several teams: {}", names()),
            Some("set channels.mattermost.teamId to one of them"),
        ),
    }
}

const ALLOW_FROM_FIX: &str = "add user ids or @usernames to channels.mattermost.allowFrom (a misspelled key such as allowfrom leaves it empty)";

/// 5. Every `allowFrom` entry is a real user.
fn check_allow_from(report: &mut Report, config: &Config, api: &Api) {
    let entries = &config.allow_from;
    if entries.is_empty() {
        // Nobody at all: reported with the config already.
        if config.nobody_can_talk().is_none() {
            let message = "empty: DMs reach the bot (dmPolicy), channel posts do not";
            report.add(
                "allowFrom",
                Status::Warn,
                message.into(),
                Some(ALLOW_FROM_FIX),
            );
        }
        return;
    }
    if entries.iter().any(|e| e == "*") {
        report.add(
            "allowFrom",
            Status::Warn,
            "\"*\": everyone on the server can talk to the bot".into(),
            None,
        );
    }
    let names: Vec<String> = entries
        .iter()
        .filter_map(|e| e.strip_prefix('@'))
        .map(str::to_string)
        .collect();
    let ids: Vec<String> = entries
        .iter()
        .filter(|e| !e.starts_with('@') && *e != "*")
        .cloned()
        .collect();
    let by_name = if names.is_empty() {
        Ok(Vec::new())
    } else {
        api.users_by_usernames(&names)
    };
    let by_id = if ids.is_empty() {
        Ok(Vec::new())
    } else {
        api.users_by_ids(&ids)
    };
    let (Ok(by_name), Ok(by_id)) = (by_name, by_id) else {
        report.add(
            "allowFrom",
            Status::Fail,
            "cannot look the users up".into(),
            None,
        );
        return;
    };
    let mut unknown: Vec<String> = names
        .iter()
        .filter(|n| !by_name.iter().any(|u| &&u.username == n))
        .map(|n| format!("@{n}"))
        .collect();
    unknown.extend(
        ids.iter()
            .filter(|id| !by_id.iter().any(|u| &&u.id == id))
            .cloned(),
    );
    if unknown.is_empty() {
        let found = by_name.len() + by_id.len();
        let users = if found == 1 { "user" } else { "users" };
        report.ok("allowFrom", format!("{found} {users} found"));
    } else {
        report.add(
            "allowFrom",
            Status::Fail,
            format!("no such user: {}", unknown.join(", ")),
            Some("use existing user ids (Profile > Copy user ID) or @usernames"),
        );
    }
}

/// 6. The bot may post in each allowed channel (its channel roles grant `create_post`).
fn check_permissions(report: &mut Report, api: &Api, channels: &[Channel]) {
    if channels.is_empty() {
        report.ok("permissions", "no allowChannels to check".into());
        return;
    }
    let mut denied = Vec::new();
    for channel in channels {
        let may_post = api
            .my_channel_member(&channel.id)
            .ok()
            .is_some_and(|member| {
                let roles: Vec<&str> = member.roles.split_whitespace().collect();
                api.roles_by_names(&roles).is_ok_and(|roles| {
                    roles
                        .iter()
                        .any(|r| r.permissions.iter().any(|p| p == "create_post"))
                })
            });
        if !may_post {
            denied.push(format!("{} ({})", channel.display_name, channel.id));
        }
    }
    if denied.is_empty() {
        report.ok(
            "permissions",
            format!("may post in all {} allowChannels", channels.len()),
        );
    } else {
        report.add(
            "permissions",
            Status::Fail,
            format!("may not post in: {}", denied.join(", ")),
            Some("give the bot's channel role the \"Create Posts\" permission (channel moderation or System Console > Permissions)"),
        );
    }
}

/// 7. The WebSocket upgrade works and `hello` arrives.
fn check_websocket(report: &mut Report, config: &Config, link: &Link) {
    if !config.use_websocket {
        report.ok("websocket", "not used (useWebSocket: false)".into());
        return;
    }
    const PROXY_FIX: &str = "let the proxy pass WebSocket upgrades for /api/v4/websocket: nginx `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\";`, Apache `ProxyPass /api/v4/websocket ws://mattermost:8065/api/v4/websocket` (mod_proxy_wstunnel)";
    let started = Instant::now();
    let read_timeout = Duration::from_millis(250);
    match Connection::open(&config.server, &config.token, link, read_timeout, None) {
        Err(e) => {
            let fix = e.contains("Upgrade").then_some(PROXY_FIX);
            report.add("websocket", Status::Fail, e, fix);
        }
        Ok(mut conn) => {
            if await_hello(&mut conn) {
                let ms = started.elapsed().as_millis();
                report.ok("websocket", format!("upgrade works, hello after {ms} ms"));
            } else {
                report.add(
                    "websocket",
                    Status::Fail,
                    format!("no hello within {} s after the upgrade", HELLO_WITHIN.as_secs()),
                    Some("the server did not accept the token on the WebSocket; check botToken and that the proxy forwards the Authorization header"),
                );
            }
            conn.close();
        }
    }
}

fn await_hello(conn: &mut Connection) -> bool {
    let deadline = Instant::now() + HELLO_WITHIN;
    while Instant::now() < deadline {
        match conn.read() {
            Ok(Read::Text(text)) => {
                if let Ok(parsed) = event::parse(&text) {
                    if matches!(parsed.frame, Frame::Hello(_)) {
                        return true;
                    }
                }
            }
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// 8. Server version and limits.
fn check_limits(report: &mut Report, config: &Config, api: &Api) {
    let Ok(client) = api.client_config() else {
        report.add(
            "limits",
            Status::Warn,
            "cannot read the client config".into(),
            None,
        );
        return;
    };
    let field = |key: &str| client[key].as_str().unwrap_or("?").to_string();
    let (version, max_post, max_file) =
        (field("Version"), field("MaxPostSize"), field("MaxFileSize"));
    report.server = json!({
        "version": version,
        "maxPostSize": max_post.parse::<u64>().ok(),
        "maxFileSize": max_file.parse::<u64>().ok(),
    });
    report.ok(
        "limits",
        format!("Mattermost {version}, MaxPostSize {max_post}, MaxFileSize {max_file}"),
    );
    if max_file
        .parse::<u64>()
        .is_ok_and(|max| config.media_max_bytes > max)
    {
        report.add(
            "limits",
            Status::Warn,
            "mediaMaxMb is above the server's MaxFileSize: such files will be refused".into(),
            Some("lower channels.mattermost.mediaMaxMb"),
        );
    }
}
