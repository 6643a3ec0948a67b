// Guided setup (the setup contract of `openclaw channels add`, the wizard of `openclaw onboard`
// and `configure`) and the doctor, which run the real bridge's `--check` against the fake
// Mattermost server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { BRIDGE_BIN, startFake } from "./helpers.js";
import {
  collectDoctorWarnings,
  finalizeSetup,
  normalizeServerUrl,
  SETUP_FIELDS,
  setupContract,
  setupWizard,
} from "../src/setup.js";
import { mattermostPlugin } from "../src/channel.js";

const ALICE = "alice000000000000000000001";
const env = { PATH: process.env.PATH };

/** A prompter that records notes and answers `text` with `answer`. */
function recordingPrompter(answer = "") {
  const notes = [];
  return {
    notes,
    note: async (message, title) => notes.push({ title, message }),
    text: async (params) => {
      const problem = params.validate?.(answer);
      if (problem) throw new Error(problem);
      return answer;
    },
    progress: () => ({ update() {}, stop() {} }),
  };
}

/** A TCP port nobody listens on. */
async function closedPort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

test("the setup entry is light and serves the same setup as the full plugin", async () => {
  const entry = (await import("../setup-entry.js")).default;
  const plugin = entry.plugin;
  assert.equal(plugin.id, "mattermost");
  assert.equal(plugin.setupWizard, mattermostPlugin.setupWizard);
  assert.equal(plugin.setupContract, mattermostPlugin.setupContract);
  assert.equal(plugin.doctor, mattermostPlugin.doctor);
  assert.equal(plugin.config.listAccountIds, mattermostPlugin.config.listAccountIds);
  assert.equal(plugin.gateway, undefined, "no runtime in the setup entry");
  // The setup entry imports no module that starts bridges.
  const source = readFileSync(new URL("../setup-entry.js", import.meta.url), "utf8");
  assert.doesNotMatch(source, /channel\.js|bridge\.js/);
  const setupSource = readFileSync(new URL("../src/setup.js", import.meta.url), "utf8");
  assert.doesNotMatch(setupSource, /from "\.\/(channel|bridge|inbound)\.js"/);
});

test("package.json declares the setup contract's flags, one for one", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  assert.equal(pkg.openclaw.setupEntry, "./setup-entry.js");
  assert.ok(pkg.files.includes("setup-entry.js"));
  const declared = pkg.openclaw.channel.setup.fields;
  assert.deepEqual(declared, setupContract.metadata.fields);
  assert.deepEqual(
    declared.map((f) => f.key),
    Object.keys(SETUP_FIELDS),
  );
  // OpenClaw requires each key to be its long flag's camelCased name.
  for (const field of declared) {
    const long = /--([a-z-]+)/.exec(field.cli.flags)[1];
    assert.equal(long.replace(/-([a-z])/g, (_, c) => c.toUpperCase()), field.key);
  }
});

test("channels add: the contract validates like OpenClaw's own plugin and writes our keys", () => {
  const validate = (input, accountId = "default") => setupContract.validateInput({ cfg: {}, accountId, input });
  assert.equal(validate({ httpUrl: "https://chat.example.com" }), "Mattermost requires --bot-token and --http-url (or --use-env).");
  assert.equal(validate({ botToken: "t" }), "Mattermost requires --bot-token and --http-url (or --use-env).");
  assert.equal(validate({ botToken: "t", httpUrl: "ftp://x" }), "Mattermost --http-url must include a valid base URL.");
  assert.equal(validate({ useEnv: true }, "work"), "Mattermost env vars can only be used for the default account.");
  assert.equal(validate({ useEnv: true }), null);
  assert.equal(validate({ token: "t", httpUrl: "https://chat.example.com", allowFrom: "@alice, bob smith" }).includes("not: bob, smith"), true);
  assert.equal(validate({ botToken: "t", httpUrl: "https://c.example", dmPolicy: "sometimes" }), 'dmPolicy must be one of: "pairing", "allowlist", "open", "disabled".');
  assert.equal(validate({ botToken: "t", httpUrl: "https://c.example", webhookUrl: "x" }), "Unsupported setup option: webhookUrl");

  const input = {
    botToken: "tok",
    httpUrl: " https://chat.example.com/api/v4/ ",
    dmPolicy: "allowlist",
    allowFrom: `@Alice, user:${ALICE}`,
  };
  const cfg = setupContract.applyAccountConfig({ cfg: { channels: { mattermost: { enabled: false } } }, accountId: "default", input });
  assert.deepEqual(cfg.channels.mattermost, {
    botToken: "tok",
    serverUrl: "https://chat.example.com",
    dmPolicy: "allowlist",
    allowFrom: ["@alice", ALICE],
  });
  // A named account goes under accounts; a config that says baseUrl keeps that name.
  const base = { channels: { mattermost: { accounts: { work: { baseUrl: "https://old.example" } } } } };
  const work = setupContract.applyAccountConfig({ cfg: base, accountId: "work", input: { token: "w", httpUrl: "https://new.example" } });
  assert.deepEqual(work.channels.mattermost.accounts.work, { baseUrl: "https://new.example", botToken: "w" });
  // --use-env writes no credentials.
  const fromEnv = setupContract.applyAccountConfig({ cfg: {}, accountId: "default", input: { useEnv: true } });
  assert.deepEqual(fromEnv.channels.mattermost, {});
});

