//! Where Mattermost calls OpenClaw back (issue 16): the slash command URL and the buttons' base
//! URL, resolved by the rules of OpenClaw's own Mattermost plugin, for `--check`. The plugin
//! serves both on OpenClaw's gateway; the bridge only checks them.

use serde_json::{Map, Value};

/// The JS plugin's `commands.callbackPath` default.
const DEFAULT_COMMAND_PATH: &str = "/api/channels/mattermost/command";
/// OpenClaw's gateway port when nothing sets one.
const DEFAULT_GATEWAY_PORT: u64 = 18789;

/// `gateway.customBindHost` and `gateway.port` of OpenClaw's config.
#[derive(Debug, Default, Clone)]
pub struct Gateway {
    pub bind_host: Option<Value>,
    pub port: Option<Value>,
}

/// The callbacks the account's config asks for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Callbacks {
    /// `commands.native: true`: where Mattermost posts slash commands.
    pub command_url: Option<String>,
    /// Set when the account has an `interactions` block: where buttons call back
    /// (`<base>/mattermost/interactions/<account>`, the base without the path here).
    pub interactions_base: Option<String>,
    /// `interactions.allowedSourceIps` as written.
    pub allowed_source_ips: Vec<String>,
}

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads `commands` and `interactions` of the (already type-checked) section.
pub fn resolve(section: &Map<String, Value>, gateway: &Gateway, env: Env) -> Callbacks {
    let commands_on =
        section.get("commands").and_then(|c| c.get("native")) == Some(&Value::Bool(true));
    let command_url = commands_on.then(|| match text(section, "commands", "callbackUrl") {
        Some(url) => url.to_string(),
        None => {
            let path = text(section, "commands", "callbackPath").unwrap_or(DEFAULT_COMMAND_PATH);
            let slash = if path.starts_with('/') { "" } else { "/" };
            format!("{}{slash}{path}", gateway_base(gateway, env))
        }
    });
    let interactions = section.get("interactions").filter(|v| v.is_object());
    let interactions_base =
        interactions.map(|_| match text(section, "interactions", "callbackBaseUrl") {
            Some(base) => base.trim_end_matches('/').to_string(),
            None => gateway_base(gateway, env),
        });
    let allowed_source_ips = interactions
        .and_then(|i| i.get("allowedSourceIps"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    Callbacks {
        command_url,
        interactions_base,
        allowed_source_ips,
    }
}

/// `block.key` of the section, trimmed, unless empty.
fn text<'a>(section: &'a Map<String, Value>, block: &str, key: &str) -> Option<&'a str> {
    let text = section.get(block)?.get(key)?.as_str()?.trim();
    (!text.is_empty()).then_some(text)
}

/// `http://<host>:<port>` of the gateway, as the JS plugin builds it: `gateway.customBindHost`
/// unless it is a wildcard, else `localhost`; the port from `OPENCLAW_GATEWAY_PORT`, else
/// `gateway.port`, else a hash of `OPENCLAW_PROFILE`, else 18789 (OpenClaw's
/// `resolveGatewayPort`).
fn gateway_base(gateway: &Gateway, env: Env) -> String {
    let host = gateway
        .bind_host
        .as_ref()
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|h| !h.is_empty() && !is_wildcard(h))
        .unwrap_or("localhost");
    let bracket = host.contains(':') && !host.starts_with('[');
    let (open, close) = if bracket { ("[", "]") } else { ("", "") };
    // `port`, `host:port` or `[v6]:port`
    let port = env("OPENCLAW_GATEWAY_PORT")
        .and_then(|v| v.trim().rsplit(':').next()?.parse::<u16>().ok())
        .map(u64::from)
        .or_else(|| {
            let port = gateway.port.as_ref()?.as_u64()?;
            (port > 0).then_some(port)
        })
        .or_else(|| profile_port(&env("OPENCLAW_PROFILE")?))
        .unwrap_or(DEFAULT_GATEWAY_PORT);
    format!("http://{open}{host}{close}:{port}")
}

