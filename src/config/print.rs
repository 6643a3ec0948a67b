//! `--print-config`: the configuration the bridge would run with, as JSON, each key with its
//! value and where that value came from (file, environment, default). The values are the ones
//! the reader noted while checking the section (`section.rs`), so a new key appears here by
//! being read; the token is redacted there.

use super::keys::{Status, KEYS};
use super::Config;
use serde_json::{json, Map};

pub fn render(config: &Config) -> String {
    let mut keys = Map::new();
    // Keys not active yet are listed under `notActiveYet` instead: they have no value in effect.
    for key in KEYS
        .iter()
        .filter(|key| !matches!(key.status, Status::Waits(_)))
    {
        let Some(value) = config.values.get(key.name) else {
            continue;
        };
        let source = config
            .sources
            .get(key.name)
            .cloned()
            .unwrap_or_else(|| "default".into());
        let mut shown = json!({ "value": value, "source": source });
        // Accepted for OpenClaw's own plugin; the docs say why it does nothing here.
        if key.status == Status::Ignored {
            shown["effect"] = json!("none, on purpose");
        }
        keys.insert(key.name.to_string(), shown);
    }
    let not_active: Vec<&str> = config.not_active.iter().map(|(key, _)| *key).collect();
    let out = json!({
        "file": config.file.as_ref().map(|f| f.display().to_string()),
        "channels.mattermost": keys,
        "notActiveYet": not_active,
        "warnings": config.warnings,
    });
    serde_json::to_string_pretty(&out).unwrap_or_default()
}
