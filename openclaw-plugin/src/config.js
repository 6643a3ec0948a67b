// Account resolution (channels.mattermost), the bridge binary's location and the config file
// the bridge is started with.
import { accessSync, constants, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const CHANNEL_ID = "mattermost";
export const DEFAULT_ACCOUNT_ID = "default";
export const BINARY_NAME = "openclaw-mattermost";

/** Keys only this plugin reads; they are not passed to the bridge. */
const PLUGIN_KEYS = new Set(["binaryPath", "streaming", "replyToMode", "accounts", "defaultAccount", "name"]);

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
  const serverUrl = config.serverUrl ?? config.baseUrl ?? (id === DEFAULT_ACCOUNT_ID ? process.env.MATTERMOST_URL : undefined);
  const hasToken = Boolean(config.botToken) || (id === DEFAULT_ACCOUNT_ID && Boolean(process.env.MATTERMOST_BOT_TOKEN));
  return {
    accountId: id,
    name: config.name ?? id,
    enabled: config.enabled !== false,
    configured: Boolean(serverUrl) && hasToken,
    serverUrl,
    config,
    dmPolicy: config.dmPolicy ?? "allowlist",
    allowFrom: Array.isArray(config.allowFrom) ? config.allowFrom.map(String) : [],
    streaming: normalizeStreaming(config.streaming),
    replyToMode: ["off", "first", "all"].includes(config.replyToMode) ? config.replyToMode : "off",
    textChunkLimit: Number.isFinite(config.textChunkLimit) && config.textChunkLimit > 0 ? config.textChunkLimit : 4000,
  };
}

function normalizeStreaming(value) {
  if (value === false || value === "off") return "off";
  if (value && typeof value === "object" && value.mode === "off") return "off";
  return "partial";
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
 * the one installed beside the plugin (`bin/openclaw-mattermost` in the package folder).
 */
export function resolveBinary(config, env = process.env, pluginDir = PLUGIN_DIR) {
  if (config?.binaryPath) return String(config.binaryPath);
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, BINARY_NAME);
    if (isExecutable(candidate)) return candidate;
  }
  const beside = join(pluginDir, "bin", BINARY_NAME);
  if (isExecutable(beside)) return beside;
  throw new Error(
    `${BINARY_NAME} not found: set channels.mattermost.binaryPath, put it on PATH, or install it as ${beside}`,
  );
}

export const PLUGIN_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** Environment variable through which a plain-string token reaches the bridge. */
export const TOKEN_ENV = "OPENCLAW_MATTERMOST_BOT_TOKEN";

/**
 * Writes the account's `channels.mattermost` block (as OpenClaw resolved it) to an owner-only
 * file for the bridge's `--config`, and returns `{ path, env }`. A plain token is not written:
 * the file refers to an environment variable the child gets instead.
 */
export function writeBridgeConfig(account, { env = process.env, dir } = {}) {
  const block = {};
  for (const [key, value] of Object.entries(account.config)) {
    if (!PLUGIN_KEYS.has(key) && value !== undefined) block[key] = value;
  }
  const childEnv = { ...env };
  if (typeof block.botToken === "string") {
    childEnv[TOKEN_ENV] = block.botToken;
    block.botToken = { source: "env", id: TOKEN_ENV };
  } else if (block.botToken && typeof block.botToken === "object") {
    // An OpenClaw SecretRef OpenClaw left unresolved: the bridge reads env refs itself.
    const { source, id } = block.botToken;
    if (source !== "env" || typeof id !== "string") {
      throw new Error(
        `mattermost: botToken from a "${source}" secret is not supported by the bridge; use a string, "\${VAR}" or { source: "env", id: "VAR" }`,
      );
    }
    block.botToken = { source, id };
  }
  const stateDir = env.OPENCLAW_STATE_DIR;
  if (account.accountId !== DEFAULT_ACCOUNT_ID && stateDir && !block.stateFile) {
    // The bridge's default state file is per state dir; give each extra account its own.
    block.stateFile = join(stateDir, `mattermost-state-${account.accountId.replace(/[^A-Za-z0-9_-]/g, "_")}.json`);
  }
  const base = dir ?? join(env.OPENCLAW_STATE_DIR || join(tmpdir(), `openclaw-${process.getuid?.() ?? "user"}`), "mattermost-bridge");
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const safeId = account.accountId.replace(/[^A-Za-z0-9_-]/g, "_");
  const path = join(base, `${safeId}.json`);
  writeFileSync(path, `${JSON.stringify({ channels: { [CHANNEL_ID]: block } }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { path, env: childEnv };
}
