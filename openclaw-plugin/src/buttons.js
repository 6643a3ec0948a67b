// Interactive buttons, as @openclaw/mattermost has them (its interactions.ts): contexts signed
// with the account's interaction key and checked when Mattermost posts a click back to the
// gateway route `/mattermost/interactions/<accountId>`. The key is the JS plugin's secret,
// hex(HMAC-SHA256("openclaw-mattermost-interactions", bot token)), derived by the bridge
// (`interactionKey`) so the token never reaches this process; buttons posted by either plugin
// verify with the other's key. The post lookup is the bridge's `getPost`, the sender check its
// `authorize`. Unlike the JS plugin, a click's post update is the `update` of the HTTP answer
// (the server applies it in the same step) instead of a REST PUT.
import { createHmac, timingSafeEqual } from "node:crypto";
import { BlockList, isIP } from "node:net";
import { parsePickerContext } from "./model-picker.js";
import { readBody, resolveCallbackUrl } from "./slash.js";

export const INTERACTIONS_PATH = "/mattermost/interactions";
export const SIGNED_CHANNEL_ID_KEY = "__openclaw_channel_id";
const MAX_BODY_BYTES = 64 * 1024;
const BODY_TIMEOUT_MS = 10_000;
const DEFAULT_SOURCES = ["127.0.0.1", "::1"];
/** Clicks already handled (post:action), kept this long, at most this many. */
const HANDLED_MS = 10 * 60_000;
const HANDLED_MAX = 1000;

/** The click route's path for an account. */
export const interactionPath = (accountId) => `${INTERACTIONS_PATH}/${accountId}`;

/** The JS plugin's canonical form: `undefined` values dropped, object keys sorted
 * (`localeCompare`) at every level. */
export function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, canonical(v)]);
    return Object.fromEntries(entries);
  }
  return value;
}

/** A context's `_token`: hex(HMAC-SHA256(key, JSON of the canonical context)). */
export const signContext = (key, context) => createHmac("sha256", key).update(JSON.stringify(canonical(context))).digest("hex");

function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Mattermost routes a click by the action id in the URL: `-` and `_` break it (#25747). */
export const sanitizeActionId = (id) => id.replace(/[-_]/g, "");

/** `props.attachments` with one signed action per button (`buildButtonAttachments`). */
export function buildButtonAttachments({ buttons, callbackUrl, key, text }) {
  const actions = buttons.map((btn) => {
    const safeId = sanitizeActionId(btn.id);
    const context = { action_id: safeId, ...btn.context };
    return {
      id: safeId,
      type: "button",
      name: btn.name,
      style: btn.style,
      integration: { url: callbackUrl, context: { ...context, _token: signContext(key, context) } },
    };
  });
  return [{ text: text ?? "", actions }];
}

const stringOf = (v) => (typeof v === "string" ? v.trim() || undefined : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined);

/** `{attachments}` for buttons (rows flattened), each context signed with the channel it is
 * posted in; `undefined` when no button has an id and a name (`buildButtonProps`). */
export function buildButtonProps({ buttons, channelId, callbackUrl, key, text }) {
  const list = buttons
    .flatMap((item) => (Array.isArray(item) ? item : [item]))
    .map((btn) => ({
      id: stringOf(btn.id ?? btn.callback_data) ?? "",
      name: stringOf(btn.text ?? btn.name ?? btn.label) ?? "",
      style: btn.style ?? "default",
      context:
        typeof btn.context === "object" && btn.context !== null
          ? { ...btn.context, [SIGNED_CHANNEL_ID_KEY]: channelId }
          : { [SIGNED_CHANNEL_ID_KEY]: channelId },
    }))
    .filter((btn) => btn.id && btn.name);
  if (list.length === 0) return undefined;
  return { attachments: buildButtonAttachments({ buttons: list, callbackUrl, key, text }) };
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4; `undefined` for anything not an address. */
function normalizeIp(raw) {
  let ip = String(raw ?? "").trim();
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1];
  return isIP(ip) ? ip : undefined;
}

/** A matcher for a list of addresses and CIDRs (IPv4 and IPv6); bad entries are ignored. */
export function addressMatcher(entries) {
  const list = new BlockList();
  for (const raw of entries ?? []) {
    const [address, bits] = String(raw).trim().split("/");
    const ip = normalizeIp(address);
    if (!ip) continue;
    const family = isIP(ip) === 6 ? "ipv6" : "ipv4";
    const prefix = Number(bits);
    if (bits === undefined) list.addAddress(ip, family);
    else if (Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === "ipv6" ? 128 : 32)) list.addSubnet(ip, prefix, family);
  }
  return (raw) => {
    const ip = normalizeIp(raw);
    return Boolean(ip) && list.check(ip, isIP(ip) === 6 ? "ipv6" : "ipv4");
  };
}

