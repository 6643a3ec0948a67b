// Guided setup and the doctor for the `mattermost` channel, as OpenClaw's setup and doctor
// surfaces expect them (plain objects: no runtime dependency on the openclaw package):
// - `setupContract`: `openclaw channels add --channel mattermost --http-url … --bot-token …
//   [--dm-policy …] [--allow-from …]` (or `--use-env`), the fields of OpenClaw's own Mattermost
//   plugin plus who may talk;
// - `setupWizard`: `openclaw onboard` / `openclaw configure`: server URL, bot token (or the
//   MATTERMOST_URL / MATTERMOST_BOT_TOKEN shortcut), DM policy and allowFrom, then the bridge's
//   own `--check` on the new config, whose failing findings are shown with their fixes;
// - `doctor`: `openclaw doctor` runs `--check` per enabled account, one line per problem.
// Light on purpose: `setup-entry.js` loads it without the runtime, and nothing here starts a
// bridge; `--check` runs only when a step asks for it, with the config on descriptor 3.
import { CHANNEL_ID, DEFAULT_ACCOUNT_ID, listAccountIds, resolveAccount } from "./config.js";
import { runOnce } from "./once.js";

/** How long one `--check` may take (it waits up to 5 s for the WebSocket's hello, 3 s per
 * callback). */
export const CHECK_TIMEOUT_MS = 20_000;

const DM_POLICIES = ["pairing", "allowlist", "open", "disabled"];
const ENV_URL = "MATTERMOST_URL";
const ENV_TOKEN = "MATTERMOST_BOT_TOKEN";
const NEEDS_TOKEN_AND_URL = "Mattermost requires --bot-token and --http-url (or --use-env).";

function section(cfg) {
  const s = cfg?.channels?.[CHANNEL_ID];
  return s && typeof s === "object" ? s : {};
}

/** The account's own block: the section for `default` (unless `accounts.default` exists),
 * else `accounts.<id>`. */
function ownBlock(cfg, accountId) {
  const s = section(cfg);
  const id = accountId || DEFAULT_ACCOUNT_ID;
  return id === DEFAULT_ACCOUNT_ID && !s.accounts?.[id] ? s : (s.accounts?.[id] ?? {});
}

/** Where an account's keys live in OpenClaw's config, for messages. */
export function accountPath(cfg, accountId) {
  const id = accountId || DEFAULT_ACCOUNT_ID;
  return id === DEFAULT_ACCOUNT_ID && !section(cfg).accounts?.[id]
    ? `channels.${CHANNEL_ID}`
    : `channels.${CHANNEL_ID}.accounts.${id}`;
}

/** `patch` written into the account's own block (see `ownBlock`); keys set to `undefined` are
 * removed. A disabled channel is enabled again: setting it up means using it. */
export function applyAccountPatch(cfg, accountId, patch) {
  const id = accountId || DEFAULT_ACCOUNT_ID;
  const s = { ...section(cfg) };
  if (s.enabled === false) delete s.enabled;
  const merge = (block) => {
    const next = { ...block, ...patch };
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete next[key];
    return next;
  };
  let next;
  if (id === DEFAULT_ACCOUNT_ID && !s.accounts?.[id]) next = merge(s);
  else next = { ...s, accounts: { ...s.accounts, [id]: merge(s.accounts?.[id] ?? {}) } };
  return { ...cfg, channels: { ...cfg?.channels, [CHANNEL_ID]: next } };
}

/** The key an account's server URL is written to: `baseUrl` where the config already uses
 * OpenClaw's own plugin's name, else `serverUrl`. */
function urlKey(cfg, accountId) {
  const own = ownBlock(cfg, accountId);
  return own.baseUrl !== undefined && own.serverUrl === undefined ? "baseUrl" : "serverUrl";
}

/**
 * The server URL as the bridge wants it (`https://host[:port][/subpath]`, no trailing `/` or
 * `/api/v4`), or null when it is not an http(s) URL without query, fragment or user info.
 */
