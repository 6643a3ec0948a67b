// A real npm registry server on 127.0.0.1 for the end-to-end run: verdaccio (installed by
// run.sh from e2e/registry/package-lock.json into $E2E_DIR/registry), with no uplink, so that
// what OpenClaw installs can only come from what was published here.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, sleep } from "../test/helpers.js";
import { freePort } from "./ports.mjs";

async function startOnce(work, node) {
  const dir = mkdtempSync(join(work, "verdaccio-"));
  mkdirSync(join(dir, "storage"));
  const config = join(dir, "config.yaml");
  writeFileSync(
    config,
    [
      `storage: ${join(dir, "storage")}`,
      "auth:",
      "  htpasswd:",
      `    file: ${join(dir, "htpasswd")}`,
      "    max_users: 1",
      "uplinks: {}",
      "packages:",
      "  '**':",
      "    access: $all",
      "    publish: $authenticated",
      "log: { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const bin = join(work, "registry", "node_modules", "verdaccio", "bin", "verdaccio");
  // verdaccio 6 wants Node >= 22: the Node 24 run.sh installed.
  const child = spawn(node, [bin, "--config", config, "--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  let exited = null;
  child.on("exit", (code, signal) => (exited = { code, signal }));
  const url = `http://127.0.0.1:${port}/`;
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (exited) throw new Error(`verdaccio exited ${JSON.stringify(exited)}: ${out.slice(-1000)}`);
        return (await fetch(`${url}-/ping`).catch(() => null))?.ok;
      },
      { timeoutMs: 60_000, what: "verdaccio answering /-/ping" },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, dir, stop };
}

/** Starts the registry with `node` (a few tries: the free port may be taken in between): `{ url, dir, stop }`. */
export async function startRegistry(work, node) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(work, node);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** Publishes an npm tarball to the registry as its one user (created here). */
export async function publish(registry, tarball) {
  const password = `e2e-${Math.random().toString(36).slice(2)}`;
  const res = await fetch(`${registry.url}-/user/org.couchdb.user:e2e`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "e2e", password }),
  });
  const { token } = await res.json();
  if (!res.ok || !token) throw new Error(`verdaccio gave no token (HTTP ${res.status})`);
  const npmrc = join(registry.dir, "npmrc");
  writeFileSync(npmrc, `//${new URL(registry.url).host}/:_authToken=${token}\n`, { mode: 0o600 });
  const r = spawnSync(
    "npm",
    ["publish", tarball, "--registry", registry.url, "--userconfig", npmrc, "--cache", join(registry.dir, "npm-cache"), "--loglevel=error"],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`npm publish ${tarball} failed:\n${r.stdout}${r.stderr}`);
}