/** The client's address as the gateway resolves it: the socket's, unless that is one of
 * `gateway.trustedProxies`; then the right-most `X-Forwarded-For` hop that is not a trusted
 * proxy, or (`allowRealIpFallback`) `X-Real-IP`; `undefined` when a trusted proxy names none. */
export function resolveClientIp({ remoteAddr, forwardedFor, realIp, trustedProxies, allowRealIpFallback }) {
  const remote = normalizeIp(remoteAddr);
  const trusted = addressMatcher(trustedProxies);
  if (!remote || !trusted(remote)) return remote;
  const hops = String(forwardedFor ?? "").split(",").map((h) => h.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = normalizeIp(hops[i]);
    if (!hop) break;
    if (!trusted(hop)) return hop;
  }
  return allowRealIpFallback ? normalizeIp(realIp) : undefined;
}

const header = (v) => (Array.isArray(v) ? v[0] : v);

function sendJson(res, status, body) {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.end(typeof body === "string" ? body : JSON.stringify(body));
  return true;
}

/** An answer before (or instead of) reading the whole body: the rest is read and dropped and
 * the connection closed, so a keep-alive client's next request is not parsed from it. */
function refuse(req, res, status, body) {
  req.resume();
  res.setHeader("Connection", "close");
  return sendJson(res, status, body);
}

/** The answer that closes a click: the post's text kept, its buttons replaced by who chose
 * what (the JS plugin's texts). */
export const selectedUpdate = (message, label, userName) => ({
  message: message ?? "",
  props: { attachments: [{ text: `✓ **${label}** selected by @${userName}` }] },
});

/** The question a click answers (`oc_question` contexts), else `null`. */
function questionOf(context) {
  if (context.oc_question !== true) return null;
  const { question_id: questionId, option_index: optionIndex } = context;
  if (typeof questionId !== "string" || !questionId || !Number.isInteger(optionIndex) || optionIndex < 0) return null;
  return { questionId, optionIndex };
}

/**
 * One account's click state: the key (set from the bridge's `interactionKey` once ready), the
 * source rule, and what a click runs: `resolveQuestion({questionId, optionIndex, senderId})`
 * (OpenClaw's question runtime, when present), `modelPicker(click, state)` (a model picker's
 * button: resolves `{ answer, after }`, the click's answer and what runs once it is sent),
 * `systemEvent(click)` and `dispatch(click)`.
 */
export function createInteractionAccount({ accountId, bridge, allowedSourceIps, trustedProxies, allowRealIpFallback, log, now = Date.now }) {
  const handled = new Map();
  return {
    accountId,
    bridge,
    key: null,
    log,
    sources: addressMatcher(allowedSourceIps?.length ? allowedSourceIps : DEFAULT_SOURCES),
    trustedProxies: trustedProxies ?? [],
    allowRealIpFallback: allowRealIpFallback === true,
    /** True the first time `postId:actionId` is seen within 10 minutes. */
    firstClick(postId, actionId) {
      const t = now();
      for (const [k, at] of handled) if (t - at > HANDLED_MS) handled.delete(k);
      const k = `${postId}:${actionId}`;
      if (handled.has(k)) return false;
      if (handled.size >= HANDLED_MAX) handled.delete(handled.keys().next().value);
      handled.set(k, t);
      return true;
    },
  };
}

/**
 * The click route's handler (a prefix route on `/mattermost/interactions`; the last path
 * segment is the account). The JS plugin's checks, in its order and with its answers.
 */
