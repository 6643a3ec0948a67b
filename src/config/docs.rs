//! The two texts that describe the keys outside this crate, written from `keys.rs` and checked
//! against it: the plugin's config schema (`openclaw-plugin/openclaw.plugin.json`,
//! `channelConfigs.mattermost.schema`) and the key table of `docs/configuration.md` (between
//! its `keys` markers). After changing a key, rewrite both with
//! `OCMM_WRITE_DOCS=1 cargo test --lib config::docs` and review the diff.

use super::keys::{Key, Kind, Reader, Status, DOCS, KEYS};
use super::NO_LIMIT;
use serde_json::{json, Map, Value};
use std::path::PathBuf;

/// Defaults that differ when the plugin starts the bridge: it applies OpenClaw's own
/// Mattermost plugin's `dmPolicy` default, `pairing` (its host runs the pairing flow); the
/// bridge alone keeps `allowlist`, which needs no host support.
const PLUGIN_DEFAULTS: &[(&str, &str)] = &[("dmPolicy", "pairing")];

/// Keys whose default is left out of the schema: an unset `chatmode` lets `requireMention`
/// decide, so OpenClaw must not fill it in.
const NO_SCHEMA_DEFAULT: &[&str] = &["chatmode"];

const START: &str = "<!-- keys: written by `OCMM_WRITE_DOCS=1 cargo test --lib config::docs` -->";
const END: &str = "<!-- end of keys -->";

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn write_wanted() -> bool {
    std::env::var_os("OCMM_WRITE_DOCS").is_some()
}

fn doc(key: &Key) -> (&'static str, &'static str) {
    let i = KEYS.iter().position(|k| k.name == key.name).unwrap();
    DOCS[i]
}

/// The JSON schema of one kind.
fn schema_of(kind: &Kind) -> Value {
    match kind {
        Kind::Bool(Some(d)) => json!({"type": "boolean", "default": d}),
        Kind::Bool(None) => json!({"type": "boolean"}),
        Kind::Text => json!({"type": "string"}),
        Kind::List => json!({"type": "array", "items": {"type": "string"}}),
        Kind::Ids => json!({"type": "array", "items": {"type": ["string", "number"]}}),
        Kind::Millis { default, min } => {
            json!({"type": "number", "minimum": min, "default": default})
        }
        Kind::Megabytes(d) | Kind::Hours(d) => {
            json!({"type": "number", "minimum": 0, "default": d})
        }
        Kind::Count { min, max } => {
            let mut s = json!({"type": "integer", "minimum": min});
            if *max < NO_LIMIT {
                s["maximum"] = json!(max);
            }
            s
        }
        Kind::Choice { words, .. } => {
            let mut s = json!({"type": "string", "enum": words});
            if let Some(d) = kind.default_word() {
                s["default"] = json!(d);
            }
            s
        }
        Kind::Literal(text) => json!({"const": serde_json::from_str::<Value>(text).unwrap()}),
        Kind::Either(kinds) => json!({"anyOf": kinds.iter().map(schema_of).collect::<Vec<_>>()}),
        Kind::Object(fields) => {
            let properties: Map<String, Value> = fields
                .iter()
                .map(|(name, kind)| (name.to_string(), schema_of(kind)))
                .collect();
            json!({"type": "object", "additionalProperties": false, "properties": properties})
        }
        Kind::Map(kind) => json!({"type": "object", "additionalProperties": schema_of(kind)}),
        Kind::Secret => json!({"anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["source", "id"],
                "properties": {
                    "source": {"type": "string", "enum": ["env", "file", "exec", "store"]},
                    "provider": {"type": "string"},
                    "id": {"type": "string"}
                }
            }
        ]}),
        Kind::Accounts => {
            let own = KEYS
                .iter()
                .filter(|k| !matches!(k.kind, Kind::Accounts) && k.name != "defaultAccount");
            json!({"type": "object", "additionalProperties": {
                "type": "object",
                "additionalProperties": false,
                "properties": properties(own),
            }})
        }
    }
}

fn properties<'a>(keys: impl Iterator<Item = &'a Key>) -> Map<String, Value> {
    keys.map(|key| {
        let mut s = schema_of(&key.kind);
        if NO_SCHEMA_DEFAULT.contains(&key.name) {
            s.as_object_mut().unwrap().remove("default");
        }
        if let Some((_, d)) = PLUGIN_DEFAULTS.iter().find(|(k, _)| *k == key.name) {
            s["default"] = json!(d);
        }
        s["description"] = json!(description(key));
        (key.name.to_string(), s)
    })
    .collect()
}

/// The key's meaning as one line of plain text (the schema's `description`).
fn description(key: &Key) -> String {
    let mut text = doc(key).1.replace('`', "");
    if let Some(var) = key.env {
        text.push_str(&format!(" (env {var})"));
    }
    match key.status {
        Status::Waits(issue) => text = format!("accepted, not active yet (issue {issue}): {text}"),
        Status::Ignored => text = format!("accepted, no effect on purpose: {text}"),
        Status::Active => {}
    }
    text
}

/// `channelConfigs.mattermost.schema` as the table defines it.
pub fn plugin_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "properties": properties(KEYS.iter()),
    })
}

