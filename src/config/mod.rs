//! Reads the `channels.mattermost` section of OpenClaw's config file (JSON5), fills gaps from the
//! environment and checks every value, so that a bad config stops the bridge before it connects
//! with one line that names the key and the fix. Every key is defined once, in `keys.rs`; the
//! user's documentation is `docs/configuration.md`.

pub mod callbacks;
mod choices;
#[cfg(test)]
mod docs;
mod env_vars;
pub mod keys;
pub mod print;
mod section;
mod shape;

pub use choices::{ChatMode, ContextVisibility, DmPolicy, GroupPolicy};

use crate::json5;
use crate::mattermost::api::DmRetry;
use crate::server_url::ServerUrl;
use section::Section;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SECTION: &str = "channels.mattermost";

/// Keys OpenClaw's own Mattermost plugin takes from elsewhere in OpenClaw's config when the
/// section (and the account) leave them unset, with where from.
const INHERITED: [(&str, &str); 2] = [
    ("historyLimit", "messages.groupChat.historyLimit"),
    ("contextVisibility", "channels.defaults.contextVisibility"),
];

/// The largest value a numeric key takes, in its own unit (milliseconds, bytes, characters):
/// 2^53, about 285,000 years or 8 PiB. `Infinity` ("no limit") and anything bigger become this,
/// so the sums and casts downstream (`+ 1`, `as i64`, `Instant + Duration`) cannot overflow.
pub const NO_LIMIT: u64 = 1 << 53;
pub(crate) const MIB: f64 = 1024.0 * 1024.0;
pub(crate) const MS_PER_HOUR: f64 = 3_600_000.0;

/// `n` times `unit` as a whole count, saturating at [`NO_LIMIT`] (below zero, and NaN, give 0):
/// the one conversion every numeric key goes through.
pub fn saturating_count(n: f64, unit: f64) -> u64 {
    (n * unit).clamp(0.0, NO_LIMIT as f64) as u64
}

/// The account id OpenClaw gives a config without `accounts`; the environment fills only its
/// gaps.
const DEFAULT_ACCOUNT: &str = "default";

/// `implicitMentions`: what else counts as addressing the bot in a channel (each on unless
/// set to `false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImplicitMentions {
    pub reply_to_bot: bool,
    pub quoted_bot: bool,
    pub thread_participation: bool,
}

impl Default for ImplicitMentions {
    fn default() -> Self {
        ImplicitMentions {
            reply_to_bot: true,
            quoted_bot: true,
            thread_participation: true,
        }
    }
}

