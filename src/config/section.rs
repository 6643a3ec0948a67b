//! Typed access to the `channels.mattermost` section: each getter takes a key of `keys.rs`
//! (its default and bounds come from there), substitutes `${VAR}`, names the key and the fix
//! in its error, and notes the value in effect for `--print-config`.

use super::env_vars::{self, MissingVar};
use super::keys::{self, Key, Kind, Reader, Status, KEYS};
use super::ContextVisibility;
use super::{
    saturating_count, shape, Config, ConfigError, Env, MIB, MS_PER_HOUR, NO_LIMIT, SECTION,
};
use crate::mattermost::api::DmRetry;
use crate::server_url::ServerUrl;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Typed access to the section, with `${VAR}` substitution and error messages that name keys.
pub(super) struct Section<'a> {
    map: &'a Map<String, Value>,
    env: Env<'a>,
    /// Where the operator should make the fix (the file path).
    hint: String,
    /// `MATTERMOST_URL` and friends may fill unset keys (the default account only).
    fallbacks: bool,
    /// The value in effect of each key read so far, for `--print-config`.
    values: RefCell<Map<String, Value>>,
    /// Keys the section left unset, filled from elsewhere in OpenClaw's config (key, path).
    inherited: Vec<(&'static str, &'static str)>,
}

