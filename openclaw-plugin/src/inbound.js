// Inbound: a bridge `message` becomes OpenClaw's inbound context (the fields OpenClaw's own
// Mattermost plugin fills) and is dispatched; the agent's reply goes back through the bridge.
import { CHANNEL_ID } from "./config.js";
import { defaultMediaRoots, payloadMedia, sendThroughBridge } from "./outbound.js";

/** Bridge channelType → OpenClaw ChatType. */
export function chatKind(channelType) {
  if (channelType === "direct") return "direct";
  if (channelType === "group") return "group";
  return "channel";
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The text without `@botname` mentions (what OpenClaw's text commands look at). */
export function stripBotMention(text, botUsername) {
  if (!botUsername) return text.trim();
  const re = new RegExp(`(^|\\s)@${escapeRegExp(botUsername)}\\b[:,]?`, "gi");
  return text.replace(re, "$1").replace(/\s+/g, " ").trim();
}

/**
 * Where a reply to `msg` goes and which session it belongs to. `route` comes from OpenClaw's
 * `resolveAgentRoute` (one session per DM peer or per channel). A post inside a thread, or a
 * top-level channel post with `replyToMode` other than "off", gets its own thread session
 * (`<channel session>:thread:<root id>`) and the reply goes into that thread.
 */
export function resolveThread({ msg, kind, route, replyToMode = "off" }) {
  const rootId = msg.rootId || undefined;
  const replyToId = rootId ?? (kind !== "direct" && replyToMode !== "off" ? msg.id : undefined);
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
 * in OpenClaw's history markers. `undefined` history for DMs outside a thread, as there.
 */
export function historyFields({ msg, kind, body }) {
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
  const lines = entries.map(
    (e) => `${sanitizeSenderLabel(e.sender)}: ${e.body}${e.messageId ? ` [id:${e.messageId} channel:${msg.channelId}]` : ""}`,
  );
  return {
    Body: [HISTORY_CONTEXT_MARKER, ...lines, "", CURRENT_MESSAGE_MARKER, body].join("\n"),
    InboundHistory: entries,
  };
}

/** The inbound context fields for one `message` (before OpenClaw's finalizeInboundContext). */
export function buildInboundFields({ msg, accountId, route, thread, botUsername }) {
  const kind = chatKind(msg.channelType);
  const senderId = msg.sender?.id ?? "";
  const senderName = msg.sender?.username || senderId;
  const to = kind === "direct" ? `user:${senderId}` : `channel:${msg.channelId}`;
  const from =
    kind === "direct"
      ? `${CHANNEL_ID}:${senderId}`
      : kind === "group"
        ? `${CHANNEL_ID}:group:${msg.channelId}`
        : `${CHANNEL_ID}:channel:${msg.channelId}`;
  const rawText = typeof msg.text === "string" ? msg.text : "";
  const commandBody = stripBotMention(rawText, botUsername);
  const files = Array.isArray(msg.files) ? msg.files : [];
  const saved = files.filter((f) => typeof f.path === "string" && f.path);
  const missing = files.filter((f) => !f.path);
  const channelLabel = msg.channelName ? `#${msg.channelName}` : msg.channelDisplayName || msg.channelId;
  const notes = missing.map((f) => `[attachment ${f.name ?? f.id} not downloaded: ${f.error ?? "unavailable"}]`);
  const bodyText = [rawText, ...notes].filter(Boolean).join("\n");
  const history = historyFields({
    msg,
    kind,
    body: `${bodyText}\n[mattermost message id: ${msg.id} channel: ${msg.channelId}]`,
  });
  const fields = {
    Body: history.Body,
    InboundHistory: history.InboundHistory,
    BodyForAgent: bodyText,
    RawBody: commandBody,
    CommandBody: commandBody,
    BodyForCommands: commandBody,
    From: from,
    To: to,
    SessionKey: thread.sessionKey,
    ParentSessionKey: thread.parentSessionKey,
    AccountId: route.accountId ?? accountId,
    ChatType: kind,
    ConversationLabel: kind === "direct" ? senderName : msg.channelDisplayName || channelLabel,
    GroupSubject: kind !== "direct" ? msg.channelDisplayName || channelLabel : undefined,
    GroupChannel: kind !== "direct" && msg.channelName ? `#${msg.channelName}` : undefined,
    GroupSpace: msg.teamId ?? undefined,
    SenderId: senderId,
    SenderName: senderName,
    SenderUsername: msg.sender?.username,
    Provider: CHANNEL_ID,
    Surface: CHANNEL_ID,
    MessageSid: msg.id,
    ReplyToId: thread.replyToId,
    MessageThreadId: thread.replyToId,
    NativeChannelId: msg.channelId,
    Timestamp: typeof msg.createAt === "number" ? msg.createAt : undefined,
    WasMentioned: kind !== "direct" ? Boolean(msg.mentioned) : undefined,
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

/**
 * A streaming preview: the first partial text is posted (`send`), later ones edit that post
 * (`edit`, at most one in flight, the newest text wins). `finish(text)` turns the preview into
 * the final answer when it fits in one post; otherwise the caller sends the answer normally.
 */
export function createPreview({ bridge, target, rootId, limit, log }) {
  let postId = null;
  let shown = "";
  let wanted = "";
  let chain = Promise.resolve();
  let pending = false;
  let dead = false;
  let consumed = false;
  const flush = () => {
    if (pending || dead) return chain;
    pending = true;
    chain = chain.then(async () => {
      pending = false;
      const text = wanted;
      if (!text.trim() || text === shown || dead) return;
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
      } catch (err) {
        dead = true; // a preview that cannot be shown is given up; the final answer still goes out
        log?.(`mattermost: preview update failed: ${err.message}`);
      }
    });
    return chain;
  };
  return {
    get postId() {
      return postId;
    },
    update(text) {
      if (consumed || typeof text !== "string" || text.length > limit) return;
      wanted = text;
      flush();
    },
    /** true when the preview post now shows `text` (so nothing else needs to be sent). */
    async finish(text) {
      await chain;
      if (!postId || dead || consumed || typeof text !== "string" || !text.trim() || text.length > limit) return false;
      if (text !== shown) {
        try {
          await bridge.request("edit", { postId, text });
        } catch {
          return false;
        }
      }
      shown = text;
      consumed = true; // later payloads of the same reply are posted on their own
      return true;
    },
  };
}

/**
 * Handles one bridge `message`: pairing for unauthorized DMs, else context + dispatch.
 * `deps`: { cfg, accountId, account, rt (OpenClaw channel runtime), bridge, botUsername, log }.
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
  const thread = resolveThread({ msg, kind, route, replyToMode: account.replyToMode });
  const { to, fields } = buildInboundFields({ msg, accountId, route, thread, botUsername: deps.botUsername });
  const finalize = rt.reply?.finalizeInboundContext ?? ((c) => c);
  const ctxPayload = finalize(fields);
  const target = { channelId: msg.channelId };
  const limit = account.textChunkLimit;
  const preview =
    account.streaming !== "off" ? createPreview({ bridge, target, rootId: thread.replyToId, limit, log }) : null;
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
    const roots = defaultMediaRoots(cfg);
    const body = shownInPreview ? "" : text;
    const before = shownInPreview ? [preview.postId] : [];
    let res;
    try {
      res = await sendThroughBridge(bridge, { target, text: body, media, rootId: thread.replyToId, maxBytes, roots });
    } catch (err) {
      if (media.length === 0 || !/outside the folders/.test(err.message)) throw err;
      // A refused attachment does not swallow the answer: the text goes out, the refusal is logged.
      log?.(err.message);
      if (!body.trim()) return { messageIds: before, visibleReplySent: before.length > 0, content: text };
      res = await sendThroughBridge(bridge, { target, text: body, rootId: thread.replyToId });
    }
    const messageIds = [...before, ...(res.postIds ?? [])];
    return { messageIds, visibleReplySent: true, content: text, replyToId: thread.replyToId };
  };
  const typing = () => bridge.request("typing", { channelId: msg.channelId, ...(thread.replyToId ? { rootId: thread.replyToId } : {}) });
  const replyOptions = preview
    ? {
        disableBlockStreaming: true,
        onPartialReply: (partial) => {
          preview.update(partial?.text);
        },
      }
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
  const { sessionKey } = resolveThread({ msg, kind, route, replyToMode: account.replyToMode });
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