export function createInteractionRoute({ account: accountOf, log }) {
  return async (req, res) => {
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      return refuse(req, res, 405, { error: "Method Not Allowed" });
    }
    const path = new URL(req.url ?? "/", "http://gateway").pathname;
    const account = accountOf(decodeURIComponent(path.split("/").filter(Boolean).pop() ?? ""));
    if (!account || !path.startsWith(`${INTERACTIONS_PATH}/`)) return refuse(req, res, 404, { error: "Unknown account" });
    const clientIp = resolveClientIp({
      remoteAddr: req.socket?.remoteAddress,
      forwardedFor: header(req.headers["x-forwarded-for"]),
      realIp: header(req.headers["x-real-ip"]),
      trustedProxies: account.trustedProxies,
      allowRealIpFallback: account.allowRealIpFallback,
    });
    if (!account.sources(clientIp)) {
      log?.(`mattermost interaction: rejected callback source remote=${req.socket?.remoteAddress ?? "?"}`);
      return refuse(req, res, 403, { error: "Forbidden origin" });
    }
    let payload;
    try {
      payload = JSON.parse(await readBody(req, MAX_BODY_BYTES, BODY_TIMEOUT_MS));
    } catch (err) {
      if (err.code === "TOO_LARGE") return refuse(req, res, 413, { error: "Payload too large" });
      if (err.code === "TIMEOUT") return refuse(req, res, 408, { error: "Request body timeout" });
      return sendJson(res, 400, { error: "Invalid request body" });
    }
    const context = payload?.context;
    if (!context || typeof context !== "object") return sendJson(res, 400, { error: "Missing context" });
    const token = context._token;
    if (typeof token !== "string") return sendJson(res, 403, { error: "Missing token" });
    if (!account.key) return sendJson(res, 503, { error: "Interactions are not yet initialized" });
    const { _token, ...unsigned } = context;
    if (!safeEqual(signContext(account.key, unsigned), token)) {
      log?.("mattermost interaction: invalid _token");
      return sendJson(res, 403, { error: "Invalid token" });
    }
    const actionId = context.action_id;
    if (typeof actionId !== "string") return sendJson(res, 400, { error: "Missing action_id in context" });
    const signedChannel = typeof unsigned[SIGNED_CHANNEL_ID_KEY] === "string" ? unsigned[SIGNED_CHANNEL_ID_KEY].trim() : "";
    if (signedChannel && signedChannel !== payload.channel_id) return sendJson(res, 403, { error: "Channel mismatch" });
    const userName = payload.user_name ?? payload.user_id;
    let post;
    let label = null;
    try {
      post = JSON.parse((await account.bridge.request("getPost", { postId: String(payload.post_id ?? "") })).post);
      const postChannel = typeof post?.channel_id === "string" ? post.channel_id.trim() : "";
      if (!postChannel || postChannel !== payload.channel_id) return sendJson(res, 403, { error: "Post/channel mismatch" });
      const attachments = Array.isArray(post?.props?.attachments) ? post.props.attachments : [];
      for (const att of attachments) {
        const match = Array.isArray(att?.actions) ? att.actions.find((a) => a?.id === actionId) : undefined;
        if (match?.name) {
          label = match.name;
          break;
        }
      }
      if (label === null) return sendJson(res, 403, { error: "Unknown action" });
    } catch (err) {
      log?.(`mattermost interaction: failed to validate post ${payload.post_id}: ${String(err?.message ?? err)}`);
      return sendJson(res, 500, { error: "Failed to validate interaction" });
    }
    let auth;
    try {
      auth = await account.bridge.request("authorize", { userId: payload.user_id, channelId: payload.channel_id });
    } catch (err) {
      log?.(`mattermost interaction: authorization failed: ${String(err?.message ?? err)}`);
      return sendJson(res, 500, { error: "Interaction authorization failed" });
    }
    const roomLabel = auth.channelName ? `#${auth.channelName}` : auth.channelDisplayName || `#${payload.channel_id}`;
    if (!auth.authorized) return sendJson(res, 200, { ephemeral_text: `OpenClaw ignored this action for ${roomLabel}.` });
    const click = { payload, post, actionId, label, userName, auth, context: unsigned };
    // The model picker's buttons (model-picker.js) come back with the same ids as a view is
    // shown again: no repeat check; the picker answers with the next view.
    const picker = parsePickerContext(unsigned);
    if (picker && typeof account.modelPicker === "function") {
      let picked;
      try {
        picked = await account.modelPicker(click, picker);
      } catch (err) {
        log?.(`mattermost interaction: custom handler failed: ${String(err?.message ?? err)}`);
        return sendJson(res, 500, { error: "Interaction handler failed" });
      }
      sendJson(res, 200, picked.answer);
      await picked.after?.();
      return true;
    }
    if (!account.firstClick(post.id, actionId)) return sendJson(res, 200, { ephemeral_text: "This action was already handled." });
    const question = questionOf(unsigned);
    if (question) {
      if (typeof account.resolveQuestion !== "function") return sendJson(res, 200, { ephemeral_text: "Could not submit this answer." });
      try {
        const result = await account.resolveQuestion({ ...question, senderId: payload.user_id, channelId: payload.channel_id });
        if (result?.status === "denied") return sendJson(res, 200, { ephemeral_text: `OpenClaw ignored this action for ${roomLabel}.` });
        if (result?.status !== "answered") return sendJson(res, 200, { ephemeral_text: "This question was already answered." });
      } catch (err) {
        log?.(`mattermost question interaction failed: ${String(err?.message ?? err)}`);
        return sendJson(res, 200, { ephemeral_text: "Could not submit this answer." });
      }
      return sendJson(res, 200, { update: selectedUpdate(post.message, label, userName), ephemeral_text: "Answer submitted." });
    }
    log?.(`mattermost interaction: action=${actionId} user=${userName} post=${post.id} channel=${payload.channel_id}`);
    try {
      account.systemEvent?.(click);
    } catch (err) {
      log?.(`mattermost interaction: system event dispatch failed: ${String(err?.message ?? err)}`);
    }
    sendJson(res, 200, { update: selectedUpdate(post.message, label, userName) });
    try {
      await account.dispatch?.(click);
    } catch (err) {
      log?.(`mattermost interaction: dispatchButtonClick failed: ${String(err?.message ?? err)}`);
    }
    return true;
  };
}

