// The differential end-to-end suite (issue 15): every scenario of scenarios.mjs runs in a real
// OpenClaw gateway twice, once with OpenClaw's own plugin @openclaw/mattermost (installed from
// npm with `openclaw plugins install`) and once with ours (this folder, the release bridge on
// PATH), with the same `channels.mattermost` block. Each phase (one channel config) starts
// clean: a fresh fake Mattermost and echo model, OpenClaw's sessions and stores as right after
// the install, no bridge state, so nothing of one phase reaches the next. For each scenario it
// records what the agent received (the user and tool messages of each turn the echo model was
// sent), what the bot posted (the fake's state) and its reactions, prints both side by side and
// fails where ours differs, except for the rows scenarios.mjs `DIFFERENCES` lists with a reason.
//
// Run through e2e/run.sh (E2E_DIFF=0 skips it), or alone once run.sh has installed OpenClaw:
// E2E_DIR=<that folder> node e2e/diff.mjs. E2E_DIFF_ONLY=<substring>[|<substring>…] runs only
// the matching scenarios; E2E_DIFF_PLUGINS=js or ours runs one side (no comparison).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BRIDGE_BIN, eventually, sleep, startFake } from "../test/helpers.js";
import { gatewayConfig, openclawCli, openclawPaths, startEcho, startGateway } from "./gateway.mjs";
import { freePortWith } from "./ports.mjs";
import { CONFIG_DIFFERENCES, DIFFERENCES, PHASE_OPENCLAW, PHASES, SCENARIOS } from "./scenarios.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PLUGIN_DIR = resolve(HERE, "..");
const WORK = process.env.E2E_DIR;
if (!WORK) throw new Error("E2E_DIR is not set: start the differential suite with e2e/run.sh");
/** OpenClaw's own Mattermost plugin, the reference. */
export const JS_PLUGIN = "@openclaw/mattermost@2026.9.5";
/** How long a scenario waits for a first effect. */
// (a gateway's first turn is slow: the agent's session and model catalog warm up)
const FIRST_EFFECT_MS = { reply: 30_000, none: 8_000, firstReply: 60_000 };
/**
 * How long everything must stay quiet after the last change: QUIET_MS in general, SETTLED_MS
 * once what the row is known to bring has come (every echo answer of the row complete and its
 * end shown in a bot post, no CLI still running).
 */
const QUIET_MS = 6_000;
const SETTLED_MS = 2_000;
const BOB_DM = "dmbob000000000000000000001";
/** Another bot user of the fake's world (crates/fake-mattermost state/world.rs). */
const OTHER_BOT = "helperbot00000000000000001";
/**
 * OpenClaw's switches for the gateway's side services no row uses (its own test setups set
 * them): the mail watcher, cron, the canvas and browser-control servers, mDNS, the model
 * catalog's warm-up and the update check. Both plugins run with them; a gateway start takes
 * about 18 s instead of 30 here (measured 2026-12-01 with one row of phase dms), and there are
 * twenty of them in a run. run.mjs, the install test, runs the gateway as users do.
 */
const QUIET_GATEWAY = {
  OPENCLAW_SKIP_GMAIL_WATCHER: "1",
  OPENCLAW_SKIP_CRON: "1",
  OPENCLAW_SKIP_CANVAS_HOST: "1",
  OPENCLAW_SKIP_BROWSER_CONTROL_SERVER: "1",
  OPENCLAW_DISABLE_BONJOUR: "1",
  OPENCLAW_SKIP_STARTUP_MODEL_PREWARM: "1",
  OPENCLAW_NO_AUTO_UPDATE: "1",
};
/** What OpenClaw's state folder holds per conversation: removed before each phase. */
const PER_RUN_STATE = ["agents", "state", "credentials", "media", "mattermost-state.json"];

function log(m) {
  console.log(`[diff] ${m}`);
}

/**
 * The `channels.mattermost` block both plugins get: only keys of the JS plugin's schema, plus
 * the scenarios.mjs `CONFIG_DIFFERENCES` of `kind`. A phase is an object or a function of the
 * fake's fixture ids.
 */
