// OpenClaw's directory of this channel (`openclaw directory groups|peers list`, target lookup
// by name, the agent's conversation discovery), as @openclaw/mattermost 2026.9.5 lists it:
// - groups: the public and private channels of the bot, in every team, for the account asked
//   for or for every configured account (each once); a query keeps those whose name or display
//   name contains it, ignoring case;
// - peers: the people of the bot's team (the first of its teams, or `teamId`) but the bot, for
//   the account asked for or the first configured one; a query is the server's user search.
// The bridge reads Mattermost (`directory` request, docs/protocol.md): the account's running
// bridge where there is one (the gateway), else one run of the binary (`--directory`, the CLI).
// As in the JS plugin, an account that fails is left out of groups, and peers are then empty.
import { listAccountIds, resolveAccount } from "./config.js";
import { chatKind } from "./inbound.js";
import { runOnce } from "./once.js";

/** How long a one-shot listing may take (a team of thousands is a few dozen calls). */
const ONCE_TIMEOUT_MS = 60_000;
/** The most of a one-shot listing's output kept (10,000 users at most, a few hundred bytes each). */
const ONCE_MAX_OUTPUT = 16 << 20;

const lower = (value) => (typeof value === "string" ? value.trim().toLowerCase() : "");

/**
 * The `directory` adapter. `bridgeOf(accountId)`: the account's running bridge, or undefined
 * where none runs here; `options.once` replaces `runOnce` (tests).
 */
export function createDirectory(bridgeOf, options = {}) {
  const once = options.once ?? runOnce;

  /** The enabled, configured accounts: the one asked for, else all; each server and token once. */
  function accounts(cfg, accountId) {
    const ids = accountId?.trim() ? [accountId.trim()] : listAccountIds(cfg);
    const seen = new Set();
    const out = [];
    for (const id of ids) {
      const account = resolveAccount(cfg, id);
      if (!account.enabled || !account.configured) continue;
      const key = JSON.stringify([account.serverUrl, account.config.botToken ?? null]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(account);
    }
    return out;
  }

  async function list(cfg, account, kind, query) {
    const bridge = bridgeOf(account.accountId);
    if (bridge) return bridge.request("directory", { kind, ...(query ? { query } : {}) });
    const args = ["--directory", kind, ...(query ? ["--query", query] : [])];
    const res = await once(account, args, { cfg, timeoutMs: ONCE_TIMEOUT_MS, maxOutput: ONCE_MAX_OUTPUT });
    if (res.error) throw new Error(res.error);
    return res.output;
  }

  const limited = (entries, limit) => (limit && limit > 0 ? entries.slice(0, limit) : entries);

  async function listGroups({ cfg, accountId, query, limit }) {
    const q = lower(query);
    const seen = new Set();
    const entries = [];
    for (const account of accounts(cfg, accountId)) {
      let channels;
      try {
        ({ channels } = await list(cfg, account, "groups"));
      } catch (err) {
        console.debug?.(`[mattermost-directory] listGroups: skipping account ${account.accountId}: ${err.message}`);
        continue;
      }
      for (const ch of channels ?? []) {
        if (seen.has(ch.id)) continue;
        if (q && !lower(ch.name).includes(q) && !lower(ch.displayName).includes(q)) continue;
        seen.add(ch.id);
        // (a private channel is a "group" to OpenClaw, as the JS plugin maps Mattermost's types)
        entries.push({ kind: chatKind(ch.channelType), id: `channel:${ch.id}`, name: ch.name, handle: ch.displayName });
      }
    }
    return limited(entries, limit);
  }

  async function listPeers({ cfg, accountId, query, limit }) {
    const account = accounts(cfg, accountId)[0];
    if (!account) return [];
    let users;
    try {
      ({ users } = await list(cfg, account, "peers", lower(query)));
    } catch (err) {
      console.debug?.(`[mattermost-directory] listPeers failed: ${err.message}`);
      return [];
    }
    const entries = (users ?? []).map((u) => ({
      kind: "user",
      id: `user:${u.id}`,
      name: u.username,
      handle: [u.firstName, u.lastName].filter(Boolean).join(" ").trim() || u.nickname || undefined,
    }));
    return limited(entries, limit);
  }

  return { listGroups, listGroupsLive: listGroups, listPeers, listPeersLive: listPeers };
}
