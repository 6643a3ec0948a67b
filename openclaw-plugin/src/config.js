// Account resolution (channels.mattermost), the bridge binary's location, OpenClaw's state dir
// and the config the bridge is started with.
import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundledBinary } from "./bundled.js";

export const CHANNEL_ID = "mattermost";
export const DEFAULT_ACCOUNT_ID = "default";
export const BINARY_NAME = "openclaw-mattermost";

/** The `dmPolicy` when the account sets none (the schema's default; the bridge alone uses
 * `allowlist`, which needs no host: docs/configuration.md). */
export const DEFAULT_DM_POLICY = "pairing";

/** Keys that are not passed to the bridge: where to find it, and the account structure the
 * plugin has already resolved. The plugin's other keys (`streaming`, `replyToMode`…) are passed
 * on: the bridge knows them, checks their types and lists the settings not active yet. */
const PLUGIN_KEYS = new Set(["binaryPath", "accounts", "defaultAccount", "name"]);

function section(cfg) {
  const s = cfg?.channels?.[CHANNEL_ID];
  return s && typeof s === "object" ? s : {};
}

/** Account ids: `default` for the top-level block, plus any under `accounts`. */
export function listAccountIds(cfg) {
  const s = section(cfg);
  const ids = s.accounts && typeof s.accounts === "object" ? Object.keys(s.accounts) : [];
  if (!ids.includes(DEFAULT_ACCOUNT_ID) && (ids.length === 0 || s.serverUrl || s.baseUrl || s.botToken)) {
    ids.unshift(DEFAULT_ACCOUNT_ID);
  }
  return ids;
}

/** The account's config: top-level keys overridden by `accounts.<id>` keys. */
export function resolveAccount(cfg, accountId) {
  const id = accountId || section(cfg).defaultAccount || DEFAULT_ACCOUNT_ID;
  const s = section(cfg);
  const own = s.accounts?.[id] ?? {};
  const { accounts: _a, defaultAccount: _d, ...base } = s;
  const config = { ...base, ...own };
  // As OpenClaw resolves them: implicitMentions entry by entry (account, section,
  // channels.defaults), groupPolicy from channels.defaults when neither sets it.
  const defaults = cfg?.channels?.defaults ?? {};
  const implicit = [defaults.implicitMentions, base.implicitMentions, own.implicitMentions].filter(isObject);
  if (implicit.length > 0) config.implicitMentions = Object.assign({}, ...implicit);
  if (config.groupPolicy === undefined && typeof defaults.groupPolicy === "string") config.groupPolicy = defaults.groupPolicy;
  const serverUrl = config.serverUrl ?? config.baseUrl ?? (id === DEFAULT_ACCOUNT_ID ? process.env.MATTERMOST_URL : undefined);
  const hasToken = Boolean(config.botToken) || (id === DEFAULT_ACCOUNT_ID && Boolean(process.env.MATTERMOST_BOT_TOKEN));
  return {
    accountId: id,
    name: config.name ?? id,
    enabled: config.enabled !== false,
    configured: Boolean(serverUrl) && hasToken,
    serverUrl,
    config,
    // OpenClaw's own Mattermost plugin's default: this plugin runs OpenClaw's pairing flow.
    dmPolicy: config.dmPolicy ?? DEFAULT_DM_POLICY,
    allowFrom: Array.isArray(config.allowFrom) ? config.allowFrom.map(String) : [],
    streaming: normalizeStreaming(config.streaming),
    textChunkLimit: Number.isFinite(config.textChunkLimit) && config.textChunkLimit > 0 ? config.textChunkLimit : 4000,
  };
}

function isObject(value) {
  return Boolean(value) && typeof value === "object" && !Array.isArray(value);
}

/**
 * A message tool action gate (`actions.reactions`, `actions.messages`) as @openclaw/mattermost
 * reads it: the account's value, else the top level's, else `fallback`.
 */
export function actionGate(cfg, accountId, key, fallback) {
  const s = section(cfg);
  const id = accountId || s.defaultAccount || DEFAULT_ACCOUNT_ID;
  return Boolean(s.accounts?.[id]?.actions?.[key] ?? s.actions?.[key] ?? fallback);
}

