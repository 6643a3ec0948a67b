// The slash command callback URL has one definition in two languages: the plugin's
// `resolveCallbackUrl`/`resolveGatewayPort` (which registers it) and the bridge's `--check`
// (which probes it). This runs the real binary's `--check --json` over a table of configs and
// environments and asserts both give the same URL, so the two cannot drift apart.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BRIDGE_BIN } from "./helpers.js";
import { resolveCallbackUrl, resolveGatewayPort, resolveSlashConfig } from "../src/slash.js";
import { tempDir } from "./tmp.js";

const dir = tempDir("callback-url");

/** The command callback URL the bridge's `--check` reports for `cfg` under `vars`. */
function checkedUrl(cfg, vars) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(cfg));
  const env = { PATH: process.env.PATH, OPENCLAW_CONFIG_PATH: path, ...vars };
  return new Promise((resolve, reject) => {
    execFile(BRIDGE_BIN, ["--check", "--json"], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error?.killed) return reject(error);
      try {
        const findings = JSON.parse(stdout).checks.filter((c) => c.check === "commands");
        const urls = findings.map((c) => /^(\S+) (answers|is not reachable)/.exec(c.message)?.[1]).filter(Boolean);
        assert.equal(urls.length, 1, JSON.stringify(findings));
        resolve(urls[0]);
      } catch (e) {
        reject(new Error(`${e.message}\n${stdout}\n${stderr}`));
      }
    });
  });
}

const ROWS = [
  ["callbackUrl set", { callbackUrl: " http://127.0.0.2:9/hook " }, undefined, {}],
  ["defaults", {}, undefined, {}],
  ["callbackPath without a slash", { callbackPath: "oc/cmd" }, undefined, {}],
  ["wildcard bind host", {}, { customBindHost: "0.0.0.0", port: 9001 }, {}],
  ["bracketed v6 wildcard", {}, { customBindHost: "[::]" }, {}],
  ["bind host set", {}, { customBindHost: " 127.0.0.3 ", port: 9002 }, {}],
  ["v6 bind host", {}, { customBindHost: "::1", port: 9003 }, {}],
  ["gateway.port", {}, { port: 9004 }, {}],
  ["OPENCLAW_GATEWAY_PORT wins", {}, { port: 9004 }, { OPENCLAW_GATEWAY_PORT: "9005" }],
  ["OPENCLAW_GATEWAY_PORT host:port", {}, {}, { OPENCLAW_GATEWAY_PORT: "127.0.0.1:9006" }],
  ["OPENCLAW_GATEWAY_PORT [v6]:port", {}, {}, { OPENCLAW_GATEWAY_PORT: "[::1]:9007" }],
  ["a bad OPENCLAW_GATEWAY_PORT is ignored", {}, { port: 9008 }, { OPENCLAW_GATEWAY_PORT: "nine" }],
  ["OPENCLAW_PROFILE", {}, {}, { OPENCLAW_PROFILE: "work" }],
  ["OPENCLAW_PROFILE, not ASCII", {}, {}, { OPENCLAW_PROFILE: " équipe " }],
  ["OPENCLAW_PROFILE default", {}, {}, { OPENCLAW_PROFILE: "Default" }],
  ["gateway.port wins over OPENCLAW_PROFILE", {}, { port: 9009 }, { OPENCLAW_PROFILE: "work" }],
];

for (const [name, commands, gateway, vars] of ROWS) {
  test(`the plugin's callback URL is the one --check probes: ${name}`, async () => {
    const cfg = {
      ...(gateway ? { gateway } : {}),
      channels: { mattermost: { serverUrl: "http://127.0.0.1:1", botToken: "not-a-real-token", commands: { native: true, ...commands } } },
    };
    const plugin = resolveCallbackUrl({
      config: resolveSlashConfig(cfg.channels.mattermost.commands),
      gatewayHost: cfg.gateway?.customBindHost,
      gatewayPort: resolveGatewayPort(cfg, vars),
    });
    assert.equal(plugin, await checkedUrl(cfg, vars));
  });
}

test("a named profile moves the default port off 18789", () => {
  assert.equal(resolveGatewayPort({}, { OPENCLAW_PROFILE: "work" }), 41984);
  assert.equal(resolveGatewayPort({}, {}), 18789);
});
