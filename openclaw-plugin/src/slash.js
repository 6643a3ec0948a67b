// Native slash commands, as @openclaw/mattermost has them (`commands.native: true`): the
// `oc_*` commands registered in each of the bot's teams and reconciled with what is there, the
// callback route on the gateway's HTTP server, token checks that fail closed, the sender
// authorized by the bridge's post policy, and the command dispatched to OpenClaw as a native
// one. The bridge only carries the REST calls (`teams`, `listCommands`, `getCommand`,
// `createCommand`, `updateCommand`, `deleteCommand`, `authorize`); the command tokens live
// here, in memory, and are never logged.
import { timingSafeEqual } from "node:crypto";
import { CHANNEL_ID } from "./config.js";
import { chatKind, conversationFields } from "./inbound.js";

export const DEFAULT_CALLBACK_PATH = "/api/channels/mattermost/command";
const DESCRIPTION_MAX_BYTES = 128;
const MAX_BODY_BYTES = 64 * 1024;
const BODY_TIMEOUT_MS = 5000;
/** The upstream re-check of a token: its deadline, failure cache and rate limit (JS values). */
const LOOKUP_TIMEOUT_MS = 1000;
const FAILURE_CACHE_MS = 5000;
const BUCKET_SIZE = 20;
const BUCKET_REFILL_MS = 500;

/** @openclaw/mattermost's DEFAULT_COMMAND_SPECS. */
export const DEFAULT_COMMANDS = [
  { trigger: "oc_status", description: "Show session status (model, usage, uptime)", autoComplete: true },
  { trigger: "oc_model", description: "View or change the current model", autoComplete: true, autoCompleteHint: "[model-name] [--runtime runtime]" },
  { trigger: "oc_models", description: "Browse available models", autoComplete: true, autoCompleteHint: "[provider]" },
  { trigger: "oc_new", description: "Start a new conversation session", autoComplete: true },
  { trigger: "oc_help", description: "Show available commands", autoComplete: true },
  { trigger: "oc_think", description: "Set thinking/reasoning level", autoComplete: true, autoCompleteHint: "[off|low|medium|high]" },
  { trigger: "oc_reasoning", description: "Toggle reasoning mode", autoComplete: true, autoCompleteHint: "[on|off]" },
  { trigger: "oc_verbose", description: "Toggle verbose mode", autoComplete: true, autoCompleteHint: "[on|off]" },
  {
    trigger: "oc_queue",
    description: "Adjust active-run queue behavior",
    autoComplete: true,
    autoCompleteHint: "[steer|followup|collect|interrupt] [debounce:2s] [cap:N] [drop:old|new|summarize]",
  },
];

const text = (v) => (typeof v === "string" ? v.trim() : "");

function normalizeCallbackPath(path) {
  const trimmed = text(path);
  if (!trimmed) return DEFAULT_CALLBACK_PATH;
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/** `commands` of an account (or the channel block) with the JS defaults. */
export function resolveSlashConfig(raw) {
  return {
    native: raw?.native ?? "auto",
    nativeSkills: raw?.nativeSkills ?? "auto",
    callbackPath: normalizeCallbackPath(raw?.callbackPath ?? DEFAULT_CALLBACK_PATH),
    callbackUrl: text(raw?.callbackUrl) || undefined,
  };
}

/** Only `native: true` turns commands on ("auto" means off on Mattermost). */
export const isSlashEnabled = (config) => config.native === true;

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "::0", "0:0:0:0:0:0:0:0"]);

/** The gateway's port as OpenClaw resolves it (`resolveGatewayPort`), the same rule as the
 * bridge's `--check` (src/config/callbacks.rs): `OPENCLAW_GATEWAY_PORT` (`port`, `host:port` or
 * `[v6]:port`), else `gateway.port`, else a named `OPENCLAW_PROFILE`'s port, else 18789. */