fn is_wildcard(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    matches!(bare, "0.0.0.0" | "::" | "::0" | "0:0:0:0:0:0:0:0")
}

/// A named profile's port: 20000 plus its FNV-1a hash modulo 40000 (not for `default`).
fn profile_port(profile: &str) -> Option<u64> {
    let profile = profile.trim();
    if profile.is_empty() || profile.eq_ignore_ascii_case("default") {
        return None;
    }
    let hash = profile.bytes().fold(2_166_136_261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16_777_619)
    });
    Some(20_000 + u64::from(hash) % 40_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resolve_with(section: Value, gateway: Gateway, vars: &[(&str, &str)]) -> Callbacks {
        let env = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        resolve(section.as_object().unwrap(), &gateway, &env)
    }

    #[test]
    fn the_command_url_is_built_as_the_js_plugin_builds_it() {
        let on = json!({ "commands": { "native": true } });
        let none = Gateway::default();
        let url = |section: &Value, gateway: Gateway, vars: &[(&str, &str)]| {
            resolve_with(section.clone(), gateway, vars).command_url
        };
        assert_eq!(
            url(&on, none.clone(), &[]).as_deref(),
            Some("http://localhost:18789/api/channels/mattermost/command")
        );
        let gateway = Gateway {
            bind_host: Some(json!("10.1.2.3")),
            port: Some(json!(9000)),
        };
        assert_eq!(
            url(&on, gateway.clone(), &[]).as_deref(),
            Some("http://10.1.2.3:9000/api/channels/mattermost/command")
        );
        // The environment's port wins over the file's.
        assert_eq!(
            url(&on, gateway, &[("OPENCLAW_GATEWAY_PORT", "127.0.0.1:7000")]).as_deref(),
            Some("http://10.1.2.3:7000/api/channels/mattermost/command")
        );
        let wildcard_v6 = Gateway {
            bind_host: Some(json!("::")),
            port: None,
        };
        let v6 = Gateway {
            bind_host: Some(json!("fd00::1")),
            port: None,
        };
        let custom = json!({ "commands": { "native": true, "callbackPath": "cmd" } });
        assert_eq!(
            url(&custom, wildcard_v6, &[]).as_deref(),
            Some("http://localhost:18789/cmd")
        );
        assert_eq!(
            url(&custom, v6, &[]).as_deref(),
            Some("http://[fd00::1]:18789/cmd")
        );
        // A named profile's port (OpenClaw's FNV-1a rule): "work" → 20000 + 1536741984 % 40000.
        assert_eq!(
            url(&on, none.clone(), &[("OPENCLAW_PROFILE", "work")]).as_deref(),
            Some("http://localhost:41984/api/channels/mattermost/command")
        );
        let set =
            json!({ "commands": { "native": true, "callbackUrl": " https://gw.example/c " } });
        assert_eq!(
            url(&set, none.clone(), &[]).as_deref(),
            Some("https://gw.example/c")
        );
        // Only `native: true` turns commands on ("auto" and unset are off, as in the JS plugin).
        for off in [json!({}), json!({ "commands": { "native": "auto" } })] {
            assert_eq!(url(&off, none.clone(), &[]), None);
        }
    }

    #[test]
    fn the_interactions_base_is_set_only_with_an_interactions_block() {
        let none = resolve_with(json!({}), Gateway::default(), &[]);
        assert_eq!(none.interactions_base, None);
        let set = resolve_with(
            json!({ "interactions": { "callbackBaseUrl": "https://gw.example/oc//", "allowedSourceIps": ["10.0.0.0/8"] } }),
            Gateway::default(),
            &[],
        );
        assert_eq!(
            set.interactions_base.as_deref(),
            Some("https://gw.example/oc")
        );
        assert_eq!(set.allowed_source_ips, vec!["10.0.0.0/8".to_string()]);
        let default = resolve_with(
            json!({ "interactions": { "allowedSourceIps": [] } }),
            Gateway::default(),
            &[("OPENCLAW_GATEWAY_PORT", "9100")],
        );
        assert_eq!(
            default.interactions_base.as_deref(),
            Some("http://localhost:9100")
        );
    }
}
