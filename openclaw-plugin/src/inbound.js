// Inbound: a bridge `message` becomes OpenClaw's inbound context (the fields OpenClaw's own
// Mattermost plugin fills) and is dispatched; the agent's reply goes back through the bridge.
import { CHANNEL_ID, resolveReplyToMode } from "./config.js";
import { defaultMediaRoots, payloadMedia, sendThroughBridge } from "./outbound.js";
import { createDraftStream, createStreamingTurn, loadOutboundSdk, previewPrefix } from "./streaming.js";
import { textPlan } from "./text.js";

/**
 * Bridge channelType → OpenClaw ChatType, as OpenClaw's own Mattermost plugin maps them: group
 * DMs and private channels are "group" (so a private channel keeps its session key when a
 * user switches plugins), open channels "channel".
 */
export function chatKind(channelType) {
  if (channelType === "direct") return "direct";
  if (channelType === "group" || channelType === "private") return "group";
  return "channel";
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `@name` as a mention of the bot (JS plugin: monitor-helpers.ts buildMattermostBotMentionPattern). */
function botMentionPattern(botUsername) {
  return `(?<![a-z0-9_])@${escapeRegExp(botUsername)}(?![a-z0-9_]|[.:-]+[a-z0-9_])`;
}

/**
 * The text without `@botname` mentions, lines and Markdown blocks kept, as OpenClaw's own
 * Mattermost plugin strips them (monitor-helpers.ts `normalizeMention`).
 */
export function stripBotMention(text, botUsername) {
  if (!botUsername) return text.trim();
  const pattern = botMentionPattern(botUsername);
  const hasMention = new RegExp(pattern, "i");
  const leading = new RegExp(`^([\\t ]*)${pattern}[\\t ]*`, "i");
  const trailing = new RegExp(`[\\t ]*${pattern}[\\t ]*$`, "i");
  const lines = text.split("\n").map((line) => {
    if (!hasMention.test(line)) return { text: line, mentionOnlyBlank: false };
    const stripped = line
      .replace(leading, "$1")
      .replace(trailing, "")
      .replace(new RegExp(pattern, "gi"), "")
      .replace(/(\S)[ \t]{2,}/g, "$1 ");
    return { text: stripped, mentionOnlyBlank: stripped.trim() === "" };
  });
  while (lines[0]?.mentionOnlyBlank) lines.shift();
  while (lines.at(-1)?.text.trim() === "") lines.pop();
  return lines.map((line) => line.text).join("\n");
}

/** A file name fit for the notice about attachments the agent does not get. */
function noticeName(name) {
  return typeof name === "string" ? name.replace(/[\p{Cc}\p{Cf}]/gu, "").trim() : "";
}

/**
 * The body with the JS plugin's notice about attachments that could not be had
 * (monitor-resources.ts `formatMattermostInboundMediaText` with OpenClaw's
 * `formatInboundMediaUnavailableText`).
 */
export function withUnavailableNotice(body, missing) {
  if (missing.length === 0) return body;
  const names = missing.map((f) => noticeName(f.name)).filter(Boolean).join(", ");
  const quoted = names ? ` ${JSON.stringify(names.slice(0, 512))}` : "";
  const what = missing.length > 1 ? `${missing.length} attachments` : "attachment";
  const notice = `[mattermost ${what} unavailable]${quoted}`;
  const trimmed = body.trim();
  return trimmed ? `${trimmed}\n\n${notice}` : notice;
}

/**
 * OpenClaw's inbound "from" label (its `formatInboundFromLabel`, as the JS plugin calls it):
 * `<channel> id:<channel id>` outside DMs, `<sender> id:<sender id>` in DMs.
 */
export function conversationLabel({ isGroup, groupLabel, groupId, groupFallback, directLabel, directId }) {
  if (isGroup) {
    const label = (groupLabel ?? "").trim() || groupFallback || "Group";
    const id = groupId?.trim();
    return id ? `${label} id:${id}` : label;
  }
  const label = directLabel.trim();
  const id = directId?.trim();
  return !id || id === label ? label : `${label} id:${id}`;
}

/**
 * Where a reply to `msg` goes and which session it belongs to, as OpenClaw's Mattermost plugin
 * decides (`resolveMattermostThreadSessionContext`). `route` comes from OpenClaw's
 * `resolveAgentRoute` (one session per DM peer or per channel); `replyToMode` is the mode for
 * the conversation's chat type (`resolveReplyToMode`). A DM whose mode is `off` is answered flat
 * in its session, even when the post is in a thread. Otherwise a post in a thread is answered in
 * that thread, and a top-level post with `first`, `all` or `batched` starts a thread under it;
 * either way the turn gets the thread's session (`<session>:thread:<root id>`, whose parent is
 * the channel's session; a DM thread has no parent).
 */
export function resolveThread({ msg, kind, route, replyToMode = "off" }) {
  const threaded = ["first", "all", "batched"].includes(replyToMode);
  const replyToId =
    kind === "direct" && replyToMode === "off" ? undefined : msg.rootId || (threaded ? msg.id : undefined) || undefined;
  if (!replyToId) return { replyToId: undefined, sessionKey: route.sessionKey, parentSessionKey: undefined };
  return {
    replyToId,
    sessionKey: `${route.sessionKey}:thread:${replyToId.toLowerCase()}`,
    parentSessionKey: kind !== "direct" ? route.sessionKey : undefined,
  };
}

// OpenClaw's markers around earlier posts in `Body` (its auto-reply history.ts).
export const HISTORY_CONTEXT_MARKER = "[Chat messages since your last reply - for context]";
export const CURRENT_MESSAGE_MARKER = "[Current message - respond to this]";

/** A part of an envelope (a sender, a label) as OpenClaw writes it: one line, no square
 * brackets (its sanitizeEnvelopeHeaderPart). */
export function headerPart(value) {
  return String(value)
    .replace(/\r\n|\r|\n/g, " ")
    .replaceAll("[", "(")
    .replaceAll("]", ")")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * The bridge's `history` (posts since the bot's last turn that were not addressed to it) as
 * OpenClaw's Mattermost plugin hands them over: `InboundHistory` entries, and `Body` wrapped
 * in OpenClaw's history markers, each entry made by `formatEntry(entry, text)` from its text and
 * ids (the JS plugin puts it in OpenClaw's envelope, `inboundEnvelope`; without one, `sender:
 * text`). `undefined` history for DMs outside a thread, as there.
 */
export function historyFields({ msg, kind, body, formatEntry = (entry, text) => `${headerPart(entry.sender)}: ${text}` }) {
  const threaded = Boolean(msg.rootId);
  if (!Array.isArray(msg.history) || (kind === "direct" && !threaded)) return { Body: body };
  const entries = msg.history
    .filter((e) => e && typeof e.body === "string" && e.body.trim())
    .map((e) => {
      const entry = {
        sender: typeof e.sender === "string" && e.sender ? e.sender : "unknown",
        body: e.body,
        timestamp: typeof e.timestamp === "number" ? e.timestamp : undefined,
      };
      if (typeof e.messageId === "string" && e.messageId) entry.messageId = e.messageId;
      return entry;
    });
  if (entries.length === 0) return { Body: body, InboundHistory: [] };
  const lines = entries.map((e) => formatEntry(e, `${e.body}${e.messageId ? ` [id:${e.messageId} channel:${msg.channelId}]` : ""}`));
  return {
    Body: [HISTORY_CONTEXT_MARKER, ...lines, "", CURRENT_MESSAGE_MARKER, body].join("\n"),
    InboundHistory: entries,
  };
}

/**
 * The context fields that name a turn's conversation and sender, as the JS plugin sets them for
 * a post, a slash command and a click alike: `kind` (chatKind's), the sender's and the
 * channel's ids, the account and OpenClaw's route.
 */
export function conversationFields({ kind, senderId, channelId, accountId, route }) {
  const to = kind === "direct" ? `user:${senderId}` : `channel:${channelId}`;
  const from = kind === "direct" ? `${CHANNEL_ID}:${senderId}` : `${CHANNEL_ID}:${kind === "group" ? "group" : "channel"}:${channelId}`;
  return {
    From: from,
    To: to,
    AccountId: route.accountId ?? accountId,
    ChatType: kind,
    ConversationRouteContextObserved: true,
    ConversationRoutePeerId: kind === "direct" ? senderId : channelId,
    SenderId: senderId,
    Provider: CHANNEL_ID,
    Surface: CHANNEL_ID,
    OriginatingChannel: CHANNEL_ID,
    OriginatingTo: to,
  };
}

/**
 * The inbound context fields for one `message` (before OpenClaw's finalizeInboundContext), the
 * ones OpenClaw's own Mattermost plugin 2026.9.5 sets, with the same values: its post handler
 * (dist/.setup/channel.runtime-*.mjs `createMattermostPostHandler`) and event plan
 * (`buildMattermostEventPlan`, its `finalizeContext`).
 */
export function buildInboundFields({ msg, accountId, route, thread, botUsername, command }) {
  const kind = chatKind(msg.channelType);
  const senderId = msg.sender?.id ?? "";
  // The event's sender_name ("@alice"), else the username, else the id (the JS plugin's order).
  const senderName = nonEmpty(msg.senderName) ?? nonEmpty(msg.sender?.username) ?? senderId;
  // The bridge has already taken an onchar prefix off `text` (the JS plugin's body does the same;
  // its command body keeps the prefix, see docs/switching.md).
  const rawText = typeof msg.text === "string" ? msg.text.trim() : "";
  const commandBody = stripBotMention(rawText, botUsername).trim();
  const files = Array.isArray(msg.files) ? msg.files : [];
  const saved = files.filter((f) => typeof f.path === "string" && f.path);
  const missing = files.filter((f) => !f.path);
  const bodyText = stripBotMention(withUnavailableNotice(rawText, missing), botUsername);
  const channelName = msg.channelName ?? "";
  const channelDisplay = msg.channelDisplayName ?? channelName;
  const roomLabel = channelName ? `#${channelName}` : channelDisplay || `#${msg.channelId}`;
  const merged = Array.isArray(msg.messageIds) && msg.messageIds.length > 1;
  const label = conversationLabel({
    isGroup: kind !== "direct",
    groupLabel: channelDisplay || roomLabel,
    groupId: msg.channelId,
    groupFallback: roomLabel || "Channel",
    directLabel: senderName,
    directId: senderId,
  });
  const fields = {
    Body: `${bodyText}\n[mattermost message id: ${msg.id} channel: ${msg.channelId}]`,
    // The earlier posts; `Body` is wrapped with them after it is put in its envelope (handle).
    InboundHistory: historyFields({ msg, kind, body: "" }).InboundHistory,
    BodyForAgent: bodyText || rawText,
    RawBody: commandBody,
    CommandBody: commandBody,
    BodyForCommands: commandBody,
    ...conversationFields({ kind, senderId, channelId: msg.channelId, accountId, route }),
    SessionKey: thread.sessionKey,
    DmScope: route.dmScope,
    ParentSessionKey: thread.parentSessionKey,
    ConversationLabel: label,
    GroupSubject: kind !== "direct" ? channelDisplay || roomLabel : undefined,
    // Set for DMs too (`#<user id>__<user id>`), as the JS plugin does.
    GroupChannel: channelName ? `#${channelName}` : undefined,
    GroupSpace: msg.teamId ?? undefined,
    SenderName: senderName,
    MessageSid: msg.id,
    // Posts joined by inbound debounce (debounce.js), as the JS plugin lists them.
    MessageSids: merged ? msg.messageIds : undefined,
    MessageSidFirst: merged ? msg.messageIds[0] : undefined,
    MessageSidLast: merged ? msg.messageIds.at(-1) : undefined,
    ReplyToId: thread.replyToId,
    MessageThreadId: thread.replyToId,
    NativeChannelId: msg.channelId,
    Timestamp: typeof msg.createAt === "number" ? msg.createAt : undefined,
    // A mention, an onchar prefix or an implicit mention (a thread the bot is in, a quote of
    // it): the JS plugin's effectiveWasMentioned.
    WasMentioned: kind !== "direct" ? Boolean(msg.mentioned || msg.onchar || msg.implicitMention) : undefined,
    // `command` (commandFacts): the JS plugin's commandAuthorized, and CommandSource "text" for
    // an authorised control command.
    CommandAuthorized: command ? command.authorized : msg.authorized !== false,
    CommandSource: command?.authorized && command.isControlCommand ? "text" : undefined,
    InboundAccessAuthorized: msg.authorized !== false,
  };
  if (saved.length) {
    // `media` is OpenClaw's current form; MediaPaths/MediaTypes the (deprecated) fields its
    // Mattermost plugin still sets. finalizeInboundContext merges the two by position.
    fields.media = saved.map((f) => ({
      path: f.path,
      contentType: f.mimeType ?? "application/octet-stream",
      fileName: f.name,
      sizeBytes: f.size,
      messageId: msg.id,
    }));
    fields.MediaPaths = saved.map((f) => f.path);
    fields.MediaTypes = saved.map((f) => f.mimeType ?? "application/octet-stream");
    fields.MediaPath = fields.MediaPaths[0];
    fields.MediaType = fields.MediaTypes[0];
  }
  for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key];
  return { kind, to: fields.To, fields };
}

