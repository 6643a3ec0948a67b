// What the channel is, shared by the full plugin (channel.js) and the light setup plugin
// (setup-entry.js): its id, labels, capabilities and how accounts are read from the config.
import { CHANNEL_ID, DEFAULT_ACCOUNT_ID, listAccountIds, resolveAccount } from "./config.js";

export const channelBase = {
  id: CHANNEL_ID,
  meta: {
    id: CHANNEL_ID,
    label: "Mattermost",
    selectionLabel: "Mattermost (openclaw-mattermost bridge)",
    detailLabel: "Mattermost",
    docsPath: "/channels/mattermost",
    docsLabel: "mattermost",
    blurb: "Self-hosted Mattermost through the openclaw-mattermost bridge binary.",
    markdownCapable: true,
  },
  capabilities: {
    chatTypes: ["direct", "group", "channel", "thread"],
    reactions: true,
    edit: true,
    reply: true,
    threads: true,
    media: true,
  },
  // OpenClaw's config reload: an edit under channels.mattermost restarts this channel only (the
  // changed account alone), as for @openclaw/mattermost. `messages.inbound` is not a no-op here
  // as it is there: the debounce time is read when the account starts, so an edit restarts it.
  reload: { configPrefixes: ["channels.mattermost"], accountScopedRestart: true },
  config: {
    listAccountIds,
    resolveAccount,
    defaultAccountId: (cfg) => cfg?.channels?.[CHANNEL_ID]?.defaultAccount ?? DEFAULT_ACCOUNT_ID,
    inspectAccount(cfg, accountId) {
      const a = resolveAccount(cfg, accountId);
      return { enabled: a.enabled, configured: a.configured, tokenStatus: a.configured ? "available" : "missing" };
    },
    isEnabled: (account) => account.enabled,
    isConfigured: (account) => account.configured,
    unconfiguredReason: () => "set channels.mattermost.serverUrl and botToken (or MATTERMOST_URL / MATTERMOST_BOT_TOKEN)",
    describeAccount: (account) => ({
      accountId: account.accountId,
      name: account.name,
      enabled: account.enabled,
      configured: account.configured,
    }),
    resolveAllowFrom: ({ cfg, accountId }) => resolveAccount(cfg, accountId).allowFrom,
  },
};