export function resolveGatewayPort(cfg, env = process.env) {
  const fromEnv = String(env.OPENCLAW_GATEWAY_PORT ?? "").trim().split(":").pop();
  if (/^\+?\d+$/.test(fromEnv) && Number(fromEnv) <= 65535) return Number(fromEnv);
  const configured = cfg?.gateway?.port;
  if (Number.isInteger(configured) && configured > 0) return configured;
  return profilePort(env.OPENCLAW_PROFILE) ?? 18789;
}

/** A named profile's port: 20000 plus its FNV-1a hash modulo 40000 (not for `default`). */
export function profilePort(profile) {
  const name = String(profile ?? "").trim();
  if (name === "" || name.toLowerCase() === "default") return undefined;
  let hash = 2166136261;
  for (const byte of Buffer.from(name, "utf8")) hash = Math.imul(hash ^ byte, 16777619) >>> 0;
  return 20000 + (hash % 40000);
}

/** `callbackUrl`, else `http://<bind host or localhost>:<gateway port><callbackPath>`. */
export function resolveCallbackUrl({ config, gatewayHost, gatewayPort }) {
  if (config.callbackUrl) return config.callbackUrl;
  const bound = typeof gatewayHost === "string" ? gatewayHost.trim() : "";
  const bare = bound.replace(/^\[+/, "").replace(/\]+$/, "");
  let host = bound && !WILDCARD_HOSTS.has(bare) ? bound : "localhost";
  if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
  return `http://${host}:${gatewayPort}${normalizeCallbackPath(config.callbackPath)}`;
}

/** The paths the route serves: the channel's and each account's `callbackPath`, and the path
 * of each `callbackUrl`. */
export function callbackPaths(cfg) {
  const section = cfg?.channels?.[CHANNEL_ID] ?? {};
  const paths = new Set();
  for (const raw of [section.commands, ...Object.values(section.accounts ?? {}).map((a) => a?.commands)]) {
    const resolved = resolveSlashConfig(raw);
    paths.add(resolved.callbackPath);
    if (resolved.callbackUrl) {
      try {
        paths.add(new URL(resolved.callbackUrl).pathname);
      } catch {}
    }
  }
  return [...paths];
}