function nonEmpty(value) {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

/**
 * The text of an envelope with its sender in front, as OpenClaw's formatInboundEnvelope writes
 * it: in a DM the conversation label's name part (`@alice: …`; "(sender)" when it holds a
 * colon), elsewhere `senderLabel`, else `name (id)` of `sender` (the name alone when they are
 * equal or the id is a UUID).
 */
export function withSender({ chatType, from, senderLabel, sender = {}, body }) {
  if (!chatType || chatType === "direct") {
    const label = headerPart(from ?? "");
    const at = label.search(/\s+id:/i);
    const shown = at > 0 ? label.slice(0, at).trim() : label;
    const direct = shown.includes(":") ? "(sender)" : shown;
    return direct ? `${direct}: ${body}` : body;
  }
  const name = (sender.name ?? "").trim();
  const id = (sender.id ?? "").trim();
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu.test(id);
  const resolved = (senderLabel ?? "").trim() || (name && id && name !== id && !uuid ? `${name} (${id})` : name || id);
  return resolved ? `${headerPart(resolved)}: ${body}` : body;
}

/**
 * OpenClaw's formatInboundEnvelope as the JS plugin calls it (channel "Mattermost"), made of
 * the runtime's formatAgentEnvelope and envelope options, both looked up once: one formatter
 * for the current post and for each history entry. `undefined` when the runtime has no
 * formatAgentEnvelope (older OpenClaw): `Body` then stays bare.
 */
export function inboundEnvelope(rt, cfg) {
  const format = rt?.reply?.formatAgentEnvelope;
  if (typeof format !== "function") return undefined;
  const envelope = rt.reply.resolveEnvelopeFormatOptions?.(cfg);
  return ({ from, timestamp, previousTimestamp, ...rest }) =>
    format({ channel: "Mattermost", from, timestamp, previousTimestamp, envelope, body: withSender({ from, ...rest }) });
}

/**
 * `Body` in OpenClaw's envelope, as the JS plugin builds it with OpenClaw's formatInboundEnvelope:
 * the sender before the text (`@alice: …` in a DM, `@alice (<id>): …` elsewhere), then
 * `[Mattermost <label> +<since the session's last turn> <time>] …` by the runtime's
 * formatAgentEnvelope (`envelope`, from `inboundEnvelope`). Without it `Body` stays bare.
 */
export function envelopeBody({ rt, cfg, route, thread, fields, envelope = inboundEnvelope(rt, cfg) }) {
  if (!envelope) return fields.Body;
  let previousTimestamp;
  try {
    const storePath = rt.session?.resolveStorePath?.(cfg?.session?.store, { agentId: route.agentId });
    previousTimestamp = storePath ? rt.session.readSessionUpdatedAt?.({ storePath, sessionKey: thread.sessionKey }) : undefined;
  } catch {
    previousTimestamp = undefined; // no elapsed time, as for a first turn
  }
  return envelope({
    from: fields.ConversationLabel,
    timestamp: fields.Timestamp,
    previousTimestamp,
    chatType: fields.ChatType,
    sender: { name: fields.SenderName, id: fields.SenderId },
    body: fields.Body,
  });
}

// The streaming preview lives in streaming.js; these names stay importable from here.
export { PREVIEW_MAX_CHARS, PREVIEW_THROTTLE_MS, previewPrefix, previewText } from "./streaming.js";

/** An allow-list entry as OpenClaw's Mattermost plugin compares it (normalizeMattermostAllowEntry). */
function allowEntry(entry) {
  const trimmed = String(entry).trim();
  if (trimmed === "*") return "*";
  return trimmed.replace(/^(mattermost|user):/i, "").replace(/^@/, "").trim().toLowerCase();
}

/**
 * Whether the sender of a channel post may run OpenClaw's commands, as OpenClaw decides for the
 * JS plugin (its ingress command gate with owners = `allowFrom`, group = `groupAllowFrom`, else
 * `allowFrom`; pairing approvals do not count outside DMs): listed by id, or `"*"`, or by name
 * under `dangerouslyAllowNameMatching`; an `@username` entry also by username, as the bridge
 * resolves those. In a DM, every sender the bridge let through.
 */
export function commandAuthorized(account, msg) {
  if (chatKind(msg.channelType) === "direct") return msg.authorized !== false;
  const config = account?.config ?? {};
  const list = [config.allowFrom, config.groupAllowFrom].flatMap((l) => (Array.isArray(l) ? l : []));
  const id = String(msg.sender?.id ?? "").toLowerCase();
  const username = String(msg.sender?.username ?? "").toLowerCase();
  const name = config.dangerouslyAllowNameMatching === true ? allowEntry(msg.senderName ?? "") : "";
  return list.some((raw) => {
    const entry = allowEntry(raw);
    if (!entry) return false;
    const byUsername = String(raw).trim().startsWith("@") && entry === username;
    return entry === "*" || entry === id || entry === name || byUsername;
  });
}

/**
 * OpenClaw's text-command facts for a post, as the JS plugin gets them: text commands enabled
 * for Mattermost (`shouldHandleTextCommands`), the text without the bot mention is a control
 * command (`isControlCommandMessage`: `/new`, `/status`, `stop`…), and the sender may run it.
 */
export function commandFacts({ rt, cfg, account, msg, botUsername }) {
  const commands = rt?.commands ?? {};
  const allowText =
    typeof commands.shouldHandleTextCommands === "function" && commands.shouldHandleTextCommands({ cfg, surface: CHANNEL_ID });
  const body = stripBotMention(typeof msg.text === "string" ? msg.text.trim() : "", botUsername).trim();
  const isControlCommand = Boolean(allowText && commands.isControlCommandMessage?.(body, cfg));
  return { allowText: Boolean(allowText), isControlCommand, authorized: commandAuthorized(account, msg) };
}

function agentRoute(rt, cfg, accountId, msg, kind) {
  const peerId = kind === "direct" ? (msg.sender?.id ?? "") : msg.channelId;
  return rt.routing.resolveAgentRoute({ cfg, channel: CHANNEL_ID, accountId, teamId: msg.teamId ?? undefined, peer: { kind, id: peerId } });
}

/** Whether the plugin can judge posts the bridge finds unaddressed (asks for them then). */
export function judgesUnaddressed(rt) {
  return typeof rt?.mentions?.matchesMentionPatterns === "function" || typeof rt?.commands?.isControlCommandMessage === "function";
}

/**
 * A channel post that failed only the bridge's mention gate (`addressed: false`, `--unaddressed`)
 * passes when the JS plugin lets it through: it matches OpenClaw's mention patterns for the
 * routed agent (`messages.groupChat.mentionPatterns`, the agent's name: `buildMentionRegexes`,
 * `matchesMentionPatterns`), or it is a control command its sender may run while text commands
 * are on (OpenClaw's mention decision: `shouldBypassMention`). The message to dispatch then
 * (`mentioned`: the JS plugin's effectiveWasMentioned), else `null`: it stays history (the bridge
 * keeps it). An unauthorised control command is never let through (the JS plugin drops it).
 */
export function admitUnaddressed({ cfg, accountId, account, rt, botUsername }, msg) {
  const kind = chatKind(msg.channelType);
  if (kind === "direct" || msg.authorized === false) return null;
  const route = agentRoute(rt, cfg, accountId, msg, kind);
  const mentions = rt.mentions ?? {};
  const regexes = mentions.buildMentionRegexes?.(cfg, route.agentId) ?? [];
  const rawText = typeof msg.text === "string" ? msg.text.trim() : "";
  const wasMentioned = regexes.length > 0 && Boolean(mentions.matchesMentionPatterns?.(rawText, regexes));
  const command = commandFacts({ rt, cfg, account, msg, botUsername });
  if (command.allowText && command.isControlCommand && !command.authorized) return null;
  const facts = { canDetectMention: true, wasMentioned, implicitMentionKinds: [] };
  const policy = {
    isGroup: true,
    requireMention: true,
    allowTextCommands: command.allowText,
    hasControlCommand: command.isControlCommand,
    commandAuthorized: command.authorized,
  };
  const decision =
    typeof mentions.resolveInboundMentionDecision === "function"
      ? mentions.resolveInboundMentionDecision({ facts, policy })
      : { shouldSkip: !wasMentioned && !(command.allowText && command.isControlCommand && command.authorized) };
  return decision.shouldSkip ? null : { ...msg, mentioned: true };
}

/** The bridge's history key of a post's conversation: its thread, else its channel. */
function conversationKey(msg) {
  return msg.rootId ? `${msg.channelId}:${msg.rootId}` : msg.channelId;
}

/** Conversations whose history the plugin handed over with an unaddressed post it took. */
const HANDED_MAX = 1000;

/**
 * `msg` without the history an unaddressed post taken earlier already carried: the bridge keeps
 * such history (and that post) for the next turn, the agent has seen them.
 */
function withoutHandedHistory(handed, msg) {
  const upTo = handed?.get(conversationKey(msg));
  if (upTo === undefined || !Array.isArray(msg.history)) return msg;
  return { ...msg, history: msg.history.filter((e) => !(typeof e?.timestamp === "number" && e.timestamp <= upTo)) };
}

/** Remembers that the history up to `msg` reached the agent (an unaddressed post was taken). */
function handedOver(handed, msg) {
  if (!handed || typeof msg.createAt !== "number") return;
  const key = conversationKey(msg);
  handed.delete(key);
  handed.set(key, msg.createAt);
  if (handed.size > HANDED_MAX) handed.delete(handed.keys().next().value);
}

/** The files of a taken unaddressed post, which the bridge did not download: fetched now. */
async function fetchedFiles(bridge, files, log) {
  return Promise.all(
    files.map(async (f) => {
      if (f?.path || typeof f?.id !== "string") return f;
      try {
        const got = await bridge.request("fetchFile", { fileId: f.id });
        return { ...f, path: got.path, mimeType: got.mimeType ?? f.mimeType, error: undefined };
      } catch (err) {
        log?.(`mattermost: attachment ${f.id} unavailable: ${err.message}`);
        return f;
      }
    }),
  );
}

/**
 * Handles one bridge `message`: pairing for unauthorized DMs, else context + dispatch.
 * `deps`: { cfg, accountId, account, rt (OpenClaw channel runtime), bridge, botUsername, log,
 * previewThrottleMs (tests; default `PREVIEW_THROTTLE_MS`) }.
 */
export async function handleInboundMessage(deps, msg) {
  const { cfg, accountId, account, rt, bridge, log } = deps;
  const kind = chatKind(msg.channelType);
  if (msg.authorized === false) {
    if (kind === "direct") await issuePairingChallenge(deps, msg);
    return { dispatched: false, reason: "pairing" };
  }
  const command = commandFacts({ rt, cfg, account, msg, botUsername: deps.botUsername });
  if (kind !== "direct" && command.allowText && command.isControlCommand && !command.authorized) {
    // As the JS plugin: a control command from a sender who may not run it is dropped.
    log?.(`mattermost: drop control command (unauthorized) from ${msg.sender?.id}`);
    return { dispatched: false, reason: "control command (unauthorized)" };
  }
  msg = withoutHandedHistory(deps.handed, msg);
  if (msg.addressed === false) {
    if (Array.isArray(msg.files) && msg.files.length) msg = { ...msg, files: await fetchedFiles(bridge, msg.files, log) };
    handedOver(deps.handed, msg);
  }
  const route = agentRoute(rt, cfg, accountId, msg, kind);
  const thread = resolveThread({ msg, kind, route, replyToMode: resolveReplyToMode(account, kind) });
  const { to, fields } = buildInboundFields({ msg, accountId, route, thread, botUsername: deps.botUsername, command });
  const envelope = inboundEnvelope(rt, cfg);
  fields.Body = envelopeBody({ rt, cfg, route, thread, fields, envelope });
  // As the JS plugin: the earlier posts around the enveloped body, each in its own envelope
  // (the conversation's label, the entry's time and sender).
  fields.Body = historyFields({
    msg,
    kind,
    body: fields.Body,
    formatEntry: envelope
      ? (entry, text) => envelope({ from: fields.ConversationLabel, timestamp: entry.timestamp, chatType: kind, senderLabel: entry.sender, body: text })
      : undefined,
  }).Body;
  const finalize = rt.reply?.finalizeInboundContext ?? ((c) => c);
  const ctxPayload = finalize(fields);
  const target = { channelId: msg.channelId };
  const plan = textPlan(rt, cfg, account);
  // As the JS plugin: no preview in mode `off`, nor when another plugin hooks the replies.
  const sdk = deps.outboundSdk !== undefined ? deps.outboundSdk : await loadOutboundSdk();
  const mode = account.streaming === "off" || sdk?.hooksReplies?.() ? "off" : account.streaming;
  const draft =
    mode !== "off"
      ? createDraftStream({ bridge, target, rootId: thread.replyToId, plan, log, throttleMs: deps.previewThrottleMs })
      : null;
  const streaming = draft
    ? createStreamingTurn({
        mode,
        entry: account.config,
        sdk,
        draft,
        plan,
        prefix: previewPrefix(rt, cfg, route.agentId, route.accountId ?? accountId),
        seed: `${accountId}:${msg.channelId}`,
        log,
      })
    : null;
  const maxBytes = (Number(account.config.mediaMaxMb) || 20) * 1024 * 1024;

  const deliver = async (payload, info) => {
    let text = typeof payload?.text === "string" ? payload.text : "";
    const media = payloadMedia(payload);
    const isFinal = !info || info.kind === "final";
    const rootId = thread.replyToId;
    // A streamed answer ends in its draft post when it fits one; else it is sent normally
    // (without what sealed block posts already show) and the draft post is removed.
    let published = [];
    if (streaming && isFinal) {
      const final = await streaming.beginFinal(text, { isError: Boolean(payload?.isError), hasMedia: media.length > 0 });
      if (final.edited) {
        streaming.finalDelivered();
        return { messageIds: final.messageIds, visibleReplySent: true, content: text, replyToId: rootId };
      }
      text = final.text;
      published = final.publishedIds;
    }
    const finished = async (result) => {
      if (streaming && isFinal) {
        if (result.visibleReplySent || published.length) await draft.clear();
        streaming.finalDelivered();
      }
      const messageIds = [...published, ...(result.messageIds ?? [])];
      if (messageIds.length === 0) return result;
      return { ...result, messageIds, visibleReplySent: true };
    };
    if (!text.trim() && media.length === 0) {
      return finished({ visibleReplySent: false, suppression: { reason: "no_visible_result" } });
    }
    if (media.length === 0) {
      // Text alone: tables converted, split into posts as OpenClaw's Mattermost plugin does.
      const messageIds = [];
      for (const chunk of plan.chunks(text)) {
        const res = await sendThroughBridge(bridge, { target, text: chunk, rootId });
        messageIds.push(...(res.postIds ?? []));
      }
      return finished({ messageIds, visibleReplySent: messageIds.length > 0, content: text, replyToId: rootId });
    }
    // With files, the text is their caption (tables converted; the bridge splits a long one).
    const roots = defaultMediaRoots(cfg);
    const body = plan.format(text);
    let res;
    try {
      res = await sendThroughBridge(bridge, { target, text: body, media, rootId, maxBytes, roots });
    } catch (err) {
      if (!/outside the folders/.test(err.message)) throw err;
      // A refused attachment does not swallow the answer: the text goes out, the refusal is logged.
      log?.(err.message);
      if (!body.trim()) return finished({ visibleReplySent: false, content: text });
      res = await sendThroughBridge(bridge, { target, text: body, rootId });
    }
    return finished({ messageIds: res.postIds ?? [], visibleReplySent: true, content: text, replyToId: rootId });
  };
  const typing = () => bridge.request("typing", { channelId: msg.channelId, ...(thread.replyToId ? { rootId: thread.replyToId } : {}) });
  // As OpenClaw's Mattermost plugin: with a preview OpenClaw's block streaming is off; without
  // one, `streaming.block.enabled` decides (coalesced by OpenClaw per `streaming.block.coalesce`).
  const blockEnabled = account.config.streaming?.block?.enabled;
  const replyOptions = streaming
    ? streaming.replyOptions
    : typeof blockEnabled === "boolean"
      ? { disableBlockStreaming: !blockEnabled }
      : {};
  const onError = (err, info) => log?.(`mattermost ${info?.kind ?? "reply"} failed: ${String(err)}`);

  // The dispatch is started here but not awaited: the caller keeps posts of a channel in
  // order up to this point, and OpenClaw's own session queue orders the agent runs.
  let done;
  if (typeof rt.inbound?.dispatch === "function") {
    done = rt.inbound.dispatch({
      cfg,
      channel: CHANNEL_ID,
      accountId: route.accountId ?? accountId,
      route: { agentId: route.agentId, dmScope: route.dmScope, sessionKey: route.sessionKey },
      ctxPayload,
      delivery: { deliver, onError },
      replyPipeline: { typing: { start: typing, onStartError: (err) => log?.(`mattermost typing failed: ${err}`) } },
      replyOptions,
      record:
        kind === "direct"
          ? {
              updateLastRoute: {
                // as OpenClaw's resolveInboundLastRouteSessionKey decides
                sessionKey: route.lastRoutePolicy === "main" ? route.mainSessionKey : route.sessionKey,
                channel: CHANNEL_ID,
                to,
                accountId: route.accountId ?? accountId,
              },
            }
          : undefined,
      messageId: msg.id,
    });
  } else {
    typing().catch(() => {});
    done = rt.reply.dispatchReplyWithBufferedBlockDispatcher({
      ctx: ctxPayload,
      cfg,
      dispatcherOptions: { deliver, onError },
      replyOptions,
    });
  }
  return { dispatched: true, ctxPayload, route, thread, done: Promise.resolve(done) };
}

/** A username or emoji name as it may appear in a system event's text: nothing else. */
const safeWord = (value, fallback) => {
  const word = typeof value === "string" ? value : "";
  return /^[A-Za-z0-9._+-]{1,64}$/.test(word) ? word : fallback;
};

/**
 * A bridge `reaction` becomes an OpenClaw system event in the session of the conversation it
 * belongs to, with the JS plugin's text and context key; no agent run is started (the agent
 * sees it on its next turn). `system` is OpenClaw's `runtime.system`.
 * Unlike the JS plugin, which always uses the conversation's base session, a reaction on a post
 * whose conversation lives in a thread session (see `resolveThread`) goes to that session.
 */
export function handleReaction({ cfg, accountId, account, rt, system }, r) {
  if (typeof system?.enqueueSystemEvent !== "function") return { queued: false, reason: "no system runtime" };
  const kind = chatKind(r.channelType);
  const userId = String(r.sender?.id ?? "");
  const postId = String(r.postId ?? "");
  const emoji = safeWord(r.emoji, "");
  const isId = (id) => /^[a-z0-9]{26}$/.test(id);
  if (!isId(userId) || !isId(postId) || !emoji || !isId(String(r.channelId))) return { queued: false, reason: "incomplete" };
  const route = rt.routing.resolveAgentRoute({
    cfg,
    channel: CHANNEL_ID,
    accountId,
    teamId: r.teamId ?? undefined,
    peer: { kind, id: kind === "direct" ? userId : r.channelId },
  });
  const msg = { id: postId, rootId: r.rootId };
  const { sessionKey } = resolveThread({ msg, kind, route, replyToMode: resolveReplyToMode(account, kind) });
  const action = r.action === "removed" ? "removed" : "added";
  const name = safeWord(r.sender?.username, userId);
  const text = `Mattermost reaction ${action}: :${emoji}: by @${name} on post ${postId} in channel ${r.channelId}`;
  const contextKey = `mattermost:reaction:${postId}:${emoji}:${userId}:${action}`;
  system.enqueueSystemEvent(text, { sessionKey, contextKey });
  return { queued: true, sessionKey, text, contextKey };
}

/** OpenClaw's pairing flow for a DM from someone outside allowFrom (`authorized: false`). */
async function issuePairingChallenge({ accountId, rt, bridge, log, pendingPairing }, msg) {
  const senderId = msg.sender?.id ?? "";
  pendingPairing?.set(senderId, msg.channelId); // watched until approved (see channel.js)
  const { code, created } = await rt.pairing.upsertPairingRequest({
    channel: CHANNEL_ID,
    accountId,
    id: senderId,
    meta: { name: msg.sender?.username ?? senderId },
  });
  if (!created) return;
  const text = rt.pairing.buildPairingReply({
    channel: CHANNEL_ID,
    idLine: `Your Mattermost user id: ${senderId}`,
    code,
  });
  try {
    await bridge.request("send", { channelId: msg.channelId, text });
  } catch (err) {
    log?.(`mattermost: pairing reply to ${senderId} failed: ${err.message}`);
  }
}