impl<'a> Section<'a> {
    pub(super) fn new(
        map: &'a Map<String, Value>,
        env: Env<'a>,
        hint: String,
        fallbacks: bool,
    ) -> Section<'a> {
        Section {
            map,
            env,
            hint,
            fallbacks,
            values: RefCell::default(),
            inherited: Vec::new(),
        }
    }

    /// Names where the `inherited` keys' values came from (for `--print-config`).
    pub(super) fn inheriting(mut self, inherited: Vec<(&'static str, &'static str)>) -> Self {
        self.inherited = inherited;
        self
    }

    pub(super) fn build(&self) -> Result<Config, ConfigError> {
        let mut warnings = self.unknown_key_warnings();
        let not_active = self.check_other_keys()?;
        let server = self.server_url(&mut warnings)?;
        let token = self.token()?;
        let chatmode = self.chatmode()?;
        let onchar_prefixes = match self.string_list(keys::ONCHAR_PREFIXES)? {
            Some(list) => list,
            None => vec![">".to_string(), "!".to_string()],
        };
        self.note(keys::ONCHAR_PREFIXES, json!(onchar_prefixes));
        if onchar_prefixes.iter().any(|p| p.is_empty()) {
            return Err(self.invalid(
                "oncharPrefixes",
                "contains an empty prefix",
                "use non-empty strings such as \">\" or \"!\"",
            ));
        }
        let allow_from = self.string_list(keys::ALLOW_FROM)?.unwrap_or_default();
        self.note(keys::ALLOW_FROM, json!(allow_from));
        let allow_name_matching = self.bool(keys::DANGEROUSLY_ALLOW_NAME_MATCHING)?;
        // With name matching a bare name is meant as one.
        if !allow_name_matching {
            warnings.extend(allow_from_warnings(&allow_from));
        }
        let allow_channels = self.string_list(keys::ALLOW_CHANNELS)?.unwrap_or_default();
        self.note(keys::ALLOW_CHANNELS, json!(allow_channels));
        if !not_active.is_empty() {
            warnings.push(not_active_line(&not_active));
        }
        let mut config = Config {
            file: None,
            server,
            token,
            allow_from,
            team_id: self.string_or_env(keys::TEAM_ID)?,
            allow_channels,
            respond_to_mentions: self.bool(keys::RESPOND_TO_MENTIONS)?,
            forward_unaddressed: false,
            respond_to_dms: self.bool(keys::RESPOND_TO_DMS)?,
            reconnect_interval: self.millis(keys::RECONNECT_INTERVAL)?,
            chatmode,
            onchar_prefixes,
            dm_policy: self.choice(keys::DM_POLICY)?,
            allow_bots: self.bool(keys::ALLOW_BOTS)?,
            text_chunk_limit: self.text_chunk_limit()?,
            retry_budget: self.millis(keys::RETRY_BUDGET)?,
            dm_retry: self.dm_retry()?,
            media_dir: self.media_dir()?,
            media_max_bytes: self.megabytes(keys::MEDIA_MAX_MB)?,
            media_max_total_bytes: self.media_max_total_bytes()?,
            media_retention: self.media_retention()?,
            use_websocket: self.bool(keys::USE_WEBSOCKET)?,
            poll_interval: self.millis(keys::POLL_INTERVAL)?,
            ca_file: self.path(keys::CA_FILE)?,
            state_file: self.state_file()?,
            catch_up_max_age: self.millis(keys::CATCH_UP_MAX_AGE)?,
            group_policy: self.choice(keys::GROUP_POLICY)?,
            group_allow_from: self.group_allow_from()?,
            allow_name_matching,
            groups_require_mention: self.groups()?,
            implicit_mentions: self.implicit_mentions()?,
            history_limit: self.history_limit()?,
            context_visibility: self.context_visibility()?,
            not_active,
            warnings,
            values: Map::new(),
            sources: BTreeMap::new(),
            callbacks: Default::default(),
        };
        config.values = self.values.take();
        config.sources = self.sources(&config.values);
        if let Some(why) = config.nobody_can_talk() {
            config.warnings.insert(0, why);
        }
        Ok(config)
    }

    /// Checks the type of every key the bridge does not read itself (the plugin's, and those
    /// not active yet or without effect on purpose), and lists the configured ones that have no
    /// effect yet.
    fn check_other_keys(&self) -> Result<Vec<(&'static str, u16)>, ConfigError> {
        let mut not_active = Vec::new();
        for key in KEYS.iter() {
            let Some(value) = self.value(key.name) else {
                continue;
            };
            if key.reader == Reader::Plugin || !key.is_active() {
                shape::check(key.name, value, &key.kind)?;
            }
            match key.status {
                Status::Waits(issue) => not_active.push((key.name, issue)),
                Status::Active => {}
                // Shown by --print-config with its value, as a key without effect.
                Status::Ignored => self.note(key, value.clone()),
            }
        }
        Ok(not_active)
    }

    /// `chatmode`, else what `requireMention` says (`false`: every post), else `oncall`: the
    /// rule of OpenClaw's own Mattermost plugin.
    fn chatmode(&self) -> Result<super::ChatMode, ConfigError> {
        use super::ChatMode;
        let mode = match (
            self.optional_choice::<ChatMode>(keys::CHATMODE)?,
            self.flag(keys::REQUIRE_MENTION)?,
        ) {
            (Some(mode), _) => mode,
            (None, Some(false)) => ChatMode::EveryPost,
            (None, _) => ChatMode::Mention,
        };
        self.note(keys::CHATMODE, json!(mode.to_string()));
        Ok(mode)
    }

    fn group_allow_from(&self) -> Result<Vec<String>, ConfigError> {
        let list = self
            .string_list(keys::GROUP_ALLOW_FROM)?
            .unwrap_or_default();
        self.note(keys::GROUP_ALLOW_FROM, json!(list));
        Ok(list)
    }

    /// `groups`: each channel id (or `*`) whose entry sets `requireMention`.
    fn groups(&self) -> Result<Vec<(String, bool)>, ConfigError> {
        let mut entries = Vec::new();
        if let Some(Value::Object(map)) = self.checked(keys::GROUPS)? {
            for (id, entry) in map {
                if let Some(flag) = entry.get("requireMention").and_then(Value::as_bool) {
                    entries.push((id.trim().to_string(), flag));
                }
            }
        }
        Ok(entries)
    }

    /// `implicitMentions`: each kind on unless set to `false`.
    fn implicit_mentions(&self) -> Result<super::ImplicitMentions, ConfigError> {
        let value = self.checked(keys::IMPLICIT_MENTIONS)?;
        let on = |name: &str| value.and_then(|v| v.get(name)) != Some(&Value::Bool(false));
        Ok(super::ImplicitMentions {
            reply_to_bot: on("replyToBot"),
            quoted_bot: on("quotedBot"),
            thread_participation: on("threadParticipation"),
        })
    }

    /// An object key's value, checked against its kind and noted as written.
    fn checked(&self, key: &Key) -> Result<Option<&Value>, ConfigError> {
        let value = self.value(key.name);
        if let Some(value) = value {
            shape::check(key.name, value, &key.kind)?;
        }
        self.note(key, value.cloned().unwrap_or(Value::Null));
        Ok(value)
    }

    /// Records the value in effect of `key` for `--print-config`.
    fn note(&self, key: &Key, value: Value) {
        self.values.borrow_mut().insert(key.name.to_string(), value);
    }

    /// `contextVisibility`, else `all`. No default in the key table: the plugin's schema must
    /// not fill one in, or OpenClaw's `channels.defaults.contextVisibility` would never apply.
    fn context_visibility(&self) -> Result<ContextVisibility, ConfigError> {
        let key = keys::CONTEXT_VISIBILITY_KEY;
        if self.word(key)?.is_some() {
            return self.choice(key);
        }
        self.note(key, json!("all"));
        Ok(ContextVisibility::All)
    }

    /// `historyLimit`, else OpenClaw's default.
    fn history_limit(&self) -> Result<usize, ConfigError> {
        let key = keys::HISTORY_LIMIT;
        Ok(match self.count(key)? {
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
            None => {
                self.note(key, json!(crate::history::DEFAULT_LIMIT));
                crate::history::DEFAULT_LIMIT
            }
        })
    }

    /// Where each noted key's value comes from, for `--print-config` and `--check`.
    fn sources(&self, values: &Map<String, Value>) -> BTreeMap<&'static str, String> {
        let env_set = |var: &str| (self.env)(var).is_some_and(|v| !v.trim().is_empty());
        KEYS.iter()
            .filter(|key| values.contains_key(key.name))
            .map(|key| {
                let from_file = match key.name {
                    "serverUrl" => self.value("serverUrl").or_else(|| self.value("baseUrl")),
                    "chatmode" => self
                        .value("chatmode")
                        .or_else(|| self.value("requireMention")),
                    name => self.value(name),
                };
                let elsewhere = self.inherited.iter().find(|(name, _)| *name == key.name);
                let source = match (from_file, key.name) {
                    (Some(_), _) if elsewhere.is_some() => {
                        format!("file ({})", elsewhere.map_or("", |(_, path)| path))
                    }
                    (Some(Value::Object(secret)), "botToken") => format!(
                        "env {}",
                        secret.get("id").and_then(Value::as_str).unwrap_or("?")
                    ),
                    (Some(Value::String(text)), _) if text.contains("${") => {
                        format!("file ({})", text.trim())
                    }
                    (Some(_), _) => "file".to_string(),
                    (None, _) => match key.env {
                        Some(var) if self.fallback(var).is_some() => format!("env {var}"),
                        _ if matches!(key.name, "mediaDir" | "stateFile")
                            && env_set("OPENCLAW_STATE_DIR") =>
                        {
                            "default (from OPENCLAW_STATE_DIR)".to_string()
                        }
                        _ => "default".to_string(),
                    },
                };
                (key.name, source)
            })
            .collect()
    }

    fn unknown_key_warnings(&self) -> Vec<String> {
        self.map
            .keys()
            .filter(|key| keys::find(key).is_none())
            .map(|key| match near_miss(key) {
                Some(known) => {
                    format!("{SECTION}.{key} is not a key this bridge knows; ignored: did you mean {known}?")
                }
                None => format!(
                    "{SECTION}.{key} is not a key this bridge knows; ignored (keys are case-sensitive: see docs/configuration.md)"
                ),
            })
            .collect()
    }

    fn server_url(&self, warnings: &mut Vec<String>) -> Result<ServerUrl, ConfigError> {
        let (key, text) = match (self.string("serverUrl")?, self.string("baseUrl")?) {
            (Some(url), _) => ("serverUrl", url),
            (None, Some(url)) => ("baseUrl", url),
            (None, None) => match self.fallback("MATTERMOST_URL") {
                Some(url) => ("serverUrl", url),
                None => return Err(self.missing("serverUrl", "MATTERMOST_URL")),
            },
        };
        let url = ServerUrl::parse(&text)
            .map_err(|why| self.invalid(key, &why, "use e.g. https://chat.example.com"))?;
        if !url.tls {
            warnings.push(format!(
                "{SECTION}.{key} uses plain http://: the bot token travels unencrypted"
            ));
        }
        self.note(keys::SERVER_URL, json!(url.to_string()));
        Ok(url)
    }

    fn token(&self) -> Result<String, ConfigError> {
        let token =
            match self.map.get("botToken") {
                None | Some(Value::Null) => self
                    .fallback("MATTERMOST_BOT_TOKEN")
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| self.missing("botToken", "MATTERMOST_BOT_TOKEN"))?,
                Some(Value::String(text)) => self.substitute("botToken", text)?,
                Some(Value::Object(secret)) => self.secret_ref(secret)?,
                Some(_) => return Err(self.invalid(
                    "botToken",
                    "must be a string or { source: \"env\", provider: \"default\", id: \"VAR\" }",
                    "set it to the bot's access token or \"${MATTERMOST_BOT_TOKEN}\"",
                )),
            };
        let token = token.trim().to_string();
        self.note(keys::BOT_TOKEN, json!("[redacted]"));
        if token.is_empty() {
            return Err(self.invalid("botToken", "is empty", "set it to the bot's access token"));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(self.invalid(
                "botToken",
                "contains spaces or control characters",
                "paste the token exactly as Mattermost showed it",
            ));
        }
        Ok(token)
    }

    /// OpenClaw's secret reference `{ source: "env", provider: "default", id: "VAR" }`; the
    /// sources `file`, `exec` and `store` need OpenClaw's `secrets.providers` and are refused
    /// by name.
    fn secret_ref(&self, secret: &Map<String, Value>) -> Result<String, ConfigError> {
        let source = secret.get("source").and_then(Value::as_str).unwrap_or("");
        let id = secret.get("id").and_then(Value::as_str).unwrap_or("");
        if source != "env" {
            return Err(self.invalid(
                "botToken",
                &format!("uses secret source \"{source}\", which this bridge does not support yet"),
                "use { source: \"env\", id: \"VAR\" } or a \"${VAR}\" string",
            ));
        }
        if id.is_empty() {
            return Err(self.invalid(
                "botToken.id",
                "is missing",
                "name the environment variable that holds the token",
            ));
        }
        (self.env)(id).filter(|v| !v.is_empty()).ok_or_else(|| {
            ConfigError(format!(
                "{SECTION}.botToken refers to the environment variable {id}, which is not set (export {id}=YOUR_TOKEN)"
            ))
        })
    }

    fn media_dir(&self) -> Result<PathBuf, ConfigError> {
        let dir = self.configured_or_default_media_dir()?;
        self.note(keys::MEDIA_DIR, json!(dir.display().to_string()));
        Ok(dir)
    }

    /// `mediaDir`, else `$OPENCLAW_STATE_DIR/media/mattermost`, else this user's own:
    /// `$XDG_STATE_HOME` or `~/.local/state` (`openclaw-mattermost/media` in it), else (no
    /// home, or `/`, e.g. a `scratch` container) `<temp dir>/openclaw-mattermost-<uid>/media`.
    fn configured_or_default_media_dir(&self) -> Result<PathBuf, ConfigError> {
        if let Some(dir) = self.string("mediaDir")? {
            return Ok(PathBuf::from(dir));
        }
        let var = |name| (self.env)(name).filter(|v| !v.trim().is_empty());
        if let Some(state) = var("OPENCLAW_STATE_DIR") {
            return Ok(Path::new(&state).join("media").join("mattermost"));
        }
        let state_home = var("XDG_STATE_HOME")
            .map(PathBuf::from)
            .filter(|dir| dir.is_absolute())
            .or_else(|| {
                // Docker's HOME without a user database is `/`: not a home.
                var("HOME")
                    .filter(|home| home != "/" && Path::new(home).is_dir())
                    .map(|home| Path::new(&home).join(".local/state"))
            });
        Ok(match state_home {
            Some(dir) => dir.join("openclaw-mattermost"),
            // SAFETY: geteuid cannot fail.
            None => std::env::temp_dir().join(format!("openclaw-mattermost-{}", unsafe {
                libc::geteuid()
            })),
        }
        .join("media"))
    }

    /// `stateFile`, else `$OPENCLAW_STATE_DIR/mattermost-state.json` when that dir exists.
    fn state_file(&self) -> Result<Option<PathBuf>, ConfigError> {
        let file = match self.string("stateFile")? {
            Some(path) => Some(PathBuf::from(path)),
            None => (self.env)("OPENCLAW_STATE_DIR")
                .filter(|dir| !dir.trim().is_empty() && Path::new(dir).is_dir())
                .map(|dir| Path::new(&dir).join("mattermost-state.json")),
        };
        let shown = file.as_ref().map(|f| f.display().to_string());
        self.note(keys::STATE_FILE, json!(shown));
        Ok(file)
    }

    /// `mediaMaxTotalMb` (default 1024); 0 or Infinity: no cap.
    fn media_max_total_bytes(&self) -> Result<u64, ConfigError> {
        match self.megabytes(keys::MEDIA_MAX_TOTAL_MB)? {
            0 | NO_LIMIT => {
                self.note(keys::MEDIA_MAX_TOTAL_MB, json!(0));
                Ok(u64::MAX)
            }
            bytes => Ok(bytes),
        }
    }

    /// `mediaRetentionHours` (default 24); 0 keeps files forever.
    fn media_retention(&self) -> Result<Option<Duration>, ConfigError> {
        let key = keys::MEDIA_RETENTION_HOURS;
        let default = match key.kind {
            Kind::Hours(default) => default,
            _ => 0.0,
        };
        let hours = self.number(key.name, default, 0.0)?;
        if hours == 0.0 {
            self.note(key, json!(0.0));
            return Ok(None);
        }
        let ms = saturating_count(hours, MS_PER_HOUR).max(1);
        self.note(key, json!(ms as f64 / MS_PER_HOUR));
        Ok(Some(Duration::from_millis(ms)))
    }

    fn text_chunk_limit(&self) -> Result<Option<usize>, ConfigError> {
        let limit = self
            .count(keys::TEXT_CHUNK_LIMIT)?
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        Ok(limit)
    }

    /// A whole number within the key's bounds, when set; `Infinity` saturates at [`NO_LIMIT`].
    /// `dmChannelRetry`: the fields set over the defaults (`DmRetry::default`); with both set,
    /// `initialDelayMs` may not exceed `maxDelayMs`.
    fn dm_retry(&self) -> Result<DmRetry, ConfigError> {
        let key = keys::DM_CHANNEL_RETRY;
        let mut retry = DmRetry::default();
        if let Some(value) = self.value(key.name) {
            shape::check(key.name, value, &key.kind)?;
            let field = |name: &str| value.get(name).and_then(Value::as_u64);
            if let Some(n) = field("maxRetries") {
                retry.max_retries = u32::try_from(n).unwrap_or(u32::MAX);
            }
            let millis = Duration::from_millis;
            if let Some(n) = field("initialDelayMs") {
                retry.initial_delay = millis(n);
            }
            if let Some(n) = field("maxDelayMs") {
                retry.max_delay = millis(n);
            }
            if let Some(n) = field("timeoutMs") {
                retry.timeout = millis(n);
            }
            if let (Some(initial), Some(max)) = (field("initialDelayMs"), field("maxDelayMs")) {
                if initial > max {
                    return Err(self.invalid(
                        "dmChannelRetry.initialDelayMs",
                        &format!("must be at most maxDelayMs ({initial} > {max})"),
                        "lower initialDelayMs or raise maxDelayMs",
                    ));
                }
            }
        }
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.note(
            key,
            json!({
                "maxRetries": retry.max_retries,
                "initialDelayMs": ms(retry.initial_delay),
                "maxDelayMs": ms(retry.max_delay),
                "timeoutMs": ms(retry.timeout),
            }),
        );
        Ok(retry)
    }

    fn count(&self, key: &Key) -> Result<Option<u64>, ConfigError> {
        let (min, max) = match key.kind {
            Kind::Count { min, max } => (min, max),
            _ => (0, NO_LIMIT),
        };
        if self.value(key.name).is_none() {
            self.note(key, Value::Null);
            return Ok(None);
        }
        let n = self.number(key.name, 0.0, min as f64)?;
        if n.fract() != 0.0 {
            return Err(self.invalid(key.name, "must be a whole number", "use e.g. 4000"));
        }
        let n = saturating_count(n, 1.0);
        if n > max {
            return Err(self.invalid(
                key.name,
                &format!("must be at most {max} (got {n})"),
                "lower the value",
            ));
        }
        self.note(key, json!(n));
        Ok(Some(n))
    }

    fn value(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn substitute(&self, key: &str, text: &str) -> Result<String, ConfigError> {
        env_vars::substitute(text, self.env).map_err(|MissingVar(name)| {
            ConfigError(format!(
                "{SECTION}.{key} uses ${{{name}}}, but the environment variable {name} is not set (export it, or write $${{{name}}} for a literal)"
            ))
        })
    }

    fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(text)) => {
                let text = self.substitute(key, text)?;
                Ok(Some(text.trim().to_string()).filter(|t| !t.is_empty()))
            }
            Some(_) => Err(self.invalid(key, "must be a string", "put the value in quotes")),
        }
    }

    fn string_or_env(&self, key: &Key) -> Result<Option<String>, ConfigError> {
        let from_env = || key.env.and_then(|var| self.fallback(var));
        let text = self.string(key.name)?.or_else(from_env);
        self.note(key, json!(text));
        Ok(text)
    }

    /// A path, when set.
    fn path(&self, key: &Key) -> Result<Option<PathBuf>, ConfigError> {
        let text = self.string(key.name)?;
        self.note(key, json!(text));
        Ok(text.map(PathBuf::from))
    }

    /// An environment variable that fills an unset key (`MATTERMOST_URL`…), when set and the
    /// account is the default one.
    fn fallback(&self, var: &str) -> Option<String> {
        (self.env)(var).filter(|v| self.fallbacks && !v.trim().is_empty())
    }

    /// A list of strings; for `Kind::Ids` numbers are taken as their text (OpenClaw allows
    /// numeric ids).
    fn string_list(&self, key: &Key) -> Result<Option<Vec<String>>, ConfigError> {
        let numbers_too = matches!(key.kind, Kind::Ids);
        let key = key.name;
        let items = match self.value(key) {
            None => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(_) => {
                return Err(self.invalid(
                    key,
                    "must be a list of strings",
                    "use e.g. [\"id1\", \"@alice\"]",
                ))
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_key = format!("{key}[{i}]");
            match item {
                Value::String(text) => {
                    let text = self.substitute(&item_key, text)?;
                    let text = text.trim();
                    if !text.is_empty() {
                        out.push(text.to_string());
                    }
                }
                Value::Number(n) if numbers_too => out.push(n.to_string()),
                _ => return Err(self.invalid(&item_key, "must be a string", "quote it")),
            }
        }
        Ok(Some(out))
    }

    /// A key with a default (`Kind::Bool(Some(_))`).
    pub(super) fn bool(&self, key: &Key) -> Result<bool, ConfigError> {
        let default = matches!(key.kind, Kind::Bool(Some(true)));
        let b = self.flag(key)?.unwrap_or(default);
        self.note(key, json!(b));
        Ok(b)
    }

    /// `true`/`false`, or `None` when unset.
    fn flag(&self, key: &Key) -> Result<Option<bool>, ConfigError> {
        match self.value(key.name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.invalid(
                key.name,
                &format!("must be true or false (got {other})"),
                "write true or false without quotes",
            )),
        }
    }

    fn number(&self, key: &str, default: f64, min: f64) -> Result<f64, ConfigError> {
        let n = match self.value(key) {
            None => return Ok(default),
            Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::MAX),
            Some(other) => {
                return Err(self.invalid(
                    key,
                    &format!("must be a number (got {other})"),
                    "write a number without quotes",
                ))
            }
        };
        if n < min {
            return Err(self.invalid(
                key,
                &format!("must be at least {min} (got {n})"),
                "raise the value",
            ));
        }
        Ok(n)
    }

    /// A duration in milliseconds, at least the key's minimum; `Infinity` saturates at
    /// [`NO_LIMIT`].
    fn millis(&self, key: &Key) -> Result<Duration, ConfigError> {
        let (default, min) = match key.kind {
            Kind::Millis { default, min } => (default, min),
            _ => (0, 0),
        };
        let ms = saturating_count(self.number(key.name, default as f64, min as f64)?, 1.0);
        self.note(key, json!(ms));
        Ok(Duration::from_millis(ms))
    }

    /// A size in megabytes (fractions allowed), as bytes; `Infinity` saturates at [`NO_LIMIT`].
    fn megabytes(&self, key: &Key) -> Result<u64, ConfigError> {
        let default = match key.kind {
            Kind::Megabytes(default) => default,
            _ => 0.0,
        };
        let bytes = saturating_count(self.number(key.name, default, 0.0)?, MIB);
        self.note(key, json!(bytes as f64 / MIB));
        Ok(bytes)
    }

    /// The key's word as its enum, else the key's default.
    fn choice<T: FromStr>(&self, key: &Key) -> Result<T, ConfigError> {
        let word = match self.word(key)? {
            Some(word) => word,
            None => {
                let word = key.kind.default_word().unwrap_or_default();
                self.note(key, json!(word));
                word
            }
        };
        word.parse()
            .map_err(|_| self.invalid(key.name, "has no default", "set it"))
    }
    /// The key's word as its enum, when set.
    fn optional_choice<T: FromStr>(&self, key: &Key) -> Result<Option<T>, ConfigError> {
        Ok(self.word(key)?.and_then(|word| word.parse().ok()))
    }

    /// The key's word, when set and one of the key's words.
    fn word(&self, key: &Key) -> Result<Option<&'static str>, ConfigError> {
        let Some(text) = self.string(key.name)? else {
            return Ok(None);
        };
        let words = match key.kind {
            Kind::Choice { words, .. } => words,
            _ => &[],
        };
        let Some(word) = words.iter().find(|w| **w == text) else {
            let fix = shape::one_of(words);
            return Err(self.invalid(key.name, &format!("is \"{text}\""), &fix));
        };
        self.note(key, json!(word));
        Ok(Some(word))
    }

    fn missing(&self, key: &str, var: &str) -> ConfigError {
        let or_env = if self.fallbacks {
            format!(" or {var}")
        } else {
            String::new()
        };
        ConfigError(format!(
            "{SECTION}.{key} is missing (set it in {}{or_env})",
            self.hint
        ))
    }

    fn invalid(&self, key: &str, what: &str, fix: &str) -> ConfigError {
        ConfigError(format!("{SECTION}.{key} {what} ({fix})"))
    }
}