/** Cut at a UTF-8 boundary to at most `max` bytes. */
export function truncateUtf8(value, max) {
  const s = String(value ?? "");
  if (Buffer.byteLength(s) <= max) return s;
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** The commands to register: the defaults, and with `nativeSkills: true` one per skill
 * (`skills`: OpenClaw's listSkillCommandsForAgents), deduplicated by trigger. */
export function buildCommandSpecs({ nativeSkills, skills = [] }) {
  const specs = [...DEFAULT_COMMANDS];
  if (nativeSkills === true) {
    for (const skill of skills) {
      const name = text(skill?.name);
      if (!name) continue;
      specs.push({
        trigger: name.startsWith("oc_") ? name : `oc_${name}`,
        description: skill.description || `Run skill ${name}`,
        autoComplete: true,
        autoCompleteHint: "[args]",
        originalName: name,
      });
    }
  }
  const seen = new Set();
  return specs.filter((s) => s.trigger.trim() && !seen.has(s.trigger.trim()) && seen.add(s.trigger.trim()));
}

/** OpenClaw's skill commands, when its SDK is installed next to the gateway. */
export async function listSkills(cfg, log) {
  try {
    const sdk = await import("openclaw/plugin-sdk/command-auth-native");
    return sdk.listSkillCommandsForAgents({ cfg }) ?? [];
  } catch (err) {
    log?.(`mattermost: failed to list skill commands: ${String(err?.message ?? err)}`);
    return [];
  }
}

/** `/<name> <args>`: `oc_status` → `/status` (a skill's own name from the trigger map). */
export function resolveCommandText(trigger, args, triggerMap) {
  const name = triggerMap?.get(trigger) ?? (trigger.startsWith("oc_") ? trigger.slice(3) : trigger);
  const rest = String(args ?? "").trim();
  return rest ? `/${name} ${rest}` : `/${name}`;
}

/**
 * @openclaw/mattermost's reconciliation, team by team: a trigger only others use is skipped;
 * the bot's own command is reused when its url and method match, else updated (deleted and
 * created again when the update fails); a missing one is created (`managed`: deleted at stop).
 * A team whose listing fails counts as failed; the others go on.
 */
export async function registerCommands({ bridge, botId, callbackUrl, specs, log }) {
  const registered = [];
  let failedTeams = 0;
  const { teams } = await bridge.request("teams", {});
  for (const team of teams) {
    try {
      registered.push(...(await registerInTeam({ bridge, teamId: team.id, botId, callbackUrl, specs, log })));
    } catch (err) {
      failedTeams += 1;
      log?.(`mattermost: failed to register slash commands for team ${team.id}: ${err.message}`);
    }
  }
  return { registered, failedTeams, teams: teams.length };
}

async function registerInTeam({ bridge, teamId, botId, callbackUrl, specs, log }) {
  const { commands } = await bridge.request("listCommands", { teamId });
  const byTrigger = new Map();
  for (const c of commands) byTrigger.set(c.trigger, [...(byTrigger.get(c.trigger) ?? []), c]);
  const registered = [];
  for (const spec of specs) {
    const description = truncateUtf8(spec.description, DESCRIPTION_MAX_BYTES);
    const body = { teamId, trigger: spec.trigger, url: callbackUrl, description, autoComplete: spec.autoComplete, autoCompleteHint: spec.autoCompleteHint ?? "" };
    const existing = byTrigger.get(spec.trigger) ?? [];
    const owned = existing.filter((c) => text(c.creatorId) === botId);
    if (owned.length === 0 && existing.length > 0) {
      log?.(`mattermost: trigger /${spec.trigger} already used by non-OpenClaw command(s); skipping to avoid mutating external integrations`);
      continue;
    }
    if (owned.length > 1) log?.(`mattermost: multiple owned commands found for /${spec.trigger}; using the first and leaving extras untouched`);
    const current = owned[0];
    const record = (c, managed) => registered.push({ id: c.id, trigger: spec.trigger, teamId, token: c.token ?? "", url: callbackUrl, managed });
    if (current && current.url === callbackUrl && current.method === "P") {
      record(current, false);
      continue;
    }
    if (current) {
      try {
        record(await bridge.request("updateCommand", { ...body, commandId: current.id }), false);
        continue;
      } catch (err) {
        log?.(`mattermost: failed to update command /${spec.trigger} (id=${current.id}): ${err.message}`);
        try {
          await bridge.request("deleteCommand", { commandId: current.id });
        } catch (deleteErr) {
          log?.(`mattermost: failed to delete stale command /${spec.trigger} (id=${current.id}): ${deleteErr.message}`);
          continue;
        }
      }
    }
    try {
      const created = await bridge.request("createCommand", body);
      log?.(`mattermost: registered command /${spec.trigger} (id=${created.id})`);
      record(created, true);
    } catch (err) {
      log?.(`mattermost: failed to register command /${spec.trigger}: ${err.message}`);
    }
  }
  return registered;
}

/** Deletes the commands this run created (reused and updated ones stay, as in the JS plugin). */
export async function cleanupCommands({ bridge, registered, log }) {
  for (const c of registered) {
    if (!c.managed) continue;
    try {
      await bridge.request("deleteCommand", { commandId: c.id }, { timeoutMs: 3000 });
    } catch (err) {
      log?.(`mattermost: failed to delete command /${c.trigger}: ${err.message}`);
    }
  }
}

function safeEqual(a, b) {
  const x = Buffer.from(String(a ?? ""));
  const y = Buffer.from(String(b ?? ""));
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** The callback body: JSON when the content type says so, else a form; `null` when a
 * required field is missing. */
export function parseSlashPayload(body, contentType) {
  if (!body) return null;
  let get;
  try {
    if (String(contentType ?? "").includes("application/json")) {
      const parsed = JSON.parse(body);
      get = (k) => (typeof parsed?.[k] === "string" ? parsed[k] : undefined);
    } else {
      const params = new URLSearchParams(body);
      get = (k) => params.get(k) ?? undefined;
    }
  } catch {
    return null;
  }
  const p = {};
  for (const k of ["token", "team_id", "channel_id", "user_id", "command", "team_domain", "channel_name", "user_name", "text", "trigger_id", "response_url"]) p[k] = get(k);
  if (!p.token || !p.team_id || !p.channel_id || !p.user_id || !p.command) return null;
  p.text ??= "";
  return p;
}

/** Reads at most `max` bytes within `timeoutMs`; rejects with `code` "TOO_LARGE" or "TIMEOUT". */
export function readBody(req, max, timeoutMs) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const fail = (code) => {
      clearTimeout(timer);
      req.removeAllListeners("data");
      reject(Object.assign(new Error(code), { code }));
    };
    const timer = setTimeout(() => fail("TIMEOUT"), timeoutMs);
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > max) return fail("TOO_LARGE");
      chunks.push(chunk);
    });
    req.on("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", () => fail("TIMEOUT"));
  });
}