test("the server URL is normalized as the bridge reads it", () => {
  assert.equal(normalizeServerUrl("https://chat.example.com/"), "https://chat.example.com");
  assert.equal(normalizeServerUrl("http://10.0.0.5:8065/mm/api/v4"), "http://10.0.0.5:8065/mm");
  for (const bad of ["chat.example.com", "ftp://x", "https://u:p@x", "https://x/?a=1", ""]) {
    assert.equal(normalizeServerUrl(bad), null, bad);
  }
});

test("the wizard's steps read and write the account's keys", async () => {
  const w = setupWizard;
  const cfg0 = {};
  assert.equal(await w.status.resolveConfigured({ cfg: cfg0, accountId: "default" }), false);
  assert.equal(w.introNote.shouldShow({ cfg: cfg0, accountId: "default" }), true);

  const [token] = w.credentials;
  assert.equal(token.inputKey, "botToken");
  let cfg = await token.applySet({ cfg: cfg0, accountId: "default", value: "tok" });
  const [url] = w.textInputs;
  assert.equal(url.validate({ value: "not a url" }) !== undefined, true);
  assert.equal(url.validate({ value: "https://chat.example.com" }), undefined);
  const value = url.normalizeValue({ value: "https://chat.example.com/" });
  cfg = await url.applySet({ cfg, accountId: "default", value });
  assert.deepEqual(cfg.channels.mattermost, { botToken: "tok", serverUrl: "https://chat.example.com" });
  assert.equal(await w.status.resolveConfigured({ cfg, accountId: "default" }), true);
  assert.equal(url.currentValue({ cfg, accountId: "default" }), "https://chat.example.com");
  const state = token.inspect({ cfg, accountId: "default" });
  assert.equal(state.hasConfiguredValue, true);
  assert.equal(state.accountConfigured, true);
  // Choosing the environment's token removes the file's.
  const envCfg = await token.applyUseEnv({ cfg, accountId: "default" });
  assert.equal("botToken" in envCfg.channels.mattermost, false);

  // Who may talk: the DM policy and the allow list, kept as typed (ids, @usernames).
  assert.equal(w.dmPolicy.getCurrent(cfg, "default"), "pairing");
  cfg = w.dmPolicy.setPolicy(cfg, "allowlist", "default");
  assert.equal(w.dmPolicy.getCurrent(cfg, "default"), "allowlist");
  cfg = await w.dmPolicy.promptAllowFrom({ cfg, accountId: "default", prompter: recordingPrompter(`@bob, ${ALICE}`) });
  assert.deepEqual(cfg.channels.mattermost.allowFrom, ["@bob", ALICE]);
  await assert.rejects(
    w.dmPolicy.promptAllowFrom({ cfg, accountId: "default", prompter: recordingPrompter("bob") }),
    /Not a user id or @username: bob/,
  );
  const entries = await w.allowFrom.resolveEntries({ entries: w.allowFrom.parseInputs("@carol x") });
  assert.deepEqual(entries, [
    { input: "@carol", resolved: true, id: "@carol" },
    { input: "x", resolved: false, id: null },
  ]);
  const named = w.allowFrom.apply({ cfg, accountId: "work", allowFrom: ["@carol"] });
  assert.deepEqual(named.channels.mattermost.accounts.work, { allowFrom: ["@carol"] });
  assert.deepEqual(w.dmPolicy.resolveConfigKeys(named, "work"), {
    policyKey: "channels.mattermost.accounts.work.dmPolicy",
    allowFromKey: "channels.mattermost.accounts.work.allowFrom",
  });
  assert.equal(w.disable(cfg).channels.mattermost.enabled, false);
});

