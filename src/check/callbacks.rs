//! `--check` for the addresses Mattermost calls back (issue 16): the slash command URL and the
//! buttons' base URL. Mattermost must be allowed to call them (it refuses loopback and private
//! addresses by default), able to reach them, and must not be redirected (it turns a redirected
//! POST into a GET).

use super::{Report, Status};
use crate::bridge::commands::listing;
use crate::config::Config;
use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::connector;
use crate::mattermost::is_valid_id;
use crate::mattermost::model::Team;
use crate::mattermost::net::Link;
use crate::server_url::ServerUrl;
use crate::session::MAX_TEAMS;
use serde_json::Value;
use std::net::IpAddr;
use std::time::Duration;

/// How long the reachability probe (and resolving the host) may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Where Mattermost's outgoing client may not go unless the admin allows it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Loopback,
    Private,
    Public,
}

pub(super) fn check(report: &mut Report, config: &Config, link: &Link) {
    let callbacks = &config.callbacks;
    if let Some(url) = &callbacks.command_url {
        callback(report, config, link, "commands", "callbackUrl", url.clone());
    }
    let Some(base) = &callbacks.interactions_base else {
        return;
    };
    let url = format!("{base}/mattermost/interactions");
    let place = callback(report, config, link, "interactions", "callbackBaseUrl", url);
    let ips = &callbacks.allowed_source_ips;
    let not_ips: Vec<String> = ips.iter().filter(|e| !is_ip_or_cidr(e)).cloned().collect();
    if !not_ips.is_empty() {
        let message = format!(
            "allowedSourceIps entries that never match (not an IP or CIDR): {}",
            not_ips.join(", ")
        );
        report.add("interactions", Status::Warn, message, Some(SOURCE_IPS_FIX));
    }
    if ips.is_empty() && place.is_some_and(|p| p != Place::Loopback) {
        let message = "allowedSourceIps is empty and the callback is not loopback: any machine may send clicks".to_string();
        report.add("interactions", Status::Warn, message, Some(SOURCE_IPS_FIX));
    }
}

const SOURCE_IPS_FIX: &str =
    "list Mattermost's address (or CIDR) in channels.mattermost.interactions.allowedSourceIps";

/// With `commands.native`, whether the bot may register slash commands: lists its custom
/// commands in each of its teams, as the plugin does before registering (creates nothing).
pub(super) fn permission(report: &mut Report, config: &Config, api: &Api, teams: &[Team]) {
    if config.callbacks.command_url.is_none() {
        return;
    }
    let teams = teams.iter().filter(|t| is_valid_id(&t.id)).take(MAX_TEAMS);
    let mut allowed = 0;
    for team in teams {
        let (message, fix) = match api.commands("GET", &listing(&team.id), &Value::Null, None) {
            Ok(_) => {
                allowed += 1;
                continue;
            }
            Err(ApiError::Status { status: 501, .. }) => {
                let fix = "System Console › Integrations › Integration Management › Enable Custom Slash Commands";
                report.add(
                    "commands",
                    Status::Warn,
                    "the server has custom slash commands off".into(),
                    Some(fix),
                );
                return;
            }
            Err(ApiError::Status { status: 403, .. }) => (
                format!(
                    "the bot may not manage slash commands in team {}",
                    team.name
                ),
                Some("make the bot a team admin, or give All Members 'Manage Own Slash Commands'"),
            ),
            Err(e) => (
                format!("cannot list the slash commands of team {}: {e}", team.name),
                None,
            ),
        };
        report.add("commands", Status::Warn, message, fix);
    }
    if allowed > 0 {
        report.ok(
            "commands",
            format!("the bot may manage slash commands in {allowed} team(s)"),
        );
    }
}

/// Checks one callback URL, set by `<check>.<key>` or derived from the gateway's address;
/// returns where its host is, when known.
fn callback(
    report: &mut Report,
    config: &Config,
    link: &Link,
    check: &'static str,
    key: &str,
    url: String,
) -> Option<Place> {
    let key = format!("channels.mattermost.{check}.{key}");
    let parsed = match ServerUrl::parse(&url) {
        Ok(parsed) => parsed,
        Err(why) => {
            report.add(
                check,
                Status::Warn,
                why,
                Some(&format!("set {key} to the gateway's http(s) URL")),
            );
            return None;
        }
    };
    let place = place_of(&parsed.host, parsed.port);
    let server = place_of(&config.server.host, config.server.port);
    let warning = match place {
        Some(Place::Loopback) if server.is_some_and(|p| p != Place::Loopback) => Some((
            format!("{url} is loopback, but Mattermost ({}) is elsewhere: it would call its own machine", config.server),
            format!("set {key} to an address of the gateway that Mattermost's machine can reach"),
        )),
        Some(Place::Loopback | Place::Private) => Some((
            format!("{url} is a loopback or private address: Mattermost refuses to call it unless ServiceSettings.AllowedUntrustedInternalConnections lists it"),
            format!("add {} (or its CIDR) to System Console > Environment > Developer > Allow untrusted internal connections; or set {key} to an address Mattermost may call", parsed.host),
        )),
        _ => None,
    };
    if let Some((message, fix)) = warning {
        report.add(check, Status::Warn, message, Some(&fix));
    }
    probe(report, link, check, &key, url);
    place
}

