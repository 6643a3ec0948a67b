//! Every key of `channels.mattermost`, defined once: name, type (with its default and bounds),
//! environment fallback, who reads it (this bridge, or only the OpenClaw plugin that spawns
//! it), whether it is active yet, and its one-line documentation. Parsing (`section.rs`), the
//! unknown-key warning and its near-miss suggestions, `--print-config`, the plugin's schema
//! (`openclaw-plugin/openclaw.plugin.json`) and the table in `docs/configuration.md` follow from
//! this table; the last two are checked against it by `docs.rs`'s tests.

use super::choices::{
    ChatMode, ContextVisibility, DmPolicy, GroupPolicy, ReplyToMode, StreamingMode, CHUNK_MODES,
    COMMAND_TEXT, TABLE_MODES,
};

/// What a key's value is, with its default and bounds where it has them.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `true`/`false`; `None`: no default (unset means something of its own).
    Bool(Option<bool>),
    /// A string (may use `${VAR}`).
    Text,
    /// A list of strings.
    List,
    /// A list of user or channel ids, `@usernames` or numbers (read as text).
    Ids,
    /// A duration in milliseconds.
    Millis { default: u64, min: u64 },
    /// A size in megabytes (fractions allowed; `Infinity`: no limit).
    Megabytes(f64),
    /// A number of hours (fractions allowed).
    Hours(f64),
    /// A whole number in `min..=max`, without a default.
    Count { min: u64, max: u64 },
    /// One of the words; `words[default]` when unset (none: [`NO_DEFAULT`]).
    Choice {
        words: &'static [&'static str],
        default: u8,
    },
    /// Exactly this JSON value (`"auto"`, `false`).
    Literal(&'static str),
    /// Any of these forms.
    Either(&'static [Kind]),
    /// An object with these keys, each optional.
    Object(&'static [(&'static str, Kind)]),
    /// An object of any keys (ids, `*`), each value of this kind.
    Map(&'static Kind),
    /// The bot token: a string, or OpenClaw's SecretRef `{ source, provider, id }`.
    Secret,
    /// `accounts`: `{ id: { any key but accounts and defaultAccount } }`.
    Accounts,
}

/// Who acts on a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// This bridge (the plugin passes it through).
    Bridge,
    /// Only the OpenClaw plugin that spawns the bridge.
    Plugin,
}

/// Whether a key's meaning is implemented yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    /// Accepted and checked, but without effect until this issue lands (no key waits now;
    /// kept for the next key accepted before its feature).
    #[allow(dead_code)]
    Waits(u16),
    /// Accepted and checked, and without effect on purpose (its documentation says why).
    Ignored,
}

#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    /// The environment variable that fills the key when the file leaves it unset (the default
    /// account only).
    pub env: Option<&'static str>,
    pub reader: Reader,
    pub status: Status,
}

impl Key {
    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }
}

/// A `Kind::Choice` without a default.
pub const NO_DEFAULT: u8 = u8::MAX;

impl Kind {
    /// The word a choice takes when unset, if any.
    pub fn default_word(&self) -> Option<&'static str> {
        match self {
            Kind::Choice { words, default } => words.get(usize::from(*default)).copied(),
            _ => None,
        }
    }
}

/// `Kind::Choice` with `default` (one of `words`) kept as its index: the table stays small.
const fn choice(words: &'static [&'static str], default: Option<&'static str>) -> Kind {
    let mut index = NO_DEFAULT;
    if let Some(default) = default {
        let mut i = 0;
        while i < words.len() {
            if same(words[i].as_bytes(), default.as_bytes()) {
                index = i as u8;
            }
            i += 1;
        }
        assert!(
            index != NO_DEFAULT,
            "a choice's default is one of its words"
        );
    }
    Kind::Choice {
        words,
        default: index,
    }
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
const FLAG: Kind = Kind::Bool(None);
const WHOLE: u64 = super::NO_LIMIT;
const REPLY_TO_MODE: Kind = choice(ReplyToMode::NAMES, None);
const COMMAND_TEXT_KIND: Kind = choice(COMMAND_TEXT, None);
const AUTO_OR_FLAG: Kind = Kind::Either(&[FLAG, Kind::Literal("\"auto\"")]);

