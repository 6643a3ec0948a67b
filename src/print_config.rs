//! `--print-config`: the configuration the bridge would run with, as JSON, each key with its
//! value and where that value came from (file, environment, default). The token is redacted.

use crate::config::{ChatMode, Config, DmPolicy};
use serde_json::{json, Map, Value};

pub fn render(config: &Config) -> String {
    let mut keys = Map::new();
    for (key, value) in effective_values(config) {
        let source = config
            .sources
            .get(key)
            .cloned()
            .unwrap_or_else(|| "default".into());
        keys.insert(key.to_string(), json!({ "value": value, "source": source }));
    }
    let out = json!({
        "file": config.file.as_ref().map(|f| f.display().to_string()),
        "channels.mattermost": keys,
        "warnings": config.warnings,
    });
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

fn millis(d: std::time::Duration) -> Value {
    json!(d.as_millis() as u64)
}

/// Every documented key with the value in effect.
fn effective_values(c: &Config) -> Vec<(&'static str, Value)> {
    let chatmode = match c.chatmode {
        ChatMode::Mention => "oncall",
        ChatMode::EveryPost => "onmessage",
        ChatMode::Prefix => "onchar",
    };
    let dm_policy = match c.dm_policy {
        DmPolicy::Allowlist => "allowlist",
        DmPolicy::Open => "open",
        DmPolicy::Disabled => "disabled",
        DmPolicy::Pairing => "pairing",
    };
    vec![
        ("serverUrl", json!(c.server.to_string())),
        ("botToken", json!("[redacted]")),
        ("allowFrom", json!(c.allow_from)),
        ("teamId", json!(c.team_id)),
        ("allowChannels", json!(c.allow_channels)),
        ("respondToMentions", json!(c.respond_to_mentions)),
        ("respondToDMs", json!(c.respond_to_dms)),
        ("useWebSocket", json!(c.use_websocket)),
        ("reconnectInterval", millis(c.reconnect_interval)),
        ("chatmode", json!(chatmode)),
        ("oncharPrefixes", json!(c.onchar_prefixes)),
        ("dmPolicy", json!(dm_policy)),
        ("allowBots", json!(c.allow_bots)),
        ("textChunkLimit", json!(c.text_chunk_limit)),
        ("retryBudget", millis(c.retry_budget)),
        ("mediaDir", json!(c.media_dir.display().to_string())),
        (
            "mediaMaxMb",
            json!(c.media_max_bytes as f64 / (1024.0 * 1024.0)),
        ),
        (
            "mediaMaxTotalMb",
            match c.media_max_total_bytes {
                u64::MAX => json!(0),
                n => json!(n as f64 / (1024.0 * 1024.0)),
            },
        ),
        (
            "mediaRetentionHours",
            json!(c.media_retention.map_or(0.0, |d| d.as_secs_f64() / 3600.0)),
        ),
        ("pollInterval", millis(c.poll_interval)),
        (
            "stateFile",
            json!(c.state_file.as_ref().map(|f| f.display().to_string())),
        ),
        ("catchUpMaxAge", millis(c.catch_up_max_age)),
        (
            "caFile",
            json!(c.ca_file.as_ref().map(|f| f.display().to_string())),
        ),
    ]
}
