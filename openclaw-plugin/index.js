// OpenClaw plugin entry: registers the `mattermost` channel served by the openclaw-mattermost
// bridge binary. Plain object (what the SDK's defineChannelPluginEntry builds), so the plugin
// has no runtime dependency on the openclaw package.
import { mattermostPlugin, runtimeStore } from "./src/channel.js";

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
  },
};

export { mattermostPlugin };
