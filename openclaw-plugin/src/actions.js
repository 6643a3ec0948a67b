// The message tool's actions, as @openclaw/mattermost 2026.9.5 offers them: `send` (OpenClaw's
// own, through `outbound`), `react` (gated by `actions.reactions`, default on) and `read` (a
// channel's history, gated by `actions.messages`, default off), with its authorization rules.
// Both go through the account's bridge (`react` and `read` requests).
import { actionGate, listAccountIds, resolveAccount } from "./config.js";

// @openclaw/mattermost's emoji table (emoji.ts): the Unicode emoji an agent is likely to use,
// by Mattermost name; five of them take a skin tone suffix.
const EMOJI_NAMES = {
  "✅": "white_check_mark",
  "❌": "x",
  "👍": "thumbsup",
  "👎": "thumbsdown",
  "🎉": "tada",
  "❤": "heart",
  "😄": "smile",
  "😂": "joy",
  "🚀": "rocket",
  "👀": "eyes",
  "🙏": "pray",
  "🔥": "fire",
  "💯": "100",
  "⚠": "warning",
  "➕": "heavy_plus_sign",
  "➖": "heavy_minus_sign",
  "🤔": "thinking_face",
  "⚡": "zap",
  "🌐": "globe_with_meridians",
  "😱": "scream",
  "🧠": "brain",
  "💻": "computer",
  "👋": "wave",
  "🙌": "raised_hands",
};
const TONED = new Set(["thumbsup", "thumbsdown", "pray", "wave", "raised_hands"]);
const TONES = new Map([
  ["🏻", "light_skin_tone"],
  ["🏼", "medium_light_skin_tone"],
  ["🏽", "medium_skin_tone"],
  ["🏾", "medium_dark_skin_tone"],
  ["🏿", "dark_skin_tone"],
]);

/** An emoji as the agent wrote it (`:name:`, `name`, 👍, 👍🏽) → Mattermost's name, as the JS plugin maps it. */
export function emojiName(raw) {
  const bare = String(raw ?? "").trim().replace(/^:+|:+$/g, "");
  if (!bare) return undefined;
  const tone = bare.match(/[\u{1F3FB}-\u{1F3FF}]/u)?.[0];
  const glyph = bare.replace(/[\u{1F3FB}-\u{1F3FF}]/gu, "").replace(/[\u{FE00}-\u{FE0F}]/gu, "");
  const name = Object.hasOwn(EMOJI_NAMES, glyph) ? EMOJI_NAMES[glyph] : undefined;
  if (name === undefined) return bare;
  return tone && TONED.has(name) ? `${name}_${TONES.get(tone)}` : name;
}

const str = (value) => (typeof value === "string" && value.trim() ? value.trim() : undefined);

/**
 * A conversation target in the JS plugin's normal form: `channel:<id>` (also from `group:`),
 * `user:<id>` (also from `mattermost:`), `@name`; anything else is `undefined`.
 */
export function normalizeConversationTarget(raw) {
  const trimmed = str(raw);
  if (!trimmed) return undefined;
  const m = /^(channel|group|user|mattermost):(.*)$/i.exec(trimmed);
  if (m) {
    const id = m[2].trim();
    if (!id) return undefined;
    return ["channel", "group"].includes(m[1].toLowerCase()) ? `channel:${id}` : `user:${id}`;
  }
  if (trimmed.startsWith("@")) return trimmed.length > 1 ? trimmed : undefined;
  return undefined;
}

/** `channel:<id>`, or a bare id without `:`, as a channel id; else `undefined`. */
function channelOf(raw) {
  const normalized = normalizeConversationTarget(raw);
  if (normalized?.startsWith("channel:")) return normalized.slice("channel:".length);
  const trimmed = str(raw);
  return trimmed && !trimmed.includes(":") ? trimmed : undefined;
}

/** The user of a `user:<id>` (or `mattermost:<id>`) target. */
function userOf(raw) {
  const normalized = normalizeConversationTarget(raw);
  return normalized?.startsWith("user:") ? normalized.slice("user:".length) : undefined;
}

/** What the bridge's `react` is bound to: the post must be in this conversation. */
function reactionBinding(to) {
  const normalized = normalizeConversationTarget(to);
  if (normalized?.startsWith("channel:")) return { channelId: normalized.slice("channel:".length) };
  if (normalized?.startsWith("user:")) return { userId: normalized.slice("user:".length) };
  throw new Error("Mattermost delegated reactions require a canonical authorized conversation target.");
}

function positiveInteger(value) {
  if (value === undefined || value === null || value === "") return undefined;
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error("limit must be a positive integer.");
  return n;
}

const sameAccount = (a, b) => String(a ?? "").trim().toLowerCase() === String(b ?? "").trim().toLowerCase();