/// `streaming`'s object form, as OpenClaw's Mattermost plugin takes it.
const STREAMING_OBJECT: Kind = Kind::Object(&[
    ("mode", choice(StreamingMode::NAMES, None)),
    ("chunkMode", choice(CHUNK_MODES, None)),
    (
        "preview",
        Kind::Object(&[("toolProgress", FLAG), ("commandText", COMMAND_TEXT_KIND)]),
    ),
    (
        "progress",
        Kind::Object(&[
            ("label", Kind::Either(&[Kind::Text, Kind::Literal("false")])),
            ("labels", Kind::List),
            ("maxLines", Kind::Count { min: 1, max: WHOLE }),
            ("maxLineChars", Kind::Count { min: 1, max: WHOLE }),
            ("toolProgress", FLAG),
            ("commandText", COMMAND_TEXT_KIND),
        ]),
    ),
    (
        "block",
        Kind::Object(&[
            ("enabled", FLAG),
            (
                "coalesce",
                Kind::Object(&[
                    ("minChars", Kind::Count { min: 1, max: WHOLE }),
                    ("maxChars", Kind::Count { min: 1, max: WHOLE }),
                    ("idleMs", Kind::Count { min: 0, max: WHOLE }),
                ]),
            ),
        ]),
    ),
]);

/// Declares `KEYS` (every key, in the documentation's order, in one static table), a constant
/// per key pointing into it (for the code that reads the key) and, for the tests that write the
/// schema and the documentation, each key's default as written in the docs (`""`: derived from
/// its kind) and its meaning.
macro_rules! keys {
    ($($konst:ident $name:literal: $kind:expr, $env:expr, $reader:ident, $status:expr,
       $default_doc:literal, $doc:literal;)+) => {
        /// Each key's place in `KEYS`.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        enum Place {
            $($konst,)+
        }

        // Every key has its constant, whether this crate reads it or only the plugin does.
        $(#[allow(dead_code)]
        pub const $konst: &Key = &KEYS[Place::$konst as usize];)+

        pub static KEYS: [Key; [$(Place::$konst),+].len()] = [$(Key {
            name: $name,
            kind: $kind,
            env: $env,
            reader: Reader::$reader,
            status: $status,
        }),+];

        /// `(default as documented, meaning)` per key of `KEYS`, in the same order.
        #[cfg(test)]
        pub const DOCS: &[(&str, &str)] = &[$(($default_doc, $doc)),+];
    };
}

