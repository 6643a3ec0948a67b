// OpenClaw plugin entry: registers the `mattermost` channel served by the openclaw-mattermost
// bridge binary. Plain object (what the SDK's defineChannelPluginEntry builds), so the plugin
// has no runtime dependency on the openclaw package.
import { dispatchSlash, interactionAccounts, mattermostPlugin, runtimeStore, slashAccounts, slashPairingReply } from "./src/channel.js";
import { createInteractionRoute, INTERACTIONS_PATH } from "./src/buttons.js";
import { callbackPaths, createSlashRoute } from "./src/slash.js";
import { resolveGatewayAuthBypassPaths } from "./gateway-auth-api.js";

mattermostPlugin.gateway.resolveGatewayAuthBypassPaths = resolveGatewayAuthBypassPaths;

export default {
  id: "mattermost-bridge",
  name: "Mattermost (openclaw-mattermost bridge)",
  description: "Mattermost channel served by the openclaw-mattermost Rust bridge",
  configSchema: { type: "object", additionalProperties: false, properties: {} },
  channelPlugin: mattermostPlugin,
  register(api) {
    if (api.registrationMode === "cli-metadata" || api.registrationMode === "tool-discovery") return;
    api.registerChannel({ plugin: mattermostPlugin });
    if (api.runtime) runtimeStore.runtime = api.runtime;
    // The slash command callbacks, as @openclaw/mattermost's registerFull: only in full mode,
    // one exact route per callback path, the command token checked by the route itself.
    if (api.registrationMode !== "full" || typeof api.registerHttpRoute !== "function") return;
    const log = (m) => (api.logger?.warn ?? console.warn)(m);
    const handler = createSlashRoute({
      accounts: () => slashAccounts.values(),
      dispatch: dispatchSlash,
      pairing: slashPairingReply,
      log,
    });
    for (const path of callbackPaths(api.config)) api.registerHttpRoute({ path, auth: "plugin", handler });
    // Button clicks: one prefix route, `/mattermost/interactions/<accountId>`; the route checks
    // the source address and the signed context itself.
    const clicks = createInteractionRoute({ account: (id) => interactionAccounts.get(id), log });
    api.registerHttpRoute({ path: INTERACTIONS_PATH, match: "prefix", auth: "plugin", handler: clicks });
  },
};

export { mattermostPlugin };