/// The checked configuration. `Debug` is implemented by hand so the token can never be printed.
#[derive(Clone)]
pub struct Config {
    /// The file that was read, when there was one.
    pub file: Option<PathBuf>,
    pub server: ServerUrl,
    pub token: String,
    pub allow_from: Vec<String>,
    pub team_id: Option<String>,
    pub allow_channels: Vec<String>,
    pub respond_to_mentions: bool,
    /// `--unaddressed` (not a key): the host also wants channel posts that fail only the
    /// mention gate, as `message` lines with `addressed: false`.
    pub forward_unaddressed: bool,
    pub respond_to_dms: bool,
    pub reconnect_interval: Duration,
    pub chatmode: ChatMode,
    pub onchar_prefixes: Vec<String>,
    pub dm_policy: DmPolicy,
    pub allow_bots: bool,
    pub text_chunk_limit: Option<usize>,
    /// How long one REST call is retried (network errors, 5xx, 429) before giving up.
    pub retry_budget: Duration,
    /// How opening a DM channel is retried (`dmChannelRetry`).
    pub dm_retry: DmRetry,
    /// Where inbound files are downloaded.
    pub media_dir: PathBuf,
    /// Files above this size are neither downloaded nor sent.
    pub media_max_bytes: u64,
    /// What `mediaDir` may hold in all (`mediaMaxTotalMb`); `u64::MAX`: no cap.
    pub media_max_total_bytes: u64,
    /// Downloaded files older than this are removed; `None` keeps them.
    pub media_retention: Option<Duration>,
    /// false: poll the REST API instead of holding a WebSocket.
    pub use_websocket: bool,
    pub poll_interval: Duration,
    /// A PEM bundle trusted in addition to the built-in roots.
    pub ca_file: Option<PathBuf>,
    /// Where the last delivered post per channel is remembered across restarts; `None`: nowhere.
    pub state_file: Option<PathBuf>,
    /// Missed posts older than this are not replayed after a reconnect or restart.
    pub catch_up_max_age: Duration,
    /// Who may address the bot outside DMs.
    pub group_policy: GroupPolicy,
    /// `groupAllowFrom` as written (ids, `@usernames`, `*`); empty: `allowFrom` applies.
    pub group_allow_from: Vec<String>,
    /// `dangerouslyAllowNameMatching`: allow-list entries also match the sender's name.
    pub allow_name_matching: bool,
    /// `groups.<channel id or *>.requireMention`, for the entries that set it.
    pub groups_require_mention: Vec<(String, bool)>,
    pub implicit_mentions: ImplicitMentions,
    /// `historyLimit`: earlier posts kept per channel or thread for the next addressed post.
    pub history_limit: usize,
    /// `contextVisibility`: whether posts of senders outside the allow list are kept.
    pub context_visibility: ContextVisibility,
    /// The configured keys (or values) that are accepted but have no effect yet, with the issue
    /// each waits on.
    pub not_active: Vec<(&'static str, u16)>,
    /// Things worth a warning that do not stop the bridge (unknown keys, plain http).
    pub warnings: Vec<String>,
    /// Each bridge key's value in effect, as `--print-config` shows it (the token redacted).
    pub values: Map<String, Value>,
    /// Where each key's value came from: `file`, `file (${VAR})`, `env VAR` or `default`.
    pub sources: BTreeMap<&'static str, String>,
    /// Where Mattermost calls back for slash commands and buttons (for `--check`).
    pub callbacks: callbacks::Callbacks,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("file", &self.file)
            .field("server", &self.server.to_string())
            .field("token", &"[redacted]")
            .field("allow_from", &self.allow_from)
            .field("team_id", &self.team_id)
            .field("allow_channels", &self.allow_channels)
            .field("chatmode", &self.chatmode)
            .field("dm_policy", &self.dm_policy)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Why no post can ever reach the host, when that is so: the operator's most common silent
    /// failure (an empty or misspelled `allowFrom` with the default `dmPolicy`).
    pub fn nobody_can_talk(&self) -> Option<String> {
        let channels_open =
            self.group_policy == GroupPolicy::Open || !self.group_allow_from.is_empty();
        if !self.allow_from.is_empty() || channels_open {
            return None;
        }
        let dms_open =
            self.respond_to_dms && matches!(self.dm_policy, DmPolicy::Open | DmPolicy::Pairing);
        (!dms_open).then(|| {
            format!(
                "{SECTION}.allowFrom is empty, so nobody can talk to the bot: every post is dropped \
                 (list user ids or @usernames in allowFrom, or set dmPolicy to \"pairing\")"
            )
        })
    }
}

/// What loading produced: a config to run with, or `enabled: false`.
#[derive(Debug)]
pub enum Loaded {
    Enabled(Box<Config>),
    Disabled { file: Option<PathBuf> },
}

/// A config problem, already phrased as the one line the operator sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Finds, reads and checks the config. `cli_path` is `--config PATH`; `account` is
/// `--account ID` (see `account_section`); `env` looks up environment variables (injected so
/// tests need not touch the process environment).
pub fn load(
    cli_path: Option<&Path>,
    account: Option<&str>,
    env: Env,
) -> Result<Loaded, ConfigError> {
    let path = locate(cli_path, env);
    let (
        file,
        Parsed {
            section,
            inherited,
            gateway,
        },
    ) = match &path {
        Some(path) => read_section(path)?,
        None => (None, Default::default()),
    };
    if let (Some(path), None) = (cli_path, &file) {
        return Err(ConfigError(format!(
            "{} does not exist (check the path given to --config)",
            path.display()
        )));
    }
    let hint = match (&file, &path) {
        (Some(f), _) => f.display().to_string(),
        (None, Some(p)) => format!("{} (not found)", p.display()),
        (None, None) => "your OpenClaw config".to_string(),
    };
    let (section, fallbacks) = account_section(section, account)?;
    let hint = match account {
        Some(id) => format!("{hint} (account {id})"),
        None => hint,
    };
    check_section(file, section, (inherited, gateway), hint, env, fallbacks)
}

/// The account's view of the section: its keys overlaid with `accounts.<ID>`'s, as OpenClaw's
/// plugin resolves them; without `account`, ID is `defaultAccount`, else `default` (a config
/// without `accounts` is the section alone). Also whether the environment may fill its gaps:
/// only for the account `default`, as in OpenClaw's own Mattermost plugin.
fn account_section(
    mut section: Map<String, Value>,
    account: Option<&str>,
) -> Result<(Map<String, Value>, bool), ConfigError> {
    let accounts = match section.remove("accounts") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(ConfigError(format!(
                "{SECTION}.accounts must be an object {{ id: {{ … }} }}"
            )))
        }
    };
    let default_id = match section.remove("defaultAccount") {
        Some(Value::String(id)) if !id.is_empty() => id,
        _ => DEFAULT_ACCOUNT.to_string(),
    };
    let id = account.map_or(default_id.clone(), str::to_string);
    match accounts.get(&id) {
        Some(Value::Object(own)) => {
            let mut own = own.clone();
            // OpenClaw resolves `implicitMentions` entry by entry (account, then section).
            if let (Some(Value::Object(mine)), Some(Value::Object(base))) = (
                own.get_mut("implicitMentions"),
                section.get("implicitMentions"),
            ) {
                for (name, value) in base {
                    mine.entry(name.clone()).or_insert_with(|| value.clone());
                }
            }
            section.extend(own)
        }
        Some(_) => {
            return Err(ConfigError(format!(
                "{SECTION}.accounts.{id} must be an object {{ … }}"
            )))
        }
        None if account.is_some() && id != DEFAULT_ACCOUNT => {
            let known: Vec<&str> = accounts.keys().map(String::as_str).collect();
            return Err(ConfigError(format!(
                "{SECTION}.accounts has no account {id} (it has: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
        None => {}
    }
    Ok((section, id == DEFAULT_ACCOUNT))
}

/// Like `load`, for a config handed over as text (`--config-fd`) rather than as a file;
/// `origin` says where it came from in error messages.
pub fn load_text(text: &str, origin: &str, env: Env) -> Result<Loaded, ConfigError> {
    let Parsed {
        section,
        inherited,
        gateway,
    } = parse_section(text, origin)?;
    check_section(
        None,
        section,
        (inherited, gateway),
        origin.to_string(),
        env,
        true,
    )
}

/// Checks the account's section, with the `INHERITED` keys it leaves unset filled in.
fn check_section(
    file: Option<PathBuf>,
    mut section: Map<String, Value>,
    (inherited, gateway): (Inherited, callbacks::Gateway),
    hint: String,
    env: Env,
    fallbacks: bool,
) -> Result<Loaded, ConfigError> {
    let mut filled = Vec::new();
    for ((key, path), value) in INHERITED.into_iter().zip(inherited) {
        if let (None | Some(Value::Null), Some(value)) = (section.get(key), value) {
            section.insert(key.to_string(), value);
            filled.push((key, path));
        }
    }
    let reader = Section::new(&section, env, hint, fallbacks).inheriting(filled);
    if !reader.bool(keys::ENABLED)? {
        return Ok(Loaded::Disabled { file });
    }
    let mut config = reader.build()?;
    config.file = file;
    config.callbacks = callbacks::resolve(&section, &gateway, env);
    Ok(Loaded::Enabled(Box::new(config)))
}

/// Where the config file should be, in the contract's order of precedence.
pub fn locate(cli_path: Option<&Path>, env: Env) -> Option<PathBuf> {
    let non_empty = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(path) = cli_path {
        return Some(path.to_path_buf());
    }
    if let Some(path) = non_empty("OPENCLAW_CONFIG_PATH") {
        return Some(PathBuf::from(path));
    }
    if let Some(dir) = non_empty("OPENCLAW_STATE_DIR") {
        return Some(Path::new(&dir).join("openclaw.json"));
    }
    non_empty("HOME").map(|home| Path::new(&home).join(".openclaw").join("openclaw.json"))
}

/// The `INHERITED` keys' values found where OpenClaw keeps them, in that order.
type Inherited = [Option<Value>; INHERITED.len()];

/// What a config's text holds for the bridge.
#[derive(Default)]
pub(crate) struct Parsed {
    /// The `channels.mattermost` object.
    section: Map<String, Value>,
    /// The `INHERITED` keys found elsewhere in it.
    inherited: Inherited,
    /// Where the gateway listens (the callbacks' default address).
    gateway: callbacks::Gateway,
}

/// Reads the file and returns its sections (`parse_section`; empty when absent). A missing
/// file is not an error: the environment may supply everything.
fn read_section(path: &Path) -> Result<(Option<PathBuf>, Parsed), ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((None, Default::default()))
        }
        Err(e) => {
            return Err(ConfigError(format!(
                "cannot read {}: {e} (check the path and its permissions)",
                path.display()
            )))
        }
    };
    let parsed = parse_section(&text, &path.display().to_string())?;
    Ok((Some(path.to_path_buf()), parsed))
}

