// OpenClaw's setup entry (package.json `openclaw.setupEntry`): the channel as `openclaw onboard`,
// `configure`, `channels add` and `doctor` need it, without the runtime. Importing it starts
// nothing: no bridge, no timer.
import { channelBase } from "./src/base.js";
import { doctor, setupContract, setupWizard } from "./src/setup.js";

export const mattermostSetupPlugin = { ...channelBase, setupContract, setupWizard, doctor };

export default { plugin: mattermostSetupPlugin };