/** @openclaw/mattermost's presentation capabilities: buttons (with context), no selects. */
export const PRESENTATION_CAPABILITIES = {
  supported: true,
  buttons: true,
  selects: false,
  context: true,
  divider: false,
  limits: { text: { markdownDialect: "markdown" } },
};

/** OpenClaw's presentation helpers (its SDK, next to the gateway), or `null` without it. */
export async function loadPresentationSdk() {
  try {
    const [interactive, reply] = await Promise.all([import("openclaw/plugin-sdk/interactive-runtime"), import("openclaw/plugin-sdk/reply-payload")]);
    return { ...interactive, ...reply };
  } catch {
    return null;
  }
}

/** The text and button rows of a presentation, as `resolveMattermostPresentation`: `ask_user`
 * question options and legacy value buttons become buttons; other typed actions do not (they
 * stay in the fallback text). */
export function resolvePresentation(sdk, { text, presentation: raw, channelData, presentationTextMode }) {
  const presentation = sdk.normalizeMessagePresentation(raw);
  const rendered =
    !presentation || (presentationTextMode === "fallback" && text !== undefined)
      ? text ?? ""
      : sdk.renderMessagePresentationFallbackText({ text, presentation });
  const indices = sdk.resolveAskUserQuestionOptionIndices({ channelData });
  const rows = !presentation
    ? []
    : presentation.blocks
        .filter((block) => block.type === "buttons")
        .map((block) =>
          block.buttons.flatMap((button) => {
            const action = button.action;
            if (action?.type === "question") {
              if ("intent" in action) return [];
              const optionIndex = sdk.resolveAskUserQuestionOptionIndex({ questionOptionIndices: indices, questionId: action.questionId, optionValue: action.optionValue });
              return optionIndex === undefined
                ? []
                : [{ id: `question-${optionIndex}`, text: button.label, context: { oc_question: true, question_id: action.questionId, option_index: optionIndex }, style: button.style }];
            }
            if (action) return [];
            const value = sdk.resolveMessagePresentationControlValue(button);
            return value ? [{ id: value, text: button.label, callback_data: value, context: { callback_data: value }, style: button.style }] : [];
          }),
        )
        .filter((row) => row.length > 0);
  return { text: rendered, buttons: rows };
}

/** Whether a presentation has url or web-app buttons (rendered as links in the text). */
export function hasNavigation(sdk, presentation) {
  return (presentation?.blocks ?? []).some(
    (block) =>
      block.type === "buttons" &&
      block.buttons.some((button) => {
        const action = sdk.resolveMessagePresentationButtonAction(button);
        return action?.type === "url" || (action?.type === "web-app" && Boolean(action.url));
      }),
  );
}

/** Where an account's buttons call back: `interactions.callbackBaseUrl` plus the route's path,
 * else the gateway's bind host (or localhost) and port (`computeInteractionCallbackUrl`). */
export function interactionCallbackUrl({ accountId, callbackBaseUrl, gatewayHost, gatewayPort }) {
  const path = interactionPath(accountId);
  const base = typeof callbackBaseUrl === "string" ? callbackBaseUrl.trim().replace(/\/+$/, "") : "";
  return resolveCallbackUrl({ config: { callbackUrl: base ? `${base}${path}` : undefined, callbackPath: path }, gatewayHost, gatewayPort });
}

const isLoopbackHost = (host) => {
  const h = String(host ?? "").toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
};

/** The JS plugin's two start-up warnings about where clicks come from. */
export function interactionWarnings({ callbackUrl, serverUrl, allowedSourceIps }) {
  const warnings = [];
  try {
    const callbackHost = new URL(callbackUrl).hostname;
    if (isLoopbackHost(callbackHost) && !isLoopbackHost(new URL(serverUrl).hostname)) {
      warnings.push(
        `mattermost: interactions callbackUrl resolved to ${callbackUrl} (loopback) while baseUrl is ${serverUrl}. This MAY be unreachable depending on your deployment. If button clicks don't work, set channels.mattermost.interactions.callbackBaseUrl to a URL reachable from the Mattermost server (e.g. your public reverse proxy URL).`,
      );
    }
    if (!isLoopbackHost(callbackHost) && !(allowedSourceIps ?? []).some((ip) => String(ip).trim())) {
      warnings.push(
        `mattermost: interactions callbackUrl resolved to ${callbackUrl} without channels.mattermost.interactions.allowedSourceIps. For safety, non-loopback callback sources will be rejected until you allowlist the Mattermost server or trusted ingress IPs.`,
      );
    }
  } catch {}
  return warnings;
}