/// POSTs an empty form, as Mattermost would (without the fields), and reads the status only.
fn probe(report: &mut Report, link: &Link, check: &'static str, key: &str, url: String) {
    let agent_config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(PROBE_TIMEOUT))
        .proxy(None)
        .build();
    let answer = connector::agent(agent_config, &link.tls)
        .post(url.clone())
        .header(
            "Content-Type",
            String::from("application/x-www-form-urlencoded"),
        )
        .send_empty();
    let (status, message, fix) = match answer {
        Ok(response) => {
            let code = response.status().as_u16();
            let location = response.headers().get("location");
            match location.and_then(|v| v.to_str().ok()) {
                Some(to) if response.status().is_redirection() => (
                    Status::Warn,
                    format!("{url} redirects (HTTP {code} to {to}): Mattermost follows with a GET, which loses the request"),
                    Some(format!("set {key} to where the redirect leads")),
                ),
                _ => (Status::Ok, format!("{url} answers from this host (HTTP {code})"), None),
            }
        }
        Err(e) => (
            Status::Warn,
            format!("{url} is not reachable from where the bridge runs ({e}): is the gateway up?"),
            Some(format!("start OpenClaw's gateway, or correct gateway.port, gateway.customBindHost or {key}")),
        ),
    };
    report.add(check, status, message, fix.as_deref());
}

/// Where `host` resolves to (the least public of its addresses); `None` when it does not.
fn place_of(host: &str, port: u16) -> Option<Place> {
    let addrs = crate::resolve::resolve(host, port, PROBE_TIMEOUT).ok()?;
    addrs
        .iter()
        .map(|a| place_of_ip(a.ip()))
        .min_by_key(|p| *p as u8)
}

/// Mattermost's reserved ranges (its outgoing client's filter).
fn place_of_ip(ip: IpAddr) -> Place {
    match ip.to_canonical() {
        IpAddr::V4(v4) if v4.is_loopback() => Place::Loopback,
        IpAddr::V4(v4) if v4.is_private() || v4.is_link_local() => Place::Private,
        IpAddr::V6(v6) if v6.is_loopback() => Place::Loopback,
        // fc00::/7 (unique local) and fe80::/10 (link-local)
        IpAddr::V6(v6)
            if (v6.segments()[0] & 0xfe00) == 0xfc00 || (v6.segments()[0] & 0xffc0) == 0xfe80 =>
        {
            Place::Private
        }
        _ => Place::Public,
    }
}

/// `10.0.0.5`, `::1`, `10.0.0.0/8`, `fd00::/8`.
fn is_ip_or_cidr(entry: &str) -> bool {
    let (ip, bits) = match entry.split_once('/') {
        Some((ip, bits)) => (ip, Some(bits)),
        None => (entry, None),
    };
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    bits.is_none_or(|b| b.parse::<u8>().is_ok_and(|b| b <= max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_placed_as_mattermost_filters_them() {
        let place = |s: &str| place_of_ip(s.parse().unwrap());
        for loopback in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(place(loopback) == Place::Loopback, "{loopback}");
        }
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(place(private) == Place::Private, "{private}");
        }
        for public in ["8.8.8.8", "172.32.0.1", "2001:db8::1"] {
            assert!(place(public) == Place::Public, "{public}");
        }
    }

    #[test]
    fn source_ips_are_addresses_or_ranges() {
        for good in ["10.0.0.5", "10.0.0.0/8", "::1", "fd00::/8", "0.0.0.0/0"] {
            assert!(is_ip_or_cidr(good), "{good}");
        }
        for bad in [
            "mattermost.lan",
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0/8",
            "",
            "10.0.0.1/x",
        ] {
            assert!(!is_ip_or_cidr(bad), "{bad}");
        }
    }
}