/// The `channels.mattermost` object of a config's text (empty when absent), the `INHERITED`
/// keys set where OpenClaw keeps them, and `gateway.customBindHost`/`gateway.port`.
pub(crate) fn parse_section(text: &str, origin: &str) -> Result<Parsed, ConfigError> {
    let root = json5::parse(text)
        .map_err(|e| ConfigError(format!("{origin}: {e} (the file must be valid JSON5)")))?;
    // (no map built: collecting one would bring a sort routine into the binary)
    let inherited = INHERITED.map(|(_, path)| {
        path.split('.')
            .try_fold(&root, |v, part| v.get(part))
            .cloned()
    });
    let section = match root.get("channels").and_then(|c| c.get("mattermost")) {
        None | Some(Value::Null) => match misplaced(&root) {
            Some(place) => {
                return Err(ConfigError(format!(
                    "{origin} has {place}; the bridge reads {SECTION} (move the keys there)"
                )))
            }
            None => Map::new(),
        },
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(ConfigError(format!(
                "{SECTION} in {origin} must be an object {{ … }}"
            )))
        }
    };
    let gateway = root.get("gateway");
    let gateway = callbacks::Gateway {
        bind_host: gateway.and_then(|g| g.get("customBindHost")).cloned(),
        port: gateway.and_then(|g| g.get("port")).cloned(),
    };
    Ok(Parsed {
        section,
        inherited,
        gateway,
    })
}

/// Where the bridge's keys were written instead of `channels.mattermost`, when they were: a
/// `mattermost` block at the top level, or bridge keys directly in `channels`.
fn misplaced(root: &Value) -> Option<String> {
    if root.get("mattermost").is_some_and(Value::is_object) {
        return Some("a \"mattermost\" block at the top level".into());
    }
    let channels = root.get("channels")?.as_object()?;
    let key = channels.keys().find(|k| {
        keys::find(k).is_some_and(|key| key.reader == keys::Reader::Bridge && key.is_active())
    })?;
    Some(format!("channels.{key}"))
}

#[cfg(test)]
mod tests {
    use super::section::{edit_distance, near_miss};
    use super::*;
    use std::collections::HashMap;
    use std::io::Write;

    struct Fixture {
        dir: PathBuf,
    }

