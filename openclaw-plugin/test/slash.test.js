// Native slash commands: registration and reconciliation over a scripted bridge, the callback
// route over a real HTTP server, and the gateway-auth bypass paths.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import entry from "../index.js";
import { resolveGatewayAuthBypassPaths } from "../gateway-auth-api.js";
import {
  buildCommandSpecs,
  callbackPaths,
  cleanupCommands,
  commandContext,
  createSlashAccount,
  createSlashRoute,
  DEFAULT_COMMANDS,
  registerCommands,
  resolveCallbackUrl,
  resolveCommandText,
  resolveSlashConfig,
  truncateUtf8,
} from "../src/slash.js";

const BOT = "openclawbot000000000000001";
const OTHER = "someoneelse000000000000001";
const TEAM = "teamacme000000000000000001";
const TEAM2 = "teamother00000000000000001";
const URL_ = "http://localhost:18789/api/channels/mattermost/command";
const CHANNEL = "townsquare0000000000000001";
const ALICE = "alice000000000000000000001";

/** A bridge whose command requests work on `commands` (the server's list) and record calls. */
function scriptedBridge({ commands = [], failing = {} } = {}) {
  const calls = [];
  let n = 0;
  const id = () => `cmd${String(++n).padStart(23, "0")}`;
  const bridge = {
    calls,
    commands,
    authorize: { authorized: true, reason: null, channelType: "open", channelName: "town-square", channelDisplayName: "Town Square", teamId: TEAM, sender: { id: ALICE, username: "alice" } },
    async request(method, params = {}) {
      calls.push([method, params]);
      if (failing[method]) throw new Error(failing[method]);
      const live = () => commands.filter((c) => !(c.deleteAt > 0));
      switch (method) {
        case "teams":
          return { teams: [{ id: TEAM }, { id: TEAM2 }] };
        case "listCommands":
          if (failing[`list:${params.teamId}`]) throw new Error("403 forbidden");
          return { commands: live().filter((c) => c.teamId === params.teamId) };
        case "createCommand": {
          const c = { id: id(), token: `tok${n}`, creatorId: BOT, method: "P", ...params };
          delete c.commandId;
          commands.push(c);
          return c;
        }
        case "updateCommand": {
          const c = commands.find((x) => x.id === params.commandId);
          Object.assign(c, { url: params.url, description: params.description });
          return c;
        }
        case "deleteCommand":
          commands.find((x) => x.id === params.commandId).deleteAt = 1;
          return {};
        case "getCommand": {
          const c = live().find((x) => x.id === params.commandId);
          if (!c) throw new Error("404");
          return c;
        }
        case "authorize":
          return bridge.authorize;
        case "send":
          return { postIds: ["p"] };
        default:
          throw new Error(`unexpected ${method}`);
      }
    },
  };
  return bridge;
}

const specs = [
  { trigger: "oc_status", description: "Show session status", autoComplete: true },
  { trigger: "oc_help", description: "é".repeat(70), autoComplete: true, autoCompleteHint: "[x]" },
];

