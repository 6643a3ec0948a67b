// Test support: the fake Mattermost program, the real bridge binary, a recording OpenClaw
// runtime, and a running account.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startAccount } from "../src/channel.js";
import { tempDir } from "./tmp.js";

export { tempDir };

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export const BRIDGE_BIN =
  process.env.OPENCLAW_MATTERMOST_BIN ?? join(REPO, "target", "release", "openclaw-mattermost");
export const FAKE_BIN =
  process.env.FAKE_MATTERMOST_BIN ?? join(REPO, "target", "release", "examples", "fake_mattermost");

for (const [what, path] of [
  ["bridge", BRIDGE_BIN],
  ["fake server", FAKE_BIN],
]) {
  if (!existsSync(path)) {
    throw new Error(
      `${what} binary missing at ${path}: run \`cargo build --release --bin openclaw-mattermost --example fake_mattermost\``,
    );
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
export async function eventually(check, { timeoutMs = 10_000, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/** The fake Mattermost server (examples/fake_mattermost.rs), scripted over its stdin. */
export async function startFake() {
  const child = spawn(FAKE_BIN, [], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  let first;
  const hello = new Promise((r) => (first = r));
  lines.on("line", (line) => {
    const msg = JSON.parse(line);
    if (first) {
      first(msg);
      first = null;
    } else queue.shift()?.(msg);
  });
  const info = await hello;
  const cmd = (command) =>
    new Promise((resolve, reject) => {
      queue.push((answer) => (answer.ok ? resolve(answer) : reject(new Error(answer.error))));
      child.stdin.write(`${JSON.stringify(command)}\n`);
    });
  return {
    info,
    cmd,
    post: async (userId, channelId, message, extra = {}) =>
      (await cmd({ cmd: "post", userId, channelId, message, ...extra })).id,
    posts: async () => (await cmd({ cmd: "posts" })).posts,
    botPosts: async () => (await cmd({ cmd: "posts" })).posts.filter((p) => p.user_id === info.botId),
    requests: async () => (await cmd({ cmd: "requests" })).requests,
    stop: () => {
      child.stdin.end();
      return new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
    },
  };
}

/** A bridge stand-in that records requests and answers `send` with post ids. */
export function recordingBridge() {
  const requests = [];
  let n = 0;
  return {
    requests,
    request: async (method, params) => {
      requests.push([method, params]);
      return method === "send" ? { channelId: params.channelId, postIds: [`post${++n}`] } : { ok: true };
    },
  };
}

/**
 * A stand-in for OpenClaw's text helpers (`runtime.channel.text`) that records each call. It
 * reads the settings where OpenClaw does (the channel's top-level keys; `defaultTableMode` is
 * what the plugin declares), marks each converted table (`[table:<mode>]` before its rows),
 * and splits by length, or with `newline` at blank lines first.
 */
export function recordingText({ defaultTableMode }) {
  const calls = [];
  const section = (cfg, channel) => cfg?.channels?.[channel] ?? {};
  const byLength = (text, limit) => {
    const out = [];
    for (let i = 0; i < text.length; i += limit) out.push(text.slice(i, i + limit));
    return out;
  };
  return {
    calls,
    text: {
      resolveTextChunkLimit: (cfg, channel, accountId, opts) => {
        calls.push(["resolveTextChunkLimit", channel, accountId, opts]);
        return section(cfg, channel).textChunkLimit ?? opts.fallbackLimit;
      },
      resolveMarkdownTableMode: ({ cfg, channel, accountId }) => {
        calls.push(["resolveMarkdownTableMode", channel, accountId]);
        const mode = section(cfg, channel).markdown?.tables ?? defaultTableMode;
        return mode === "block" ? "code" : mode;
      },
      resolveChunkMode: (cfg, channel, accountId) => {
        calls.push(["resolveChunkMode", channel, accountId]);
        return section(cfg, channel).streaming?.chunkMode ?? "length";
      },
      convertMarkdownTables: (text, mode) =>
        mode === "off" ? text : text.replace(/((?:^\|.*\|$\n?)+)/gm, (rows) => `[table:${mode}]\n${rows}`),
      chunkMarkdownTextWithMode: (text, limit, mode) => {
        calls.push(["chunkMarkdownTextWithMode", limit, mode]);
        const blocks = mode === "newline" ? text.split(/\n\n+/) : [text];
        return blocks.flatMap((block) => byLength(block, limit));
      },
      chunkText: (text, limit) => byLength(text, limit),
    },
  };
}

/**
 * A stand-in for OpenClaw's channel runtime that records what the plugin asks of it.
 * `reply(call)` plays the agent: it gets each dispatch call and may deliver through it.
 */
export function recordingRuntime({ reply } = {}) {
  const dispatches = [];
  const systemEvents = [];
  const pairingRequests = [];
  const approved = new Set();
  const rt = {
    routing: {
      resolveAgentRoute: ({ accountId, peer }) => ({
        agentId: "main",
        channel: "mattermost",
        accountId,
        sessionKey: `agent:main:mattermost:${peer.kind}:${peer.id}`,
        mainSessionKey: "agent:main:main",
        lastRoutePolicy: "session",
        matchedBy: "default",
      }),
    },
    reply: {
      finalizeInboundContext: (ctx) => ({ ...ctx, finalized: true }),
    },
    inbound: {
      dispatch: async (call) => {
        dispatches.push(call);
        if (reply) await reply(call);
        return { dispatched: true };
      },
    },
    pairing: {
      upsertPairingRequest: async ({ id, meta, channel, accountId }) => {
        const existing = pairingRequests.find((r) => r.id === id);
        if (existing) return { code: existing.code, created: false };
        const code = `CODE${pairingRequests.length + 1}`;
        pairingRequests.push({ id, meta, channel, accountId, code });
        return { code, created: true };
      },
      buildPairingReply: ({ idLine, code }) => `Pairing required. ${idLine}. Code: ${code}`,
      readAllowFromStore: async () => [...approved],
    },
  };
  // OpenClaw's runtime.system (not part of the channel runtime): system events, recorded.
  const system = { enqueueSystemEvent: (text, options) => systemEvents.push({ text, ...options }) };
  return { rt, system, dispatches, systemEvents, pairingRequests, approved };
}

/** Starts one account of the plugin against the fake, as the gateway would. */
export async function startRunningAccount(
  fake,
  { rt, system, modelSdk, extra = {}, root = {}, supervisor = {}, approvalPollMs = 100, stateDir = tempDir("state") } = {},
) {
  const controller = new AbortController();
  const statuses = [];
  const spawned = [];
  const cfg = {
    ...root, // OpenClaw's other sections (messages, commands…)
    channels: {
      mattermost: {
        serverUrl: fake.info.url,
        botToken: fake.info.token,
        teamId: fake.info.teamId,
        allowFrom: [fake.info.aliceId],
        reconnectInterval: 100,
        mediaDir: join(tempDir("media"), "media"),
        binaryPath: BRIDGE_BIN,
        ...extra,
      },
    },
  };
  const ctx = {
    cfg,
    accountId: "default",
    abortSignal: controller.signal,
    channelRuntime: rt,
    getStatus: () => statuses.at(-1) ?? {},
    setStatus: (s) => statuses.push(s),
    log: { info: () => {}, warn: () => {}, debug: () => {} },
  };
  const running = startAccount(ctx, {
    // null: no override, the plugin asks OpenClaw's runtime (runtimeStore) as in a gateway
    ...(stateDir === null ? {} : { stateDir }),
    env: withoutStateDir(process.env),
    supervisor: { initialBackoffMs: 50, stdinGraceMs: 5000, termGraceMs: 1000, ...supervisor },
    approvalPollMs,
    system,
    modelSdk,
  });
  running.catch(() => {});
  const { runningAccounts } = await import("../src/channel.js");
  const entry = await eventually(() => runningAccounts.get("default"), { what: "account registered" });
  entry.bridge.on("spawn", (pid) => spawned.push(pid));
  if (entry.bridge.pid) spawned.push(entry.bridge.pid);
  await entry.bridge.waitReady(15_000);
  return {
    ctx,
    cfg,
    entry,
    bridge: entry.bridge,
    statuses,
    spawned,
    running,
    stop: async () => {
      controller.abort();
      await running.catch(() => {});
    },
  };
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function withoutStateDir(env) {
  const copy = { ...env };
  delete copy.OPENCLAW_STATE_DIR;
  delete copy.OPENCLAW_CONFIG_PATH;
  return copy;
}