/**
 * The JS plugin's "current conversation" test for `read`: the tool runs in a Mattermost turn of
 * this account, and its current target is the one asked for. Unlike the JS plugin (whose DM
 * reads always fail: its bug 4), a DM's `user:<id>` counts as that DM.
 */
function isCurrentConversation({ target, accountId, requesterAccountId, toolContext }) {
  if (String(toolContext?.currentChannelProvider ?? "").toLowerCase() !== "mattermost") return false;
  if (!str(requesterAccountId) || !sameAccount(requesterAccountId, accountId)) return false;
  const current = str(toolContext?.currentChannelId) ?? str(toolContext?.currentMessagingTarget);
  if (!current) return false;
  if (target.userId) return userOf(current) === target.userId;
  return channelOf(current) === target.channelId;
}

/** `groupPolicy` and `groups` decide which other channels an agent may read (JS rules). */
function isConfiguredReadChannel(cfg, account, channelId) {
  const groupPolicy = account.config.groupPolicy ?? cfg?.channels?.defaults?.groupPolicy ?? "allowlist";
  if (groupPolicy === "disabled") return false;
  if (groupPolicy === "open") return true;
  const groups = account.config.groups;
  return groups?.[channelId] !== undefined || groups?.["*"] !== undefined;
}

/** The Post fields the JS plugin checks (its zod schema), in the order its tool result lists them. */
const POST_FIELDS = ["id", "user_id", "channel_id", "message", "file_ids", "type", "root_id", "create_at", "props"];

const nullableString = (v) => v == null || typeof v === "string";
const isPlainObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether the server's post has the shape the JS plugin accepts (else it fails the read). */
function isMattermostPost(p) {
  return (
    isPlainObject(p) &&
    typeof p.id === "string" &&
    ["user_id", "channel_id", "message", "type", "root_id"].every((k) => nullableString(p[k])) &&
    (p.file_ids == null || (Array.isArray(p.file_ids) && p.file_ids.every((f) => typeof f === "string"))) &&
    (p.create_at == null || (typeof p.create_at === "number" && Number.isFinite(p.create_at))) &&
    (p.props == null || isPlainObject(p.props))
  );
}