describe("registration", () => {
  test("creates every command in every team, with the JS fields", async () => {
    const bridge = scriptedBridge();
    const { registered, failedTeams, teams } = await registerCommands({ bridge, botId: BOT, callbackUrl: URL_, specs });
    assert.equal(failedTeams, 0);
    assert.equal(teams, 2);
    assert.equal(registered.length, 4);
    assert.ok(registered.every((c) => c.managed && c.token && c.url === URL_));
    const create = bridge.calls.find(([m, p]) => m === "createCommand" && p.trigger === "oc_help")[1];
    assert.equal(Buffer.byteLength(create.description), 128, "cut to 128 bytes on a UTF-8 boundary");
    assert.deepEqual({ ...create, description: undefined }, { teamId: TEAM, trigger: "oc_help", url: URL_, description: undefined, autoComplete: true, autoCompleteHint: "[x]" });
  });

  test("reuses, updates, recreates and skips as the JS plugin reconciles", async () => {
    const commands = [
      { id: "a".repeat(26), teamId: TEAM, trigger: "oc_status", creatorId: BOT, method: "P", url: URL_, token: "keep" },
      { id: "b".repeat(26), teamId: TEAM, trigger: "oc_help", creatorId: BOT, method: "P", url: "http://old/cmd", token: "old" },
      { id: "c".repeat(26), teamId: TEAM2, trigger: "oc_status", creatorId: OTHER, method: "P", url: "http://x", token: "" },
    ];
    const bridge = scriptedBridge({ commands });
    const { registered } = await registerCommands({ bridge, botId: BOT, callbackUrl: URL_, specs });
    const byKey = Object.fromEntries(registered.map((c) => [`${c.teamId === TEAM ? 1 : 2}:${c.trigger}`, c]));
    assert.deepEqual(Object.keys(byKey).sort(), ["1:oc_help", "1:oc_status", "2:oc_help"], "foreign trigger skipped");
    assert.equal(byKey["1:oc_status"].managed, false);
    assert.equal(byKey["1:oc_status"].token, "keep");
    assert.equal(byKey["1:oc_help"].managed, false, "updated in place");
    assert.equal(commands[1].url, URL_);
    assert.ok(!bridge.calls.some(([m, p]) => m === "updateCommand" && p.trigger === "oc_status"), "no write for a match");

    // An update that fails: delete, then create.
    const failing = scriptedBridge({ commands: [{ ...commands[1], url: "http://old/cmd" }], failing: { updateCommand: "500" } });
    const again = await registerCommands({ bridge: failing, botId: BOT, callbackUrl: URL_, specs: [specs[1]] });
    assert.deepEqual(failing.calls.map(([m]) => m).filter((m) => m.endsWith("Command")), ["updateCommand", "deleteCommand", "createCommand", "createCommand"]);
    assert.ok(again.registered.every((c) => c.managed));
  });

  test("a team whose listing fails counts as failed; the others register", async () => {
    const bridge = scriptedBridge({ failing: { [`list:${TEAM2}`]: true } });
    const { registered, failedTeams } = await registerCommands({ bridge, botId: BOT, callbackUrl: URL_, specs });
    assert.equal(failedTeams, 1);
    assert.ok(registered.every((c) => c.teamId === TEAM));
  });

  test("cleanup deletes only what this run created", async () => {
    const bridge = scriptedBridge();
    await cleanupCommands({ bridge, registered: [{ id: "x", managed: true }, { id: "y", managed: false }] }).catch(() => {});
    assert.deepEqual(bridge.calls.map(([m, p]) => [m, p.commandId]), [["deleteCommand", "x"]]);
  });

  test("config, callback URL, specs and command text", () => {
    assert.deepEqual(resolveSlashConfig(undefined), { native: "auto", nativeSkills: "auto", callbackPath: "/api/channels/mattermost/command", callbackUrl: undefined });
    assert.equal(resolveSlashConfig({ callbackPath: "x/y" }).callbackPath, "/x/y");
    assert.equal(resolveCallbackUrl({ config: resolveSlashConfig({}), gatewayHost: "0.0.0.0", gatewayPort: 18789 }), URL_);
    assert.equal(resolveCallbackUrl({ config: resolveSlashConfig({}), gatewayHost: "::1", gatewayPort: 1 }), "http://[::1]:1/api/channels/mattermost/command");
    assert.equal(resolveCallbackUrl({ config: resolveSlashConfig({ callbackUrl: " https://gw/cmd " }), gatewayPort: 1 }), "https://gw/cmd");
    assert.deepEqual(callbackPaths({ channels: { mattermost: { commands: { callbackUrl: "https://gw/hook" }, accounts: { w: { commands: { callbackPath: "/w" } } } } } }), [
      "/api/channels/mattermost/command",
      "/hook",
      "/w",
    ]);
    assert.equal(buildCommandSpecs({ nativeSkills: "auto", skills: [{ name: "x" }] }).length, DEFAULT_COMMANDS.length);
    const withSkills = buildCommandSpecs({ nativeSkills: true, skills: [{ name: "weather" }, { name: "oc_own", description: "Own" }, { name: "status" }] });
    assert.deepEqual(withSkills.slice(DEFAULT_COMMANDS.length).map((s) => [s.trigger, s.originalName, s.description]), [
      ["oc_weather", "weather", "Run skill weather"],
      ["oc_own", "oc_own", "Own"],
    ], "oc_status deduplicated: the default wins");
    assert.equal(resolveCommandText("oc_status", "  all  ", new Map()), "/status all");
    assert.equal(resolveCommandText("oc_own", "", new Map([["oc_own", "oc_own"]])), "/oc_own");
    assert.equal(truncateUtf8("aé", 2), "a");
  });
});