/// The one line that lists the configured keys without effect yet, by the issue they wait on.
fn not_active_line(keys: &[(&'static str, u16)]) -> String {
    let mut issues: Vec<u16> = Vec::new();
    for &(_, issue) in keys {
        if !issues.contains(&issue) {
            issues.push(issue);
        }
    }
    let parts: Vec<String> = issues
        .iter()
        .map(|issue| {
            let names: Vec<&str> = keys
                .iter()
                .filter(|(_, i)| i == issue)
                .map(|(name, _)| *name)
                .collect();
            format!("{} (issue {issue})", names.join(", "))
        })
        .collect();
    format!(
        "{SECTION}: accepted but not active yet: {}",
        parts.join("; ")
    )
}

/// The known key `key` was probably meant as: the same but for case, or at most two edits away.
pub(super) fn near_miss(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    let known = || KEYS.iter().map(|k| k.name);
    known()
        .find(|k| k.to_ascii_lowercase() == lower)
        .or_else(|| {
            known().find(|k| k.len() > 4 && edit_distance(&k.to_ascii_lowercase(), &lower) <= 2)
        })
}

/// Levenshtein distance (keys are short: the quadratic table is a few hundred cells).
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// Mattermost ids are 26 lower-case letters and digits.
fn looks_like_id(text: &str) -> bool {
    text.len() == 26
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// `allowFrom` entries that are neither ids, `@usernames` nor `*`: usually a username without
/// its `@`, which would never match anyone.
fn allow_from_warnings(entries: &[String]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| *e != "*" && !e.starts_with('@') && !looks_like_id(e))
        .map(|e| {
            format!("{SECTION}.allowFrom entry \"{e}\" is not a user id (26 letters and digits); for a username write \"@{e}\"")
        })
        .collect()
}