function sendJson(res, status, body) {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.end(JSON.stringify(body));
}

const ephemeral = (t) => ({ response_type: "ephemeral", text: t });
const NOT_READY = ephemeral("Slash commands are not yet initialized. Please try again in a moment.");
const BAD_TOKEN = ephemeral("Unauthorized: invalid command token.");
const DENY_TEXT = {
  "dm-disabled": "This bot is not accepting direct messages.",
  "channels-disabled": "Slash commands are disabled in channels.",
  "channel-no-allowlist": "Slash commands are not configured for this channel (no allowlist).",
};
const CHANNEL_UNKNOWN = "Temporary error: unable to determine channel type. Please try again.";

/**
 * The state of one account's commands: inactive (every callback 503) until `activate` with
 * at least one registered command; then callbacks are checked against it.
 */
export function createSlashAccount({ accountId, bridge, log, now = Date.now }) {
  const state = { accountId, bridge, active: false, registered: [], triggerMap: new Map(), log };
  const failures = new Map(); // command id → time of the last failed re-check
  let tokens = BUCKET_SIZE;
  let refilled = now();
  state.activate = (registered, triggerMap) => {
    state.registered = registered;
    state.triggerMap = triggerMap ?? new Map();
    state.active = registered.length > 0;
  };
  state.deactivate = () => {
    state.active = false;
    const registered = state.registered;
    state.registered = registered.map(({ token: _token, ...rest }) => rest);
    failures.clear();
    return registered;
  };
  state.find = (teamId, trigger) => state.registered.find((c) => c.teamId === teamId && c.trigger === trigger);
  /** The JS plugin's upstream re-check: the command as the server has it now must still be
   * ours, live, with the same team, trigger, method, url and the callback's token. */
  state.recheck = async (command, token) => {
    const failedAt = failures.get(command.id);
    if (failedAt !== undefined && now() - failedAt < FAILURE_CACHE_MS) return false;
    const t = now();
    tokens = Math.min(BUCKET_SIZE, tokens + Math.floor((t - refilled) / BUCKET_REFILL_MS));
    refilled = t - ((t - refilled) % BUCKET_REFILL_MS);
    if (tokens <= 0) {
      log?.(`mattermost: slash command validation lookup rate-limited for /${command.trigger}`);
      return false;
    }
    tokens -= 1;
    let current = null;
    try {
      current = await bridge.request("getCommand", { commandId: command.id }, { timeoutMs: LOOKUP_TIMEOUT_MS });
    } catch {}
    if (!current || current.deleteAt > 0) {
      try {
        const { commands } = await bridge.request("listCommands", { teamId: command.teamId }, { timeoutMs: LOOKUP_TIMEOUT_MS });
        current = commands.find((c) => c.id === command.id) ?? null;
      } catch {
        current = null;
      }
    }
    const ok =
      Boolean(current) &&
      !(current.deleteAt > 0) &&
      current.id === command.id &&
      current.teamId === command.teamId &&
      current.trigger === command.trigger &&
      current.method === "P" &&
      current.url === command.url &&
      safeEqual(token, current.token);
    if (ok) failures.delete(command.id);
    else failures.set(command.id, now());
    return ok;
  };
  return state;
}

/**
 * The route's handler. `accounts()` gives the active slash accounts; `dispatch(account,
 * call)` runs an accepted command (after the answer went out); `pairing(account, call)`
 * gives the pairing reply's text.
 */