    impl Fixture {
        fn new(name: &str) -> Fixture {
            let dir = std::env::temp_dir()
                .join(format!("ocmm-config-test-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Fixture { dir }
        }

        fn write(&self, text: &str) -> PathBuf {
            let path = self.dir.join("openclaw.json");
            std::fs::File::create(&path)
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            path
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn load_with(text: &str, vars: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
        let fixture = Fixture::new(&format!("{:x}", crate::random::next_u64()));
        let path = fixture.write(text);
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        load(Some(&path), None, &|name| vars.get(name).cloned())
    }

    fn config(text: &str, vars: &[(&str, &str)]) -> Config {
        match load_with(text, vars).unwrap() {
            Loaded::Enabled(config) => *config,
            Loaded::Disabled { .. } => panic!("disabled"),
        }
    }

    fn error(text: &str, vars: &[(&str, &str)]) -> String {
        load_with(text, vars).unwrap_err().to_string()
    }

    const SEED: &str = r#"{
      // OpenClaw's config is JSON5
      agents: { defaults: { model: '${SOME_OTHER_UNSET_VAR}' } },
      channels: {
        mattermost: {
          enabled: true,
          serverUrl: "https://chat.example.com/",
          botToken: "${MATTERMOST_BOT_TOKEN}",
          allowFrom: ["USER_ID_1", "@alice"],
          teamId: "TEAM_ID",
          allowChannels: ["CHANNEL_ID_1"],
          respondToMentions: true,
          respondToDMs: true,
          useWebSocket: true,
          reconnectInterval: 5000,
        },
      },
    }"#;

    #[test]
    fn reads_the_seed_config() {
        let c = config(SEED, &[("MATTERMOST_BOT_TOKEN", "tok-123")]);
        assert_eq!(c.server.to_string(), "https://chat.example.com");
        assert_eq!(c.token, "tok-123");
        assert_eq!(c.allow_from, vec!["USER_ID_1", "@alice"]);
        assert_eq!(c.team_id.as_deref(), Some("TEAM_ID"));
        assert_eq!(c.allow_channels, vec!["CHANNEL_ID_1"]);
        assert_eq!(c.reconnect_interval, Duration::from_millis(5000));
        assert_eq!(c.chatmode, ChatMode::Mention);
        assert_eq!(c.dm_policy, DmPolicy::Allowlist);
        assert_eq!(c.onchar_prefixes, vec![">", "!"]);
        // The seed's placeholder is not an id.
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains(r#"entry "USER_ID_1" is not a user id"#));
        assert!(!format!("{c:?}").contains("tok-123"));
    }

    #[test]
    fn media_and_polling_keys() {
        let defaults = config(
            SEED,
            &[
                ("MATTERMOST_BOT_TOKEN", "t"),
                ("OPENCLAW_STATE_DIR", "/srv/oc"),
            ],
        );
        assert_eq!(
            defaults.media_dir,
            PathBuf::from("/srv/oc/media/mattermost")
        );
        assert_eq!(defaults.media_max_bytes, 20 * 1024 * 1024);
        assert_eq!(defaults.media_max_total_bytes, 1024 * 1024 * 1024);
        assert_eq!(
            defaults.media_retention,
            Some(Duration::from_secs(24 * 3600))
        );
        assert!(defaults.use_websocket);
        assert_eq!(defaults.poll_interval, Duration::from_millis(3000));
        assert_eq!(defaults.state_file, None, "/srv/oc does not exist here");
        assert_eq!(defaults.catch_up_max_age, Duration::from_secs(3600));
        let state_dir = std::env::temp_dir();
        let state_dir = state_dir.to_str().unwrap();
        let in_state_dir = config(
            SEED,
            &[
                ("MATTERMOST_BOT_TOKEN", "t"),
                ("OPENCLAW_STATE_DIR", state_dir),
            ],
        );
        assert_eq!(
            in_state_dir.state_file,
            Some(Path::new(state_dir).join("mattermost-state.json"))
        );
        let set = config(
            "{channels:{mattermost:{serverUrl:'https://a.b', botToken:'t', mediaDir:'/m', mediaMaxMb:0.5, mediaMaxTotalMb:2, mediaRetentionHours:0, useWebSocket:false, pollInterval:250, stateFile:'/s.json', catchUpMaxAge:1000}}}",
            &[],
        );
        assert_eq!(set.media_dir, PathBuf::from("/m"));
        assert_eq!(set.media_max_bytes, 512 * 1024);
        assert_eq!(set.media_max_total_bytes, 2 << 20);
        assert_eq!(set.media_retention, None);
        assert!(!set.use_websocket);
        assert_eq!(set.poll_interval, Duration::from_millis(250));
        assert_eq!(set.state_file, Some(PathBuf::from("/s.json")));
        assert_eq!(set.catch_up_max_age, Duration::from_secs(1));
        assert_eq!(set.warnings, vec![set.nobody_can_talk().unwrap()]);
    }

    #[test]
    fn default_media_dir_is_this_users_own() {
        let tmp = std::env::temp_dir();
        let home = tmp.to_str().unwrap();
        let token = ("MATTERMOST_BOT_TOKEN", "t");
        let in_home = config(SEED, &[token, ("HOME", home)]);
        assert_eq!(
            in_home.media_dir,
            tmp.join(".local/state/openclaw-mattermost/media")
        );
        let xdg = config(
            SEED,
            &[token, ("HOME", home), ("XDG_STATE_HOME", "/x/state")],
        );
        assert_eq!(
            xdg.media_dir,
            PathBuf::from("/x/state/openclaw-mattermost/media")
        );
        for no_home in [
            &[token][..],
            &[token, ("HOME", "/nonexistent")],
            &[token, ("HOME", "/")],
        ] {
            let c = config(SEED, no_home);
            let uid = unsafe { libc::geteuid() };
            let expected = tmp.join(format!("openclaw-mattermost-{uid}/media"));
            assert_eq!(c.media_dir, expected);
        }
        for (text, bytes) in [("0", u64::MAX), ("Infinity", u64::MAX), ("0.5", 1 << 19)] {
            let c = config(
                &format!("{{channels:{{mattermost:{{serverUrl:'https://a.b', botToken:'t', mediaMaxTotalMb:{text}}}}}}}"),
                &[],
            );
            assert_eq!(c.media_max_total_bytes, bytes, "{text}");
        }
    }

    #[test]
    fn environment_fills_what_the_file_leaves_unset() {
        let c = config(
            "{channels:{mattermost:{teamId:'from-file'}}}",
            &[
                ("MATTERMOST_URL", "http://127.0.0.1:8065"),
                ("MATTERMOST_BOT_TOKEN", "env-token"),
                ("MATTERMOST_TEAM_ID", "from-env"),
            ],
        );
        assert_eq!(c.server.to_string(), "http://127.0.0.1:8065");
        assert_eq!(c.token, "env-token");
        assert_eq!(c.team_id.as_deref(), Some("from-file"));
        assert!(c.warnings.iter().any(|w| w.contains("plain http")));
    }

    #[test]
    fn base_url_alias_and_secret_ref() {
        let c = config(
            "{channels:{mattermost:{baseUrl:'https://m.example/api/v4', botToken:{source:'env', provider:'default', id:'MY_TOKEN'}}}}",
            &[("MY_TOKEN", "secret-from-ref")],
        );
        assert_eq!(c.server.to_string(), "https://m.example");
        assert_eq!(c.token, "secret-from-ref");
    }

    #[test]
    fn missing_file_is_fine_with_environment() {
        let vars: HashMap<&str, &str> = [
            ("MATTERMOST_URL", "https://chat.example.com"),
            ("MATTERMOST_BOT_TOKEN", "t0ken"),
            ("HOME", "/nonexistent-home"),
        ]
        .into();
        let loaded = load(None, None, &|n| vars.get(n).map(|v| v.to_string())).unwrap();
        assert!(matches!(loaded, Loaded::Enabled(c) if c.file.is_none()));
    }

    #[test]
    fn disabled_section() {
        assert!(matches!(
            load_with("{channels:{mattermost:{enabled:false}}}", &[]).unwrap(),
            Loaded::Disabled { .. }
        ));
    }

    #[test]
    fn errors_name_the_key_and_the_fix() {
        let base = "serverUrl:'https://a.b', botToken:'tok'";
        let cases: Vec<(String, &str)> = vec![
            ("{}".into(), "channels.mattermost.serverUrl is missing (set it in"),
            ("{channels:{mattermost:{serverUrl:'https://a.b'}}}".into(),
             "channels.mattermost.botToken is missing (set it in"),
            ("{channels:{mattermost:{serverUrl:'chat.example.com', botToken:'t'}}}".into(),
             "channels.mattermost.serverUrl \"chat.example.com\" must start with https://"),
            (format!("{{channels:{{mattermost:{{{base}, respondToDMs:'yes'}}}}}}"),
             "channels.mattermost.respondToDMs must be true or false"),
            (format!("{{channels:{{mattermost:{{{base}, allowFrom:'alice'}}}}}}"),
             "channels.mattermost.allowFrom must be a list of strings"),
            (format!("{{channels:{{mattermost:{{{base}, allowFrom:['a', true]}}}}}}"),
             "channels.mattermost.allowFrom[1] must be a string"),
            (format!("{{channels:{{mattermost:{{{base}, chatmode:'sometimes'}}}}}}"),
             "channels.mattermost.chatmode is \"sometimes\" (use one of \"oncall\", \"onmessage\", \"always\", \"onchar\")"),
            (format!("{{channels:{{mattermost:{{{base}, reconnectInterval:-5}}}}}}"),
             "channels.mattermost.reconnectInterval must be at least 1"),
            (format!("{{channels:{{mattermost:{{{base}, textChunkLimit:100.5}}}}}}"),
             "channels.mattermost.textChunkLimit must be a whole number"),
            ("{channels:{mattermost:{serverUrl:'https://a.b', botToken:'${NOPE_TOKEN}'}}}".into(),
             "channels.mattermost.botToken uses ${NOPE_TOKEN}, but the environment variable NOPE_TOKEN is not set"),
            ("{channels:{mattermost:{serverUrl:'https://a.b', botToken:{source:'file', id:'x'}}}}".into(),
             "channels.mattermost.botToken uses secret source \"file\""),
            ("{channels:{mattermost:{serverUrl:'https://a.b', botToken:{source:'env', id:'UNSET_X'}}}}".into(),
             "UNSET_X, which is not set"),
            ("{channels:{mattermost:{serverUrl:'https://a.b', botToken:'two words'}}}".into(),
             "channels.mattermost.botToken contains spaces"),
            (format!("{{channels:{{mattermost:{{{base}, mediaMaxMb:-1}}}}}}"),
             "channels.mattermost.mediaMaxMb must be at least 0"),
            (format!("{{channels:{{mattermost:{{{base}, pollInterval:5}}}}}}"),
             "channels.mattermost.pollInterval must be at least 100"),
            ("{channels:{mattermost:[]}}".into(), "channels.mattermost in"),
            ("{channels:{mattermost:{serverUrl:'https://a.b',,}}}".into(), "must be valid JSON5"),
        ];
        for (text, expected) in cases {
            let message = error(&text, &[]);
            assert!(message.starts_with("config: "), "{message}");
            assert!(
                message.contains(expected),
                "{text}\n  got: {message}\n  want: {expected}"
            );
            assert!(!message.contains('\n'), "one line: {message}");
        }
    }

    #[test]
    fn token_never_in_errors() {
        let message = error(
            "{channels:{mattermost:{serverUrl:'nope', botToken:'supersecret'}}}",
            &[],
        );
        assert!(!message.contains("supersecret"));
    }

    #[test]
    fn unknown_keys_warn_and_escaped_vars_stay_literal() {
        let c = config(
            "{channels:{mattermost:{serverUrl:'https://a.b', botToken:'tok', allowFrom:['$${HOME}'], futureKey:1, caFile:'/ca.pem'}}}",
            &[],
        );
        assert_eq!(c.allow_from, vec!["${HOME}"]);
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("futureKey"));
        assert!(c.warnings[0].ends_with("(keys are case-sensitive: see docs/configuration.md)"));
        assert_eq!(c.ca_file, Some(PathBuf::from("/ca.pem")));
    }

    #[test]
    fn near_miss_keys_are_named() {
        let c = config(
            "{channels:{mattermost:{serverUrl:'https://a.b', botToken:'tok', allowfrom:['@a'], serverURL:'x', alowFrom:[], mediaMaxMB:1}}}",
            &[],
        );
        for (typo, meant) in [
            ("allowfrom", "allowFrom"),
            ("serverURL", "serverUrl"),
            ("alowFrom", "allowFrom"),
            ("mediaMaxMB", "mediaMaxMb"),
        ] {
            let line = format!(
                "{SECTION}.{typo} is not a key this bridge knows; ignored: did you mean {meant}?"
            );
            assert!(c.warnings.contains(&line), "{line} in {:?}", c.warnings);
        }
        assert!(!c.warnings.iter().any(|w| w.contains("newer version")));
        assert_eq!(near_miss("zzz"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn nobody_can_talk_is_said_first() {
        let base = "serverUrl:'https://a.b', botToken:'tok'";
        let silent = config(&format!("{{channels:{{mattermost:{{{base}}}}}}}"), &[]);
        let why = silent
            .nobody_can_talk()
            .expect("empty allowFrom, allowlist DMs");
        assert!(why.contains("nobody can talk to the bot"), "{why}");
        assert_eq!(silent.warnings[0], why);
        for talkative in [
            "allowFrom:['@alice']",
            "allowFrom:['*']",
            "dmPolicy:'pairing'",
            "dmPolicy:'open'",
            "groupPolicy:'open'",
            "groupAllowFrom:['@bob']",
        ] {
            let c = config(
                &format!("{{channels:{{mattermost:{{{base}, {talkative}}}}}}}"),
                &[],
            );
            assert_eq!(c.nobody_can_talk(), None, "{talkative}");
        }
        let no_dms = config(
            &format!("{{channels:{{mattermost:{{{base}, dmPolicy:'open', respondToDMs:false, groupPolicy:'disabled'}}}}}}"),
            &[],
        );
        assert!(no_dms.nobody_can_talk().is_some());
    }

    #[test]
    fn allow_from_usernames_without_at_are_pointed_out() {
        let id = "abcdefghijklmnopqrstuvwxyz";
        let c = config(
            &format!("{{channels:{{mattermost:{{serverUrl:'https://a.b', botToken:'tok', allowFrom:['alice', '@bob', '*', '{id}']}}}}}}"),
            &[],
        );
        assert_eq!(
            c.warnings,
            vec![format!(
                r#"{SECTION}.allowFrom entry "alice" is not a user id (26 letters and digits); for a username write "@alice""#
            )]
        );
    }

    #[test]
    fn misplaced_blocks_and_a_missing_config_file_are_named() {
        let dir = std::env::temp_dir().join(format!("ocmm-misplaced-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let env = |_: &str| None;
        let cases = [
            (
                "{mattermost:{serverUrl:'https://a.b'}}",
                "has a \"mattermost\" block at the top level; the bridge reads channels.mattermost",
            ),
            (
                "{channels:{allowFrom:['@a']}}",
                "has channels.allowFrom; the bridge reads channels.mattermost",
            ),
        ];
        for (text, expected) in cases {
            let path = dir.join("openclaw.json");
            std::fs::write(&path, text).unwrap();
            let err = load(Some(&path), None, &env).unwrap_err();
            assert!(err.0.contains(expected), "{err}");
        }
        let missing = dir.join("nope.json");
        let err = load(Some(&missing), None, &env).unwrap_err();
        assert_eq!(
            err.0,
            format!(
                "{} does not exist (check the path given to --config)",
                missing.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn accounts_overlay_the_section_and_only_the_default_one_uses_the_environment() {
        let dir = std::env::temp_dir().join(format!("ocmm-accounts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("openclaw.json");
        std::fs::write(
            &path,
            "{channels:{mattermost:{allowFrom:['@a'], chatmode:'onmessage', defaultAccount:'home',
              accounts:{home:{teamId:'h'}, work:{serverUrl:'https://work.example', botToken:'w', teamId:'w'}}}}}",
        )
        .unwrap();
        let env = |name: &str| match name {
            "MATTERMOST_URL" => Some("https://env.example".to_string()),
            "MATTERMOST_BOT_TOKEN" => Some("env-token".to_string()),
            _ => None,
        };
        let load_enabled = |account| match load(Some(&path), account, &env) {
            Ok(Loaded::Enabled(c)) => Ok(*c),
            Ok(Loaded::Disabled { .. }) => panic!("disabled"),
            Err(e) => Err(e),
        };
        let work = load_enabled(Some("work")).unwrap();
        assert_eq!(work.server.to_string(), "https://work.example");
        assert_eq!(work.team_id.as_deref(), Some("w"));
        assert_eq!(
            work.chatmode,
            ChatMode::EveryPost,
            "the section's keys apply too"
        );
        assert!(work.warnings.is_empty(), "{:?}", work.warnings);
        // `home` (the defaultAccount) is not `default`: no MATTERMOST_URL for it.
        let err = load_enabled(None).unwrap_err();
        assert!(
            err.0
                .starts_with("channels.mattermost.serverUrl is missing (set it in "),
            "{err}"
        );
        assert!(!err.0.contains("MATTERMOST_URL"), "{err}");
        let default = load_enabled(Some("default")).unwrap();
        assert_eq!(default.server.to_string(), "https://env.example");
        let unknown = load_enabled(Some("play")).unwrap_err();
        assert_eq!(
            unknown.0,
            "channels.mattermost.accounts has no account play (it has: home, work)"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keys_of_the_openclaw_plugin_draw_no_warning() {
        let c = config(
            "{channels:{mattermost:{serverUrl:'https://a.b', botToken:'tok', allowFrom:['@a'], binaryPath:'/usr/bin/openclaw-mattermost', streaming:'off', replyToMode:'first'}}}",
            &[],
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn json5_extras_and_infinity() {
        let c = config(
            "{channels:{mattermost:{serverUrl:'https://a.b', botToken:'tok', retryBudget: Infinity, textChunkLimit: 0x0FA0, reconnectInterval: +5, chatmode:'onchar', oncharPrefixes:['?'], dmPolicy:'pairing'}}}",
            &[],
        );
        assert_eq!(c.retry_budget, Duration::from_millis(NO_LIMIT));
        assert_eq!(c.text_chunk_limit, Some(4000));
        assert_eq!(c.reconnect_interval, Duration::from_millis(5));
        assert_eq!(c.chatmode, ChatMode::Prefix);
        assert_eq!(c.onchar_prefixes, vec!["?"]);
        assert_eq!(c.dm_policy, DmPolicy::Pairing);
    }

    /// Every numeric key, at `Infinity` or at a number beyond any integer type, saturates at
    /// `NO_LIMIT` (in its unit), where the `+ 1`, `as i64` and clock sums downstream are safe.
    #[test]
    fn huge_numbers_saturate_in_every_numeric_key() {
        let many_nines = "9".repeat(400);
        for huge in [
            "Infinity",
            "+Infinity",
            "1e300",
            "1e400",
            "0xFFFFFFFFFFFFFFFF",
            "0xFFFFFFFFFFFFFFFFFFFFFFFF",
            &many_nines,
        ] {
            let c = config(
                &format!("{{channels:{{mattermost:{{serverUrl:'https://a.b', botToken:'tok', reconnectInterval:{huge}, textChunkLimit:{huge}, retryBudget:{huge}, mediaMaxMb:{huge}, mediaRetentionHours:{huge}, pollInterval:{huge}, catchUpMaxAge:{huge}}}}}}}"),
                &[],
            );
            let no_limit = Duration::from_millis(NO_LIMIT);
            assert_eq!(c.reconnect_interval, no_limit, "{huge}");
            assert_eq!(c.retry_budget, no_limit, "{huge}");
            assert_eq!(c.poll_interval, no_limit, "{huge}");
            assert_eq!(c.catch_up_max_age, no_limit, "{huge}");
            assert_eq!(c.media_retention, Some(no_limit), "{huge}");
            assert_eq!(c.media_max_bytes, NO_LIMIT, "{huge}");
            let chars = usize::try_from(NO_LIMIT).unwrap_or(usize::MAX);
            assert_eq!(c.text_chunk_limit, Some(chars), "{huge}");
            // What used to wrap: "+ 1" on the size cap, the max age as i64 milliseconds.
            assert!(c.media_max_bytes.checked_add(1).is_some());
            assert!(c.catch_up_max_age.as_millis() as i64 > 0);
        }
    }

    #[test]
    fn saturating_count_rounds_down_and_clamps() {
        assert_eq!(saturating_count(0.5, MIB), 512 * 1024);
        assert_eq!(saturating_count(2.9, 1.0), 2);
        assert_eq!(saturating_count(f64::MAX, MIB), NO_LIMIT);
        assert_eq!(saturating_count(f64::INFINITY, 1.0), NO_LIMIT);
        assert_eq!(saturating_count(-1.0, 1.0), 0);
        assert_eq!(saturating_count(f64::NAN, 1.0), 0);
    }

    #[test]
    fn negative_infinity_is_refused_and_nan_means_unset() {
        let base = "serverUrl:'https://a.b', botToken:'tok'";
        let e = error(
            &format!("{{channels:{{mattermost:{{{base}, catchUpMaxAge:-Infinity}}}}}}"),
            &[],
        );
        assert!(e.contains("catchUpMaxAge must be at least 0"), "{e}");
        let c = config(
            &format!("{{channels:{{mattermost:{{{base}, mediaMaxMb:NaN, catchUpMaxAge:NaN}}}}}}"),
            &[],
        );
        assert_eq!(c.media_max_bytes, 20 * 1024 * 1024);
        assert_eq!(c.catch_up_max_age, Duration::from_secs(3600));
    }

    /// A config written for OpenClaw's own Mattermost plugin (2026.9.5), with every key of its
    /// schema.
    const JS_PLUGIN: &str = r#"{ channels: { mattermost: {
        name: "Chat", capabilities: ["x"], dangerouslyAllowNameMatching: false,
        markdown: { tables: "code" }, enabled: true, configWrites: true,
        contextVisibility: "allowlist", historyLimit: 20, mediaMaxMb: 5,
        botToken: { source: "env", provider: "default", id: "MM_TOKEN" },
        baseUrl: "https://chat.example.com", chatmode: "onchar", oncharPrefixes: ["!"],
        requireMention: true,
        implicitMentions: { replyToBot: true, quotedBot: false, threadParticipation: true },
        dmPolicy: "pairing", allowFrom: ["@alice", 12345], groupAllowFrom: ["@bob", 7],
        groupPolicy: "allowlist", textChunkLimit: 3000,
        streaming: { mode: "progress", chunkMode: "newline",
          preview: { toolProgress: true, commandText: "status" },
          progress: { label: false, labels: ["Working"], maxLines: 8, maxLineChars: 120,
                      toolProgress: false, commandText: "raw" },
          block: { enabled: true, coalesce: { minChars: 100, maxChars: 800, idleMs: 500 } } },
        replyToMode: "batched",
        replyToModeByChatType: { direct: "off", group: "first", channel: "all" },
        responsePrefix: "[bot] ", actions: { messages: true, reactions: true },
        commands: { native: "auto", nativeSkills: false,
                    callbackPath: "/api/channels/mattermost/command",
                    callbackUrl: "https://gw.example.com/cmd" },
        interactions: { callbackBaseUrl: "https://gw.example.com", allowedSourceIps: ["10.0.0.0/8"] },
        groups: { "*": { requireMention: true }, abcdefghijklmnopqrstuvwxyz: { requireMention: false } },
        network: { dangerouslyAllowPrivateNetwork: true },
        dmChannelRetry: { maxRetries: 3, initialDelayMs: 500, maxDelayMs: 5000, timeoutMs: 30000 },
        defaultAccount: "work",
        accounts: { work: { name: "Work", baseUrl: "https://work.example.com",
          botToken: { source: "env", provider: "default", id: "WORK_TOKEN" },
          dmPolicy: "allowlist", groupPolicy: "open", groups: { "*": { requireMention: false } },
          implicitMentions: { replyToBot: false } } },
    } } }"#;

    #[test]
    fn a_config_written_for_openclaws_own_plugin_is_accepted() {
        let fixture = Fixture::new("js-plugin");
        let path = fixture.write(JS_PLUGIN);
        let env = |name: &str| match name {
            "MM_TOKEN" => Some("main-token".to_string()),
            "WORK_TOKEN" => Some("work-token".to_string()),
            _ => None,
        };
        let load_enabled = |account| match load(Some(&path), account, &env).unwrap() {
            Loaded::Enabled(c) => *c,
            Loaded::Disabled { .. } => panic!("disabled"),
        };
        let work = load_enabled(None);
        assert_eq!(work.server.to_string(), "https://work.example.com");
        assert_eq!(work.token, "work-token");
        assert_eq!(work.dm_policy, DmPolicy::Allowlist);
        assert_eq!(work.group_policy, GroupPolicy::Open);
        let main = load_enabled(Some("default"));
        assert_eq!(main.server.to_string(), "https://chat.example.com");
        assert_eq!(main.token, "main-token");
        assert_eq!(main.dm_policy, DmPolicy::Pairing);
        assert_eq!(main.chatmode, ChatMode::Prefix);
        assert_eq!(main.allow_from, vec!["@alice", "12345"]);
        assert_eq!(main.group_allow_from, vec!["@bob", "7"]);
        assert_eq!(main.group_policy, GroupPolicy::Allowlist);
        assert_eq!(main.history_limit, 20);
        assert_eq!(main.context_visibility, super::ContextVisibility::Allowlist);
        assert_eq!(main.text_chunk_limit, Some(3000));
        assert_eq!(
            main.dm_retry,
            DmRetry {
                max_retries: 3,
                initial_delay: Duration::from_millis(500),
                max_delay: Duration::from_millis(5000),
                timeout: Duration::from_millis(30_000),
            }
        );
        assert_eq!(main.media_max_bytes, 5 << 20);
        // No unknown keys, and every key of the JS plugin is active.
        assert_eq!(main.warnings.len(), 1, "{:?}", main.warnings);
        assert!(main.warnings[0].contains(r#"allowFrom entry "12345" is not a user id"#));
        assert!(main.not_active.is_empty(), "{:?}", main.not_active);
        assert_eq!(
            main.groups_require_mention,
            vec![
                ("*".to_string(), true),
                ("abcdefghijklmnopqrstuvwxyz".to_string(), false)
            ]
        );
        assert_eq!(
            main.implicit_mentions,
            ImplicitMentions {
                reply_to_bot: true,
                quoted_bot: false,
                thread_participation: true
            }
        );
        // The account's groups replace the section's; its implicitMentions entries override
        // the section's one by one.
        assert_eq!(work.groups_require_mention, vec![("*".to_string(), false)]);
        assert_eq!(
            work.implicit_mentions,
            ImplicitMentions {
                reply_to_bot: false,
                quoted_bot: false,
                thread_participation: true
            }
        );
    }

    #[test]
    fn group_keys_have_the_js_plugins_defaults() {
        let c = config(
            "{channels:{mattermost:{serverUrl:'https://a.b', botToken:'tok'}}}",
            &[],
        );
        assert_eq!(c.group_policy, GroupPolicy::Allowlist);
        assert!(c.group_allow_from.is_empty() && c.groups_require_mention.is_empty());
        assert_eq!(c.implicit_mentions, ImplicitMentions::default());
        let err = error(
            "{channels:{mattermost:{serverUrl:'https://a.b', botToken:'tok', groups:{c1:{requireMention:1}}}}}",
            &[],
        );
        assert!(
            err.contains("channels.mattermost.groups.c1.requireMention must be true or false"),
            "{err}"
        );
    }

    #[test]
    fn keys_not_active_yet_still_have_their_types_checked() {
        let base = "serverUrl:'https://a.b', botToken:'tok'";
        let cases = [
            ("groupPolicy:'closed'", r#"channels.mattermost.groupPolicy is "closed" (use one of "open", "disabled", "allowlist")"#),
            ("historyLimit:2.5", "channels.mattermost.historyLimit must be a whole number"),
            ("streaming:{mode:'fast'}", r#"channels.mattermost.streaming.mode is "fast" (use one of "off", "partial", "block", "progress")"#),
            ("streaming:5", r#"channels.mattermost.streaming must be true or false or one of "off", "partial", "block", "progress" or an object { mode, chunkMode, preview, progress, block } (got 5)"#),
            ("replyToMode:'never'", r#"channels.mattermost.replyToMode is "never" (use one of "off", "first", "all", "batched")"#),
            ("dmChannelRetry:{maxRetries:11}", "channels.mattermost.dmChannelRetry.maxRetries must be a whole number from 0 to 10 (got 11)"),
            ("dmChannelRetry:{initialDelayMs:5000, maxDelayMs:1000}", "channels.mattermost.dmChannelRetry.initialDelayMs must be at most maxDelayMs (5000 > 1000) (lower initialDelayMs or raise maxDelayMs)"),
            ("groups:{'*':{requireMention:'yes'}}", r#"channels.mattermost.groups.*.requireMention must be true or false (got "yes")"#),
            ("implicitMentions:{replyTobot:true}", "channels.mattermost.implicitMentions.replyTobot is not a key of implicitMentions (it takes: replyToBot, quotedBot, threadParticipation)"),
            ("commands:{native:'sometimes'}", r#"channels.mattermost.commands.native must be "auto" (got "sometimes")"#),
            ("groupAllowFrom:[true]", "channels.mattermost.groupAllowFrom[0] must be a string (quote it)"),
            ("binaryPath:7", "channels.mattermost.binaryPath must be a string (got 7)"),
            ("network:{dangerouslyAllowPrivateNetwork:'yes'}", r#"channels.mattermost.network.dangerouslyAllowPrivateNetwork must be true or false (got "yes")"#),
            ("dangerouslyAllowNameMatching:1", "channels.mattermost.dangerouslyAllowNameMatching must be true or false (got 1)"),
        ];
        for (extra, expected) in cases {
            let message = error(
                &format!("{{channels:{{mattermost:{{{base}, {extra}}}}}}}"),
                &[],
            );
            assert!(
                message.contains(expected),
                "{extra}\n  got: {message}\n  want: {expected}"
            );
        }
    }

    #[test]
    fn require_mention_decides_the_chatmode_when_chatmode_is_unset() {
        let base = "serverUrl:'https://a.b', botToken:'tok', allowFrom:['@a']";
        for (extra, mode) in [
            ("requireMention:false", ChatMode::EveryPost),
            ("requireMention:true", ChatMode::Mention),
            ("chatmode:'onchar', requireMention:false", ChatMode::Prefix),
            ("chatmode:'always'", ChatMode::EveryPost),
        ] {
            let c = config(
                &format!("{{channels:{{mattermost:{{{base}, {extra}}}}}}}"),
                &[],
            );
            assert_eq!(c.chatmode, mode, "{extra}");
            assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        }
    }

    #[test]
    fn secret_sources_the_bridge_cannot_read_are_named() {
        for source in ["file", "exec", "store"] {
            let message = error(
                &format!("{{channels:{{mattermost:{{serverUrl:'https://a.b', botToken:{{source:'{source}', provider:'default', id:'/x'}}}}}}}}"),
                &[],
            );
            assert!(
                message.contains(&format!(
                    "channels.mattermost.botToken uses secret source \"{source}\", which this bridge does not support yet"
                )),
                "{message}"
            );
        }
    }

    /// A key without effect on purpose (`network`) is not "not active yet": --check says
    /// nothing of it and --print-config shows its value marked as without effect;
    /// `capabilities` is OpenClaw's, `inlineButtons` included (buttons landed with issue 16);
    /// `dangerouslyAllowNameMatching` is read, and lets a bare name in `allowFrom` pass
    /// without the "not a user id" warning.
    #[test]
    fn keys_without_effect_are_not_waiting() {
        let base = "serverUrl:'https://a.b', botToken:'tok'";
        let c = config(
            &format!("{{channels:{{mattermost:{{{base}, network:{{dangerouslyAllowPrivateNetwork:true}}, capabilities:['reactions'], allowFrom:['alice']}}}}}}"),
            &[],
        );
        assert!(c.not_active.is_empty(), "{:?}", c.not_active);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains(r#"allowFrom entry "alice" is not a user id"#));
        let printed: Value = serde_json::from_str(&print::render(&c)).unwrap();
        let network = &printed["channels.mattermost"]["network"];
        assert_eq!(network["value"]["dangerouslyAllowPrivateNetwork"], true);
        assert_eq!(network["effect"], "none, on purpose");
        assert_eq!(printed["notActiveYet"], serde_json::json!([]));
        assert_eq!(
            printed["channels.mattermost"]["dangerouslyAllowNameMatching"]["value"],
            false
        );

        let c = config(
            &format!("{{channels:{{mattermost:{{{base}, capabilities:['InlineButtons'], dangerouslyAllowNameMatching:true, allowFrom:['alice']}}}}}}"),
            &[],
        );
        assert!(c.not_active.is_empty(), "{:?}", c.not_active);
        assert!(c.allow_name_matching);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    /// `--print-config` shows every key the bridge reads, from the table, with enums as words.
    #[test]
    fn print_config_shows_every_key_the_bridge_reads() {
        let c = config(
            "{channels:{mattermost:{serverUrl:'https://a.b', botToken:'tok', chatmode:'always', dmPolicy:'open', groupPolicy:'open'}}}",
            &[],
        );
        let printed: Value = serde_json::from_str(&print::render(&c)).unwrap();
        let shown = &printed["channels.mattermost"];
        for key in keys::KEYS.iter() {
            let read_by_bridge = key.reader == keys::Reader::Bridge && key.is_active();
            let not_a_value = matches!(
                key.name,
                "baseUrl" | "requireMention" | "accounts" | "defaultAccount"
            );
            if read_by_bridge && !not_a_value {
                assert!(shown.get(key.name).is_some(), "{} is printed", key.name);
            }
        }
        assert_eq!(shown["chatmode"]["value"], "onmessage");
        assert_eq!(shown["dmPolicy"]["value"], "open");
        assert_eq!(shown["botToken"]["value"], "[redacted]");
        assert_eq!(shown["retryBudget"]["value"], 60_000);
        assert_eq!(shown["mediaMaxTotalMb"]["value"], 1024.0);
        assert_eq!(shown["groupPolicy"]["value"], "open");
        assert!(shown.get("implicitMentions").is_some());
        assert_eq!(printed["notActiveYet"], serde_json::json!([]));
        assert_eq!(shown["historyLimit"]["value"], 50);
        assert_eq!(shown["contextVisibility"]["value"], "all");
        assert!(!printed.to_string().contains("\"tok\""));
    }

    #[test]
    fn history_keys_fall_back_where_openclaws_plugin_looks() {
        let with = |section: &str, rest: &str| {
            config(
                &format!("{{channels:{{mattermost:{{serverUrl:'https://a.b', botToken:'t', {section}}}, defaults:{{contextVisibility:'allowlist'}}}}, messages:{{groupChat:{{historyLimit:7}}}}, {rest}}}"),
                &[],
            )
        };
        let c = with("", "");
        assert_eq!(c.history_limit, 7);
        assert_eq!(c.context_visibility, ContextVisibility::Allowlist);
        assert_eq!(
            c.sources["historyLimit"],
            "file (messages.groupChat.historyLimit)"
        );
        assert_eq!(
            c.sources["contextVisibility"],
            "file (channels.defaults.contextVisibility)"
        );
        // The section's own keys (and an account's) come first.
        let c = with("historyLimit: 0, contextVisibility: 'all'", "");
        assert_eq!(
            (c.history_limit, c.context_visibility),
            (0, ContextVisibility::All)
        );
        assert_eq!(c.sources["historyLimit"], "file");
        let c = with("accounts: {default: {historyLimit: 3}}", "");
        assert_eq!(c.history_limit, 3);
        // Neither: OpenClaw's defaults.
        let c = config(
            "{channels:{mattermost:{serverUrl:'https://a.b', botToken:'t'}}}",
            &[],
        );
        assert_eq!(
            (c.history_limit, c.context_visibility),
            (50, ContextVisibility::All)
        );
        // The same for the block the plugin hands over (--config-fd).
        let fd = load_text(
            "{channels:{mattermost:{serverUrl:'https://a.b', botToken:'t'}, defaults:{contextVisibility:'allowlist_quote'}}, messages:{groupChat:{historyLimit:2}}}",
            "fd 3",
            &|_| None,
        );
        let Ok(Loaded::Enabled(c)) = fd else {
            panic!("not loaded");
        };
        assert_eq!(
            (c.history_limit, c.context_visibility),
            (2, ContextVisibility::Allowlist)
        );
    }

    #[test]
    fn locate_follows_precedence() {
        let vars: HashMap<&str, &str> = [
            ("OPENCLAW_CONFIG_PATH", "/cfg/a.json"),
            ("OPENCLAW_STATE_DIR", "/state"),
            ("HOME", "/home/u"),
        ]
        .into();
        let env = |n: &str| vars.get(n).map(|v| v.to_string());
        assert_eq!(
            locate(Some(Path::new("/cli.json")), &env),
            Some(PathBuf::from("/cli.json"))
        );
        assert_eq!(locate(None, &env), Some(PathBuf::from("/cfg/a.json")));
        let no_path = |n: &str| (n != "OPENCLAW_CONFIG_PATH").then(|| env(n)).flatten();
        assert_eq!(
            locate(None, &no_path),
            Some(PathBuf::from("/state/openclaw.json"))
        );
        let home_only = |n: &str| (n == "HOME").then(|| env(n)).flatten();
        assert_eq!(
            locate(None, &home_only),
            Some(PathBuf::from("/home/u/.openclaw/openclaw.json"))
        );
    }
}
