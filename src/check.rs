//! `--check`: answers the operator's "why does the bot not respond?" before they read a log.
//! Each check prints one line (✓ ok, ! warning, ✗ failure) with the concrete fix; the exit
//! code is 0 only when the bridge would work. `--json` prints the same as one object.

mod callbacks;

use crate::config::{Config, ConfigError, Loaded};
use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::connect_error::ConnectError;
use crate::mattermost::event::{self, Frame};
use crate::mattermost::model::{Channel, Team};
use crate::mattermost::net::Link;
use crate::mattermost::ws::{Connection, Read};
use crate::redact;
use crate::session::MAX_TEAMS;
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
pub(crate) struct Report {
    findings: Vec<Finding>,
    server: Value,
}

impl Report {
    pub(crate) fn add(
        &mut self,
        check: &'static str,
        status: Status,
        message: String,
        fix: Option<&str>,
    ) {
        self.findings.push(Finding {
            check,
            status,
            message,
            fix: fix.map(str::to_string),
        });
    }

    pub(crate) fn ok(&mut self, check: &'static str, message: String) {
        self.add(check, Status::Ok, message, None);
    }

    fn passed(&self) -> bool {
        self.findings.iter().all(|f| f.status != Status::Fail)
    }
}

/// Runs every check on the config as loaded and prints the report; returns the exit code (0
/// all good, 1 otherwise).
pub fn run(loaded: Result<Loaded, ConfigError>, json: bool) -> i32 {
    let report = check_all(loaded);
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

fn check_all(loaded: Result<Loaded, ConfigError>) -> Report {
    let mut report = Report::default();
    let Some(config) = check_config(&mut report, loaded) else {
        return report;
    };
    redact::register_secret(&config.token);
    check_folders(&mut report, &config);
    let Some(link) = check_link(&mut report, &config) else {
        return report;
    };
    callbacks::check(&mut report, &config, &link);
    let api = Api::new(&config.server, &config.token, &link, Duration::ZERO);
    let via_proxy = link.proxy.is_some();
    if !check_server(&mut report, &config, &api, via_proxy) || !check_token(&mut report, &api) {
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
fn check_config(report: &mut Report, loaded: Result<Loaded, ConfigError>) -> Option<Config> {
    match loaded {
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
            let file = config.file.as_ref().map_or(
                "no file (--config-fd, or the environment alone)".into(),
                |f| f.display().to_string(),
            );
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
            let fix = match e {
                ConnectError::ProxyVariable { .. } => {
                    "correct the proxy variable named above (an http:// proxy: http://[user:password@]host[:port])"
                }
                _ => "point caFile at a readable PEM file of your CA's certificate",
            };
            report.add("config", Status::Fail, e.to_string(), Some(fix));
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
fn check_server(report: &mut Report, config: &Config, api: &Api, via_proxy: bool) -> bool {
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
            report.add(
                "server",
                Status::Fail,
                message,
                Some(reach_fix(&e, via_proxy)),
            );
            false
        }
        Err(e) => {
            let message = format!("cannot reach {}: {e}", config.server);
            report.add(
                "server",
                Status::Fail,
                message,
                Some(reach_fix(&e, via_proxy)),
            );
            false
        }
    }
}

/// The fix for a server that cannot be reached, from what went wrong. With a proxy, a REST
/// connection that is refused or times out is one to the proxy (ureq connects there first).
fn reach_fix(error: &ApiError, via_proxy: bool) -> &'static str {
    match error {
        ApiError::Connect(ConnectError::Tcp { .. }) if via_proxy => PROXY_DOWN_FIX,
        ApiError::Connect(e) => connect_fix(e),
        ApiError::Status { .. } => "check that serverUrl is the address you open Mattermost at in a browser (not a proxy's page or another site)",
        ApiError::Network(_) | ApiError::Local(_) | ApiError::TooLarge(_) => NETWORK_FIX,
    }
}

const NETWORK_FIX: &str = "check serverUrl and the network between this machine and the server";
const PROXY_FIX: &str = "let the proxy pass WebSocket upgrades for /api/v4/websocket: nginx `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\";`, Apache `ProxyPass /api/v4/websocket ws://mattermost:8065/api/v4/websocket` (mod_proxy_wstunnel)";
const TOKEN_FIX: &str = "create a new token for the bot (Integrations > Bot Accounts > Create New Token) and set channels.mattermost.botToken";

/// The fix for a connection that failed, by what failed (REST and WebSocket alike).
fn connect_fix(error: &ConnectError) -> &'static str {
    use rustls::CertificateError as Cert;
    match error {
        ConnectError::Tls { error, .. } => match error {
            rustls::Error::InvalidCertificate(Cert::UnknownIssuer | Cert::BadSignature) => {
                "the server's certificate is not trusted: set channels.mattermost.caFile to your CA's PEM file"
            }
            rustls::Error::InvalidCertificate(
                Cert::NotValidForName | Cert::NotValidForNameContext { .. },
            ) => "the certificate is for another name: use the host name the certificate was issued for in serverUrl",
            rustls::Error::InvalidCertificate(Cert::Expired | Cert::ExpiredContext { .. }) => {
                "the server's certificate has expired: renew it on the server"
            }
            rustls::Error::InvalidMessage(_) => {
                "use http:// in serverUrl, or the port that serves https (usually 443)"
            }
            _ => NETWORK_FIX,
        },
        ConnectError::Resolve { .. } | ConnectError::NoAddress { .. } => {
            "the host name does not resolve: check serverUrl's spelling and this machine's DNS"
        }
        ConnectError::Tcp { .. } | ConnectError::UpgradeTimeout => UNREACHABLE_FIX,
        ConnectError::TlsIo { error, .. } if error.kind() == std::io::ErrorKind::TimedOut => {
            UNREACHABLE_FIX
        }
        ConnectError::ProxyUnreachable { .. } => PROXY_DOWN_FIX,
        ConnectError::ProxyRefused {
            status: Some(407), ..
        } => "the proxy wants credentials: put user:password@ into the proxy variable's URL",
        ConnectError::ProxyRefused { .. }
        | ConnectError::ProxyNoAnswer { .. }
        | ConnectError::RestProxy(_) => {
            "the proxy does not tunnel to the server: let it allow CONNECT to the server's port, or list the server in NO_PROXY"
        }
        e if e.is_unauthorized() => TOKEN_FIX,
        ConnectError::UpgradeStatus { .. } => PROXY_FIX,
        _ => NETWORK_FIX,
    }
}

const PROXY_DOWN_FIX: &str = "the proxy from the environment cannot be reached: check HTTPS_PROXY/HTTP_PROXY, or list the server in NO_PROXY";
const UNREACHABLE_FIX: &str = "nothing answers there: check serverUrl's host and port, that Mattermost runs, and firewalls in between";

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
                Some(TOKEN_FIX),
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
        Ok(teams) => {
            check_team(report, config, &teams);
            callbacks::permission(report, config, api, &teams);
        }
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
            .take(MAX_TEAMS)
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
        (None, _) if teams.len() > MAX_TEAMS => report.add(
            "team",
            Status::Warn,
            format!(
                "the bot is in {} teams; catch-up and polling list the first {MAX_TEAMS} only",
                teams.len()
            ),
            Some("set channels.mattermost.teamId to the one team to serve"),
        ),
        (None, _) => report.ok(
            "team",
            format!("all the bot's {} teams: {}", teams.len(), names()),
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
    let started = Instant::now();
    let read_timeout = Duration::from_millis(250);
    match Connection::open(&config.server, &config.token, link, read_timeout, None) {
        Err(e) => {
            let fix = connect_fix(&e);
            report.add("websocket", Status::Fail, e.to_string(), Some(fix));
        }
        Ok(mut conn) => {
            if await_hello(&mut conn) {
                let ms = started.elapsed().as_millis();
                report.ok("websocket", format!("upgrade works, hello after {ms} ms"));
            } else {
                let no_hello = ConnectError::NoHello {
                    within: HELLO_WITHIN,
                };
                report.add(
                    "websocket",
                    Status::Fail,
                    format!("{no_hello} after the upgrade"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::CertificateError as Cert;
    use std::io;

    fn tls(error: rustls::Error) -> ConnectError {
        ConnectError::Tls {
            host: "mm.example:443".into(),
            error,
            ca_file: None,
        }
    }

    /// Each kind of failure gets its own fix, decided by its variant (REST and WebSocket alike).
    #[test]
    fn each_connection_failure_gets_its_fix() {
        let cases = [
            (
                tls(rustls::Error::InvalidCertificate(Cert::UnknownIssuer)),
                "set channels.mattermost.caFile",
            ),
            (
                tls(rustls::Error::InvalidCertificate(Cert::BadSignature)),
                "set channels.mattermost.caFile",
            ),
            (
                tls(rustls::Error::InvalidCertificate(Cert::NotValidForName)),
                "use the host name the certificate was issued for",
            ),
            (
                tls(rustls::Error::InvalidCertificate(Cert::Expired)),
                "renew it on the server",
            ),
            (
                tls(rustls::Error::InvalidMessage(
                    rustls::InvalidMessage::InvalidContentType,
                )),
                "use http:// in serverUrl",
            ),
            (
                ConnectError::Resolve {
                    host: "mm.example".into(),
                    why: "no such host".into(),
                    timed_out: false,
                },
                "does not resolve",
            ),
            (
                ConnectError::NoAddress {
                    host: "mm.example".into(),
                },
                "does not resolve",
            ),
            (
                ConnectError::Tcp {
                    addr: Some("127.0.0.1:9".parse().unwrap()),
                    error: io::ErrorKind::ConnectionRefused.into(),
                },
                "nothing answers there",
            ),
            (
                ConnectError::TlsIo {
                    host: "mm.example:443".into(),
                    error: io::ErrorKind::TimedOut.into(),
                },
                "nothing answers there",
            ),
            (
                ConnectError::ProxyUnreachable {
                    proxy: "http://proxy.lan:3128".into(),
                    cause: Box::new(ConnectError::Tcp {
                        addr: None,
                        error: io::ErrorKind::ConnectionRefused.into(),
                    }),
                },
                "the proxy from the environment cannot be reached",
            ),
            (
                ConnectError::ProxyRefused {
                    proxy: "http://proxy.lan:3128".into(),
                    target: "mm.example:443".into(),
                    status: Some(407),
                    status_line: "HTTP/1.1 407 Proxy Authentication Required".into(),
                },
                "the proxy wants credentials",
            ),
            (
                ConnectError::ProxyRefused {
                    proxy: "http://proxy.lan:3128".into(),
                    target: "mm.example:443".into(),
                    status: Some(403),
                    status_line: "HTTP/1.1 403 Forbidden".into(),
                },
                "allow CONNECT",
            ),
            (
                ConnectError::UpgradeStatus { status: 200 },
                "proxy_set_header Upgrade",
            ),
            (
                ConnectError::UpgradeStatus { status: 400 },
                "proxy_set_header Upgrade",
            ),
            (
                ConnectError::UpgradeStatus { status: 401 },
                "set channels.mattermost.botToken",
            ),
            (
                ConnectError::RestProxy("proxy server responded 403/Forbidden".into()),
                "allow CONNECT",
            ),
            (ConnectError::ConnectionClosed, NETWORK_FIX),
        ];
        for (error, fix) in cases {
            assert!(
                connect_fix(&error).contains(fix),
                "{error:?}: {}",
                connect_fix(&error)
            );
            // REST carries the same error, and gets the same fix.
            let rest = ApiError::Connect(error);
            assert!(reach_fix(&rest, false).contains(fix), "{rest:?}");
        }
    }

    /// Through a proxy, REST's refused connection is the proxy's (ureq connects there first).
    #[test]
    fn a_refused_connection_through_a_proxy_points_at_the_proxy() {
        let refused = || {
            ApiError::Connect(ConnectError::Tcp {
                addr: None,
                error: io::ErrorKind::ConnectionRefused.into(),
            })
        };
        assert_eq!(reach_fix(&refused(), true), PROXY_DOWN_FIX);
        assert_eq!(reach_fix(&refused(), false), UNREACHABLE_FIX);
    }

    #[test]
    fn answers_that_are_not_mattermost_get_the_server_url_fix() {
        let page = ApiError::Status {
            status: 404,
            id: String::new(),
            message: "an HTML page".into(),
            request_id: String::new(),
            retry_after: None,
        };
        assert!(reach_fix(&page, false).contains("open Mattermost at in a browser"));
        let broken = ApiError::Network("reading the response failed: reset".into());
        assert_eq!(reach_fix(&broken, false), NETWORK_FIX);
    }
}