export function createSlashRoute({ accounts, dispatch, pairing, log }) {
  return async (req, res) => {
    if (req.method !== "POST") {
      res.statusCode = 405;
      res.setHeader("Allow", "POST");
      res.end("Method Not Allowed");
      return true;
    }
    const states = [...accounts()].filter((s) => s.active);
    if (states.length === 0) return sendJson(res, 503, NOT_READY), true;
    let body;
    try {
      body = await readBody(req, MAX_BODY_BYTES, BODY_TIMEOUT_MS);
    } catch (err) {
      res.statusCode = err.code === "TOO_LARGE" ? 413 : 408;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end(err.code === "TOO_LARGE" ? "Payload Too Large" : "Request body timeout");
      return true;
    }
    const payload = parseSlashPayload(body, req.headers["content-type"]);
    if (!payload) return sendJson(res, 400, ephemeral("Invalid slash command payload.")), true;
    const trigger = payload.command.replace(/^\//, "").trim();
    const matches = states
      .map((s) => ({ account: s, command: s.find(payload.team_id, trigger) }))
      .filter((m) => m.command && safeEqual(payload.token, m.command.token));
    if (matches.length > 1) return sendJson(res, 409, ephemeral("Conflict: command token is not unique across accounts.")), true;
    const match = matches[0];
    if (!match || !(await match.account.recheck(match.command, payload.token))) return sendJson(res, 401, BAD_TOKEN), true;
    const { account } = match;
    const commandText = resolveCommandText(trigger, payload.text, account.triggerMap);
    let auth;
    try {
      auth = await account.bridge.request("authorize", { userId: payload.user_id, channelId: payload.channel_id });
    } catch (err) {
      log?.(`mattermost: slash authorization failed for ${payload.channel_id}: ${err.message}`);
      return sendJson(res, 200, ephemeral(CHANNEL_UNKNOWN)), true;
    }
    const call = { ...payload, trigger, commandText, auth };
    if (!auth.authorized) {
      if (auth.reason === "dm-pairing") return sendJson(res, 200, ephemeral(await pairing(account, call))), true;
      return sendJson(res, 200, ephemeral(DENY_TEXT[auth.reason] ?? "Unauthorized.")), true;
    }
    log?.(`mattermost: slash command /${trigger} from ${auth.sender?.username ?? payload.user_id} in ${payload.channel_id}`);
    sendJson(res, 200, ephemeral("Processing..."));
    try {
      await dispatch(account, call);
    } catch (err) {
      log?.(`mattermost: slash command handler error: ${err?.message ?? err}`);
      try {
        await account.bridge.request("send", { channelId: payload.channel_id, text: "Sorry, something went wrong processing that command." });
      } catch {}
    }
    return true;
  };
}

/** The inbound context of an accepted command, as the JS plugin builds it. */
export function commandContext({ accountId, route, call, now = Date.now() }) {
  const { auth, commandText } = call;
  const kind = chatKind(auth.channelType);
  const senderId = call.user_id;
  const senderName = auth.sender?.username || call.user_name || senderId;
  const roomLabel = auth.channelName ? `#${auth.channelName}` : auth.channelDisplayName || `#${call.channel_id}`;
  return {
    Body: commandText,
    BodyForAgent: commandText,
    RawBody: commandText,
    CommandBody: commandText,
    ...conversationFields({ kind, senderId, channelId: call.channel_id, accountId, route }),
    SessionKey: route.sessionKey,
    ConversationLabel: kind === "direct" ? `Mattermost DM from ${senderName}` : `Mattermost message in ${roomLabel} from ${senderName}`,
    GroupSpace: call.team_id,
    GroupSubject: kind !== "direct" ? auth.channelDisplayName || roomLabel : undefined,
    SenderName: senderName,
    MessageSid: call.trigger_id ?? `slash-${now}`,
    Timestamp: now,
    WasMentioned: true,
    CommandAuthorized: true,
    InboundAccessAuthorized: true,
    CommandSource: "native",
  };
}
