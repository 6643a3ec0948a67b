//! Who may talk to the bot and where it may speak: every inbound post and every outbound target
//! goes through here (the keys: `docs/configuration.md`). Pure decisions over plain data, so the rules are
//! tested as a table.

use crate::config::{ChatMode, Config, DmPolicy, GroupPolicy, ImplicitMentions};
use crate::mention;
use crate::sync::lock;
use std::collections::HashSet;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelType {
    Direct,
    Group,
    Open,
    Private,
}

impl ChannelType {
    /// From Mattermost's one-letter type.
    pub fn from_code(code: &str) -> Option<ChannelType> {
        match code {
            "D" => Some(ChannelType::Direct),
            "G" => Some(ChannelType::Group),
            "O" => Some(ChannelType::Open),
            "P" => Some(ChannelType::Private),
            _ => None,
        }
    }

    /// The protocol's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelType::Direct => "direct",
            ChannelType::Group => "group",
            ChannelType::Open => "open",
            ChannelType::Private => "private",
        }
    }
}

/// The facts about one post that the rules look at.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub channel_type: ChannelType,
    pub channel_id: &'a str,
    /// `""` for DMs and group DMs.
    pub team_id: &'a str,
    pub user_id: &'a str,
    /// The sender's name as the server shows it (the event's `sender_name`, `@alice` by
    /// default); `""` when unknown. Matched only under `dangerouslyAllowNameMatching`.
    pub sender_name: &'a str,
    /// `""` for ordinary user posts.
    pub post_type: &'a str,
    pub from_bot: bool,
    pub from_webhook: bool,
    pub message: &'a str,
    /// The server listed the bot in the event's `mentions`.
    pub server_mentioned: bool,
    /// What the bridge knows that makes the post addressed to the bot without a mention.
    pub implicit: Implicit,
}

impl<'a> Incoming<'a> {
    /// A sender acting without a post of their own (a reaction, a slash command, a button
    /// click): no text, no mention, not a webhook. Judged by who they are and where.
    pub fn sender(
        channel_type: ChannelType,
        channel_id: &'a str,
        team_id: &'a str,
        user_id: &'a str,
        sender_name: &'a str,
        from_bot: bool,
    ) -> Self {
        Incoming {
            channel_type,
            channel_id,
            team_id,
            user_id,
            sender_name,
            post_type: "",
            from_bot,
            from_webhook: false,
            message: "",
            server_mentioned: false,
            implicit: Implicit::default(),
        }
    }
}

/// Facts that count as a mention (`implicitMentions`), each found by the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Implicit {
    /// The post is in a thread whose root the bot wrote.
    pub reply_to_bot: bool,
    /// The post embeds a permalink preview of a bot post.
    pub quoted_bot: bool,
    /// The post is in a thread the bot replied in (within the last 7 days).
    pub thread_participant: bool,
}

/// The implicit mention that applied to an accepted post, as the protocol names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImplicitMention {
    ReplyToBot,
    QuotedBot,
    ThreadParticipation,
}

impl ImplicitMention {
    pub fn as_str(self) -> &'static str {
        match self {
            ImplicitMention::ReplyToBot => "replyToBot",
            ImplicitMention::QuotedBot => "quotedBot",
            ImplicitMention::ThreadParticipation => "threadParticipation",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<'a> {
    Accept {
        /// The text to forward (the `onchar` prefix removed).
        text: &'a str,
        mentioned: bool,
        /// False only for a pairing DM from someone outside `allowFrom`.
        authorized: bool,
        /// Outside DMs: the implicit mention that holds for the post, if any.
        implicit: Option<ImplicitMention>,
        /// `onchar`: the post starts with a trigger prefix (removed from `text`).
        onchar: bool,
    },
    Drop(DropReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    OwnPost,
    SystemPost,
    BotPost,
    DmsDisabled,
    SenderNotAllowed,
    /// `groupPolicy: "disabled"`.
    GroupsDisabled,
    /// `groupPolicy: "allowlist"` with neither `groupAllowFrom` nor `allowFrom`.
    NoGroupAllowlist,
    ChannelNotAllowed,
    OtherTeam,
    NotAddressed,
}

/// Where an outbound request wants to post.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub channel_type: ChannelType,
    pub channel_id: &'a str,
    pub team_id: &'a str,
    /// For a DM: the other member.
    pub dm_user: Option<&'a str>,
}

pub struct Policy {
    bot_id: String,
    bot_username: String,
    team_id: Option<String>,
    allow_everyone: bool,
    /// Grows at run time through the `allow` request.
    allow_from: Mutex<HashSet<String>>,
    allow_channels: HashSet<String>,
    respond_to_mentions: bool,
    respond_to_dms: bool,
    chatmode: ChatMode,
    onchar_prefixes: Vec<String>,
    dm_policy: DmPolicy,
    allow_bots: bool,
    group_policy: GroupPolicy,
    /// Channel senders under `allowlist`: `groupAllowFrom`, else `allowFrom` (as configured:
    /// pairing approvals are for DMs only); `None` when both lists are empty.
    group_allow: Option<HashSet<String>>,
    /// `dangerouslyAllowNameMatching`: the entries of `allowFrom` and of the channel list
    /// (`groupAllowFrom`, else `allowFrom`) as names (`name_key`); empty without the flag.
    allow_names: HashSet<String>,
    group_allow_names: HashSet<String>,
    /// `groups.<channel id>.requireMention`; the `*` entry under `"*"`.
    require_mention: Vec<(String, bool)>,
    implicit_mentions: ImplicitMentions,
}

impl Policy {
    /// `allow_from` and `group_allow_from` are the config's lists with `@usernames` already
    /// resolved to ids.
    pub fn new(
        config: &Config,
        bot_id: &str,
        bot_username: &str,
        team_id: Option<&str>,
        allow_from: &[String],
        group_allow_from: &[String],
    ) -> Policy {
        // As OpenClaw: the fallback happens when groupAllowFrom is written empty or not at
        // all, not when its names did not resolve.
        let group_allow = match (config.group_allow_from.is_empty(), allow_from.is_empty()) {
            (false, _) => Some(group_allow_from),
            (true, false) => Some(allow_from),
            (true, true) if config.allow_from.is_empty() => None,
            (true, true) => Some(allow_from),
        };
        let names = |list: &[String]| -> HashSet<String> {
            let entries = list.iter().filter(|_| config.allow_name_matching);
            entries
                .map(|e| name_key(e))
                .filter(|e| !e.is_empty() && e != "*")
                .collect()
        };
        let group_names = match config.group_allow_from.is_empty() {
            false => names(&config.group_allow_from),
            true => names(&config.allow_from),
        };
        Policy {
            allow_names: names(&config.allow_from),
            group_allow_names: group_names,
            group_policy: config.group_policy,
            group_allow: group_allow.map(|ids| ids.iter().cloned().collect()),
            require_mention: config.groups_require_mention.clone(),
            implicit_mentions: config.implicit_mentions,
            bot_id: bot_id.to_string(),
            bot_username: bot_username.to_string(),
            team_id: team_id.map(str::to_string),
            allow_everyone: allow_from.iter().any(|id| id == "*"),
            allow_from: Mutex::new(allow_from.iter().cloned().collect()),
            allow_channels: config.allow_channels.iter().cloned().collect(),
            respond_to_mentions: config.respond_to_mentions,
            respond_to_dms: config.respond_to_dms,
            chatmode: config.chatmode,
            onchar_prefixes: config.onchar_prefixes.clone(),
            dm_policy: config.dm_policy,
            allow_bots: config.allow_bots,
        }
    }

