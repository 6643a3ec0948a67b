// Inbound: a bridge `message` becomes OpenClaw's inbound context (the fields OpenClaw's own
// Mattermost plugin fills) and is dispatched; the agent's reply goes back through the bridge.
import { CHANNEL_ID, resolveReplyToMode } from "./config.js";
import { defaultMediaRoots, payloadMedia, sendThroughBridge } from "./outbound.js";
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

/** A sender name as OpenClaw puts it in an envelope: one line, no square brackets. */
export function sanitizeSenderLabel(value) {
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
 * in OpenClaw's history markers, each entry a line made by `formatEntry` (the JS plugin puts it in
 * OpenClaw's envelope). `undefined` history for DMs outside a thread, as there.
 */
export function historyFields({ msg, kind, body, formatEntry = (entry, line) => line }) {
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
  const lines = entries.map((e) =>
    formatEntry(e, `${sanitizeSenderLabel(e.sender)}: ${e.body}${e.messageId ? ` [id:${e.messageId} channel:${msg.channelId}]` : ""}`),
  );
  return {
    Body: [HISTORY_CONTEXT_MARKER, ...lines, "", CURRENT_MESSAGE_MARKER, body].join("\n"),
    InboundHistory: entries,
  };
}

/**
 * The inbound context fields for one `message` (before OpenClaw's finalizeInboundContext), the
 * ones OpenClaw's own Mattermost plugin 2026.9.5 sets, with the same values: its post handler
 * (dist/.setup/channel.runtime-*.mjs `createMattermostPostHandler`) and event plan
 * (`buildMattermostEventPlan`, its `finalizeContext`).
 */
export function buildInboundFields({ msg, accountId, route, thread, botUsername }) {
  const kind = chatKind(msg.channelType);
  const senderId = msg.sender?.id ?? "";
  // The event's sender_name ("@alice"), else the username, else the id (the JS plugin's order).
  const senderName = nonEmpty(msg.senderName) ?? nonEmpty(msg.sender?.username) ?? senderId;
  const to = kind === "direct" ? `user:${senderId}` : `channel:${msg.channelId}`;
  const from =
    kind === "direct"
      ? `${CHANNEL_ID}:${senderId}`
      : kind === "group"
        ? `${CHANNEL_ID}:group:${msg.channelId}`
        : `${CHANNEL_ID}:channel:${msg.channelId}`;
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
    From: from,
    To: to,
    SessionKey: thread.sessionKey,
    DmScope: route.dmScope,
    ParentSessionKey: thread.parentSessionKey,
    AccountId: route.accountId ?? accountId,
    ChatType: kind,
    ConversationRouteContextObserved: true,
    ConversationRoutePeerId: kind === "direct" ? senderId : msg.channelId,
    ConversationLabel: label,
    GroupSubject: kind !== "direct" ? channelDisplay || roomLabel : undefined,
    // Set for DMs too (`#<user id>__<user id>`), as the JS plugin does.
    GroupChannel: channelName ? `#${channelName}` : undefined,
    GroupSpace: msg.teamId ?? undefined,
    SenderId: senderId,
    SenderName: senderName,
    Provider: CHANNEL_ID,
    Surface: CHANNEL_ID,
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
    CommandAuthorized: msg.authorized !== false,
    InboundAccessAuthorized: msg.authorized !== false,
    OriginatingChannel: CHANNEL_ID,
    OriginatingTo: to,
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
  return { kind, to, fields };
}

function nonEmpty(value) {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

/** OpenClaw's envelope header parts: one line, no brackets (its sanitizeEnvelopeHeaderPart). */
const headerPart = (value) =>
  value.replace(/\r\n|\r|\n/g, " ").replaceAll("[", "(").replaceAll("]", ")").replace(/\s+/g, " ").trim();

/**
 * `Body` in OpenClaw's envelope, as the JS plugin builds it with OpenClaw's formatInboundEnvelope:
 * the sender before the text (`@alice: …` in a DM, `@alice (<id>): …` elsewhere), then
 * `[Mattermost <label> +<since the session's last turn> <time>] …` by the runtime's
 * formatAgentEnvelope. Without those runtime helpers (older OpenClaw) `Body` stays bare.
 */
export function envelopeBody({ rt, cfg, route, thread, fields }) {
  const format = rt.reply?.formatAgentEnvelope;
  if (typeof format !== "function") return fields.Body;
  let previousTimestamp;
  try {
    const storePath = rt.session?.resolveStorePath?.(cfg?.session?.store, { agentId: route.agentId });
    previousTimestamp = storePath ? rt.session.readSessionUpdatedAt?.({ storePath, sessionKey: thread.sessionKey }) : undefined;
  } catch {
    previousTimestamp = undefined; // no elapsed time, as for a first turn
  }
  let sender;
  if (fields.ChatType === "direct") {
    // resolveDirectEnvelopeBodyLabel: the label before " id:", "(sender)" if it has a colon.
    const label = headerPart(fields.ConversationLabel ?? "");
    const at = label.search(/\s+id:/i);
    const shown = at > 0 ? label.slice(0, at).trim() : label;
    sender = shown.includes(":") ? "(sender)" : shown;
  } else {
    // resolveSenderLabel({ name, id }): "name (id)" when they differ.
    const name = (fields.SenderName ?? "").trim();
    const id = (fields.SenderId ?? "").trim();
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu.test(id);
    const label = name && id && name !== id && !uuid ? `${name} (${id})` : name || id;
    sender = label ? headerPart(label) : "";
  }
  return format({
    channel: "Mattermost",
    from: fields.ConversationLabel,
    timestamp: fields.Timestamp,
    previousTimestamp,
    envelope: rt.reply.resolveEnvelopeFormatOptions?.(cfg),
    body: sender ? `${sender}: ${fields.Body}` : fields.Body,
  });
}

/** The least time between two updates of a preview post (OpenClaw's Mattermost plugin's). */
export const PREVIEW_THROTTLE_MS = 1200;

/** The most a preview post shows (OpenClaw's Mattermost plugin's draft limit). */
export const PREVIEW_MAX_CHARS = 4000;

/** A preview's text: trimmed, and cut with `...` above `max` characters (`PREVIEW_MAX_CHARS`;
 * less when `textChunkLimit` is lower, since the bridge splits a longer post and refuses a
 * longer edit). */
export function previewText(text, max = PREVIEW_MAX_CHARS) {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  let cut = Math.max(0, max - 3);
  const code = trimmed.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // never half a surrogate pair
  return `${trimmed.slice(0, cut).trimEnd()}...`;
}

/**
 * A streaming preview, as OpenClaw's Mattermost plugin draws it: the first partial text is
 * posted (`send`), later ones edit that post (`edit`, at most one in flight and one per
 * `throttleMs`, the newest text wins); a partial that only shrinks the shown text is ignored; the first partial of the
 * answer gets the response `prefix` (when one is configured). `finish(text)` turns the preview
 * into the final answer when that is one post (`plan.chunks`); otherwise the caller sends the
 * answer normally and then `discard()`s the preview.
 */
export function createPreview({ bridge, target, rootId, plan, prefix, log, throttleMs = PREVIEW_THROTTLE_MS }) {
  let postId = null;
  let shown = "";
  let wanted = "";
  let lastPartial = "";
  let usePrefix;
  let chain = Promise.resolve();
  let pending = false;
  let dead = false;
  let consumed = false;
  let lastSentAt = 0;
  let timer = null;
  let sealPending = false;
  const stopTimer = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  // The next update waits until `throttleMs` after the last one.
  const schedule = () => {
    if (timer || dead || consumed) return;
    timer = setTimeout(
      () => {
        timer = null;
        flush();
      },
      Math.max(0, lastSentAt + throttleMs - Date.now()),
    );
    timer.unref?.();
  };
  const flush = () => {
    if (pending || dead) return chain;
    pending = true;
    chain = chain.then(async () => {
      pending = false;
      const text = wanted;
      if (!text || text === shown || dead || consumed) return;
      if (Date.now() - lastSentAt < throttleMs) return schedule(); // an update just went out
      try {
        if (!postId) {
          const params = { ...target, text };
          if (rootId) params.rootId = rootId;
          const res = await bridge.request("send", params);
          postId = res.postIds?.[0] ?? null;
        } else {
          await bridge.request("edit", { postId, text });
        }
        shown = text;
        lastSentAt = Date.now();
      } catch (err) {
        dead = true; // a preview that cannot be shown is given up; the final answer still goes out
        log?.(`mattermost: preview update failed: ${err.message}`);
      }
    });
    return chain;
  };
  // Block mode: what was waiting goes to the current post, which is then left alone.
  const sealCurrent = () => {
    stopTimer();
    const last = wanted;
    wanted = "";
    chain = chain.then(async () => {
      if (postId && last && last !== shown && !dead) {
        try {
          await bridge.request("edit", { postId, text: last });
        } catch (err) {
          log?.(`mattermost: preview update failed: ${err.message}`);
        }
      }
      postId = null;
      shown = "";
      lastSentAt = 0;
    });
  };
  const show = (text) => {
    const normalized = previewText(text, Math.min(PREVIEW_MAX_CHARS, plan.limit));
    if (!normalized || consumed) return;
    wanted = normalized;
    if (!timer && Date.now() - lastSentAt >= throttleMs) flush();
    else schedule();
  };
  return {
    get postId() {
      return postId;
    },
    /** A status line while the model reasons and no answer text is shown yet. */
    thinking() {
      if (!lastPartial) show("Thinking…");
    },
    /**
     * A new assistant message of the same turn begins: its text replaces the preview's. With
     * `seal` (`block` mode) the current post is kept as it is and the new message's text opens
     * the next post (unless only `Thinking…` was shown).
     */
    newMessage({ seal = false } = {}) {
      lastPartial = "";
      sealPending = seal;
    },
    update(text) {
      const cleaned = typeof text === "string" ? text.trim() : "";
      if (sealPending && cleaned && !consumed) {
        sealPending = false;
        if (postId && shown !== "Thinking…") sealCurrent();
      }
      if (consumed || !cleaned || cleaned === lastPartial) return;
      if (lastPartial.startsWith(cleaned) && cleaned.length < lastPartial.length) return;
      lastPartial = cleaned;
      if (usePrefix === undefined) usePrefix = Boolean(prefix);
      show(usePrefix && !cleaned.startsWith(prefix) ? `${prefix} ${cleaned}` : cleaned);
    },
    /** Removes the preview post (the answer went out on its own), once; a failure is logged. */
    async discard() {
      stopTimer();
      await chain;
      const id = postId;
      dead = true;
      if (!id || consumed) return;
      consumed = true;
      try {
        await bridge.request("delete", { postId: id });
      } catch (err) {
        log?.(`mattermost: removing the preview failed: ${err.message}`);
      }
    },
    /** true when the preview post now shows `text` (so nothing else needs to be sent). */
    async finish(text) {
      stopTimer();
      await chain;
      if (!postId || dead || consumed || typeof text !== "string") return false;
      const chunks = plan.chunks(text);
      if (chunks.length !== 1) return false;
      const final = chunks[0].trim();
      if (!final || (lastPartial.startsWith(final) && final.length < lastPartial.length)) return false;
      if (final !== shown) {
        try {
          await bridge.request("edit", { postId, text: final });
        } catch {
          return false;
        }
      }
      shown = final;
      consumed = true; // later payloads of the same reply are posted on their own
      return true;
    },
  };
}

/**
 * The response prefix OpenClaw puts before each reply of this turn (`responsePrefix` of the
 * account, else the channel, else `messages.responsePrefix`; `"auto"` is the agent's name),
 * as OpenClaw's runtime resolves it, for the first preview. OpenClaw adds it to the final
 * replies itself. A prefix with template variables (`{model}`…) is filled by OpenClaw only
 * once the model is chosen, which this plugin cannot see: the preview then goes without it.
 */
export function previewPrefix(rt, cfg, agentId, accountId) {
  const resolve = rt.reply?.resolveEffectiveMessagesConfig;
  if (typeof resolve !== "function") return undefined;
  const prefix = resolve(cfg, agentId, { channel: CHANNEL_ID, accountId })?.responsePrefix;
  if (typeof prefix !== "string" || !prefix || /\{[a-zA-Z][a-zA-Z0-9.]*\}/.test(prefix)) return undefined;
  return prefix;
}

/**
 * Handles one bridge `message`: pairing for unauthorized DMs, else context + dispatch.
 * `deps`: { cfg, accountId, account, rt (OpenClaw channel runtime), bridge, botUsername, log,
 * previewThrottleMs (tests; default `PREVIEW_THROTTLE_MS`) }.
 */
export async function handleInboundMessage(deps, msg) {
  const { cfg, accountId, account, rt, bridge, log } = deps;
  const kind = chatKind(msg.channelType);
  const senderId = msg.sender?.id ?? "";
  if (msg.authorized === false) {
    if (kind === "direct") await issuePairingChallenge(deps, msg);
    return { dispatched: false, reason: "pairing" };
  }
  const route = rt.routing.resolveAgentRoute({
    cfg,
    channel: CHANNEL_ID,
    accountId,
    teamId: msg.teamId ?? undefined,
    peer: { kind, id: kind === "direct" ? senderId : msg.channelId },
  });
  const thread = resolveThread({ msg, kind, route, replyToMode: resolveReplyToMode(account, kind) });
  const { to, fields } = buildInboundFields({ msg, accountId, route, thread, botUsername: deps.botUsername });
  fields.Body = envelopeBody({ rt, cfg, route, thread, fields });
  // As the JS plugin: the earlier posts around the enveloped body, each in its own envelope.
  const format = rt.reply?.formatAgentEnvelope;
  const envelope = typeof format === "function" ? rt.reply.resolveEnvelopeFormatOptions?.(cfg) : undefined;
  fields.Body = historyFields({
    msg,
    kind,
    body: fields.Body,
    formatEntry: (entry, line) =>
      typeof format === "function"
        ? format({ channel: "Mattermost", from: fields.ConversationLabel, timestamp: entry.timestamp, envelope, body: line })
        : line,
  }).Body;
  const finalize = rt.reply?.finalizeInboundContext ?? ((c) => c);
  const ctxPayload = finalize(fields);
  const target = { channelId: msg.channelId };
  const plan = textPlan(rt, cfg, account);
  const mode = account.streaming;
  const preview =
    mode !== "off"
      ? createPreview({
          bridge,
          target,
          rootId: thread.replyToId,
          plan,
          prefix: previewPrefix(rt, cfg, route.agentId, route.accountId ?? accountId),
          log,
          throttleMs: deps.previewThrottleMs,
        })
      : null;
  const maxBytes = (Number(account.config.mediaMaxMb) || 20) * 1024 * 1024;

  const deliver = async (payload, info) => {
    const text = typeof payload?.text === "string" ? payload.text : "";
    const media = payloadMedia(payload);
    const isFinal = !info || info.kind === "final";
    // A streamed answer ends in its preview post; files of the same payload follow on their own.
    const shownInPreview = preview && isFinal && !payload?.isError && (await preview.finish(text));
    if (shownInPreview && media.length === 0) {
      return { messageIds: [preview.postId], visibleReplySent: true, content: text, replyToId: thread.replyToId };
    }
    if (!text.trim() && media.length === 0) {
      return { visibleReplySent: false, suppression: { reason: "no_visible_result" } };
    }
    const rootId = thread.replyToId;
    if (media.length === 0) {
      // Text alone: tables converted, split into posts as OpenClaw's Mattermost plugin does.
      const messageIds = [];
      for (const chunk of plan.chunks(text)) {
        const res = await sendThroughBridge(bridge, { target, text: chunk, rootId });
        messageIds.push(...(res.postIds ?? []));
      }
      if (isFinal) await preview?.discard();
      return { messageIds, visibleReplySent: messageIds.length > 0, content: text, replyToId: rootId };
    }
    // With files, the text is their caption (tables converted; the bridge splits a long one),
    // unless the preview already shows it.
    const roots = defaultMediaRoots(cfg);
    const body = shownInPreview ? "" : plan.format(text);
    const before = shownInPreview ? [preview.postId] : [];
    let res;
    try {
      res = await sendThroughBridge(bridge, { target, text: body, media, rootId, maxBytes, roots });
    } catch (err) {
      if (!/outside the folders/.test(err.message)) throw err;
      // A refused attachment does not swallow the answer: the text goes out, the refusal is logged.
      log?.(err.message);
      if (!body.trim()) return { messageIds: before, visibleReplySent: before.length > 0, content: text };
      res = await sendThroughBridge(bridge, { target, text: body, rootId });
    }
    if (isFinal && !shownInPreview) await preview?.discard();
    return { messageIds: [...before, ...(res.postIds ?? [])], visibleReplySent: true, content: text, replyToId: rootId };
  };
  const typing = () => bridge.request("typing", { channelId: msg.channelId, ...(thread.replyToId ? { rootId: thread.replyToId } : {}) });
  // As OpenClaw's Mattermost plugin: with a preview OpenClaw's block streaming is off; without
  // one, `streaming.block.enabled` decides. `progress` shows no answer text while it grows.
  const blockEnabled = account.config.streaming?.block?.enabled;
  const replyOptions = preview
    ? {
        disableBlockStreaming: true,
        onPartialReply: (partial) => {
          if (mode === "progress") return false;
          preview.update(partial?.text);
        },
        onReasoningStream: () => {
          if (mode !== "progress") preview.thinking();
          return false;
        },
        onAssistantMessageStart: () => {
          preview.newMessage({ seal: mode === "block" });
          return false;
        },
      }
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
