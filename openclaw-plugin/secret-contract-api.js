// OpenClaw's secret contract for this channel, the same as @openclaw/mattermost declares: with
// it, OpenClaw's secrets runtime resolves a `botToken` SecretRef (sources `env`, `file`, `exec`,
// `store`), at the top level and per account, before the plugin starts an account, so the
// plugin only ever sees the token itself (which it hands the bridge through the child's
// environment, never its config text or argv). OpenClaw loads this file by its name from the
// plugin's folder, with its SDK; the plugin's own code does not import it.
import { createSimpleChannelSecretContract } from "openclaw/plugin-sdk/channel-secret-basic-runtime";

export const channelSecrets = createSimpleChannelSecretContract({
  channelKey: "mattermost",
  label: "Mattermost",
  accountFields: ["botToken"],
  channelFields: ["botToken"],
  mode: "account-inheritance",
});

export const { secretTargetRegistryEntries, collectRuntimeConfigAssignments } = channelSecrets;