    /// Adds a user to the allow list (after the host approved a pairing).
    pub fn allow(&self, user_id: &str) {
        lock(&self.allow_from).insert(user_id.to_string());
    }

    pub fn is_allowed(&self, user_id: &str) -> bool {
        self.allow_everyone || lock(&self.allow_from).contains(user_id)
    }

    /// Decides whether a post reaches the host: the sender rules (`decide_sender`), then the
    /// mention gate outside DMs.
    pub fn decide<'a>(&self, post: &Incoming<'a>) -> Verdict<'a> {
        if post.user_id != self.bot_id && !post.post_type.is_empty() {
            return Verdict::Drop(DropReason::SystemPost);
        }
        let authorized = match self.decide_sender(post) {
            Ok(authorized) => authorized,
            Err(reason) => return Verdict::Drop(reason),
        };
        let mentioned =
            post.server_mentioned || mention::mentions(post.message, &self.bot_username);
        match post.channel_type {
            ChannelType::Direct => Verdict::Accept {
                text: post.message,
                mentioned,
                authorized,
                implicit: None,
                onchar: false,
            },
            _ => self.decide_channel(post, mentioned),
        }
    }

    /// The sender rules every inbound event shares (posts, reactions, slash commands): not the
    /// bot itself, other bots and webhooks only with `allowBots`, then `dmPolicy`/`allowFrom`
    /// in DMs, `groupPolicy`/`groupAllowFrom`, `teamId` and `allowChannels` elsewhere. No
    /// mention gate. `Ok(false)`: a DM sender waiting for a pairing approval.
    pub fn decide_sender(&self, who: &Incoming) -> Result<bool, DropReason> {
        if who.user_id == self.bot_id {
            return Err(DropReason::OwnPost);
        }
        if (who.from_bot || who.from_webhook) && !self.allow_bots {
            return Err(DropReason::BotPost);
        }
        match who.channel_type {
            ChannelType::Direct => self.decide_dm(who),
            _ => self.channel_sender(who).map(|()| true),
        }
    }

    fn decide_dm(&self, post: &Incoming) -> Result<bool, DropReason> {
        if !self.respond_to_dms || self.dm_policy == DmPolicy::Disabled {
            return Err(DropReason::DmsDisabled);
        }
        let allowed =
            self.is_allowed(post.user_id) || named_in(&self.allow_names, post.sender_name);
        match self.dm_policy {
            DmPolicy::Open => Ok(true),
            DmPolicy::Pairing => Ok(allowed),
            _ if allowed => Ok(true),
            _ => Err(DropReason::SenderNotAllowed),
        }
    }

    /// `groupPolicy` with its allow list: may this sender address the bot outside DMs?
    fn group_sender(&self, user_id: &str, sender_name: &str) -> Result<(), DropReason> {
        match (self.group_policy, &self.group_allow) {
            (GroupPolicy::Disabled, _) => Err(DropReason::GroupsDisabled),
            (GroupPolicy::Open, _) => Ok(()),
            (GroupPolicy::Allowlist, None) => Err(DropReason::NoGroupAllowlist),
            (GroupPolicy::Allowlist, Some(ids)) if ids.contains("*") || ids.contains(user_id) => {
                Ok(())
            }
            (GroupPolicy::Allowlist, Some(_)) if named_in(&self.group_allow_names, sender_name) => {
                Ok(())
            }
            (GroupPolicy::Allowlist, Some(_)) => Err(DropReason::SenderNotAllowed),
        }
    }

    /// Whether a channel's posts need a mention: `groups.<id>`, else `groups["*"]`, else
    /// `chatmode` (or the legacy `requireMention` it came from); `onchar` always does.
    fn requires_mention(&self, channel_id: &str) -> bool {
        let entry = |id: &str| {
            self.require_mention
                .iter()
                .find(|(key, _)| key == id)
                .map(|(_, flag)| *flag)
        };
        self.chatmode == ChatMode::Prefix
            || entry(channel_id)
                .or_else(|| entry("*"))
                .unwrap_or(self.chatmode != ChatMode::EveryPost)
    }

    /// The first implicit mention that holds and is enabled.
    fn implicit(&self, facts: Implicit) -> Option<ImplicitMention> {
        let on = self.implicit_mentions;
        [
            (facts.thread_participant && on.thread_participation)
                .then_some(ImplicitMention::ThreadParticipation),
            (facts.reply_to_bot && on.reply_to_bot).then_some(ImplicitMention::ReplyToBot),
            (facts.quoted_bot && on.quoted_bot).then_some(ImplicitMention::QuotedBot),
        ]
        .into_iter()
        .flatten()
        .next()
    }

    /// Whether a reaction reaches the host: the sender rules of posts (its own, other bots,
    /// `dmPolicy`/`allowFrom`, `groupPolicy`/`groupAllowFrom`, `teamId`, `allowChannels`)
    /// without the mention gate, as OpenClaw's own plugin checks reactions. There is no
    /// pairing for reactions: under `pairing` a sender not approved yet is dropped. `message`
    /// and `post_type` of `reaction` are not looked at.
    pub fn decide_reaction(&self, reaction: &Incoming) -> Result<(), DropReason> {
        match self.decide_sender(reaction)? {
            true => Ok(()),
            false => Err(DropReason::SenderNotAllowed),
        }
    }

    /// Whether a post's sender may be history context, as OpenClaw's Mattermost plugin decides
    /// for a thread it re-reads: the sender rules of `decide_reaction` (no mention gate), which
    /// the bot's own posts go through like anyone's. `Err(SenderNotAllowed)` is context or not
    /// by `contextVisibility` (`history::keeps`).
    pub fn decide_context(&self, post: &Incoming) -> Result<(), DropReason> {
        if !post.post_type.is_empty() {
            return Err(DropReason::SystemPost);
        }
        let own = post.user_id == self.bot_id;
        if (post.from_bot || post.from_webhook) && !own && !self.allow_bots {
            return Err(DropReason::BotPost);
        }
        match post.channel_type {
            ChannelType::Direct => match self.decide_dm(post)? {
                true => Ok(()),
                false => Err(DropReason::SenderNotAllowed),
            },
            _ => self.channel_sender(post),
        }
    }

    /// The sender and channel rules of a channel or group DM post.
    fn channel_sender(&self, post: &Incoming) -> Result<(), DropReason> {
        self.group_sender(post.user_id, post.sender_name)?;
        // Group DMs have no team and need no allowChannels entry.
        if post.channel_type != ChannelType::Group {
            if self.team_id.as_deref().is_some_and(|t| t != post.team_id) {
                return Err(DropReason::OtherTeam);
            }
            if !self.allow_channels.is_empty() && !self.allow_channels.contains(post.channel_id) {
                return Err(DropReason::ChannelNotAllowed);
            }
        }
        Ok(())
    }

    /// The mention gate of a channel post whose sender passed `decide_sender`.
    fn decide_channel<'a>(&self, post: &Incoming<'a>, mentioned: bool) -> Verdict<'a> {
        let implicit = self.implicit(post.implicit);
        let addressed = (mentioned || implicit.is_some()) && self.respond_to_mentions;
        let stripped = (self.chatmode == ChatMode::Prefix)
            .then(|| self.strip_prefix(post.message))
            .flatten();
        let text = if self.chatmode == ChatMode::Prefix {
            stripped.or(addressed.then_some(post.message))
        } else if self.requires_mention(post.channel_id) {
            addressed.then_some(post.message)
        } else {
            Some(post.message)
        };
        match text {
            Some(text) => Verdict::Accept {
                text,
                mentioned,
                authorized: true,
                implicit,
                onchar: stripped.is_some(),
            },
            None => Verdict::Drop(DropReason::NotAddressed),
        }
    }

    /// For `onchar`: the message without its trigger prefix, when it has one.
    fn strip_prefix<'a>(&self, message: &'a str) -> Option<&'a str> {
        let trimmed = message.trim_start();
        self.onchar_prefixes
            .iter()
            .find_map(|prefix| trimmed.strip_prefix(prefix.as_str()))
            .map(str::trim_start)
    }

    /// May the bridge post to this target? DMs follow `dmPolicy`/`allowFrom`; channels follow
    /// `teamId` and `allowChannels`; group DMs are allowed (the host only answers in them).
    pub fn may_post(&self, target: &Target) -> bool {
        match target.channel_type {
            ChannelType::Direct => target.dm_user.is_some_and(|user| self.may_dm(user)),
            ChannelType::Group => true,
            ChannelType::Open | ChannelType::Private => {
                let team_ok = self.team_id.as_deref().is_none_or(|t| t == target.team_id);
                let channel_ok = self.allow_channels.is_empty()
                    || self.allow_channels.contains(target.channel_id);
                team_ok && channel_ok
            }
        }
    }

    /// May the bridge open or use a DM with this user? Under `pairing` and `open` anyone
    /// (the host must be able to send its pairing reply); under `allowlist` only `allowFrom`.
    pub fn may_dm(&self, user_id: &str) -> bool {
        if user_id == self.bot_id {
            return false;
        }
        match self.dm_policy {
            DmPolicy::Open | DmPolicy::Pairing => true,
            DmPolicy::Disabled => false,
            DmPolicy::Allowlist => self.is_allowed(user_id),
        }
    }
}