describe("the callback route", () => {
  let server;
  let base;
  let bridge;
  let account;
  const accounts = new Set();
  const dispatched = [];
  const pairings = [];

  before(async () => {
    const handler = createSlashRoute({
      accounts: () => accounts,
      dispatch: async (acct, call) => dispatched.push(call),
      pairing: async (acct, call) => (pairings.push(call), `Pairing code for ${call.user_id}`),
    });
    server = createServer((req, res) => handler(req, res));
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${server.address().port}/cmd`;
  });
  after(() => server.close());

  const form = (fields) =>
    new URLSearchParams({ team_id: TEAM, channel_id: CHANNEL, user_id: ALICE, user_name: "alice", command: "/oc_status", text: " all ", trigger_id: "trig", ...fields }).toString();
  const post = (body, type = "application/x-www-form-urlencoded") =>
    fetch(base, { method: "POST", headers: { "content-type": type }, body }).then(async (r) => ({ status: r.status, body: await r.text() }));

  test("503 before registration finished", async () => {
    const r = await post(form({ token: "t" }));
    assert.equal(r.status, 503);
    assert.match(r.body, /not yet initialized/);
  });

  test("405, 400, 401 (unknown trigger, bad token, stale upstream)", async () => {
    bridge = scriptedBridge();
    await registerCommands({ bridge, botId: BOT, callbackUrl: base, specs: [specs[0]] });
    account = createSlashAccount({ accountId: "default", bridge });
    const { registered } = { registered: bridge.commands.map((c) => ({ id: c.id, trigger: c.trigger, teamId: c.teamId, token: c.token, url: base, managed: true })) };
    account.activate(registered, new Map());
    accounts.add(account);
    const token = registered.find((c) => c.teamId === TEAM).token;
    assert.equal((await fetch(base)).status, 405);
    assert.equal((await post("token=x")).status, 400);
    assert.equal((await post("{bad json", "application/json")).status, 400);
    assert.equal((await post(form({ token, command: "/oc_nothing" }))).status, 401);
    assert.equal((await post(form({ token: "wrong" }))).status, 401);
    // The server's token changed (regen_token): the re-check refuses, and caches the failure.
    bridge.commands.find((c) => c.token === token).token = "regenerated";
    const stale = await post(form({ token }));
    assert.equal(stale.status, 401);
    assert.match(stale.body, /invalid command token/);
    bridge.commands.find((c) => c.token === "regenerated").token = token;
    const gets = bridge.calls.filter(([m]) => m === "getCommand").length;
    assert.equal((await post(form({ token }))).status, 401, "the failure is cached for 5 s");
    assert.equal(bridge.calls.filter(([m]) => m === "getCommand").length, gets);
    assert.equal(dispatched.length, 0);
  });

  test("accepted: Processing..., then the native dispatch", async () => {
    account = createSlashAccount({ accountId: "default", bridge });
    account.activate(bridge.commands.map((c) => ({ id: c.id, trigger: c.trigger, teamId: c.teamId, token: c.token, url: base, managed: true })), new Map());
    accounts.clear();
    accounts.add(account);
    const token = bridge.commands.find((c) => c.teamId === TEAM).token;
    const r = await post(JSON.stringify(Object.fromEntries(new URLSearchParams(form({ token })))), "application/json");
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { response_type: "ephemeral", text: "Processing..." });
    assert.equal(dispatched.length, 1);
    assert.equal(dispatched[0].commandText, "/status all");
    assert.deepEqual(bridge.calls.filter(([m]) => m === "authorize").at(-1)[1], { userId: ALICE, channelId: CHANNEL });
    const ctx = commandContext({ accountId: "default", route: { sessionKey: "s", agentId: "a" }, call: dispatched[0], now: 5 });
    assert.equal(ctx.CommandBody, "/status all");
    assert.equal(ctx.CommandSource, "native");
    assert.equal(ctx.From, `mattermost:channel:${CHANNEL}`);
    assert.equal(ctx.To, `channel:${CHANNEL}`);
    assert.equal(ctx.MessageSid, "trig");
    assert.equal(ctx.GroupSpace, TEAM);
    assert.equal(ctx.WasMentioned, true);
  });

  test("denials answer the JS texts; pairing answers the pairing reply", async () => {
    const token = bridge.commands.find((c) => c.teamId === TEAM).token;
    const cases = [
      ["dm-disabled", "This bot is not accepting direct messages."],
      ["channels-disabled", "Slash commands are disabled in channels."],
      ["channel-no-allowlist", "Slash commands are not configured for this channel (no allowlist)."],
      ["unauthorized", "Unauthorized."],
      ["dm-pairing", `Pairing code for ${ALICE}`],
    ];
    const before = dispatched.length;
    for (const [reason, text] of cases) {
      bridge.authorize = { ...bridge.authorize, authorized: false, reason };
      const r = await post(form({ token }));
      assert.equal(r.status, 200, reason);
      assert.deepEqual(JSON.parse(r.body), { response_type: "ephemeral", text }, reason);
    }
    assert.equal(pairings.length, 1);
    assert.equal(dispatched.length, before, "nothing dispatched");
    // The channel cannot be read: the JS plugin's temporary error.
    const failing = { ...bridge, request: (m, p) => (m === "authorize" ? Promise.reject(new Error("x")) : bridge.request(m, p)) };
    const other = createSlashAccount({ accountId: "default", bridge: failing });
    other.activate(account.registered, new Map());
    accounts.clear();
    accounts.add(other);
    const r = await post(form({ token }));
    assert.match(JSON.parse(r.body).text, /unable to determine channel type/);
  });

  test("deactivation forgets the tokens and answers 503 again", async () => {
    const registered = account.deactivate();
    assert.ok(registered.every((c) => c.token), "cleanup gets the full records");
    assert.ok(account.registered.every((c) => c.token === undefined));
    accounts.clear();
    accounts.add(account);
    assert.equal((await post(form({ token: "x" }))).status, 503);
  });
});

test("gateway-auth bypass: only callback paths under /api/channels/mattermost/", () => {
  const cfg = {
    channels: {
      mattermost: {
        commands: { callbackPath: "/mattermost/command" },
        accounts: { a: { commands: {} }, b: { commands: { callbackUrl: "https://gw.example.com/api/channels/mattermost/b" } }, c: null },
      },
    },
  };
  assert.deepEqual(resolveGatewayAuthBypassPaths({ cfg }), ["/api/channels/mattermost/command", "/api/channels/mattermost/b"]);
  assert.deepEqual(resolveGatewayAuthBypassPaths({ cfg: {} }), ["/api/channels/mattermost/command"]);
});

test("the routes are registered only in full mode, once per callback path, and the click route", () => {
  const routes = [];
  const api = (mode) => ({
    registrationMode: mode,
    registerChannel: () => {},
    registerHttpRoute: (r) => routes.push(r),
    config: { channels: { mattermost: { commands: { callbackUrl: "https://gw/x/hook" } } } },
    runtime: { channel: {} },
  });
  entry.register(api("setup-runtime"));
  assert.equal(routes.length, 0);
  entry.register(api("full"));
  assert.deepEqual(routes.map((r) => [r.path, r.auth, r.match]), [
    ["/api/channels/mattermost/command", "plugin", undefined],
    ["/x/hook", "plugin", undefined],
    ["/mattermost/interactions", "plugin", "prefix"],
  ]);
});

describe("end to end: the bridge registers, the fake runs a command, the route answers", () => {
  let fake;
  let account;
  let server;
  let recorder;
  let callbackUrl;

  before(async () => {
    const { startFake, startRunningAccount, recordingRuntime } = await import("./helpers.js");
    const { dispatchSlash, slashAccounts, slashPairingReply } = await import("../src/channel.js");
    const handler = createSlashRoute({ accounts: () => slashAccounts.values(), dispatch: dispatchSlash, pairing: slashPairingReply });
    server = createServer((req, res) => handler(req, res));
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    callbackUrl = `http://127.0.0.1:${server.address().port}/api/channels/mattermost/command`;
    fake = await startFake();
    recorder = recordingRuntime();
    account = await startRunningAccount(fake, { rt: recorder.rt, extra: { commands: { native: true, callbackUrl } } });
    const { eventually } = await import("./helpers.js");
    await eventually(() => slashAccounts.get("default")?.active, { what: "slash commands active" });
  });

  after(async () => {
    await account?.stop();
    await fake?.stop();
    server?.close();
  });

  test("the nine commands in both teams, then /oc_status runs as /status", async () => {
    const { commands } = await fake.cmd({ cmd: "commands" });
    assert.equal(commands.length, 18);
    assert.ok(commands.every((c) => c.url === callbackUrl && c.method === "P" && c.creator_id === fake.info.botId));
    const run = await fake.cmd({ cmd: "runCommand", userId: fake.info.aliceId, channelId: fake.info.townSquare, text: "/oc_status now" });
    assert.equal(run.ok, true, JSON.stringify(run));
    assert.deepEqual(run.response, { response_type: "ephemeral", text: "Processing..." });
    const { eventually } = await import("./helpers.js");
    const call = await eventually(() => recorder.dispatches.find((d) => d.ctxPayload.CommandSource === "native"), { what: "dispatch" });
    assert.equal(call.ctxPayload.CommandBody, "/status now");
    assert.equal(call.ctxPayload.To, `channel:${fake.info.townSquare}`);
    // A reply goes to the channel at the top level.
    await call.delivery.deliver({ text: "status: fine" });
    const { posts } = await fake.cmd({ cmd: "posts" });
    const reply = posts.find((p) => p.message === "status: fine");
    assert.equal(reply.root_id, "");
    // Bob may not talk to the bot in channels: the JS deny text, nothing dispatched.
    const denied = await fake.cmd({ cmd: "runCommand", userId: fake.info.bobId, channelId: fake.info.townSquare, text: "/oc_help" });
    assert.equal(denied.response.text, "Unauthorized.");
  });

  test("stopping deletes the commands this run created", async () => {
    await account.stop();
    const { commands } = await fake.cmd({ cmd: "commands" });
    assert.ok(commands.every((c) => c.delete_at > 0), "all deleted");
    account = null;
  });
});
