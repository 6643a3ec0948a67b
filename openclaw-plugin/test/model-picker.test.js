// The model picker of /oc_model and /oc_models: its views as the JS plugin renders them (fixed
// vectors from its own model-picker code), and the whole picker end to end: a command run in
// the fake, the picker posted by the real bridge, clicks through the fake's DoPostAction to the
// click route, the model switched with OpenClaw's /model command in the conversation's session.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { buildButtonProps } from "../src/buttons.js";
import {
  allowedModelRefs,
  parsePickerContext,
  renderModelsView,
  renderProvidersView,
  renderSummaryView,
  resolvePickerEntry,
  selectMessageSid,
} from "../src/model-picker.js";

const ALICE = "alice000000000000000000001";
const gpt = Array.from({ length: 9 }, (_, i) => `gpt-${i}`);
const catalog = () => ({ providers: ["echo", "openai"], byProvider: new Map([["echo", new Set(["echo-1"])], ["openai", new Set(gpt)]]), resolvedDefault: { provider: "echo", model: "echo-1" } });
const ctx = (state) => ({ oc_model_picker: true, ...state });

// Produced with @openclaw/mattermost 2026.9.5's own model-picker code (slash-state-*.mjs, its
// SDK imports from OpenClaw 2026.9.5) for alice and catalog() above. A button's id is a digest
// of its state, so both plugins' buttons have the same ids.
const JS_SUMMARY = {
  text: "Current: echo/echo-1\n\nTap below to browse models, or use:\n/oc_model <provider/model> to switch\nBrowse keeps the current runtime; use /oc_model <provider/model> --runtime <runtime> to switch runtime too\n/oc_model status for details",
  buttons: [[{ id: "mdlprov42190d54bba1", text: "Browse providers", style: "primary", context: ctx({ action: "providers", ownerUserId: ALICE }) }]],
};
const JS_PROVIDERS = {
  text: "Current: echo/echo-1\n\nSelect a provider:",
  buttons: [
    [{ id: "mdllistdf71700d2ed4", text: "echo (1)", style: "primary", context: ctx({ action: "list", ownerUserId: ALICE, provider: "echo", page: 1 }) }],
    [{ id: "mdllist26e11eaa737e", text: "openai (9)", style: "default", context: ctx({ action: "list", ownerUserId: ALICE, provider: "openai", page: 1 }) }],
  ],
};
const JS_OPENAI_PAGE_2 = {
  text: "Models (openai) - 9 available\nCurrent: openai/gpt-8\nPage 2/2\nSelect a model to switch immediately.",
  buttons: [
    [{ id: "mdlselbb85e8d1dee3", text: "gpt-8 [current]", style: "primary", context: ctx({ action: "select", ownerUserId: ALICE, provider: "openai", page: 2, model: "gpt-8" }) }],
    [{ id: "mdllist26e11eaa737e", text: "Prev", context: ctx({ action: "list", ownerUserId: ALICE, provider: "openai", page: 1 }) }],
    [{ id: "mdlback50b3a8202e15", text: "Back to providers", context: ctx({ action: "back", ownerUserId: ALICE }) }],
  ],
};

test("the views are the JS plugin's: texts, buttons, styles, ids and contexts", () => {
  const data = catalog();
  assert.deepEqual(renderSummaryView({ ownerUserId: ALICE, currentModel: "echo/echo-1" }), JS_SUMMARY);
  assert.deepEqual(renderProvidersView({ ownerUserId: ALICE, data, currentModel: "echo/echo-1" }), JS_PROVIDERS);
  assert.deepEqual(renderModelsView({ ownerUserId: ALICE, data, provider: " OpenAI", page: 7, currentModel: "openai/gpt-8" }), JS_OPENAI_PAGE_2, "a page past the end is the last");
  const first = renderModelsView({ ownerUserId: ALICE, data, provider: "openai", page: 1, currentModel: "bad" });
  assert.equal(first.text, "Models (openai) - 9 available\nCurrent: default\nPage 1/2\nSelect a model to switch immediately.");
  assert.deepEqual(first.buttons.map((row) => row.map((b) => b.text)), [...gpt.slice(0, 8).map((m) => [m]), ["Next"], ["Back to providers"]]);
  const unknown = renderModelsView({ ownerUserId: ALICE, data, provider: "nope", page: 1, currentModel: "echo/echo-1" });
  assert.deepEqual(unknown, { text: "Current: echo/echo-1\n\nUnknown provider: nope", buttons: [JS_OPENAI_PAGE_2.buttons[2]] });
  assert.ok(allowedModelRefs(data).has("openai/gpt-3") && !allowedModelRefs(data).has("openai/gpt-9"));
  assert.equal(selectMessageSid({ postId: "p1", provider: "OpenAI", model: " GPT-4o " }), "interaction:p1:select:openai/gpt-4o");
});