/// An allow-list entry or a sender name as OpenClaw's Mattermost plugin compares them: trimmed,
/// without a leading `mattermost:` or `user:` (any case) and `@`, lower-cased.
fn name_key(text: &str) -> String {
    let mut rest = text.trim();
    for prefix in ["mattermost:", "user:"] {
        let head = rest.get(..prefix.len());
        if head.is_some_and(|head| head.eq_ignore_ascii_case(prefix)) {
            rest = &rest[prefix.len()..];
            break;
        }
    }
    let rest = rest.strip_prefix('@').unwrap_or(rest);
    rest.trim().to_lowercase()
}

/// Whether a sender's name is one of the name entries (never an empty name).
fn named_in(names: &HashSet<String>, sender_name: &str) -> bool {
    !names.is_empty() && names.contains(&name_key(sender_name)) && !sender_name.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server_url::ServerUrl;
    use std::time::Duration;

    const BOT: &str = "bot";
    const ALICE: &str = "alice-id";
    const EVE: &str = "eve-id";
    const BOB: &str = "bob-id";
    const TEAM: &str = "team";

    fn config() -> Config {
        Config {
            file: None,
            server: ServerUrl::parse("https://x.y").unwrap(),
            token: "t".into(),
            allow_from: vec![],
            team_id: None,
            allow_channels: vec![],
            respond_to_mentions: true,
            forward_unaddressed: false,
            respond_to_dms: true,
            reconnect_interval: Duration::from_secs(5),
            chatmode: ChatMode::Mention,
            onchar_prefixes: vec![">".into(), "!".into()],
            dm_policy: DmPolicy::Allowlist,
            allow_bots: false,
            text_chunk_limit: None,
            retry_budget: Duration::from_secs(60),
            dm_retry: crate::mattermost::api::DmRetry::default(),
            media_dir: "/tmp".into(),
            media_max_bytes: 1 << 20,
            media_max_total_bytes: u64::MAX,
            media_retention: None,
            use_websocket: true,
            poll_interval: Duration::from_secs(3),
            state_file: None,
            ca_file: None,
            catch_up_max_age: Duration::from_secs(3600),
            group_policy: GroupPolicy::Allowlist,
            group_allow_from: vec![],
            allow_name_matching: false,
            groups_require_mention: vec![],
            implicit_mentions: ImplicitMentions::default(),
            history_limit: 50,
            context_visibility: crate::config::ContextVisibility::All,
            not_active: vec![],
            warnings: vec![],
            values: Default::default(),
            sources: Default::default(),
            callbacks: Default::default(),
        }
    }

    fn policy_with(edit: impl FnOnce(&mut Config)) -> Policy {
        let mut c = config();
        c.allow_channels = vec!["chan-ok".into()];
        c.allow_from = vec![ALICE.into()];
        edit(&mut c);
        let group_allow: Vec<String> = c.group_allow_from.clone();
        let allow: Vec<String> = c.allow_from.clone();
        Policy::new(&c, BOT, "openclaw", Some(TEAM), &allow, &group_allow)
    }

    fn post<'a>(
        kind: ChannelType,
        channel: &'a str,
        user: &'a str,
        message: &'a str,
    ) -> Incoming<'a> {
        Incoming {
            channel_type: kind,
            channel_id: channel,
            team_id: if matches!(kind, ChannelType::Direct | ChannelType::Group) {
                ""
            } else {
                TEAM
            },
            user_id: user,
            sender_name: "",
            post_type: "",
            from_bot: false,
            from_webhook: false,
            message,
            server_mentioned: false,
            implicit: Implicit::default(),
        }
    }

    type Implied = Option<ImplicitMention>;

    /// `incoming` from a sender the server names `name`.
    fn named<'a>(name: &'a str, incoming: Incoming<'a>) -> Incoming<'a> {
        Incoming {
            sender_name: name,
            ..incoming
        }
    }

    fn accepted(v: &Verdict) -> Option<(String, bool, bool, Implied)> {
        match v {
            Verdict::Accept {
                text,
                mentioned,
                authorized,
                implicit,
                ..
            } => Some((text.to_string(), *mentioned, *authorized, *implicit)),
            Verdict::Drop(_) => None,
        }
    }

    /// Accepted as (text, mentioned, authorized, implicit mention), or dropped for a reason.
    type Expected = Result<(&'static str, bool, bool, Implied), DropReason>;

    #[test]
    fn inbound_table() {
        use ChannelType::*;
        use DropReason::*;
        let default = policy_with(|_| {});
        let onmessage = policy_with(|c| c.chatmode = ChatMode::EveryPost);
        let onchar = policy_with(|c| c.chatmode = ChatMode::Prefix);
        let no_mentions = policy_with(|c| c.respond_to_mentions = false);
        let no_dms = policy_with(|c| c.respond_to_dms = false);
        let bots_ok = policy_with(|c| c.allow_bots = true);
        let open_dms = policy_with(|c| c.dm_policy = DmPolicy::Open);
        let pairing = policy_with(|c| c.dm_policy = DmPolicy::Pairing);
        let disabled = policy_with(|c| c.dm_policy = DmPolicy::Disabled);
        let any_channel = policy_with(|c| c.allow_channels.clear());
        // dangerouslyAllowNameMatching: entries match the event's sender name too.
        let dm_names = policy_with(|c| {
            c.allow_name_matching = true;
            c.allow_from = vec![ALICE.into(), "@Eve".into()];
        });
        let dm_names_off = policy_with(|c| c.allow_from = vec!["eve".into()]);

        let system = Incoming {
            post_type: "system_join_channel",
            ..post(Open, "chan-ok", ALICE, "@openclaw")
        };
        let from_bot = Incoming {
            from_bot: true,
            ..post(Direct, "dm", ALICE, "hi")
        };
        let webhook = Incoming {
            from_webhook: true,
            ..post(Open, "chan-ok", ALICE, "@openclaw hi")
        };
        let server_mention = Incoming {
            server_mentioned: true,
            ..post(Open, "chan-ok", ALICE, "hi")
        };
        let other_team = Incoming {
            team_id: "other",
            ..post(Open, "chan-ok", ALICE, "@openclaw")
        };

        // (policy, post, expected: Ok((text, mentioned, authorized)) or Err(reason))
        let cases: Vec<(&Policy, Incoming, Expected)> = vec![
            (
                &default,
                post(Direct, "dm", ALICE, "hello"),
                Ok(("hello", false, true, None)),
            ),
            (
                &default,
                post(Direct, "dm", EVE, "hello"),
                Err(SenderNotAllowed),
            ),
            (&default, post(Direct, "dm", BOT, "my own"), Err(OwnPost)),
            (&default, from_bot, Err(BotPost)),
            (&bots_ok, from_bot, Ok(("hi", false, true, None))),
            (&default, webhook, Err(BotPost)),
            (&default, system, Err(SystemPost)),
            (
                &no_dms,
                post(Direct, "dm", ALICE, "hello"),
                Err(DmsDisabled),
            ),
            (
                &disabled,
                post(Direct, "dm", ALICE, "hello"),
                Err(DmsDisabled),
            ),
            (
                &open_dms,
                post(Direct, "dm", EVE, "hello"),
                Ok(("hello", false, true, None)),
            ),
            (
                &dm_names,
                named("@eve", post(Direct, "dm", EVE, "hello")),
                Ok(("hello", false, true, None)),
            ),
            (
                &dm_names,
                named("EVE", post(Direct, "dm", EVE, "hello")),
                Ok(("hello", false, true, None)),
            ),
            (
                &dm_names,
                named("@evelyn", post(Direct, "dm", EVE, "hello")),
                Err(SenderNotAllowed),
            ),
            (
                &dm_names,
                named("", post(Direct, "dm", EVE, "hello")),
                Err(SenderNotAllowed),
            ),
            (
                &dm_names_off,
                named("@eve", post(Direct, "dm", EVE, "hello")),
                Err(SenderNotAllowed),
            ),
            (
                &pairing,
                post(Direct, "dm", EVE, "hello"),
                Ok(("hello", false, false, None)),
            ),
            (
                &pairing,
                post(Direct, "dm", ALICE, "hello"),
                Ok(("hello", false, true, None)),
            ),
            (
                &default,
                post(Open, "chan-ok", ALICE, "@openclaw hi"),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (&default, server_mention, Ok(("hi", true, true, None))),
            (
                &default,
                post(Open, "chan-ok", ALICE, "just chatting"),
                Err(NotAddressed),
            ),
            (
                &default,
                post(Open, "chan-ok", ALICE, "`@openclaw` in code"),
                Err(NotAddressed),
            ),
            (
                &default,
                post(Open, "chan-ok", EVE, "@openclaw hi"),
                Err(SenderNotAllowed),
            ),
            (
                &default,
                post(Open, "chan-other", ALICE, "@openclaw hi"),
                Err(ChannelNotAllowed),
            ),
            (
                &any_channel,
                post(Private, "chan-other", ALICE, "@openclaw hi"),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (&default, other_team, Err(OtherTeam)),
            (
                &no_mentions,
                post(Open, "chan-ok", ALICE, "@openclaw hi"),
                Err(NotAddressed),
            ),
            (
                &onmessage,
                post(Open, "chan-ok", ALICE, "anything"),
                Ok(("anything", false, true, None)),
            ),
            (
                &onmessage,
                post(Open, "chan-ok", EVE, "anything"),
                Err(SenderNotAllowed),
            ),
            (
                &onchar,
                post(Open, "chan-ok", ALICE, "> do it"),
                Ok(("do it", false, true, None)),
            ),
            (
                &onchar,
                post(Open, "chan-ok", ALICE, "!status"),
                Ok(("status", false, true, None)),
            ),
            (
                &onchar,
                post(Open, "chan-ok", ALICE, "no prefix"),
                Err(NotAddressed),
            ),
            (
                &onchar,
                post(Open, "chan-ok", ALICE, "hey @openclaw"),
                Ok(("hey @openclaw", true, true, None)),
            ),
            (
                &onchar,
                post(Direct, "dm", ALICE, "> quoted"),
                Ok(("> quoted", false, true, None)),
            ),
            // Group DMs: chatmode applies, no allowChannels entry needed, sender must be allowed.
            (
                &default,
                post(Group, "group", ALICE, "@openclaw hi"),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (
                &default,
                post(Group, "group", ALICE, "hi all"),
                Err(NotAddressed),
            ),
            (
                &default,
                post(Group, "group", EVE, "@openclaw hi"),
                Err(SenderNotAllowed),
            ),
        ];
        for (i, (policy, incoming, expected)) in cases.into_iter().enumerate() {
            let verdict = policy.decide(&incoming);
            match expected {
                Ok((text, mentioned, authorized, implicit)) => assert_eq!(
                    accepted(&verdict),
                    Some((text.to_string(), mentioned, authorized, implicit)),
                    "case {i}: {incoming:?}"
                ),
                Err(reason) => assert_eq!(verdict, Verdict::Drop(reason), "case {i}: {incoming:?}"),
            }
        }
    }

    /// `onchar` says whether a trigger prefix let the post in (the host then counts it as a
    /// mention, as OpenClaw's own plugin does); a mention without a prefix, a DM and other
    /// chatmodes do not set it.
    #[test]
    fn onchar_flag() {
        use ChannelType::*;
        let onchar = policy_with(|c| c.chatmode = ChatMode::Prefix);
        let onmessage = policy_with(|c| c.chatmode = ChatMode::EveryPost);
        let flag = |policy: &Policy, incoming: Incoming| match policy.decide(&incoming) {
            Verdict::Accept { onchar, .. } => Some(onchar),
            Verdict::Drop(_) => None,
        };
        let mut mention = post(Open, "chan-ok", ALICE, "hey @openclaw");
        mention.server_mentioned = true;
        assert_eq!(
            flag(&onchar, post(Open, "chan-ok", ALICE, "> do it")),
            Some(true)
        );
        assert_eq!(flag(&onchar, mention), Some(false));
        assert_eq!(
            flag(&onchar, post(Direct, "dm", ALICE, "> quoted")),
            Some(false)
        );
        assert_eq!(
            flag(&onmessage, post(Open, "chan-ok", ALICE, "> x")),
            Some(false)
        );
    }

    /// `groupPolicy`/`groupAllowFrom`, `groups.<id>.requireMention` and `implicitMentions`,
    /// as OpenClaw's own Mattermost plugin applies them.
    #[test]
    fn channel_table() {
        use ChannelType::*;
        use DropReason::*;
        use ImplicitMention::*;
        let any = |edit: fn(&mut Config)| {
            policy_with(|c| {
                c.allow_channels.clear();
                edit(c);
            })
        };
        let allowlist = any(|_| {});
        let open = any(|c| c.group_policy = GroupPolicy::Open);
        let disabled = any(|c| c.group_policy = GroupPolicy::Disabled);
        let group_list = any(|c| c.group_allow_from = vec![BOB.into()]);
        let group_star = any(|c| c.group_allow_from = vec!["*".into()]);
        let allow_star = any(|c| c.allow_from = vec!["*".into()]);
        let no_lists = any(|c| {
            c.allow_from.clear();
            c.dm_policy = DmPolicy::Pairing;
        });
        // A name in groupAllowFrom that did not resolve still counts as configured.
        let unresolved = {
            let mut c = config();
            c.group_allow_from = vec!["@nobody".into()];
            Policy::new(&c, BOT, "openclaw", Some(TEAM), &[ALICE.into()], &[])
        };
        let quiet_here = any(|c| c.groups_require_mention = vec![("chan-1".into(), false)]);
        let quiet_all =
            any(|c| c.groups_require_mention = vec![("chan-1".into(), true), ("*".into(), false)]);
        let onmessage_star_true = any(|c| {
            c.chatmode = ChatMode::EveryPost;
            c.groups_require_mention = vec![("*".into(), true)];
        });
        let onmessage_here = any(|c| {
            c.chatmode = ChatMode::EveryPost;
            c.groups_require_mention = vec![("chan-1".into(), true)];
        });
        let onchar_quiet = any(|c| {
            c.chatmode = ChatMode::Prefix;
            c.groups_require_mention = vec![("*".into(), false)];
        });
        let no_thread = any(|c| c.implicit_mentions.thread_participation = false);
        let no_reply = any(|c| c.implicit_mentions.reply_to_bot = false);
        let no_quote = any(|c| c.implicit_mentions.quoted_bot = false);
        let onmessage = any(|c| c.chatmode = ChatMode::EveryPost);
        let onchar = any(|c| c.chatmode = ChatMode::Prefix);
        let no_mentions = any(|c| c.respond_to_mentions = false);
        let names = any(|c| {
            c.allow_name_matching = true;
            c.group_allow_from = vec!["@Bob".into(), "user:Carol Smith".into()];
        });
        let names_off = any(|c| c.group_allow_from = vec!["bob".into()]);
        // Without groupAllowFrom, allowFrom's names count for channels too.
        let names_fallback = any(|c| {
            c.allow_name_matching = true;
            c.allow_from = vec!["mattermost:@Dave".into()];
        });

        let with = |implicit: Implicit, incoming: Incoming<'static>| Incoming {
            implicit,
            ..incoming
        };
        let thread = Implicit {
            thread_participant: true,
            ..Implicit::default()
        };
        let reply = Implicit {
            reply_to_bot: true,
            ..Implicit::default()
        };
        let quote = Implicit {
            quoted_bot: true,
            ..Implicit::default()
        };
        let hi = |kind, channel, user| post(kind, channel, user, "@openclaw hi");
        let chat = |kind, channel, user| post(kind, channel, user, "just chatting");

        let cases: Vec<(&Policy, Incoming, Expected)> = vec![
            // groupPolicy allowlist (the default): groupAllowFrom, else allowFrom.
            (
                &allowlist,
                hi(Open, "chan-1", ALICE),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (&allowlist, hi(Open, "chan-1", BOB), Err(SenderNotAllowed)),
            (
                &allowlist,
                hi(Private, "chan-1", BOB),
                Err(SenderNotAllowed),
            ),
            (&allowlist, hi(Group, "gdm", BOB), Err(SenderNotAllowed)),
            // dangerouslyAllowNameMatching: an entry matches the sender's name as the server
            // shows it (username or display name), never an empty one; the gate still applies.
            (
                &names,
                named("@bob", hi(Open, "chan-1", EVE)),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (
                &names,
                named("carol smith", hi(Private, "chan-1", EVE)),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (
                &names,
                named("@bobby", hi(Open, "chan-1", EVE)),
                Err(SenderNotAllowed),
            ),
            (
                &names,
                named("", hi(Open, "chan-1", EVE)),
                Err(SenderNotAllowed),
            ),
            (
                &names,
                named("@bob", chat(Open, "chan-1", EVE)),
                Err(NotAddressed),
            ),
            (
                &names_off,
                named("@bob", hi(Open, "chan-1", EVE)),
                Err(SenderNotAllowed),
            ),
            (
                &names_fallback,
                named("@dave", hi(Group, "gdm", EVE)),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (
                &group_list,
                hi(Open, "chan-1", BOB),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (
                &group_list,
                hi(Open, "chan-1", ALICE),
                Err(SenderNotAllowed),
            ),
            (
                &group_list,
                post(Direct, "dm", ALICE, "hi"),
                Ok(("hi", false, true, None)),
            ),
            (
                &group_list,
                post(Direct, "dm", BOB, "hi"),
                Err(SenderNotAllowed),
            ),
            (
                &group_star,
                hi(Private, "chan-1", EVE),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (
                &allow_star,
                hi(Open, "chan-1", EVE),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (&no_lists, hi(Open, "chan-1", ALICE), Err(NoGroupAllowlist)),
            (&no_lists, hi(Group, "gdm", ALICE), Err(NoGroupAllowlist)),
            (
                &no_lists,
                post(Direct, "dm", ALICE, "hi"),
                Ok(("hi", false, false, None)),
            ),
            (
                &unresolved,
                hi(Open, "chan-1", ALICE),
                Err(SenderNotAllowed),
            ),
            // open: anyone, still mention-gated; disabled: nobody outside DMs.
            (
                &open,
                hi(Open, "chan-1", EVE),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (&open, chat(Open, "chan-1", EVE), Err(NotAddressed)),
            (&open, post(Direct, "dm", EVE, "hi"), Err(SenderNotAllowed)),
            (&disabled, hi(Open, "chan-1", ALICE), Err(GroupsDisabled)),
            (&disabled, hi(Group, "gdm", ALICE), Err(GroupsDisabled)),
            (
                &disabled,
                post(Direct, "dm", ALICE, "hi"),
                Ok(("hi", false, true, None)),
            ),
            // groups.<id>.requireMention, then groups["*"], then chatmode.
            (
                &quiet_here,
                chat(Open, "chan-1", ALICE),
                Ok(("just chatting", false, true, None)),
            ),
            (&quiet_here, chat(Open, "chan-2", ALICE), Err(NotAddressed)),
            (
                &quiet_all,
                chat(Open, "chan-2", ALICE),
                Ok(("just chatting", false, true, None)),
            ),
            (
                &quiet_all,
                chat(Group, "gdm", ALICE),
                Ok(("just chatting", false, true, None)),
            ),
            (&quiet_all, chat(Open, "chan-1", ALICE), Err(NotAddressed)),
            (
                &quiet_all,
                hi(Open, "chan-1", ALICE),
                Ok(("@openclaw hi", true, true, None)),
            ),
            (
                &onmessage_star_true,
                chat(Open, "chan-2", ALICE),
                Err(NotAddressed),
            ),
            (
                &onmessage_here,
                chat(Open, "chan-1", ALICE),
                Err(NotAddressed),
            ),
            (
                &onmessage_here,
                chat(Open, "chan-2", ALICE),
                Ok(("just chatting", false, true, None)),
            ),
            // onchar keeps its gate whatever groups say.
            (
                &onchar_quiet,
                chat(Open, "chan-1", ALICE),
                Err(NotAddressed),
            ),
            (
                &onchar_quiet,
                post(Open, "chan-1", ALICE, "!go"),
                Ok(("go", false, true, None)),
            ),
            // Implicit mentions, each on by default and off by its own flag.
            (
                &allowlist,
                with(thread, chat(Open, "chan-1", ALICE)),
                Ok(("just chatting", false, true, Some(ThreadParticipation))),
            ),
            (
                &allowlist,
                with(reply, chat(Private, "chan-1", ALICE)),
                Ok(("just chatting", false, true, Some(ReplyToBot))),
            ),
            (
                &allowlist,
                with(quote, chat(Group, "gdm", ALICE)),
                Ok(("just chatting", false, true, Some(QuotedBot))),
            ),
            (
                &no_thread,
                with(thread, chat(Open, "chan-1", ALICE)),
                Err(NotAddressed),
            ),
            (
                &no_thread,
                with(reply, chat(Open, "chan-1", ALICE)),
                Ok(("just chatting", false, true, Some(ReplyToBot))),
            ),
            (
                &no_reply,
                with(reply, chat(Open, "chan-1", ALICE)),
                Err(NotAddressed),
            ),
            (
                &no_quote,
                with(quote, chat(Open, "chan-1", ALICE)),
                Err(NotAddressed),
            ),
            (
                &onchar,
                with(thread, chat(Open, "chan-1", ALICE)),
                Ok(("just chatting", false, true, Some(ThreadParticipation))),
            ),
            (
                &onmessage,
                with(thread, chat(Open, "chan-1", ALICE)),
                Ok(("just chatting", false, true, Some(ThreadParticipation))),
            ),
            (
                &no_mentions,
                with(thread, chat(Open, "chan-1", ALICE)),
                Err(NotAddressed),
            ),
            // An implicit mention does not pass the sender policy, and means nothing in DMs.
            (
                &allowlist,
                with(thread, chat(Open, "chan-1", EVE)),
                Err(SenderNotAllowed),
            ),
            (
                &allowlist,
                with(thread, post(Direct, "dm", ALICE, "hi")),
                Ok(("hi", false, true, None)),
            ),
        ];
        for (i, (policy, incoming, expected)) in cases.into_iter().enumerate() {
            let verdict = policy.decide(&incoming);
            match expected {
                Ok((text, mentioned, authorized, implicit)) => assert_eq!(
                    accepted(&verdict),
                    Some((text.to_string(), mentioned, authorized, implicit)),
                    "case {i}: {incoming:?}"
                ),
                Err(reason) => assert_eq!(verdict, Verdict::Drop(reason), "case {i}: {incoming:?}"),
            }
        }
    }

    /// A pairing approval opens DMs only, as in OpenClaw (its pairing store is not read for
    /// channels).
    #[test]
    fn approvals_do_not_open_channels() {
        let pairing = policy_with(|c| {
            c.allow_channels.clear();
            c.dm_policy = DmPolicy::Pairing;
        });
        pairing.allow(EVE);
        let dm = post(ChannelType::Direct, "dm", EVE, "hi");
        assert_eq!(
            accepted(&pairing.decide(&dm)),
            Some(("hi".into(), false, true, None))
        );
        let channel = post(ChannelType::Open, "chan-1", EVE, "@openclaw hi");
        assert_eq!(
            pairing.decide(&channel),
            Verdict::Drop(DropReason::SenderNotAllowed)
        );
    }

    /// Reactions: the sender rules of posts, no mention gate, no pairing.
    #[test]
    fn reaction_table() {
        use ChannelType::*;
        use DropReason::*;
        let default = policy_with(|_| {});
        let pairing = policy_with(|c| c.dm_policy = DmPolicy::Pairing);
        let open_dms = policy_with(|c| c.dm_policy = DmPolicy::Open);
        let disabled = policy_with(|c| c.dm_policy = DmPolicy::Disabled);
        let bots_ok = policy_with(|c| c.allow_bots = true);
        let groups_open = policy_with(|c| c.group_policy = GroupPolicy::Open);
        let groups_off = policy_with(|c| c.group_policy = GroupPolicy::Disabled);
        let bob_in_groups = policy_with(|c| c.group_allow_from = vec![BOB.into()]);
        let names = policy_with(|c| {
            c.allow_name_matching = true;
            c.allow_from = vec![ALICE.into(), "eve".into()];
        });
        // A reaction has no text: "" would fail every mention gate.
        let by = |kind, channel, user| post(kind, channel, user, "");
        let bot = |kind, channel| Incoming {
            from_bot: true,
            ..by(kind, channel, ALICE)
        };
        let other_team = Incoming {
            team_id: "other",
            ..by(Open, "chan-ok", ALICE)
        };
        let cases: Vec<(&Policy, Incoming, Result<(), DropReason>)> = vec![
            (&default, by(Open, "chan-ok", ALICE), Ok(())),
            (&default, by(Group, "group", ALICE), Ok(())),
            (&default, by(Direct, "dm", ALICE), Ok(())),
            (&default, by(Open, "chan-ok", BOT), Err(OwnPost)),
            (&default, by(Open, "chan-ok", EVE), Err(SenderNotAllowed)),
            (
                &default,
                by(Open, "chan-other", ALICE),
                Err(ChannelNotAllowed),
            ),
            (&default, other_team, Err(OtherTeam)),
            (&default, by(Direct, "dm", EVE), Err(SenderNotAllowed)),
            (&pairing, by(Direct, "dm", EVE), Err(SenderNotAllowed)),
            (&pairing, by(Direct, "dm", ALICE), Ok(())),
            (&open_dms, by(Direct, "dm", EVE), Ok(())),
            (&disabled, by(Direct, "dm", ALICE), Err(DmsDisabled)),
            (&default, bot(Open, "chan-ok"), Err(BotPost)),
            (&bots_ok, bot(Open, "chan-ok"), Ok(())),
            // groupPolicy and groupAllowFrom, as for posts.
            (&groups_open, by(Open, "chan-ok", EVE), Ok(())),
            (&groups_off, by(Group, "group", ALICE), Err(GroupsDisabled)),
            (&groups_off, by(Direct, "dm", ALICE), Ok(())),
            (&bob_in_groups, by(Open, "chan-ok", BOB), Ok(())),
            // dangerouslyAllowNameMatching: the reacting user's username.
            (&names, named("eve", by(Direct, "dm", EVE)), Ok(())),
            (&names, named("eve", by(Open, "chan-ok", EVE)), Ok(())),
            (
                &names,
                named("bob", by(Direct, "dm", BOB)),
                Err(SenderNotAllowed),
            ),
            (
                &bob_in_groups,
                by(Open, "chan-ok", ALICE),
                Err(SenderNotAllowed),
            ),
        ];
        for (i, (policy, reaction, expected)) in cases.into_iter().enumerate() {
            assert_eq!(
                policy.decide_reaction(&reaction),
                expected,
                "case {i}: {reaction:?}"
            );
        }
    }

    #[test]
    fn context_senders_are_judged_like_anyone_the_bot_included() {
        use ChannelType::*;
        use DropReason::*;
        let default = policy_with(|_| {});
        let groups_open = policy_with(|c| c.group_policy = GroupPolicy::Open);
        let pairing = policy_with(|c| c.dm_policy = DmPolicy::Pairing);
        let own_bot_account = Incoming {
            from_bot: true,
            ..post(Open, "chan-ok", BOT, "an answer")
        };
        let other_bot = Incoming {
            from_bot: true,
            ..post(Open, "chan-ok", EVE, "beep")
        };
        let system = Incoming {
            post_type: "system_join_channel",
            ..post(Open, "chan-ok", ALICE, "joined")
        };
        let cases: Vec<(&Policy, Incoming, Result<(), DropReason>)> = vec![
            // Not addressed: no matter, the sender decides.
            (&default, post(Open, "chan-ok", ALICE, "chatter"), Ok(())),
            (
                &default,
                post(Open, "chan-ok", EVE, "chatter"),
                Err(SenderNotAllowed),
            ),
            // The bot's own posts pass the sender rules as anyone's (OpenClaw's re-read).
            (
                &default,
                post(Open, "chan-ok", BOT, "an answer"),
                Err(SenderNotAllowed),
            ),
            (
                &groups_open,
                post(Open, "chan-ok", BOT, "an answer"),
                Ok(()),
            ),
            (&groups_open, own_bot_account, Ok(())),
            (&groups_open, other_bot, Err(BotPost)),
            (&groups_open, system, Err(SystemPost)),
            (
                &pairing,
                post(Direct, "dm", BOT, "an answer"),
                Err(SenderNotAllowed),
            ),
            (&pairing, post(Direct, "dm", ALICE, "hi"), Ok(())),
        ];
        for (i, (policy, post, expected)) in cases.into_iter().enumerate() {
            assert_eq!(policy.decide_context(&post), expected, "case {i}: {post:?}");
        }
    }

    #[test]
    fn star_allows_everyone_and_allow_adds() {
        let c = config();
        let star = Policy::new(&c, BOT, "openclaw", None, &["*".to_string()], &[]);
        assert!(star.is_allowed(EVE));
        let p = Policy::new(&c, BOT, "openclaw", None, &[], &[]);
        assert!(!p.is_allowed(EVE));
        p.allow(EVE);
        assert!(p.is_allowed(EVE));
    }

    #[test]
    fn outbound_table() {
        use ChannelType::*;
        let default = policy_with(|_| {});
        let pairing = policy_with(|c| c.dm_policy = DmPolicy::Pairing);
        let disabled = policy_with(|c| c.dm_policy = DmPolicy::Disabled);
        let any_channel = policy_with(|c| c.allow_channels.clear());
        let target = |kind, channel, team, user| Target {
            channel_type: kind,
            channel_id: channel,
            team_id: team,
            dm_user: user,
        };
        let cases = [
            (&default, target(Open, "chan-ok", TEAM, None), true),
            (&default, target(Open, "chan-other", TEAM, None), false),
            (
                &any_channel,
                target(Private, "chan-other", TEAM, None),
                true,
            ),
            (
                &any_channel,
                target(Open, "chan-x", "other-team", None),
                false,
            ),
            (&default, target(Group, "group", "", None), true),
            (&default, target(Direct, "dm", "", Some(ALICE)), true),
            (&default, target(Direct, "dm", "", Some(EVE)), false),
            (&pairing, target(Direct, "dm", "", Some(EVE)), true),
            (&disabled, target(Direct, "dm", "", Some(ALICE)), false),
            (&default, target(Direct, "dm", "", None), false),
        ];
        for (i, (policy, target, expected)) in cases.into_iter().enumerate() {
            assert_eq!(policy.may_post(&target), expected, "case {i}: {target:?}");
        }
        assert!(!default.may_dm(BOT));
    }
}