test("the env shortcut is offered for the default account when both variables are set", () => {
  const saved = { url: process.env.MATTERMOST_URL, token: process.env.MATTERMOST_BOT_TOKEN };
  try {
    process.env.MATTERMOST_URL = "https://chat.example.com";
    process.env.MATTERMOST_BOT_TOKEN = "tok";
    const { envShortcut } = setupWizard;
    assert.equal(envShortcut.isAvailable({ cfg: {}, accountId: "default" }), true);
    assert.equal(envShortcut.isAvailable({ cfg: {}, accountId: "work" }), false);
    const set = { channels: { mattermost: { serverUrl: "https://other.example" } } };
    assert.equal(envShortcut.isAvailable({ cfg: set, accountId: "default" }), false);
    delete process.env.MATTERMOST_BOT_TOKEN;
    assert.equal(envShortcut.isAvailable({ cfg: {}, accountId: "default" }), false);
  } finally {
    for (const [name, value] of [
      ["MATTERMOST_URL", saved.url],
      ["MATTERMOST_BOT_TOKEN", saved.token],
    ]) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test("the wizard's last step runs --check and shows the failures with their fixes", async () => {
  const fake = await startFake();
  try {
    const good = {
      channels: {
        mattermost: { serverUrl: fake.info.url, botToken: fake.info.token, allowFrom: [fake.info.aliceId], teamId: fake.info.teamId },
      },
    };
    let prompter = recordingPrompter();
    await finalizeSetup({ cfg: good, accountId: "default", prompter }, { binary: BRIDGE_BIN, env });
    // Only the test server's plain http is worth a word.
    assert.equal(prompter.notes.length, 1, JSON.stringify(prompter.notes));
    assert.match(prompter.notes[0].message, /^! config: .*http:\/\//);
    assert.doesNotMatch(prompter.notes[0].message, /✗|saved anyway/);

    const bad = structuredClone(good);
    bad.channels.mattermost.botToken = "wrong-token-0123456789";
    prompter = recordingPrompter();
    await finalizeSetup({ cfg: bad, accountId: "default", prompter }, { binary: BRIDGE_BIN, env });
    const note = prompter.notes.at(-1);
    assert.equal(note.title, "Mattermost check");
    assert.match(note.message, /✗ token: rejected by Mattermost/);
    assert.match(note.message, /fix: create a new token for the bot/);
    assert.match(note.message, /The config is saved anyway/);
    assert.doesNotMatch(note.message, /wrong-token/, "the token is never shown");

    prompter = recordingPrompter();
    await finalizeSetup({ cfg: good, accountId: "default", prompter }, { binary: "/nonexistent/openclaw-mattermost", env });
    assert.match(prompter.notes[0].message, /fix: set channels\.mattermost\.binaryPath/);
  } finally {
    await fake.stop();
  }
});

test("doctor: one line per problem of each enabled account, with its fix", async () => {
  const fake = await startFake();
  try {
    const port = await closedPort();
    const cfg = {
      gateway: { port },
      channels: {
        mattermost: {
          serverUrl: fake.info.url,
          botToken: "wrong-token-0123456789",
          allowFrom: [fake.info.aliceId],
          accounts: {
            work: { botToken: fake.info.token, teamId: fake.info.teamId, commands: { native: true } },
            off: { enabled: false, botToken: "x" },
          },
        },
      },
    };
    const lines = await collectDoctorWarnings({ cfg, env }, { binary: BRIDGE_BIN });
    const text = lines.join("\n");
    assert.match(text, /^- channels\.mattermost: token: rejected by Mattermost .*\(fix: create a new token/m);
    // The slash command callback, built from gateway.port as OpenClaw's own plugin builds it.
    const callback = `http://localhost:${port}/api/channels/mattermost/command`;
    assert.ok(
      lines.some((l) => l.startsWith(`- channels.mattermost.accounts.work: commands: ${callback} is not reachable`) && l.includes("is the gateway up?") && l.includes("(fix: start OpenClaw's gateway")),
      text,
    );
    assert.doesNotMatch(text, /accounts\.off/, "a disabled account is not checked");
    assert.ok(lines.every((l) => l.startsWith("- channels.mattermost")), text);
    assert.doesNotMatch(text, /wrong-token|tok3n/);
  } finally {
    await fake.stop();
  }
});

test("doctor: a missing bridge binary is one line with the binaryPath fix; an unresolved SecretRef is skipped", async () => {
  const cfg = {
    channels: {
      mattermost: {
        serverUrl: "https://chat.example.com",
        botToken: "t",
        binaryPath: "/nonexistent/openclaw-mattermost",
        accounts: { a: {}, b: {}, c: { botToken: { source: "file", provider: "p", id: "value" } } },
      },
    },
  };
  const lines = await mattermostPlugin.doctor.collectPreviewWarnings({ cfg, env, doctorFixCommand: "openclaw doctor --fix" });
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(lines[1], /^- channels\.mattermost\.accounts\.c: botToken is a "file" SecretRef this preview did not resolve/);
  assert.match(lines[0], /^- channels\.mattermost: cannot run \/nonexistent\/openclaw-mattermost: .*\(fix: set channels\.mattermost\.binaryPath/);
});