keys! {
    ENABLED "enabled": Kind::Bool(Some(true)), None, Bridge, Status::Active,
        "", "`false`: the bridge logs why and exits 0 (the plugin does not start it)";
    SERVER_URL "serverUrl": Kind::Text, Some("MATTERMOST_URL"), Bridge, Status::Active,
        "required", "`https://host[:port][/subpath]`; `http://` works with a warning; a trailing `/` or `/api/v4` is dropped";
    BASE_URL "baseUrl": Kind::Text, None, Bridge, Status::Active,
        "", "the name OpenClaw's own Mattermost plugin uses for `serverUrl` (`serverUrl` wins when both are set)";
    BOT_TOKEN "botToken": Kind::Secret, Some("MATTERMOST_BOT_TOKEN"), Bridge, Status::Active,
        "required", "the bot's access token: a string (may be `\"${VAR}\"`) or a SecretRef `{ source: \"env\", provider: \"default\", id: \"VAR\" }`; under OpenClaw every source (`env`, `file`, `exec`, `store`) is resolved by OpenClaw before the plugin starts the bridge; the bridge alone reads `env` refs and refuses the others with an error naming the source";
    ALLOW_FROM "allowFrom": Kind::Ids, None, Bridge, Status::Active,
        "`[]`", "user ids (or `@usernames`) who may talk to the bot; `\"*\"` allows everyone. Empty means nobody, unless `dmPolicy` is `pairing` or `open`";
    TEAM_ID "teamId": Kind::Text, Some("MATTERMOST_TEAM_ID"), Bridge, Status::Active,
        "every team of the bot", "restricts the bridge to one team: channel posts from other teams are ignored, and catch-up, polling and channel names use this team only; unset, every team the bot is in is served, as by @openclaw/mattermost";
    ALLOW_CHANNELS "allowChannels": Kind::List, None, Bridge, Status::Active,
        "all", "channel ids the bot listens and posts in (DMs follow `allowFrom`/`dmPolicy`; group DMs need no entry)";
    RESPOND_TO_MENTIONS "respondToMentions": Kind::Bool(Some(true)), None, Bridge, Status::Active,
        "", "forward channel posts that @-mention the bot";
    RESPOND_TO_DMS "respondToDMs": Kind::Bool(Some(true)), None, Bridge, Status::Active,
        "", "forward direct messages";
    USE_WEBSOCKET "useWebSocket": Kind::Bool(Some(true)), None, Bridge, Status::Active,
        "", "`false`: poll the REST API every `pollInterval` instead of holding a WebSocket";
    POLL_INTERVAL "pollInterval": Kind::Millis { default: 3000, min: 100 }, None, Bridge, Status::Active,
        "", "how often to poll with `useWebSocket: false`";
    RECONNECT_INTERVAL "reconnectInterval": Kind::Millis { default: 5000, min: 1 }, None, Bridge, Status::Active,
        "", "first reconnect delay; doubles per failure with ±20 % jitter up to 60 s";
    CHATMODE "chatmode": choice(ChatMode::NAMES, Some("oncall")), None, Bridge, Status::Active,
        "`\"oncall\"` (see `requireMention`)", "channels: `oncall` (mentions only), `onmessage` or `always` (every post), `onchar` (posts starting with a prefix, which is stripped; mentions still count)";
    ONCHAR_PREFIXES "oncharPrefixes": Kind::List, None, Bridge, Status::Active,
        "`[\">\", \"!\"]`", "prefixes for `onchar`";
    REQUIRE_MENTION "requireMention": FLAG, None, Bridge, Status::Active,
        "", "without `chatmode`: `false` forwards every channel post (as `onmessage`), `true` only mentions (as `oncall`)";
    DM_POLICY "dmPolicy": choice(DmPolicy::NAMES, Some("allowlist")), None, Bridge, Status::Active,
        "`\"allowlist\"`; the plugin: `\"pairing\"`", "DMs: `allowlist` (only `allowFrom`), `open` (anyone), `disabled` (nobody), `pairing` (unknown senders are forwarded with `\"authorized\": false` and the host runs its pairing flow)";
    ALLOW_BOTS "allowBots": Kind::Bool(Some(false)), None, Bridge, Status::Active,
        "", "forward posts by other bots and webhooks (off prevents bot loops)";
    TEXT_CHUNK_LIMIT "textChunkLimit": Kind::Count { min: 16, max: WHOLE }, None, Bridge, Status::Active,
        "the plugin: 4000; the bridge alone: the server's `MaxPostSize`", "split outgoing text above this many characters (the plugin splits replies with OpenClaw's Markdown-aware splitter, by `streaming.chunkMode`); never above the server's limit";
    RETRY_BUDGET "retryBudget": Kind::Millis { default: 60_000, min: 0 }, None, Bridge, Status::Active,
        "", "how long one REST call is retried (network errors, 5xx, 429) before the request fails";
    MEDIA_DIR "mediaDir": Kind::Text, None, Bridge, Status::Active,
        "see below", "where inbound attachments are downloaded (owner-only; every folder above it must be safe from other local users)";
    MEDIA_MAX_MB "mediaMaxMb": Kind::Megabytes(20.0), None, Bridge, Status::Active,
        "", "files above this are neither downloaded nor sent; `0` downloads nothing";
    MEDIA_MAX_TOTAL_MB "mediaMaxTotalMb": Kind::Megabytes(1024.0), None, Bridge, Status::Active,
        "", "what `mediaDir` may hold in all; `0` or `Infinity`: no cap";
    MEDIA_RETENTION_HOURS "mediaRetentionHours": Kind::Hours(24.0), None, Bridge, Status::Active,
        "", "downloads older than this are removed at start and hourly; `0` keeps them";
    STATE_FILE "stateFile": Kind::Text, None, Bridge, Status::Active,
        "see below", "where the last delivered post per channel is remembered, so a restart catches up on what it missed";
    CATCH_UP_MAX_AGE "catchUpMaxAge": Kind::Millis { default: 3_600_000, min: 0 }, None, Bridge, Status::Active,
        "", "after a reconnect or restart, posts older than this are not replayed";
    CA_FILE "caFile": Kind::Text, None, Bridge, Status::Active,
        "none", "a PEM bundle trusted in addition to the built-in roots, for self-signed and private-CA servers (REST and WebSocket)";
    BINARY_PATH "binaryPath": Kind::Text, None, Plugin, Status::Active,
        "on `PATH`, else beside the plugin", "the openclaw-mattermost binary the plugin starts";
    NAME "name": Kind::Text, None, Plugin, Status::Active,
        "the account id", "the account's display name in OpenClaw";
    STREAMING "streaming": Kind::Either(&[FLAG, choice(StreamingMode::NAMES, None), STREAMING_OBJECT]), None, Plugin, Status::Active,
        "`\"partial\"`", "`\"partial\"`/`true`: the reply is previewed in one post edited as it grows (tool lines shown, unless `preview.toolProgress: false`); `\"off\"`/`false`: one post when done. Object form: `mode` (`off`, `partial`; `block`: the post is sealed and a new one begun at each switch between text and tool activity or a new assistant message; `progress`: a status post with `progress.label`/`labels` and up to `progress.maxLines` tool lines of `maxLineChars`, no partial text, edited into the answer), `chunkMode` (`length`, or `newline`: paragraphs first), `preview.commandText`/`progress.commandText` (`status` or `raw`), `block.enabled` (mode `off`: OpenClaw sends finished blocks as posts, joined per `block.coalesce`, default 1500 characters or 1 s idle); status text and tool lines come from OpenClaw's progress helpers";
    REPLY_TO_MODE_KEY "replyToMode": REPLY_TO_MODE, None, Plugin, Status::Active,
        "`\"off\"`", "channels and group DMs: `off` answers a post in a thread in that thread, a top-level post at top level; `first`, `all`, `batched` answer a top-level post in a thread under it (each thread its own session); DMs stay flat unless `replyToModeByChatType.direct` is set";
    DEFAULT_ACCOUNT "defaultAccount": Kind::Text, None, Bridge, Status::Active,
        "`\"default\"`", "the account used when none is named";
    ACCOUNTS "accounts": Kind::Accounts, None, Bridge, Status::Active,
        "none", "`{ id: { … } }`: each account's keys over the section's; the plugin runs one bridge per account";
    GROUP_POLICY "groupPolicy": choice(GroupPolicy::NAMES, Some("allowlist")), None, Bridge, Status::Active,
        "", "senders in channels, private channels and group DMs: `allowlist` (only `groupAllowFrom`, or `allowFrom` when `groupAllowFrom` is empty; nobody when both are), `open` (anyone), `disabled` (nobody); pairing approvals count for DMs only";
    GROUP_ALLOW_FROM "groupAllowFrom": Kind::Ids, None, Bridge, Status::Active,
        "`[]` (then `allowFrom`)", "user ids (or `@usernames`) who may address the bot in channels under `groupPolicy: \"allowlist\"`; `\"*\"` allows everyone";
    GROUPS "groups": Kind::Map(&Kind::Object(&[("requireMention", FLAG)])), None, Bridge, Status::Active,
        "none", "per channel id (or `\"*\"` for the others): `{ requireMention }`, which wins over `chatmode`/`requireMention` for that channel (`onchar` still needs its prefix or a mention)";
    IMPLICIT_MENTIONS "implicitMentions": Kind::Object(&[("replyToBot", FLAG), ("quotedBot", FLAG), ("threadParticipation", FLAG)]), None, Bridge, Status::Active,
        "each `true`", "what counts as a mention besides `@bot`: `replyToBot` (a reply in a thread the bot started), `quotedBot` (a post embedding a permalink to a bot post), `threadParticipation` (a post in a thread the bot replied in, for 7 days); an account's entries override the section's one by one";
    HISTORY_LIMIT "historyLimit": Kind::Count { min: 0, max: WHOLE }, None, Bridge, Status::Active,
        "`50`", "channels and threads: at most this many earlier posts not addressed to the bot reach the agent with the next post that is (`0`: none)";
    CONTEXT_VISIBILITY_KEY "contextVisibility": choice(ContextVisibility::NAMES, None), None, Bridge, Status::Active,
        "`channels.defaults.contextVisibility`, else `\"all\"`", "which posts are history context (`historyLimit`): `all`, or with `allowlist`/`allowlist_quote` only those of senders the channel rules allow";
    ACTIONS "actions": Kind::Object(&[("messages", FLAG), ("reactions", FLAG)]), None, Plugin, Status::Active,
        "", "the agent's message tool: `read` channel history (`messages`), `react` (`reactions`)";
    REPLY_TO_MODE_BY_CHAT_TYPE "replyToModeByChatType": Kind::Object(&[("direct", REPLY_TO_MODE), ("group", REPLY_TO_MODE), ("channel", REPLY_TO_MODE)]), None, Plugin, Status::Active,
        "", "`replyToMode` per chat type (`direct`, `group`: group DMs and private channels, `channel`), over `replyToMode`";
    RESPONSE_PREFIX "responsePrefix": Kind::Text, None, Plugin, Status::Active,
        "`messages.responsePrefix`", "text OpenClaw puts (with a space) before every reply and the first streamed preview; `\"auto\"`: the agent's name; `{model}`, `{provider}`, `{identity.name}` are filled (not in the preview)";
    MARKDOWN "markdown": Kind::Object(&[("tables", choice(TABLE_MODES, None))]), None, Plugin, Status::Active,
        "`{ tables: \"off\" }`", "`{ tables }`: how Markdown tables are posted: `off` (as written), `code` or `block` (an aligned table in a code block), `bullets` (a list per row)";
    DM_CHANNEL_RETRY "dmChannelRetry": Kind::Object(&[("maxRetries", Kind::Count { min: 0, max: 10 }), ("initialDelayMs", Kind::Count { min: 100, max: 60_000 }), ("maxDelayMs", Kind::Count { min: 1000, max: 60_000 }), ("timeoutMs", Kind::Count { min: 5000, max: 120_000 })]), None, Bridge, Status::Active,
        "`{ maxRetries: 3, initialDelayMs: 1000, maxDelayMs: 10000, timeoutMs: 30000 }`", "how opening a DM channel is retried (instead of `retryBudget`): up to `maxRetries` more attempts on network errors, 5xx and 429, waiting `initialDelayMs` doubled per attempt (up to twice that, random) up to `maxDelayMs`; each attempt is cut off after `timeoutMs`";
    NETWORK "network": Kind::Object(&[("dangerouslyAllowPrivateNetwork", FLAG)]), None, Bridge, Status::Ignored,
        "", "`{ dangerouslyAllowPrivateNetwork }`: OpenClaw's own plugin needs it for a server on a private or loopback address (its SSRF guard); this bridge connects to the configured server wherever it is and downloads files only from that server, so there is nothing to allow";
    CAPABILITIES "capabilities": Kind::List, None, Plugin, Status::Active,
        "", "read by OpenClaw itself (an account's list over the section's): capability tags it adds to the agent's system prompt (`capabilities=…`); `inlineButtons` also tells the agent it may send buttons (posted as Mattermost interactive buttons)";
    CONFIG_WRITES "configWrites": FLAG, None, Plugin, Status::Active,
        "allowed", "read by OpenClaw itself: `false` refuses config writes requested from this channel";
    DANGEROUSLY_ALLOW_NAME_MATCHING "dangerouslyAllowNameMatching": FLAG, None, Bridge, Status::Active,
        "`false`", "`true`: an `allowFrom`/`groupAllowFrom` entry also admits a sender whose name, as the server shows it in the post's event (`@username`, or the full name or nickname under the server's display setting), is the entry (case-insensitive, without a leading `@`, `user:` or `mattermost:`), checked at every post as OpenClaw's own plugin does. Names can change and be chosen by users: ids are safer (`@username` entries work without this, resolved to ids at start)";
    COMMANDS_KEY "commands": Kind::Object(&[("native", AUTO_OR_FLAG), ("nativeSkills", AUTO_OR_FLAG), ("callbackPath", Kind::Text), ("callbackUrl", Kind::Text)]), None, Plugin, Status::Active,
        "off", "slash commands: `native: true` registers `/oc_status` and the others in the bot's teams (`nativeSkills: true`: one per skill too); Mattermost calls `callbackUrl`, else the gateway at `callbackPath`";
    INTERACTIONS "interactions": Kind::Object(&[("callbackBaseUrl", Kind::Text), ("allowedSourceIps", Kind::List)]), None, Plugin, Status::Active,
        "loopback callers", "interactive buttons: Mattermost posts a click to `callbackBaseUrl` (else the gateway's address) plus `/mattermost/interactions/<account>`; only from `allowedSourceIps` (addresses or CIDRs; default `127.0.0.1` and `::1`; behind a proxy listed in `gateway.trustedProxies`, the address it forwards)";
}

/// The key named `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}