test("which commands open the picker, and which contexts are a picker's", () => {
  assert.deepEqual(resolvePickerEntry("/model"), { kind: "summary" });
  assert.deepEqual(resolvePickerEntry(" /MODELS "), { kind: "providers" });
  assert.deepEqual(resolvePickerEntry("/models  OpenAI"), { kind: "models", provider: "openai" });
  for (const text of ["/model status", "/model openai/gpt-4", "/models a b", "/modelsx", "/status"]) assert.equal(resolvePickerEntry(text), null, text);
  assert.deepEqual(parsePickerContext(ctx({ action: "list", ownerUserId: ALICE, provider: " OpenAI ", page: "2" })), { action: "list", ownerUserId: ALICE, provider: "openai", page: 2 });
  assert.deepEqual(parsePickerContext(ctx({ action: "select", ownerUserId: ALICE, provider: "echo", model: "echo-1" })), { action: "select", ownerUserId: ALICE, provider: "echo", page: 1, model: "echo-1" });
  for (const bad of [{ callback_data: "x" }, { oc_model_picker: "true", action: "back", ownerUserId: ALICE }, ctx({ action: "back" }), ctx({ action: "list", ownerUserId: ALICE }), ctx({ action: "select", ownerUserId: ALICE, provider: "echo" }), ctx({ action: "zap", ownerUserId: ALICE, provider: "echo" })]) {
    assert.equal(parsePickerContext(bad), null, JSON.stringify(bad));
  }
});

/**
 * OpenClaw's model helpers as the picker uses them (model-picker.js `loadModelSdk`), over an
 * in-memory session store: `catalog` is what buildPreparedModelsProviderData answers, a
 * session's entry holds its override as OpenClaw stores it.
 */
function modelSdk() {
  const sessions = new Map();
  const sdk = {
    sessions,
    catalog: catalog(),
    reads: [],
    resolveStorePath: (store, { agentId }) => `${store ?? "/state"}/agents/${agentId}/sessions.json`,
    getSessionEntry: ({ storePath, sessionKey, readConsistency }) => {
      sdk.reads.push({ storePath, sessionKey, readConsistency });
      return sessions.get(sessionKey);
    },
    buildPreparedModelsProviderData: async (cfg, agentId, { sessionEntry }) => ({ ...sdk.catalog, agentId, sessionEntry }),
    resolveStoredModelOverride: ({ sessionEntry, defaultProvider }) =>
      sessionEntry?.modelOverride ? { provider: sessionEntry.providerOverride ?? defaultProvider, model: sessionEntry.modelOverride } : null,
  };
  return sdk;
}