fn type_doc(kind: &Kind) -> String {
    match kind {
        Kind::Bool(_) => "boolean".into(),
        Kind::Text => "string".into(),
        Kind::List => "list of strings".into(),
        Kind::Ids => "list of ids".into(),
        Kind::Millis { min, .. } => format!("ms (≥ {min})"),
        Kind::Megabytes(_) => "MB".into(),
        Kind::Hours(_) => "hours".into(),
        Kind::Count { min, max } if *max < NO_LIMIT => format!("integer {min}–{max}"),
        Kind::Count { min, .. } => format!("integer (≥ {min})"),
        Kind::Choice { words, .. } => {
            let each: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
            each.join(" \\| ")
        }
        Kind::Literal(text) => format!("`{text}`"),
        Kind::Either(kinds) => {
            let each: Vec<String> = kinds.iter().map(type_doc).collect();
            each.join(" or ")
        }
        Kind::Object(fields) => {
            let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            format!("object {{ {} }}", names.join(", "))
        }
        Kind::Map(_) => "object by channel id".into(),
        Kind::Secret => "string or SecretRef".into(),
        Kind::Accounts => "object by account id".into(),
    }
}

fn default_doc(key: &Key) -> String {
    let written = doc(key).0;
    if !written.is_empty() {
        return written.to_string();
    }
    match key.kind {
        Kind::Bool(Some(d)) => format!("`{d}`"),
        Kind::Millis { default, .. } => format!("`{default}`"),
        Kind::Megabytes(d) | Kind::Hours(d) => format!("`{d}`"),
        _ => match key.kind.default_word() {
            Some(d) => format!("`\"{d}\"`"),
            None => "unset".into(),
        },
    }
}

/// The Markdown table of every key.
pub fn key_table() -> String {
    let mut out = String::from(
        "| key | type | default | env | read by | meaning |\n|---|---|---|---|---|---|\n",
    );
    for key in KEYS.iter() {
        let reader = match key.reader {
            Reader::Bridge => "bridge",
            Reader::Plugin => "plugin",
        };
        let meaning = match key.status {
            Status::Active => doc(key).1.to_string(),
            Status::Waits(issue) => format!("**Not active yet (issue {issue}).** {}", doc(key).1),
            Status::Ignored => format!("**No effect, on purpose.** {}", doc(key).1),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {reader} | {meaning} |\n",
            key.name,
            type_doc(&key.kind),
            default_doc(key),
            key.env.map_or("".to_string(), |v| format!("`{v}`")),
        ));
    }
    out
}

#[test]
fn the_plugin_schema_is_the_key_table() {
    let path = repo("openclaw-plugin/openclaw.plugin.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut manifest: Value = serde_json::from_str(&text).unwrap();
    let wanted = plugin_schema();
    let schema = &mut manifest["channelConfigs"]["mattermost"]["schema"];
    if *schema != wanted {
        assert!(
            write_wanted(),
            "{} differs from src/config/keys.rs: run OCMM_WRITE_DOCS=1 cargo test --lib config::docs",
            path.display()
        );
        *schema = wanted;
        let text = serde_json::to_string_pretty(&manifest).unwrap();
        std::fs::write(&path, format!("{text}\n")).unwrap();
    }
}

#[test]
fn the_documentation_table_is_the_key_table() {
    let path = repo("docs/configuration.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find(START).expect("the start marker") + START.len();
    let end = text.find(END).expect("the end marker");
    let wanted = format!("\n{}", key_table());
    if text[start..end] != wanted {
        assert!(
            write_wanted(),
            "{}'s key table differs from src/config/keys.rs: run OCMM_WRITE_DOCS=1 cargo test --lib config::docs",
            path.display()
        );
        let text = format!("{}{wanted}{}", &text[..start], &text[end..]);
        std::fs::write(&path, text).unwrap();
    }
}

/// Every key of OpenClaw's own Mattermost plugin's schema (2026.9.5), top level and in
/// `accounts`, is a key here, so a config written for it is accepted.
#[test]
fn every_key_of_openclaws_own_plugin_is_defined() {
    const JS_KEYS: &[&str] = &[
        "name",
        "capabilities",
        "dangerouslyAllowNameMatching",
        "markdown",
        "enabled",
        "configWrites",
        "contextVisibility",
        "historyLimit",
        "mediaMaxMb",
        "botToken",
        "baseUrl",
        "chatmode",
        "oncharPrefixes",
        "requireMention",
        "implicitMentions",
        "dmPolicy",
        "allowFrom",
        "groupAllowFrom",
        "groupPolicy",
        "textChunkLimit",
        "streaming",
        "replyToMode",
        "replyToModeByChatType",
        "responsePrefix",
        "actions",
        "commands",
        "interactions",
        "groups",
        "network",
        "dmChannelRetry",
        "accounts",
        "defaultAccount",
    ];
    for name in JS_KEYS {
        assert!(super::keys::find(name).is_some(), "{name}");
    }
    assert_eq!(DOCS.len(), KEYS.len());
    for (i, key) in KEYS.iter().enumerate() {
        assert!(!DOCS[i].1.is_empty(), "{} has a meaning", key.name);
        assert_eq!(
            KEYS.iter().filter(|k| k.name == key.name).count(),
            1,
            "{} once",
            key.name
        );
    }
}
