//! Checks a value against a key's kind when the bridge does not read the key itself (the
//! plugin's keys, and those not active yet): a config written for OpenClaw's own Mattermost
//! plugin is accepted, and a wrong type is still one line naming the key and what it takes.

use super::keys::Kind;
use super::{ConfigError, SECTION};
use serde_json::Value;

/// `Ok` when `value` fits `kind`; else the error names `path` (e.g. `streaming.mode`).
pub fn check(path: &str, value: &Value, kind: &Kind) -> Result<(), ConfigError> {
    let fits = match (kind, value) {
        (_, Value::Null) => true,
        (Kind::Bool(_), Value::Bool(_)) => true,
        (Kind::Text, Value::String(_)) => true,
        (Kind::List | Kind::Ids, Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let number_ok = matches!(kind, Kind::Ids) && item.is_number();
                if !item.is_string() && !number_ok {
                    return Err(wrong(&format!("{path}[{i}]"), item, "a string"));
                }
            }
            true
        }
        (Kind::Millis { min, .. } | Kind::Count { min, .. }, Value::Number(n)) => {
            let n = n.as_f64().unwrap_or(f64::MAX);
            let max = match kind {
                Kind::Count { max, .. } => *max as f64,
                _ => f64::INFINITY,
            };
            n.fract() == 0.0 && n >= *min as f64 && n <= max
        }
        (Kind::Megabytes(_) | Kind::Hours(_), Value::Number(n)) => {
            n.as_f64().is_some_and(|n| n >= 0.0)
        }
        (Kind::Choice { words, .. }, Value::String(text)) => {
            if words.contains(&text.as_str()) {
                return Ok(());
            }
            return Err(ConfigError(format!(
                "{SECTION}.{path} is \"{text}\" ({})",
                one_of(words)
            )));
        }
        (Kind::Literal(json), _) => serde_json::to_string(value).is_ok_and(|text| text == *json),
        (Kind::Either(kinds), _) => {
            // The form of the value's own JSON type says what was meant.
            let meant = kinds.iter().find(|k| same_type(k, value));
            return match meant {
                Some(kind) => check(path, value, kind),
                None => Err(wrong(path, value, &describe(kind))),
            };
        }
        (Kind::Object(fields), Value::Object(map)) => {
            for (name, item) in map {
                match fields.iter().find(|(field, _)| field == name) {
                    Some((_, kind)) => check(&format!("{path}.{name}"), item, kind)?,
                    None => {
                        return Err(ConfigError(format!(
                            "{SECTION}.{path}.{name} is not a key of {path} (it takes: {})",
                            field_names(fields)
                        )))
                    }
                }
            }
            true
        }
        (Kind::Map(kind), Value::Object(map)) => {
            for (name, item) in map {
                check(&format!("{path}.{name}"), item, kind)?;
            }
            true
        }
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(wrong(path, value, &describe(kind)))
    }
}

/// `use one of "a", "b"`: the fix for a word that is not one of `words`.
pub fn one_of(words: &[&str]) -> String {
    let list: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
    format!("use one of {}", list.join(", "))
}

fn wrong(path: &str, value: &Value, what: &str) -> ConfigError {
    let mut shown = value.to_string();
    if shown.len() > 40 {
        let mut end = 40;
        while !shown.is_char_boundary(end) {
            end -= 1;
        }
        shown = format!("{}…", &shown[..end]);
    }
    ConfigError(format!("{SECTION}.{path} must be {what} (got {shown})"))
}

fn same_type(kind: &Kind, value: &Value) -> bool {
    match (kind, value) {
        (Kind::Literal(json), _) => json.starts_with('"') == value.is_string(),
        (Kind::Bool(_), Value::Bool(_)) => true,
        (Kind::Text | Kind::Choice { .. }, Value::String(_)) => true,
        (Kind::Object(_) | Kind::Map(_), Value::Object(_)) => true,
        _ => false,
    }
}

fn field_names(fields: &[(&str, Kind)]) -> String {
    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    names.join(", ")
}

/// What a kind takes, in the words of an error message.
pub fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Bool(_) => "true or false".into(),
        Kind::Text => "a string".into(),
        Kind::List => "a list of strings".into(),
        Kind::Ids => "a list of ids or @usernames".into(),
        Kind::Millis { min, .. } => format!("a number of milliseconds, at least {min}"),
        Kind::Megabytes(_) => "a number of megabytes".into(),
        Kind::Hours(_) => "a number of hours".into(),
        Kind::Count { min, max } if *max < super::NO_LIMIT => {
            format!("a whole number from {min} to {max}")
        }
        Kind::Count { min, .. } => format!("a whole number, at least {min}"),
        Kind::Choice { words, .. } => {
            let list: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
            format!("one of {}", list.join(", "))
        }
        Kind::Literal(json) => json.to_string(),
        Kind::Either(kinds) => {
            let each: Vec<String> = kinds.iter().map(describe).collect();
            each.join(" or ")
        }
        Kind::Object(fields) => format!("an object {{ {} }}", field_names(fields)),
        Kind::Map(_) => "an object { id: { … } }".into(),
        Kind::Secret => "a string or { source, provider, id }".into(),
        Kind::Accounts => "an object { id: { … } }".into(),
    }
}