describe("end to end: /oc_model in the fake, the picker's clicks, the switch", () => {
  let fake;
  let account;
  let server;
  let recorder;
  let sdk;
  let helpers;

  before(async () => {
    helpers = await import("./helpers.js");
    const { dispatchSlash, interactionAccounts, slashAccounts, slashPairingReply } = await import("../src/channel.js");
    const { createInteractionRoute } = await import("../src/buttons.js");
    const { createSlashRoute } = await import("../src/slash.js");
    const commands = createSlashRoute({ accounts: () => slashAccounts.values(), dispatch: dispatchSlash, pairing: slashPairingReply });
    const clicks = createInteractionRoute({ account: (id) => interactionAccounts.get(id) });
    server = createServer((req, res) => (req.url.startsWith("/mattermost/interactions/") ? clicks(req, res) : commands(req, res)));
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const port = server.address().port;
    fake = await helpers.startFake();
    sdk = modelSdk();
    // OpenClaw's /model: stores the session's override, answers in the conversation.
    recorder = helpers.recordingRuntime({
      reply: async (call) => {
        const m = /^\/model ([^/\s]+)\/(\S+)$/.exec(call.ctxPayload.CommandBody);
        if (!m || call.ctxPayload.CommandSource !== "native") return;
        if (m[2] === "gpt-0") throw new Error("the switch failed");
        sdk.sessions.set(call.route.sessionKey, { providerOverride: m[1], modelOverride: m[2] });
        await call.delivery.deliver({ text: `Model set to ${m[1]}/${m[2]}.` });
      },
    });
    account = await helpers.startRunningAccount(fake, {
      rt: recorder.rt,
      modelSdk: sdk,
      root: { gateway: { port, customBindHost: "127.0.0.1" } },
      extra: { commands: { native: true, callbackUrl: `http://127.0.0.1:${port}/api/channels/mattermost/command` } },
    });
    await helpers.eventually(() => slashAccounts.get("default")?.active && interactionAccounts.get("default")?.key, { what: "commands and buttons ready" });
  });

  after(async () => {
    await account?.stop();
    await fake?.stop();
    server?.close();
  });

  const postById = async (id) => (await fake.posts()).find((p) => p.id === id);
  const actionsOf = (post) => post.props.attachments.flatMap((a) => a.actions ?? []).map((a) => [a.id, a.name, a.style]);
  /** Runs a command as `userId` in `channelId`; resolves the picker post it brought. */
  async function openPicker(userId, channelId, text) {
    const before = new Set((await fake.botPosts()).map((p) => p.id));
    const run = await fake.cmd({ cmd: "runCommand", userId, channelId, text, teamId: fake.info.teamId });
    assert.deepEqual(run.response, { response_type: "ephemeral", text: "Processing..." });
    return helpers.eventually(async () => (await fake.botPosts()).find((p) => !before.has(p.id) && p.channel_id === channelId), { what: `the post of ${text}` });
  }
  const click = (userId, postId, actionId) => fake.cmd({ cmd: "clickButton", userId, postId, actionId });

  test("alice browses providers and models and picks one: the post follows, the session switches", async () => {
    const { aliceId, dmAlice } = fake.info;
    const picker = await openPicker(aliceId, dmAlice, "/oc_model");
    assert.equal(picker.message, JS_SUMMARY.text);
    assert.equal(picker.root_id, "");
    assert.deepEqual(actionsOf(picker), [["mdlprov42190d54bba1", "Browse providers", "primary"]]);
    // Signed like every button, for this DM, calling back to the click route.
    const { integration } = await fake.cmd({ cmd: "integration", postId: picker.id, actionId: "mdlprov42190d54bba1" });
    assert.match(integration.url, /^http:\/\/127\.0\.0\.1:\d+\/mattermost\/interactions\/default$/);
    assert.equal(integration.context.__openclaw_channel_id, dmAlice);
    assert.equal(integration.context.ownerUserId, aliceId);
    assert.match(integration.context._token, /^[0-9a-f]{64}$/);
    assert.equal(recorder.dispatches.length, 0, "the picker is no turn");
    const session = `agent:main:mattermost:direct:${aliceId}`;
    assert.ok(sdk.reads.some((r) => r.sessionKey === session && r.storePath === "/state/agents/main/sessions.json"), "the conversation's session was read");

    const providers = await click(aliceId, picker.id, "mdlprov42190d54bba1");
    assert.equal(providers.response.ephemeral_text, undefined);
    let post = await postById(picker.id);
    assert.equal(post.message, JS_PROVIDERS.text);
    assert.deepEqual(actionsOf(post), [["mdllistdf71700d2ed4", "echo (1)", "primary"], ["mdllist26e11eaa737e", "openai (9)", "default"]]);

    await click(aliceId, picker.id, "mdllist26e11eaa737e");
    post = await postById(picker.id);
    assert.match(post.message, /^Models \(openai\) - 9 available\nCurrent: echo\/echo-1\nPage 1\/2\n/);
    const next = actionsOf(post).find(([, name]) => name === "Next")[0];
    await click(aliceId, picker.id, next);
    post = await postById(picker.id);
    assert.match(post.message, /Page 2\/2/);
    const gpt8 = actionsOf(post).find(([, name]) => name === "gpt-8")[0];

    const selected = await click(aliceId, picker.id, gpt8);
    assert.equal(selected.status, 200);
    // As the JS plugin: answered at once, the post updated once the switch ran.
    assert.deepEqual(selected.response ?? {}, {});
    // OpenClaw's /model ran in alice's DM session as an authorized native command…
    const call = await helpers.eventually(() => recorder.dispatches.find((d) => d.ctxPayload.CommandBody === "/model openai/gpt-8"), {
      what: "the switch dispatched",
    });
    assert.equal(call.route.sessionKey, session);
    assert.equal(call.ctxPayload.SessionKey, session);
    assert.equal(call.ctxPayload.CommandSource, "native");
    assert.equal(call.ctxPayload.CommandAuthorized, true);
    assert.equal(call.ctxPayload.MessageSid, `interaction:${picker.id}:select:openai/gpt-8`);
    assert.equal(call.ctxPayload.ConversationLabel, "Mattermost DM from alice");
    assert.equal(call.ctxPayload.From, `mattermost:${aliceId}`);
    assert.equal(call.ctxPayload.To, `user:${aliceId}`);
    // …its answer went to the DM, and the picker shows the switch.
    await helpers.eventually(async () => (await postById(picker.id)).message === JS_OPENAI_PAGE_2.text, { what: "the picker updated" });
    assert.ok((await fake.botPosts()).some((p) => p.message === "Model set to openai/gpt-8." && p.channel_id === dmAlice && p.root_id === ""));
    post = await postById(picker.id);
    assert.deepEqual(actionsOf(post), JS_OPENAI_PAGE_2.buttons.map(([b]) => [b.id, b.text, b.style ?? "default"]));

    // Back: the providers, the current one primary; the same buttons again work again.
    await click(aliceId, picker.id, "mdlback50b3a8202e15");
    post = await postById(picker.id);
    assert.equal(post.message, "Current: openai/gpt-8\n\nSelect a provider:");
    assert.deepEqual(actionsOf(post).map(([, name, style]) => [name, style]), [["echo (1)", "default"], ["openai (9)", "primary"]]);
    const again = await click(aliceId, picker.id, "mdllist26e11eaa737e");
    assert.equal(again.response.ephemeral_text, undefined, "no 'already handled' for a picker");
    assert.match((await postById(picker.id)).message, /Current: openai\/gpt-8\nPage 1\/2/);
  });

  test("/oc_models and /oc_models <provider> open their views; other /oc_model texts stay commands", async () => {
    const { aliceId, townSquare } = fake.info;
    const providers = await openPicker(aliceId, townSquare, "/oc_models");
    assert.equal(providers.message, JS_PROVIDERS.text);
    const echo = await openPicker(aliceId, townSquare, "/oc_models ECHO");
    assert.equal(echo.message, "Models (echo) - 1 available\nCurrent: echo/echo-1\nPage 1/1\nSelect a model to switch immediately.");
    assert.deepEqual(actionsOf(echo).map(([, name]) => name), ["echo-1 [current]", "Back to providers"]);
    const unknown = await openPicker(aliceId, townSquare, "/oc_models nope");
    assert.equal(unknown.message, "Current: echo/echo-1\n\nUnknown provider: nope");
    const before = recorder.dispatches.length;
    await fake.cmd({ cmd: "runCommand", userId: aliceId, channelId: townSquare, text: "/oc_model status" });
    const call = await helpers.eventually(() => recorder.dispatches.slice(before).find((d) => d.ctxPayload.CommandBody === "/model status"), { what: "/model status" });
    assert.equal(call.ctxPayload.CommandSource, "native");
  });

  test("only the picker's owner may use it, and only a sender the policy accepts", async () => {
    const { aliceId, bobId, townSquare } = fake.info;
    const picker = await openPicker(aliceId, townSquare, "/oc_models");
    // Bob may not talk to the bot in channels: refused before the picker looks at the owner.
    const bob = await click(bobId, picker.id, "mdllist26e11eaa737e");
    assert.equal(bob.response.ephemeral_text, "OpenClaw ignored this action for #town-square.");
    // A picker bob opened (signed with the account's key), clicked by alice.
    const { interactionAccounts } = await import("../src/channel.js");
    const { integration } = await fake.cmd({ cmd: "integration", postId: picker.id, actionId: "mdllist26e11eaa737e" });
    const props = buildButtonProps({
      buttons: [{ id: "mdllist1", text: "openai (9)", context: ctx({ action: "list", ownerUserId: bobId, provider: "openai", page: 1 }) }],
      channelId: townSquare,
      callbackUrl: integration.url,
      key: interactionAccounts.get("default").key,
    });
    const sent = await account.bridge.request("send", { channelId: townSquare, text: "bob's picker", attachments: props.attachments });
    const alice = await click(aliceId, sent.postIds[0], "mdllist1");
    assert.equal(alice.response.ephemeral_text, "Only the person who opened this picker can use it.");
    assert.equal((await postById(sent.postIds[0])).message, "bob's picker", "unchanged");
    // The clicked post unchanged too; no turn for either click.
    assert.equal((await postById(picker.id)).message, JS_PROVIDERS.text);
  });

  test("a switch that fails leaves the picker as it was", async () => {
    const { aliceId, offTopic } = fake.info;
    const picker = await openPicker(aliceId, offTopic, "/oc_models openai");
    const gpt0 = actionsOf(picker).find(([, name]) => name === "gpt-0")[0];
    const res = await click(aliceId, picker.id, gpt0);
    assert.deepEqual(res.response, {});
    assert.ok(recorder.dispatches.some((d) => d.ctxPayload.CommandBody === "/model openai/gpt-0"), "it was tried");
    const post = await postById(picker.id);
    assert.equal(post.message, picker.message);
    assert.deepEqual(actionsOf(post), actionsOf(picker));
  });

  test("a model gone from the catalog is refused; an empty catalog says so", async () => {
    const { aliceId, offTopic } = fake.info;
    const picker = await openPicker(aliceId, offTopic, "/oc_models openai");
    const gpt3 = actionsOf(picker).find(([, name]) => name === "gpt-3")[0];
    sdk.catalog.byProvider = new Map([["echo", new Set(["echo-1"])], ["openai", new Set(["gpt-4"])]]);
    const gone = await click(aliceId, picker.id, gpt3);
    assert.equal(gone.response.ephemeral_text, "That model is no longer available: openai/gpt-3");
    assert.ok(!recorder.dispatches.some((d) => d.ctxPayload.CommandBody === "/model openai/gpt-3"));
    sdk.catalog = { providers: [], byProvider: new Map(), resolvedDefault: { provider: "echo", model: "echo-1" }, refreshWarning: "Model catalog refresh failed." };
    await click(aliceId, picker.id, "mdlback50b3a8202e15");
    const post = await postById(picker.id);
    assert.equal(post.message, "Model catalog refresh failed.\n\nNo models available.");
    assert.deepEqual(post.props.attachments, []);
    const empty = await openPicker(aliceId, offTopic, "/oc_model");
    assert.equal(empty.message, "Model catalog refresh failed.\n\nNo models available.");
    sdk.catalog = catalog();
  });
});

test("without OpenClaw's model helpers /oc_model runs as a text command", async () => {
  const { dispatchSlash } = await import("../src/channel.js");
  const { recordingRuntime, recordingBridge } = await import("./helpers.js");
  const recorder = recordingRuntime();
  const bridge = recordingBridge();
  const account = { accountId: "default", config: {} };
  const deps = { cfg: {}, accountId: "default", account, rt: recorder.rt, bridge };
  const auth = { authorized: true, channelType: "direct", sender: { username: "alice" } };
  await dispatchSlash({ deps }, { user_id: ALICE, channel_id: "dm", team_id: "t", commandText: "/model", auth });
  assert.equal(recorder.dispatches[0].ctxPayload.CommandBody, "/model");
  assert.deepEqual(bridge.requests, [], "no picker post");
});