/** `streaming` → the preview mode: the object form's `mode` as OpenClaw reads it (unset or
 * unknown: `partial`), plus this plugin's scalar forms (`false`/`"off"`, `true`/a mode name). */
function normalizeStreaming(value) {
  const MODES = ["off", "partial", "block", "progress"];
  if (value === false) return "off";
  const mode = value && typeof value === "object" ? value.mode : value;
  const word = typeof mode === "string" ? mode.trim().toLowerCase() : "";
  return MODES.includes(word) ? word : "partial";
}

/**
 * The `replyToMode` for a conversation of chat type `kind` (`direct`, `group`, `channel`), as
 * OpenClaw's Mattermost plugin decides it: `replyToModeByChatType.<kind>` when set, else `off`
 * for DMs, else `replyToMode` (default `off`).
 */
export function resolveReplyToMode(account, kind) {
  const scoped = account.config?.replyToModeByChatType?.[kind];
  if (scoped !== undefined) return scoped;
  if (kind === "direct") return "off";
  return account.config?.replyToMode ?? "off";
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The bridge binary: `binaryPath` from the config, else `openclaw-mattermost` on PATH, else
 * one installed beside the plugin by hand (`bin/openclaw-mattermost`), else the one a release
 * package carries for this platform (`bin/linux-<arch>/`, SHA-256 checked: see bundled.js).
 * `host` overrides the platform and architecture (tests).
 */
export function resolveBinary(config, env = process.env, pluginDir = PLUGIN_DIR, host = {}) {
  if (config?.binaryPath) return String(config.binaryPath);
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, BINARY_NAME);
    if (isExecutable(candidate)) return candidate;
  }
  const beside = join(pluginDir, "bin", BINARY_NAME);
  if (isExecutable(beside)) return beside;
  const bundled = bundledBinary(pluginDir, host);
  if (bundled) return bundled;
  throw new Error(
    `${BINARY_NAME} not found: set channels.mattermost.binaryPath, put it on PATH, or install it as ${beside}`,
  );
}

export const PLUGIN_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** The plugin runtime handed to `register(api)` (fallback when a gateway ctx has none). */
export const runtimeStore = { runtime: null };

/** Environment variable through which a plain-string token reaches the bridge. */
export const TOKEN_ENV = "OPENCLAW_MATTERMOST_BOT_TOKEN";
/** The variables the bridge reads for keys its config leaves unset. */
const ENV_FALLBACKS = ["MATTERMOST_URL", "MATTERMOST_BOT_TOKEN", "MATTERMOST_TEAM_ID"];

/**
 * OpenClaw's state directory, as OpenClaw's plugin runtime reports it
 * (`runtime.state.resolveStateDir`: `$OPENCLAW_STATE_DIR`, else `~/.openclaw`, with OpenClaw's
 * profile and legacy rules); the same rule when there is no runtime (older hosts, tests).
 */
export function resolveStateDir(runtime, env = process.env) {
  const fromRuntime = runtime?.state?.resolveStateDir?.(env);
  if (typeof fromRuntime === "string" && fromRuntime) return fromRuntime;
  const set = env.OPENCLAW_STATE_DIR?.trim();
  if (set) return set === "~" || set.startsWith("~/") ? join(env.HOME || homedir(), set.slice(1)) : set;
  return join(env.HOME || homedir(), ".openclaw");
}

/** The account id as a file-name part. */
function fileSafe(accountId) {
  return accountId.replace(/[^A-Za-z0-9_-]/g, "_");
}

/**
 * Where an account keeps its catch-up state and downloads by default, under OpenClaw's state
 * dir: `mattermost-state.json` and `media/mattermost/` for the default account,
 * `mattermost-state-<id>.json` and `media/mattermost-<id>/` for the others.
 */