function channelConfig(kind, info, phase) {
  const extra = CONFIG_DIFFERENCES.filter((d) => d.plugin === kind).map((d) => [d.key, d.value(info)]);
  const phaseConfig = typeof PHASES[phase] === "function" ? PHASES[phase](info) : PHASES[phase];
  return {
    enabled: true,
    baseUrl: info.url,
    botToken: "${E2E_MM_TOKEN}",
    dmPolicy: "pairing",
    allowFrom: [info.aliceId],
    // The JS plugin refuses a server on a private address without it; ours ignores it.
    network: { dangerouslyAllowPrivateNetwork: true },
    ...phaseConfig,
    ...Object.fromEntries(extra),
  };
}

/**
 * Names for what differs between two runs: the fixture's ids by name, other ids (posts) by
 * first appearance in the scenario, times and pairing codes by a placeholder.
 */
class Namer {
  constructor(known) {
    this.known = new Map(Object.entries(known).map(([name, id]) => [id, name]));
    this.posts = new Map();
  }
  id(id) {
    if (this.known.has(id)) return this.known.get(id);
    if (!this.posts.has(id)) this.posts.set(id, `post${this.posts.size + 1}`);
    return this.posts.get(id);
  }
  text(s) {
    return String(s)
      .replace(/(?<![a-z0-9])[a-z0-9]{26}(?![a-z0-9])/g, (id) => this.id(id))
      .replace(/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| UTC| GMT[+-]?\d*)?/g, "<time>")
      .replace(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) <time>/g, "<time>")
      .replace(/\b1\d{12}\b/g, "<ms>")
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<uuid>")
      .replace(/\/diff-(js|ours)\//g, "/diff-<plugin>/")
      .replace(/(EXTERNAL_UNTRUSTED_CONTENT id=)"[0-9a-f]+"/g, '$1"<id>"')
      .replace(/(Pairing code:\s*```\s*)[A-Za-z0-9-]+/g, "$1<code>")
      .replace(/(pairing approve mattermost )[A-Za-z0-9-]+/g, "$1<code>");
  }
}

/**
 * OpenClaw's context blocks carry JSON string literals (a line `"..."` holding a JSON block):
 * shown decoded, one field a line.
 */
function readable(text) {
  return text
    .split("\n")
    .map((line) => {
      if (!/^".*"$/.test(line)) return line;
      try {
        return JSON.parse(line).replace(/```json\n(\{.*\})\n```/g, (_, json) => {
          try {
            return JSON.stringify(JSON.parse(json), null, 1);
          } catch {
            return json;
          }
        });
      } catch {
        return line;
      }
    })
    .join("\n");
}

/** A post as the table shows and compares it (with `edits`, whether it was edited: streaming rows). */
function describePost(p, names, { edits = false } = {}, rowPosts = []) {
  const where = names.id(p.channel_id) + (p.root_id ? ` thread ${names.id(p.root_id)}` : "");
  const flags = [
    p.delete_at ? "deleted" : "",
    edits && p.edit_at ? "edited" : "",
    p.file_ids?.length ? `${p.file_ids.length} file(s)` : "",
  ].filter(Boolean);
  // A deleted preview of a post the row made afterwards stopped wherever the answer overtook
  // it, which is timing on either side: shown as what it was, not by its last text.
  const previewOf = p.delete_at && p.message && rowPosts.find((q) => !q.delete_at && q.id !== p.id && q.message.startsWith(p.message) && q.message !== p.message);
  const message = previewOf ? `[a preview of the later post "${abbreviate(previewOf.message).split("\n")[0]}"]` : p.delete_at ? deletedText(p.message) : p.message;
  return { where, message: names.text(message), flags };
}

/**
 * A deleted post's text: a long one was a preview, whose last edit before the deletion depends
 * on timing on both sides (how many throttled edits landed before the answer's own posts), so
 * only its start and whether it kept to OpenClaw's 4000-character preview cap are compared.
 */
function deletedText(text) {
  if (text.length <= 300) return text;
  return `${text.slice(0, 120)}\n  […]\n  [${text.length <= 4000 ? "at most 4000" : `${text.length}, over 4000`} characters]`;
}

/** A fresh fake Mattermost with the suite's fixture (bob's DM with the bot). */
async function startWorld() {
  const fake = await startFake();
  const { info } = fake;
  const [a, b] = [info.botId, info.bobId].sort();
  await fake.cmd({ cmd: "addChannel", id: BOB_DM, kind: "D", name: `${a}__${b}`, displayName: "bob" });
  return fake;
}

async function runPlugin(kind, scenarios) {
  const dir = join(WORK, `diff-${kind}`);
  const home = join(dir, "home");
  const state = join(home, ".openclaw");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(state, { recursive: true, mode: 0o700 });
  const ids = {
    bot: "openclawbot000000000000001",
    alice: "alice000000000000000000001",
    bob: "bob00000000000000000000001",
    helperbot: OTHER_BOT,
    team: "teamacme000000000000000001",
    "other-team": "teamother00000000000000001",
    "town-square": "townsquare0000000000000001",
    "off-topic": "offtopic000000000000000001",
    "group-dm": "groupchat00000000000000001",
    "dm-alice": "dmalice0000000000000000001",
    "dm-bob": BOB_DM,
  };
  const env = { ...process.env, HOME: home, RUST_LOG: process.env.RUST_LOG ?? "info", ...QUIET_GATEWAY };
  for (const name of ["OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH", "OPENCLAW_HOME", "OPENCLAW_PROFILE"]) delete env[name];
  // npm's download cache (run.sh's), for `openclaw plugins install`
  if (process.env.E2E_NPM_CACHE) env.npm_config_cache = process.env.E2E_NPM_CACHE;
  if (kind === "ours") env.PATH = `${dirname(BRIDGE_BIN)}${delimiter}${env.PATH ?? ""}`;
  const oc = { ...openclawPaths(WORK), env };
  const configPath = join(state, "openclaw.json");
  let installed = {};
  let plugins;
  if (kind === "js") {
    const t = Date.now();
    const out = await openclawCli(oc, ["plugins", "install", JS_PLUGIN, "--force"]);
    if (!/Installed plugin: mattermost/.test(out)) throw new Error(`openclaw plugins install ${JS_PLUGIN} said:\n${out}`);
    installed = JSON.parse(readFileSync(configPath, "utf8"));
    plugins = installed.plugins;
    log(`js: openclaw plugins install ${JS_PLUGIN} (from npm) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  } else {
    plugins = { load: { paths: [PLUGIN_DIR] }, entries: { "mattermost-bridge": { enabled: true } } };
  }
  // OpenClaw's stores as the install left them: each phase starts from this copy.
  const template = join(dir, "state-template");
  for (const name of PER_RUN_STATE) {
    if (existsSync(join(state, name))) cpSync(join(state, name), join(template, name), { recursive: true });
  }
  const cleanState = () => {
    for (const name of PER_RUN_STATE) {
      rmSync(join(state, name), { recursive: true, force: true });
      if (existsSync(join(template, name))) cpSync(join(template, name), join(state, name), { recursive: true });
    }
  };

  const results = new Map();
  const gatewayLog = [];
  let gateway = null;
  let fake = null;
  let echo = null;
  try {
    for (const phase of [...new Set(scenarios.map((s) => s.phase))]) {
      cleanState();
      [fake, echo] = await Promise.all([startWorld(), startEcho({ log: Boolean(process.env.E2E_VERBOSE) })]);
      const { info } = fake;
      const port = await freePortWith([2]);
      const channel = channelConfig(kind, info, phase);
      // OpenClaw's own keys of the phase beside the channel's (scenarios.mjs PHASE_OPENCLAW).
      // (a phase's `gateway` keys, e.g. its auth, go over the common ones)
      const { channels: otherChannels, gateway: gatewayKeys, ...openclaw } = PHASE_OPENCLAW[phase] ?? {};
      const common = gatewayConfig({ port, echoUrl: echo.url });
      common.gateway = { ...common.gateway, ...gatewayKeys };
      writeFileSync(
        configPath,
        JSON.stringify({ ...installed, ...openclaw, ...common, plugins, channels: { ...otherChannels, mattermost: channel } }, null, 2),
      );
      const phaseEnv = { ...env, E2E_MM_TOKEN: info.token };
      // The CLI's credentials for a gateway with token auth.
      if (common.gateway.auth?.token) phaseEnv.OPENCLAW_GATEWAY_TOKEN = common.gateway.auth.token;
      const phaseOc = { ...oc, env: phaseEnv };
      const echoSeen = async () => (await (await fetch(`${echo.url}/_seen`)).json());
      const botPosts = async () => (await fake.posts()).filter((p) => p.user_id === info.botId);
      const botReactions = async () => (await fake.cmd({ cmd: "reactions" })).reactions.filter((r) => r.user_id === info.botId);
      const connections = async () => (await fake.requests()).filter((r) => r.path.startsWith("/api/v4/websocket")).length;
      const up = async (what) => {
        const before = await connections();
        const t = Date.now();
        gateway = startGateway({ ...phaseOc, port, lines: gatewayLog, label: `${kind}-gateway` });
        await eventually(
          async () => {
            if (gateway.exited()) throw new Error(`gateway exited ${JSON.stringify(gateway.exited())}`);
            return (await connections()) > before;
          },
          { timeoutMs: 240_000, what: `the ${kind} plugin connecting to the fake Mattermost` },
        );
        // (the WebSocket's authentication and the plugin's start-up calls)
        await sleep(2000);
        log(`${kind}: phase ${phase}: ${what}, plugin connected in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      };
      await up("gateway up");
      let firstOfPhase = true;
      for (const scenario of scenarios.filter((s) => s.phase === phase)) {
        const names = new Namer(ids);
        const seenBefore = (await echoSeen()).length;
        const postsBefore = new Map((await botPosts()).map((p) => [p.id, JSON.stringify(p)]));
        const reactionsBefore = new Set((await botReactions()).map((r) => JSON.stringify(r)));
        const errors = [];
        // What a row notes beside posts and turns: slash commands' answers and registrations.
        const noted = [];
        let running = 0;
        const track = async (promise) => {
          running++;
          try {
            return await promise;
          } finally {
            running--;
          }
        };
        const signature = async () => JSON.stringify([await echoSeen(), await botPosts(), await botReactions()]);
        // Everything the row is known to bring has come: no CLI call running, every echo answer
        // of the row complete and its end in one of the bot's posts.
        const settled = async () => {
          if (running) return false;
          const seen = (await echoSeen()).slice(seenBefore);
          if (seen.some((s) => !s.done)) return false;
          const texts = (await botPosts()).map((p) => p.message);
          // (a post ends with the answer's end, or holds it before a line break: an answer
          // whose end is also inside a longer answer must not count as shown)
          const shown = (reply) => {
            const tail = reply.trim().slice(-12);
            return texts.some((t) => t.trimEnd().endsWith(tail) || t.includes(`${tail}\n`));
          };
          return seen.every((s) => s.reply === null || shown(s.reply));
        };
        // The row's last step and the state before it: the row ends once that step's effects
        // settled (a step of a row with several: a post, a send, a CLI call, a reaction).
        let last = { signature: await signature(), at: Date.now() };
        const step = async (action) => {
          last = { signature: await signature(), at: Date.now() };
          return action();
        };
        const cli = (args) => step(() => track(openclawCli(phaseOc, args)));
        const liveCommands = async () => (await fake.cmd({ cmd: "commands" })).commands.filter((c) => !c.delete_at && c.creator_id === info.botId);
        // A click on `post`'s action `actionId` (named `label` in the notes): notes the answer,
        // then the post once the click changed it, and waits for the click's turn (`turn`).
        const click = async (who, post, actionId, label, { turn }) => {
          const turnsBefore = (await echoSeen()).length;
          // (the answer itself differs on purpose: the JS plugin answers {} after a REST update
          // of the post, ours carries the update in the answer; what users see is the post)
          const answer = await step(() => fake.cmd({ cmd: "clickButton", userId: ids[who], postId: post.id, actionId })).then(
            (clicked) => (clicked.response?.ephemeral_text ? `ephemeral ${JSON.stringify(clicked.response.ephemeral_text)}` : "answered"),
            (e) => `failed: ${e.message}`,
          );
          noted.push(names.text(`${who} clicked ${label}: ${answer}`));
          const shown = (p) => (p?.props?.attachments ?? []).map((a) => `${JSON.stringify(a.text ?? "")} (${(a.actions ?? []).length} button(s)${(a.actions ?? []).map((x, i) => `${i ? "," : ":"} ${x.name}`).join("")})`);
          const before = JSON.stringify(post);
          if (answer.startsWith("failed")) {
            // A refused click changes nothing and starts no turn: nothing to wait for; the
            // post as it is now shows whether it kept its buttons.
            const now = (await botPosts()).find((p) => p.id === post.id);
            const state = JSON.stringify(now) === before ? "unchanged" : "changed";
            noted.push(names.text(`after the click ${names.id(post.id)} is ${state}: reads ${JSON.stringify(now?.message)} with ${shown(now).join(", ") || "no attachments"}`));
            return;
          }
          // (the JS plugin updates a model picker's post after the model switch, once it
          // answered the click)
          const after = await eventually(async () => (await botPosts()).find((p) => p.id === post.id && JSON.stringify(p) !== before), { timeoutMs: 30_000, what: "the post updated by the click" }).catch(() => null);
          noted.push(names.text(`after the click ${names.id(post.id)} reads ${JSON.stringify(after?.message ?? "(not updated)")} with ${shown(after).join(", ") || "no attachments"}`));
          // (a click is answered before its turn is dispatched: the row waits for the turn to
          // start, up to 30 s, before it settles; a side with no turn shows none)
          if (turn) await eventually(async () => (await echoSeen()).length > turnsBefore, { timeoutMs: 30_000, what: "the click's turn" }).catch(() => null);
        };
        const ctx = {
          ids: { ...info, dmBob: BOB_DM, otherBot: OTHER_BOT, otherTeamId: ids["other-team"] },
          post: async (who, channelId, message, extra = {}) => {
            const id = await step(() => fake.post(ids[who], channelId, message, extra));
            names.id(id);
            return id;
          },
          send: (target, message) =>
            cli(["message", "send", "--channel", "mattermost", "--target", target, "--message", message]).catch((e) =>
              errors.push(names.text(cliError(e.message))),
            ),
          /** Runs an `openclaw` CLI command; resolves its output (or notes its error). */
          cli: (args) => cli(args).catch((e) => void errors.push(names.text(cliError(e.message)))),
          /** Notes a line of what the row saw (compared like the rest). */
          note: (text) => noted.push(names.text(text)),
          react: (who, postId, emoji) => step(() => fake.cmd({ cmd: "react", userId: ids[who], postId, emoji })),
          fault: (method, path, status, times = 1) => fake.cmd({ cmd: "fault", method, path, status, times }),
          addFile: (id, name, text) => fake.cmd({ cmd: "addFile", id, name, text }),
          botPosts,
          /**
           * Runs a slash command as `who` in `channelId` (the fake's ExecuteCommand; `teamId`
           * for a DM, as a client sends its current team); notes the answer or the error.
           */
          command: async (who, channelId, text, teamId) => {
            const answer = await step(() => fake.cmd({ cmd: "runCommand", userId: ids[who], channelId, text, teamId })).then(
              (run) => JSON.stringify(run.response),
              (e) => `failed: ${e.message}`,
            );
            noted.push(names.text(`${text} by ${who}: ${answer}`));
          },
          /**
           * Waits for the bot's newest post with interactive buttons, notes its buttons (the
           * text, each action's id, name and style) and has `who` click the one named `label`
           * (the fake's DoPostAction); notes the answer or the error, and the post once the
           * click changed it. Resolves the post's id. `turn: false`: a click that starts no
           * agent turn (the model picker's), not waited for.
           */
          clickButton: async (who, label, { turn = true } = {}) => {
            const withButtons = async () => (await botPosts()).findLast((p) => !p.delete_at && p.props?.attachments?.some((a) => a.actions?.some((x) => x.name === label)));
            const post = await eventually(withButtons, { timeoutMs: 60_000, what: `the ${kind} plugin's post with a button ${label}` });
            for (const a of post.props.attachments) {
              const actions = (a.actions ?? []).map((x) => `${x.id}:${x.name}:${x.style ?? ""}:${x.type}`);
              noted.push(names.text(`buttons on ${names.id(post.id)}: text ${JSON.stringify(a.text ?? "")} actions ${actions.join(" ")}`));
            }
            const action = post.props.attachments.flatMap((a) => a.actions ?? []).find((x) => x.name === label);
            await click(who, post, action.id, label, { turn });
            return post.id;
          },
          /**
           * Has `who` click the action `actionId` of the bot's post `postId` as it is now (e.g.
           * one an earlier click removed: the server refuses it); notes as clickButton does.
           */
          clickAction: async (who, postId, actionId) => {
            const post = (await botPosts()).find((p) => p.id === postId);
            await click(who, post, actionId, actionId, { turn: true });
          },
          /** The bot's slash commands the fake holds now (not deleted), as it lists them. */
          liveCommands,
          /** Every command the fake holds (deleted ones with `delete_at`), anyone's. */
          allCommands: async () => (await fake.cmd({ cmd: "commands" })).commands,
          /** A command `who` made in `teamId` (as another integration or a killed run leaves one). */
          addCommand: async (who, teamId, trigger, url) => (await fake.cmd({ cmd: "addCommand", creatorId: ids[who], teamId, trigger, url })).command,
          /**
           * Waits until the bot's slash commands are registered; notes them, one line each
           * (`note: false`: only waits).
           */
          registered: async ({ note = true } = {}) => {
            await eventually(async () => (await liveCommands()).length > 0, { timeoutMs: 90_000, what: `the ${kind} plugin's slash commands` });
            // (registration goes team by team: settled once the count holds for a while)
            let count = 0;
            for (let same = 0; same < 4; await sleep(500)) {
              const now = (await liveCommands()).length;
              same = now === count ? same + 1 : 0;
              count = now;
            }
            if (!note) return;
            const lines = (await liveCommands()).map(
              (c) =>
                `${names.id(c.team_id)} /${c.trigger} ${c.method} ${c.url.replace(/:\d+\//, ":<port>/")} auto=${c.auto_complete} hint=${JSON.stringify(c.auto_complete_hint)} ${JSON.stringify(c.description)}`,
            );
            noted.push(...lines.sort());
          },
          /** Stops the gateway, runs `meanwhile`, starts it again (same config and stores). */
          restart: async (meanwhile) => {
            await gateway.stop();
            await meanwhile();
            await up("gateway restarted");
          },
        };
        // Waits for a first effect since `from` (or gives up), then until nothing changes for a while.
        const settle = async (from, t0, expect) => {
          let last = await signature();
          let lastChange = last !== from ? Date.now() : null;
          for (;;) {
            if (lastChange) {
              const quiet = Date.now() - lastChange;
              if (quiet >= QUIET_MS || (quiet >= SETTLED_MS && (await settled()))) return;
            } else if (Date.now() - t0 >= FIRST_EFFECT_MS[expect]) return;
            await sleep(250);
            const now = await signature();
            if (now !== last) [last, lastChange] = [now, Date.now()];
          }
        };
        // For a scenario of several steps: the effects of what it did so far, settled.
        // (called right after a step, before its effects can have come)
        ctx.settle = async (expect = "reply") => settle(await signature(), Date.now(), expect);
        const t0 = Date.now();
        await scenario.run(ctx);
        await settle(last.signature, last.at, scenario.expect === "reply" && firstOfPhase ? "firstReply" : scenario.expect);
        firstOfPhase = false;
        const agent = (await echoSeen())
          .slice(seenBefore)
          .map((s) => s.turn.map((text) => names.text(readable(text))).join("\n"));
        const changed = (await botPosts()).filter((p) => postsBefore.get(p.id) !== JSON.stringify(p));
        const posted = changed.map((p) => describePost(p, names, scenario, changed));
        const reacted = (await botReactions())
          .filter((r) => !reactionsBefore.has(JSON.stringify(r)))
          .map((r) => `:${r.emoji_name}: on ${names.id(r.post_id)}`);
        results.set(scenario.name, { agent, posted, reacted, errors, noted });
        log(
          `${kind}: ${scenario.name}: ${agent.length} agent turn(s), ${posted.length} post(s)${reacted.length ? `, ${reacted.length} reaction(s)` : ""}${errors.length ? `, ${errors.length} error(s)` : ""} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
        );
      }
      await gateway.stop();
      echo.child.kill();
      await fake.stop();
      [gateway, echo, fake] = [null, null, null];
    }
  } catch (err) {
    console.error(`[diff] ${kind}: ${err.message}\n[diff] last gateway output:\n${gatewayLog.slice(-40).join("\n")}`);
    throw err;
  } finally {
    await gateway?.stop();
    echo?.child.kill();
    await fake?.stop();
  }
  return results;
}

/** What a failed `openclaw` CLI run said, in short: its last line that names an error. */
function cliError(message) {
  const lines = message
    .split("\n")
    .slice(1)
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, "").trim())
    .filter(Boolean);
  return lines.findLast((l) => /error|fail|not |invalid|unknown|refus/i.test(l)) ?? lines.at(-1) ?? message;
}

/** The lines one side shows for one scenario. */
function sideLines(result) {
  if (!result) return ["(not run)"];
  const lines = [];
  if (result.agent.length === 0) lines.push("agent: nothing");
  for (const [i, text] of result.agent.entries()) {
    lines.push(`agent turn ${i + 1}:`);
    for (const l of text.split("\n")) lines.push(`  ${l}`);
  }
  if (result.posted.length === 0) lines.push("posted: nothing");
  for (const p of result.posted) {
    lines.push(`posted in ${p.where}${p.flags.length ? ` (${p.flags.join(", ")})` : ""}:`);
    for (const l of abbreviate(p.message).split("\n")) lines.push(`  ${l}`);
  }
  for (const r of result.reacted ?? []) lines.push(`reacted: ${r}`);
  for (const e of result.errors) lines.push(`failed: ${e}`);
  for (const n of result.noted ?? []) lines.push(`noted: ${n}`);
  return lines;
}

/** A long text as its start, its end and its length. */
function abbreviate(text) {
  if (text.length <= 300) return text;
  return `${text.slice(0, 120)}\n  […]\n${text.slice(-60)}\n  [${text.length} characters]`;
}

function wrap(line, width) {
  const out = [];
  for (let rest = line; ; rest = `    ${rest.slice(width)}`) {
    out.push(rest.slice(0, width));
    if (rest.length <= width) return out;
  }
}

function sideBySide(left, right, width) {
  const l = left.flatMap((x) => wrap(x, width));
  const r = right.flatMap((x) => wrap(x, width));
  const out = [];
  for (let i = 0; i < Math.max(l.length, r.length); i++) out.push(`${(l[i] ?? "").padEnd(width)} │ ${r[i] ?? ""}`);
  return out;
}

async function main() {
  const unknown = Object.keys(DIFFERENCES).filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length) throw new Error(`scenarios.mjs DIFFERENCES names no scenario: ${unknown.join(", ")}`);
  const only = process.env.E2E_DIFF_ONLY?.split("|");
  const scenarios = SCENARIOS.filter((s) => !only || only.some((part) => s.name.includes(part)));
  const sides = (process.env.E2E_DIFF_PLUGINS ?? "js,ours").split(",");
  const t = Date.now();
  const results = {};
  // Both sides at once, each with its own fake, echo model, gateway and HOME (most of a
  // scenario's time is waiting: together they take little longer than one).
  const runs = await Promise.all(sides.map((kind) => runPlugin(kind, scenarios)));
  sides.forEach((kind, i) => (results[kind] = runs[i]));
  const width = Number(process.env.E2E_DIFF_WIDTH ?? 78);
  let failed = 0;
  const summary = [];
  for (const d of CONFIG_DIFFERENCES) console.log(`[diff] config: only ${d.plugin} gets ${d.key}: until ${d.until}`);
  console.log(`\n${"@openclaw/mattermost 2026.9.5".padEnd(width)} │ ours`);
  for (const s of scenarios) {
    const js = results.js?.get(s.name);
    const ours = results.ours?.get(s.name);
    const same = js && ours && JSON.stringify(js) === JSON.stringify(ours);
    const known = DIFFERENCES[s.name];
    let verdict;
    if (!js || !ours) verdict = "one side only";
    else if (same && known) verdict = `SAME, but listed in DIFFERENCES (${known.until ? `until ${known.until}` : "deliberate"}): remove the entry`;
    else if (same) verdict = "same";
    else if (known?.deliberate) verdict = `differs, deliberately: ${known.deliberate}`;
    else if (known?.until) verdict = `differs, expected until ${known.until}`;
    else {
      verdict = "DIFFERS (not listed in DIFFERENCES)";
      failed++;
    }
    const short = verdict.length > 110 ? `${verdict.slice(0, 109)}…` : verdict;
    summary.push(`${verdict === "same" ? "  " : verdict.startsWith("DIFFERS") ? "✗ " : "~ "}${s.name}: ${short}`);
    console.log(`\n${"═".repeat(width)}═╪═${"═".repeat(width)}\n${s.name} [${s.phase}] — ${verdict}\n${"─".repeat(width)}─┼─${"─".repeat(width)}`);
    for (const line of sideBySide(sideLines(js), sideLines(ours), width)) console.log(line);
  }
  console.log(`\n[diff] summary (${scenarios.length} scenarios, ${((Date.now() - t) / 1000).toFixed(0)} s):\n${summary.join("\n")}`);
  const out = join(WORK, "diff-results.json");
  writeFileSync(
    out,
    JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, m]) => [k, Object.fromEntries(m)])), null, 2),
  );
  if (failed) {
    console.error(`[diff] FAIL: ${failed} scenario(s) differ from ${JS_PLUGIN} without a reason in scenarios.mjs DIFFERENCES`);
    process.exitCode = 1;
  } else log("PASS");
}

main().catch((err) => {
  console.error(`[diff] FAIL: ${err.stack ?? err.message}`);
  process.exitCode = 1;
});