export function normalizeServerUrl(raw) {
  const text = String(raw ?? "").trim();
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (!/^https?:$/.test(url.protocol) || !url.hostname || url.search || url.hash || url.username || url.password) {
    return null;
  }
  const path = url.pathname.replace(/\/+$/, "").replace(/\/api\/v4$/i, "");
  return `${url.protocol}//${url.host}${path}`;
}

/** An allowFrom entry as the bridge takes it: a 26-character user id, `@username`, or `*`;
 * `user:`/`mattermost:` prefixes dropped. Null when it is none of those. */
export function parseAllowEntry(raw) {
  const entry = String(raw ?? "")
    .trim()
    .replace(/^(mattermost|user):/i, "");
  if (entry === "*" || /^[a-z0-9]{26}$/.test(entry)) return entry;
  if (/^@[a-z0-9._-]{1,64}$/i.test(entry)) return entry.toLowerCase();
  return null;
}

const splitList = (raw) =>
  String(raw ?? "")
    .split(/[\n,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

// --- The setup contract (`openclaw channels add`) ---

/** The flags of `openclaw channels add --channel mattermost` (also in package.json's
 * `openclaw.channel.setup.fields`, which OpenClaw reads before loading the plugin). */
export const SETUP_FIELDS = {
  token: { kind: "string", sensitive: true, cli: { flags: "--token <token>", description: "Mattermost bot token" } },
  botToken: { kind: "string", sensitive: true, cli: { flags: "--bot-token <token>", description: "Mattermost bot token" } },
  httpUrl: { kind: "string", cli: { flags: "--http-url <url>", description: "Mattermost server URL" } },
  useEnv: {
    kind: "boolean",
    cli: { flags: "--use-env", description: "Use Mattermost environment credentials" },
    envVars: [ENV_TOKEN, ENV_URL],
  },
  dmPolicy: {
    kind: "choice",
    choices: DM_POLICIES,
    cli: { flags: "--dm-policy <policy>", description: "Who may DM the bot: pairing, allowlist, open or disabled" },
  },
  allowFrom: {
    kind: "string-list",
    cli: { flags: "--allow-from <users>", description: "User ids or @usernames who may talk to the bot (comma-separated)" },
  },
};

/** OpenClaw's parse of a channel-owned setup input: only declared fields (and `name`), each of
 * its kind. */
export function parseSetupInput(raw) {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return { ok: false, error: "Channel setup input must be an object." };
  const value = {};
  for (const [key, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const field = SETUP_FIELDS[key];
    if (key === "name") {
      if (typeof v !== "string") return { ok: false, error: "name must be a string." };
    } else if (!field) {
      return { ok: false, error: `Unsupported setup option: ${key}` };
    } else if (field.kind === "string" && typeof v !== "string") {
      return { ok: false, error: `${key} must be a string.` };
    } else if (field.kind === "boolean" && typeof v !== "boolean") {
      return { ok: false, error: `${key} must be true or false.` };
    } else if (field.kind === "choice" && !field.choices.includes(v)) {
      return { ok: false, error: `${key} must be one of: ${field.choices.map((c) => JSON.stringify(c)).join(", ")}.` };
    } else if (field.kind === "string-list") {
      const list = Array.isArray(v) ? v : typeof v === "string" ? splitList(v) : null;
      if (!list || !list.every((e) => typeof e === "string")) return { ok: false, error: `${key} must be a comma-separated list of strings.` };
      value[key] = list;
      continue;
    }
    value[key] = v;
  }
  return { ok: true, value };
}

function validateSetupInput({ accountId, input }) {
  const token = input.botToken ?? input.token;
  if (input.useEnv && (accountId || DEFAULT_ACCOUNT_ID) !== DEFAULT_ACCOUNT_ID) {
    return "Mattermost env vars can only be used for the default account.";
  }
  if (!input.useEnv && (!token || !input.httpUrl)) return NEEDS_TOKEN_AND_URL;
  if (input.httpUrl && !normalizeServerUrl(input.httpUrl)) return "Mattermost --http-url must include a valid base URL.";
  const bad = (input.allowFrom ?? []).filter((e) => parseAllowEntry(e) === null);
  if (bad.length > 0) return `Mattermost --allow-from takes user ids (26 characters) or @usernames; not: ${bad.join(", ")}`;
  return null;
}

function applySetupInput({ cfg, accountId, input }) {
  const patch = {};
  if (!input.useEnv) {
    const token = input.botToken ?? input.token;
    if (token) patch.botToken = token;
    const url = normalizeServerUrl(input.httpUrl);
    if (url) patch[urlKey(cfg, accountId)] = url;
  }
  if (input.dmPolicy) patch.dmPolicy = input.dmPolicy;
  if (input.allowFrom?.length) patch.allowFrom = input.allowFrom.map(parseAllowEntry);
  if (input.name) patch.name = input.name;
  return applyAccountPatch(cfg, accountId, patch);
}

/** Keys that belong to the one account when a config gains named accounts. */
const ACCOUNT_KEYS = ["botToken", "serverUrl", "baseUrl"];

/** OpenClaw's `ChannelOwnedSetupContract`, as its `defineChannelSetupContract` builds it. */
export const setupContract = {
  kind: "channel-owned",
  metadata: { fields: Object.entries(SETUP_FIELDS).map(([key, field]) => ({ ...field, key })) },
  parseInput: parseSetupInput,
  validateInput(params) {
    const parsed = parseSetupInput(params.input);
    return parsed.ok ? validateSetupInput({ ...params, input: parsed.value }) : parsed.error;
  },
  applyAccountConfig(params) {
    const parsed = parseSetupInput(params.input);
    if (!parsed.ok) throw new Error(parsed.error);
    return applySetupInput({ ...params, input: parsed.value });
  },
  applyAccountName: ({ cfg, accountId, name }) => (name ? applyAccountPatch(cfg, accountId, { name }) : cfg),
  singleAccountKeysToMove: ACCOUNT_KEYS,
  namedAccountPromotionKeys: ACCOUNT_KEYS,
};

// --- `--check`, for the wizard's last step and the doctor ---

/**
 * Runs `openclaw-mattermost --check --json --config-fd 3` on the account as the plugin would
 * start it (`runOnce`). Resolves `{ report }` (the bridge's JSON report) or
 * `{ error, missingBinary? }`; never rejects. `binary` and `timeoutMs` for tests.
 */
export async function runCheck(account, { cfg, env = process.env, binary, timeoutMs = CHECK_TIMEOUT_MS } = {}) {
  const { output, ...failed } = await runOnce(account, ["--check", "--json"], { cfg, env, binary, timeoutMs });
  return output === undefined ? failed : { report: output };
}

/** The findings worth the operator's eye (`warn`, `fail`). */
export function problems(report) {
  return (report?.checks ?? []).filter((c) => c.status === "warn" || c.status === "fail");
}

/** One finding as a line: `<check>: <message> (fix: <fix>)`. */
export function findingLine(finding) {
  return `${finding.check}: ${finding.message}${finding.fix ? ` (fix: ${finding.fix})` : ""}`;
}

const BINARY_FIX = `set channels.${CHANNEL_ID}.binaryPath to the openclaw-mattermost binary, or put it on PATH`;

/**
 * `openclaw doctor`: `--check` for each enabled account; each `warn` or `fail` finding is a
 * line `- channels.mattermost[.accounts.<id>]: <check>: <message> (fix: <fix>)`. A missing
 * binary is one line with the `binaryPath` fix. `options` (tests): `binary`, `timeoutMs`.
 */
export async function collectDoctorWarnings({ cfg, env = process.env }, options = {}) {
  const lines = [];
  let missing = null;
  for (const accountId of listAccountIds(cfg)) {
    const account = resolveAccount(cfg, accountId);
    if (!account.enabled) continue;
    const where = accountPath(cfg, accountId);
    const ref = account.config.botToken;
    if (ref && typeof ref === "object" && ref.source !== "env") {
      // OpenClaw resolves such refs for a running gateway; a preview may leave them as they are.
      lines.push(`- ${where}: botToken is a "${ref.source}" SecretRef this preview did not resolve; skipping the connection check (the gateway's start runs it)`);
      continue;
    }
    const result = await runCheck(account, { cfg, env, ...options });
    if (result.missingBinary) {
      missing ??= `- channels.${CHANNEL_ID}: ${result.error} (fix: ${BINARY_FIX})`;
      continue;
    }
    if (result.error) {
      lines.push(`- ${where}: check: ${result.error}`);
      continue;
    }
    for (const finding of problems(result.report)) lines.push(`- ${where}: ${findingLine(finding)}`);
  }
  return missing ? [missing, ...lines] : lines;
}

export const doctor = {
  collectPreviewWarnings: (params) => collectDoctorWarnings(params),
};

// --- The setup wizard (`openclaw onboard`, `openclaw configure`) ---

const configured = ({ cfg, accountId }) => resolveAccount(cfg, accountId).configured;

/** The wizard's last step: `--check` on the config about to be written; its problems are shown
 * with their fixes. The config is written whatever it finds. */
async function finalize({ cfg, accountId, prompter }, options = {}) {
  const account = resolveAccount(cfg, accountId);
  const progress = prompter.progress?.("Checking Mattermost with openclaw-mattermost --check");
  const result = await runCheck(account, { cfg, ...options });
  const found = result.report ? problems(result.report) : [];
  const failed = Boolean(result.error) || result.report?.ok === false;
  progress?.stop(failed ? "Mattermost check found problems" : "Mattermost check passed");
  if (result.error) {
    const fix = result.missingBinary ? `\nfix: ${BINARY_FIX}` : "";
    await prompter.note(`${result.error}${fix}\nThe config is saved anyway.`, "Mattermost check");
  } else if (found.length > 0) {
    const lines = found.map((f) => `${f.status === "fail" ? "✗" : "!"} ${f.check}: ${f.message}${f.fix ? `\n    fix: ${f.fix}` : ""}`);
    if (failed) lines.push("The config is saved anyway; run `openclaw doctor` after fixing.");
    await prompter.note(lines.join("\n"), "Mattermost check");
  }
}

export const setupWizard = {
  channel: CHANNEL_ID,
  status: {
    configuredLabel: "configured",
    unconfiguredLabel: "needs server URL + bot token",
    configuredHint: "configured",
    unconfiguredHint: "needs setup",
    configuredScore: 2,
    unconfiguredScore: 1,
    resolveConfigured: ({ cfg, accountId }) => configured({ cfg, accountId }),
  },
  introNote: {
    title: "Mattermost bot token",
    lines: [
      "1) In Mattermost: System Console > Integrations > Bot Accounts (enable them), then",
      "   Integrations > Bot Accounts > Add Bot Account; copy its access token",
      "2) The server URL is the address you open Mattermost at, e.g. https://chat.example.com",
      "3) Add the bot to a team (and to the channels it should serve)",
      "4) This plugin runs the openclaw-mattermost bridge binary: on PATH, or binaryPath",
    ],
    shouldShow: ({ cfg, accountId }) => !configured({ cfg, accountId }),
  },
  envShortcut: {
    prompt: `${ENV_TOKEN} and ${ENV_URL} are set. Use them?`,
    preferredEnvVar: ENV_TOKEN,
    isAvailable: ({ cfg, accountId }) => {
      if ((accountId || DEFAULT_ACCOUNT_ID) !== DEFAULT_ACCOUNT_ID) return false;
      const own = ownBlock(cfg, accountId);
      const hasValues = Boolean(own.botToken) || Boolean(own.serverUrl ?? own.baseUrl);
      return Boolean(process.env[ENV_TOKEN]?.trim() && process.env[ENV_URL]?.trim()) && !hasValues;
    },
    apply: ({ cfg, accountId }) => applyAccountPatch(cfg, accountId, {}),
  },
  credentials: [
    {
      inputKey: "botToken",
      providerHint: CHANNEL_ID,
      credentialLabel: "Mattermost bot token",
      preferredEnvVar: ENV_TOKEN,
      envPrompt: `${ENV_TOKEN} is set. Use it?`,
      keepPrompt: "A Mattermost bot token is configured. Keep it?",
      inputPrompt: "Mattermost bot token",
      allowEnv: ({ accountId }) => (accountId || DEFAULT_ACCOUNT_ID) === DEFAULT_ACCOUNT_ID,
      inspect: ({ cfg, accountId }) => {
        const own = ownBlock(cfg, accountId);
        const isDefault = (accountId || DEFAULT_ACCOUNT_ID) === DEFAULT_ACCOUNT_ID;
        return {
          accountConfigured: configured({ cfg, accountId }),
          hasConfiguredValue: Boolean(own.botToken),
          resolvedValue: typeof own.botToken === "string" ? own.botToken : undefined,
          envValue: isDefault ? process.env[ENV_TOKEN]?.trim() || undefined : undefined,
        };
      },
      applyUseEnv: ({ cfg, accountId }) => applyAccountPatch(cfg, accountId, { botToken: undefined }),
      applySet: ({ cfg, accountId, value }) => applyAccountPatch(cfg, accountId, { botToken: value }),
    },
  ],
  textInputs: [
    {
      inputKey: "httpUrl",
      message: "Mattermost server URL",
      placeholder: "https://chat.example.com",
      required: true,
      currentValue: ({ cfg, accountId }) => resolveAccount(cfg, accountId).serverUrl,
      validate: ({ value }) => (normalizeServerUrl(value) ? undefined : "Give the address you open Mattermost at: https://host[:port][/path]"),
      normalizeValue: ({ value }) => normalizeServerUrl(value) ?? String(value).trim(),
      applySet: ({ cfg, accountId, value }) => applyAccountPatch(cfg, accountId, { [urlKey(cfg, accountId)]: value }),
    },
  ],
  dmPolicy: {
    label: "Mattermost",
    channel: CHANNEL_ID,
    policyKey: `channels.${CHANNEL_ID}.dmPolicy`,
    allowFromKey: `channels.${CHANNEL_ID}.allowFrom`,
    resolveConfigKeys: (cfg, accountId) => ({
      policyKey: `${accountPath(cfg, accountId)}.dmPolicy`,
      allowFromKey: `${accountPath(cfg, accountId)}.allowFrom`,
    }),
    getCurrent: (cfg, accountId) => resolveAccount(cfg, accountId).dmPolicy,
    setPolicy: (cfg, policy, accountId) => applyAccountPatch(cfg, accountId, { dmPolicy: policy }),
    async promptAllowFrom({ cfg, prompter, accountId }) {
      const current = resolveAccount(cfg, accountId).allowFrom;
      const raw = await prompter.text({
        message: "Mattermost users who may talk to the bot (user ids or @usernames, comma-separated)",
        placeholder: "@alice, 8xq3…(26-character id)",
        initialValue: current.join(", "),
        validate: (value) => {
          const bad = splitList(value).filter((e) => parseAllowEntry(e) === null);
          return bad.length ? `Not a user id or @username: ${bad.join(", ")}` : undefined;
        },
      });
      const entries = splitList(raw).map(parseAllowEntry).filter(Boolean);
      return applyAccountPatch(cfg, accountId, { allowFrom: entries });
    },
  },
  allowFrom: {
    helpTitle: "Who may talk to the bot",
    helpLines: [
      "User ids (Profile > Copy user ID, 26 characters) or @usernames;",
      "the bridge looks @usernames up when it starts. * lets everyone in.",
    ],
    credentialInputKey: "botToken",
    message: "Mattermost allowFrom (user ids or @usernames)",
    placeholder: "@alice, @bob",
    invalidWithoutCredentialNote: "Enter user ids or @usernames (the bridge resolves @usernames when it starts).",
    parseInputs: splitList,
    parseId: parseAllowEntry,
    resolveEntries: async ({ entries }) =>
      entries.map((input) => {
        const id = parseAllowEntry(input);
        return { input, resolved: id !== null, id };
      }),
    apply: ({ cfg, accountId, allowFrom }) =>
      applyAccountPatch(cfg, accountId, { allowFrom: allowFrom.map(parseAllowEntry).filter(Boolean) }),
  },
  finalize: (params) => finalize(params),
  disable: (cfg) => ({ ...cfg, channels: { ...cfg?.channels, [CHANNEL_ID]: { ...section(cfg), enabled: false } } }),
};

export { finalize as finalizeSetup };