export function defaultAccountPaths(stateDir, accountId) {
  const suffix = accountId === DEFAULT_ACCOUNT_ID ? "" : `-${fileSafe(accountId)}`;
  return {
    stateFile: join(stateDir, `mattermost-state${suffix}.json`),
    mediaDir: join(stateDir, "media", `mattermost${suffix}`),
  };
}

/**
 * The account's `channels.mattermost` block (as OpenClaw resolved it) as the JSON text the
 * bridge reads with `--config-fd`, and the child's environment: `{ text, env }`. A plain token
 * is not in the text: it refers to an environment variable the child gets instead. `paths`
 * (`stateFile`, `mediaDir`) fill those keys when the account leaves them unset. From OpenClaw's
 * whole config `cfg`, the text also carries the two keys the bridge falls back on as OpenClaw's
 * own plugin does (`messages.groupChat.historyLimit`, `channels.defaults.contextVisibility`),
 * and `gateway.customBindHost`/`gateway.port` (the callbacks' default address, for `--check`).
 */
export function bridgeConfig(account, { env = process.env, paths = {}, cfg } = {}) {
  const block = {};
  for (const [key, value] of Object.entries(account.config)) {
    if (!PLUGIN_KEYS.has(key) && value !== undefined) block[key] = value;
  }
  const childEnv = { ...env };
  // As in OpenClaw's own plugin, the environment fills gaps of the default account only: another
  // account must not silently run against MATTERMOST_URL with MATTERMOST_BOT_TOKEN.
  if (account.accountId !== DEFAULT_ACCOUNT_ID) {
    for (const name of ENV_FALLBACKS) delete childEnv[name];
  }
  if (typeof block.botToken === "string") {
    childEnv[TOKEN_ENV] = block.botToken;
    block.botToken = { source: "env", id: TOKEN_ENV };
  } else if (block.botToken && typeof block.botToken === "object") {
    // A SecretRef OpenClaw left unresolved (it resolves every source through this plugin's
    // secret-contract-api.js; an older OpenClaw may not): the bridge reads env refs itself.
    const { source, id } = block.botToken;
    if (source !== "env" || typeof id !== "string") {
      throw new Error(
        `mattermost: botToken from a "${source}" secret is not supported by the bridge and OpenClaw did not resolve it (does this OpenClaw load the plugin's secret-contract-api.js?); use a string, "\${VAR}" or { source: "env", id: "VAR" }`,
      );
    }
    block.botToken = { source, id };
  }
  for (const key of ["stateFile", "mediaDir"]) {
    if (!block[key] && paths[key]) block[key] = paths[key];
  }
  block.dmPolicy ??= account.dmPolicy;
  const root = { channels: { [CHANNEL_ID]: block } };
  const historyLimit = cfg?.messages?.groupChat?.historyLimit;
  if (historyLimit !== undefined) root.messages = { groupChat: { historyLimit } };
  const contextVisibility = cfg?.channels?.defaults?.contextVisibility;
  if (contextVisibility !== undefined) root.channels.defaults = { contextVisibility };
  // Where the gateway listens: `--check` builds the slash command and button callback URLs
  // from it, as OpenClaw's own plugin does, when the account sets none.
  const { customBindHost, port } = cfg?.gateway ?? {};
  if (customBindHost !== undefined || port !== undefined) root.gateway = { customBindHost, port };
  return { text: `${toJson5(root)}\n`, env: childEnv };
}

/**
 * JSON text, except that infinite numbers stay `Infinity`/`-Infinity` (JSON5, which the bridge
 * reads): `JSON.stringify` writes them as `null`, which the bridge would take as "unset" and
 * silently replace a user's "no limit" (`catchUpMaxAge: Infinity`) by the default.
 */
export function toJson5(value) {
  const marker = `openclaw-infinity-${Math.random().toString(36).slice(2)}`;
  const text = JSON.stringify(value, (_key, v) =>
    typeof v === "number" && !Number.isFinite(v) && !Number.isNaN(v) ? `${marker}${Math.sign(v)}` : v,
  );
  return text.replaceAll(`"${marker}1"`, "Infinity").replaceAll(`"${marker}-1"`, "-Infinity");
}