/** OpenClaw's normalizeTimestamp for a post's `create_at` (ms; seconds below 10^12), or undefined. */
function normalizedTimestamp(raw) {
  if (typeof raw !== "number" || !Number.isFinite(raw)) return undefined;
  const ms = raw < 1e12 ? Math.round(raw * 1000) : Math.round(raw);
  if (!Number.isSafeInteger(ms)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : { timestampMs: ms, timestampUtc: date.toISOString() };
}

/**
 * The posts of a bridge `read` answer: those of `postIds`, taken whole from the server's answer
 * it carries (`listing`), so that their fields keep the server's order.
 */
function postsRead(result) {
  let listing;
  try {
    listing = JSON.parse(result.listing);
  } catch {
    listing = undefined;
  }
  const posts = isPlainObject(listing?.posts) ? listing.posts : {};
  const ids = Array.isArray(result.postIds) ? result.postIds : [];
  if (!ids.every((id) => typeof id === "string" && Object.hasOwn(posts, id))) {
    throw new Error("Unexpected Mattermost channel posts response.");
  }
  return ids.map((id) => posts[id]);
}

/**
 * A post of the bridge's `read` (the server's object as it wrote it) as the JS plugin's tool
 * result shows it: the checked fields first, in its schema's order, then the server's others in
 * the server's order, then OpenClaw's `timestampMs`/`timestampUtc` (withNormalizedTimestamp).
 */
function asMattermostPost(raw) {
  if (!isMattermostPost(raw)) throw new Error("Unexpected Mattermost channel posts response.");
  const post = Object.fromEntries([
    ...POST_FIELDS.filter((k) => Object.hasOwn(raw, k)).map((k) => [k, raw[k]]),
    ...Object.entries(raw).filter(([k]) => !POST_FIELDS.includes(k)),
  ]);
  const normalized = normalizedTimestamp(raw.create_at);
  if (!normalized) return post;
  return {
    ...post,
    timestampMs: typeof post.timestampMs === "number" && Number.isFinite(post.timestampMs) ? post.timestampMs : normalized.timestampMs,
    timestampUtc: typeof post.timestampUtc === "string" && post.timestampUtc.trim() ? post.timestampUtc : normalized.timestampUtc,
  };
}

function jsonResult(payload) {
  return { content: [{ type: "text", text: JSON.stringify(payload, null, 2) }], details: payload };
}

/** Accounts that are enabled and have a server and a token. */
function usableAccounts(cfg, accountId) {
  const ids = accountId ? [accountId] : listAccountIds(cfg);
  return ids.map((id) => resolveAccount(cfg, id)).filter((a) => a.enabled && a.configured);
}

/**
 * The `actions` adapter; `bridgeOf(accountId)` is the account's running bridge, `bridgesHere()`
 * whether this process runs any (the gateway does; the `openclaw message` CLI does not).
 */
export function createActions(bridgeOf, bridgesHere = () => true) {
  async function react({ params, cfg, accountId, conversationReadOrigin }) {
    const account = resolveAccount(cfg, accountId);
    if (!account.enabled) throw new Error(`Mattermost account "${account.accountId}" is disabled`);
    if (!actionGate(cfg, account.accountId, "reactions", true)) throw new Error("Mattermost reactions are disabled in config");
    const postId = str(params.messageId) ?? str(params.postId);
    if (!postId) throw new Error("Mattermost react requires messageId (post id)");
    const emoji = emojiName(params.emoji);
    if (!emoji) throw new Error("Mattermost react requires emoji");
    const remove = params.remove === true;
    const binding = conversationReadOrigin === "direct-operator" ? {} : reactionBinding(params.to);
    try {
      await bridgeOf(account.accountId).request("react", { postId, emoji, ...(remove ? { remove: true } : {}), ...binding });
    } catch (err) {
      throw new Error(`Mattermost ${remove ? "remove" : "add"} reaction failed: ${err.message}`);
    }
    const text = remove ? `Removed reaction :${emoji}: from ${postId}` : `Reacted with :${emoji}: on ${postId}`;
    return { content: [{ type: "text", text }], details: {} };
  }

  async function read({ params, cfg, accountId, conversationReadOrigin, requesterAccountId, toolContext }) {
    const account = resolveAccount(cfg, accountId);
    if (!account.enabled) throw new Error(`Mattermost account "${account.accountId}" is disabled`);
    if (!actionGate(cfg, account.accountId, "messages", false)) throw new Error("Mattermost message reads are disabled in config");
    const raw = str(params.to) ?? str(params.channelId) ?? str(params.target);
    if (!raw) throw new Error("Mattermost read requires target, to, or channelId.");
    const channelId = channelOf(raw);
    const userId = channelId ? undefined : userOf(raw);
    if (!channelId && !userId) throw new Error("Mattermost read requires a channel target.");
    const before = str(params.before);
    const after = str(params.after);
    if (before && after) throw new Error("Mattermost read accepts either before or after, not both.");
    const limit = positiveInteger(params.limit);
    const target = channelId ? { channelId } : { userId };
    const directOperator = conversationReadOrigin === "direct-operator";
    const current = isCurrentConversation({ target, accountId: account.accountId, requesterAccountId, toolContext });
    if (!directOperator && !current) {
      const sameProvider = String(toolContext?.currentChannelProvider ?? "").toLowerCase() === "mattermost";
      if (!sameProvider || !str(requesterAccountId) || !sameAccount(requesterAccountId, account.accountId)) {
        throw new Error("Mattermost delegated reads require the current Mattermost account.");
      }
      // Another conversation: only an open or private channel `groups`/`groupPolicy` allow.
      if (!channelId || !isConfiguredReadChannel(cfg, account, channelId)) {
        throw new Error("Mattermost read target channel is not allowed.");
      }
    }
    const request = { ...target, ...(before ? { before } : {}), ...(after ? { after } : {}) };
    // The JS plugin asks for at most 200 (the server's cap) whatever `limit` says.
    if (limit !== undefined) request.limit = Math.min(limit, 200);
    const result = await bridgeOf(account.accountId).request("read", request);
    if (!directOperator && !current && !["open", "private"].includes(result.channelType)) {
      throw new Error("Mattermost read target channel is not allowed.");
    }
    return jsonResult({
      ok: true,
      channelId: result.channelId,
      messages: postsRead(result).map(asMattermostPost),
      hasMore: result.hasMore === true,
    });
  }

  return {
    providerOwnedReadGates: ["read"],
    readAuthorityActions: ["read"],
    describeMessageTool({ cfg, accountId }) {
      const accounts = usableAccounts(cfg, accountId);
      const actions = [];
      if (accounts.length > 0) actions.push("send");
      if (accounts.some((a) => actionGate(cfg, a.accountId, "reactions", true))) actions.push("react");
      if (accounts.some((a) => actionGate(cfg, a.accountId, "messages", false))) actions.push("read");
      // Buttons (outbound.renderPresentation), as the JS plugin advertises them.
      return { actions, capabilities: accounts.length > 0 ? ["presentation"] : [] };
    },
    supportsAction: ({ action }) => action === "react" || action === "read",
    // Where the bridge runs (the gateway), in place, as the JS plugin runs its actions: a
    // round trip through the gateway's `message.action` would hand the agent an error as
    // "Error: <text>". Elsewhere (the CLI) they are forwarded to the gateway, which runs it.
    resolveExecutionMode: () => (bridgesHere() ? "local" : "gateway"),
    async handleAction(ctx) {
      if (ctx.action === "react") return react(ctx);
      if (ctx.action === "read") return read(ctx);
      throw new Error(`Unsupported Mattermost action: ${ctx.action}`);
    },
  };
}
