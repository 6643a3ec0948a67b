// Interactive buttons: signing as @openclaw/mattermost signs (fixed vectors from its own
// buildButtonProps), the click route's checks in the JS plugin's order, and a click end to end
// through the real bridge and the fake's clickButton.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import {
  addressMatcher,
  buildButtonProps,
  canonical,
  createInteractionAccount,
  createInteractionRoute,
  interactionWarnings,
  resolveClientIp,
  resolvePresentation,
  signContext,
} from "../src/buttons.js";

const TOKEN = "tok3nAbCdEf0123456789secret";
// The JS plugin's secret for TOKEN, which the bridge's `interactionKey` answers.
const KEY = createHmac("sha256", "openclaw-mattermost-interactions").update(TOKEN).digest("hex");
const TOWN = "townsquare0000000000000001";
const URL_ = "http://localhost:18789/mattermost/interactions/default";

// Produced once with /work/js/package/dist/.setup/interactions-BG-CQbVD.mjs's own
// setInteractionSecret("default", TOKEN) and buildButtonProps (only its string-coercion import
// stubbed), for the buttons below.
const JS_VECTOR = {
  attachments: [
    {
      text: "Pick one",
      actions: [
        { id: "question0", type: "button", name: "Yes", style: "primary", integration: { url: URL_, context: { action_id: "question0", oc_question: true, question_id: "q_1", option_index: 0, __openclaw_channel_id: TOWN, _token: "7336848e8e7312534ab2296f05fb6dae617a4f546afddb625d3464d707835258" } } },
        { id: "noway", type: "button", name: "No", style: "default", integration: { url: URL_, context: { 9: "n", action_id: "noway", callback_data: "no_way", Zeta: 1, alpha: [{ b: 2, a: 1 }], _x: "u", __openclaw_channel_id: TOWN, _token: "b995a1986ce5a74410ff8f47ccdde5f58c339c925d92063ad70217ee7e30f6eb" } } },
        { id: "later", type: "button", name: "Later", style: "default", integration: { url: URL_, context: { action_id: "later", __openclaw_channel_id: TOWN, _token: "a173d38daecc50435de542f8e5bce6c38343d3da1df060288c75d93ef584b220" } } },
      ],
    },
  ],
};
const BUTTONS = [
  [
    { id: "question-0", text: "Yes", context: { oc_question: true, question_id: "q_1", option_index: 0 }, style: "primary" },
    { id: "no_way", text: "No", callback_data: "no_way", context: { callback_data: "no_way", Zeta: 1, alpha: [{ b: 2, a: 1 }], 9: "n", _x: "u" } },
  ],
  [{ callback_data: "later", name: "Later" }, { id: "", text: "dropped" }],
];

test("buttons are built and signed exactly as the JS plugin does (rows flattened, ids cleaned, channel signed)", () => {
  const props = buildButtonProps({ buttons: BUTTONS, channelId: TOWN, callbackUrl: URL_, key: KEY, text: "Pick one" });
  assert.deepEqual(props, JS_VECTOR);
  assert.equal(buildButtonProps({ buttons: [{ id: "", text: "x" }], channelId: TOWN, callbackUrl: URL_, key: KEY }), undefined);
});

test("the canonical form sorts keys with localeCompare at every level and drops undefined", () => {
  const json = JSON.stringify(canonical({ b: 1, _x: 2, Zeta: 3, alpha: [{ d: 1, c: undefined, a: 2 }], 9: 4, action_id: 5 }));
  assert.equal(json, '{"9":4,"_x":2,"action_id":5,"alpha":[{"a":2,"d":1}],"b":1,"Zeta":3}');
});

test("source addresses: lists and CIDRs, IPv4-mapped IPv6, proxies only when trusted", () => {
  const allowed = addressMatcher(["127.0.0.1", "::1", "10.1.0.0/16", "fd00::/8", "bad", "1.2.3.4/99"]);
  for (const ok of ["127.0.0.1", "::ffff:127.0.0.1", "::1", "10.1.200.3", "fd12::5"]) assert.ok(allowed(ok), ok);
  for (const no of ["127.0.0.2", "10.2.0.1", "fe80::1", "", undefined, "1.2.3.4"]) assert.ok(!allowed(no), String(no));
  const via = (remoteAddr, forwardedFor, realIp, allowRealIpFallback = false) =>
    resolveClientIp({ remoteAddr, forwardedFor, realIp, trustedProxies: ["192.168.1.1"], allowRealIpFallback });
  assert.equal(via("203.0.113.9", "127.0.0.1"), "203.0.113.9", "an untrusted socket's header is ignored");
  assert.equal(via("192.168.1.1", "6.6.6.6, 127.0.0.1"), "127.0.0.1", "the right-most untrusted hop");
  assert.equal(via("192.168.1.1", "127.0.0.1, 192.168.1.1"), "127.0.0.1", "trusted hops are skipped");
  assert.equal(via("192.168.1.1", undefined, "127.0.0.1"), undefined, "X-Real-IP only with allowRealIpFallback");
  assert.equal(via("192.168.1.1", undefined, "127.0.0.1", true), "127.0.0.1");
});

test("the JS plugin's start-up warnings: a loopback callback for a remote server, an open callback without a source list", () => {
  const [loopback] = interactionWarnings({ callbackUrl: "http://localhost:18789/mattermost/interactions/default", serverUrl: "https://chat.example.com" });
  assert.match(loopback, /\(loopback\) while baseUrl is https:\/\/chat\.example\.com\. This MAY be unreachable/);
  assert.deepEqual(interactionWarnings({ callbackUrl: "http://127.0.0.1:1/mattermost/interactions/a", serverUrl: "http://localhost:8065" }), []);
  const [open] = interactionWarnings({ callbackUrl: "https://gw.example.com/mattermost/interactions/a", serverUrl: "https://chat.example.com", allowedSourceIps: [] });
  assert.match(open, /without channels\.mattermost\.interactions\.allowedSourceIps/);
  assert.deepEqual(interactionWarnings({ callbackUrl: "https://gw.example.com/x", serverUrl: "https://chat.example.com", allowedSourceIps: ["10.0.0.1"] }), []);
});

/** A click route on a local server, with a bridge stand-in answering getPost and authorize. */
async function clickServer({ post, authorized = true, accountOptions = {}, resolveQuestion } = {}) {
  const calls = [];
  const bridge = {
    request: async (method, params) => {
      calls.push([method, params]);
      if (method === "getPost") {
        if (!post) throw new Error("Mattermost refused the call: not found");
        return { post: JSON.stringify(post) };
      }
      if (method === "authorize") return { authorized, reason: authorized ? null : "unauthorized", channelType: "open", channelName: "town-square", channelDisplayName: "Town Square", teamId: "t", sender: { id: params.userId, username: "alice" } };
      throw new Error(`unexpected ${method}`);
    },
  };
  const account = createInteractionAccount({ accountId: "default", bridge, ...accountOptions });
  account.key = KEY;
  account.events = [];
  account.clicks = [];
  account.systemEvent = (click) => account.events.push(click);
  account.dispatch = async (click) => account.clicks.push(click);
  if (resolveQuestion) account.resolveQuestion = resolveQuestion;
  const route = createInteractionRoute({ account: (id) => (id === "default" ? account : undefined) });
  const server = createServer((req, res) => route(req, res));
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const send = (body, { method = "POST", path = "/mattermost/interactions/default", headers = {} } = {}) =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: server.address().port, method, path, headers: { "content-type": "application/json", ...headers } }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
      });
      req.on("error", reject);
      req.end(typeof body === "string" ? body : JSON.stringify(body));
    });
  return { account, calls, send, close: () => server.close() };
}

const signed = (context) => ({ ...context, _token: signContext(KEY, context) });
const POST = {
  id: "post00000000000000000000001",
  channel_id: TOWN,
  root_id: "",
  message: "Pick one",
  props: { attachments: [{ text: "", actions: [{ id: "later", name: "Later" }, { id: "question0", name: "Yes" }] }] },
};
const clickBody = (context, extra = {}) => ({ user_id: "alice00000000000000000000a", user_name: "alice", channel_id: TOWN, post_id: POST.id, context, ...extra });

test("a click is checked in the JS plugin's order, with its answers", async () => {
  const s = await clickServer({ post: POST });
  try {
    assert.equal((await s.send({}, { method: "GET" })).status, 405);
    assert.equal((await s.send({}, { path: "/mattermost/interactions/other" })).status, 404);
    assert.deepEqual(await s.send("{not json"), { status: 400, body: { error: "Invalid request body" } });
    assert.deepEqual(await s.send(clickBody(undefined)), { status: 400, body: { error: "Missing context" } });
    assert.deepEqual(await s.send(clickBody({ action_id: "later" })), { status: 403, body: { error: "Missing token" } });
    const forged = { action_id: "later", __openclaw_channel_id: TOWN, _token: "0".repeat(64) };
    assert.deepEqual(await s.send(clickBody(forged)), { status: 403, body: { error: "Invalid token" } });
    const elsewhere = signed({ action_id: "later", __openclaw_channel_id: "otherchannel00000000000001" });
    assert.deepEqual(await s.send(clickBody(elsewhere)), { status: 403, body: { error: "Channel mismatch" } });
    const unknown = signed({ action_id: "maybe", __openclaw_channel_id: TOWN });
    assert.deepEqual(await s.send(clickBody(unknown)), { status: 403, body: { error: "Unknown action" } });
    const big = await s.send(clickBody(signed({ action_id: "later" }), { pad: "x".repeat(70_000) }));
    assert.equal(big.status, 413);
    assert.equal(s.account.clicks.length, 0, "nothing dispatched");
  } finally {
    s.close();
  }
});

test("a click on a post in another channel, or when the post cannot be read", async () => {
  const moved = await clickServer({ post: { ...POST, channel_id: "otherchannel00000000000001" } });
  try {
    const res = await moved.send(clickBody(signed({ action_id: "later", __openclaw_channel_id: TOWN })));
    assert.deepEqual(res, { status: 403, body: { error: "Post/channel mismatch" } });
  } finally {
    moved.close();
  }
  const gone = await clickServer({ post: null });
  try {
    const res = await gone.send(clickBody(signed({ action_id: "later", __openclaw_channel_id: TOWN })));
    assert.deepEqual(res, { status: 500, body: { error: "Failed to validate interaction" } });
  } finally {
    gone.close();
  }
});

test("a generic click: system event, the update in the answer, the dispatch; a repeat is refused", async () => {
  const s = await clickServer({ post: POST });
  try {
    const context = signed({ action_id: "later", callback_data: "later", __openclaw_channel_id: TOWN });
    const res = await s.send(clickBody(context));
    assert.deepEqual(res, {
      status: 200,
      body: { update: { message: "Pick one", props: { attachments: [{ text: "✓ **Later** selected by @alice" }] } } },
    });
    assert.equal(s.account.events.length, 1);
    assert.equal(s.account.clicks[0].label, "Later");
    assert.deepEqual(s.calls.map(([m]) => m), ["getPost", "authorize"]);
    assert.deepEqual(s.calls[1][1], { userId: "alice00000000000000000000a", channelId: TOWN });
    const again = await s.send(clickBody(context));
    assert.deepEqual(again, { status: 200, body: { ephemeral_text: "This action was already handled." } });
    assert.equal(s.account.clicks.length, 1);
  } finally {
    s.close();
  }
});

test("a click by someone the policy refuses gets the JS plugin's ephemeral text", async () => {
  const s = await clickServer({ post: POST, authorized: false });
  try {
    const res = await s.send(clickBody(signed({ action_id: "later", __openclaw_channel_id: TOWN })));
    assert.deepEqual(res, { status: 200, body: { ephemeral_text: "OpenClaw ignored this action for #town-square." } });
    assert.equal(s.account.clicks.length, 0);
  } finally {
    s.close();
  }
});

test("a question click resolves the option and answers with the update and 'Answer submitted.'", async () => {
  const asked = [];
  const s = await clickServer({ post: POST, resolveQuestion: async (q) => (asked.push(q), { status: asked.length === 1 ? "answered" : "expired" }) });
  try {
    const context = signed({ action_id: "question0", oc_question: true, question_id: "q_1", option_index: 0, __openclaw_channel_id: TOWN });
    const res = await s.send(clickBody(context));
    assert.deepEqual(res.body, {
      update: { message: "Pick one", props: { attachments: [{ text: "✓ **Yes** selected by @alice" }] } },
      ephemeral_text: "Answer submitted.",
    });
    assert.deepEqual(asked, [{ questionId: "q_1", optionIndex: 0, senderId: "alice00000000000000000000a", channelId: TOWN }]);
    assert.equal(s.account.clicks.length, 0, "a question click is not dispatched");
  } finally {
    s.close();
  }
});

test("sources outside allowedSourceIps are refused, directly and through proxies", async () => {
  const s = await clickServer({ post: POST, accountOptions: { allowedSourceIps: ["10.9.9.9"], trustedProxies: ["127.0.0.1"] } });
  try {
    const body = clickBody(signed({ action_id: "later", __openclaw_channel_id: TOWN }));
    assert.deepEqual(await s.send(body), { status: 403, body: { error: "Forbidden origin" } });
    assert.equal((await s.send(body, { headers: { "x-forwarded-for": "6.6.6.6" } })).status, 403);
    assert.equal((await s.send(body, { headers: { "x-forwarded-for": "10.9.9.9" } })).status, 200, "via the trusted proxy");
  } finally {
    s.close();
  }
  const direct = await clickServer({ post: POST, accountOptions: { allowedSourceIps: ["10.9.9.9"] } });
  try {
    const body = clickBody(signed({ action_id: "later", __openclaw_channel_id: TOWN }));
    const res = await direct.send(body, { headers: { "x-forwarded-for": "10.9.9.9" } });
    assert.equal(res.status, 403, "a header from an untrusted socket is ignored");
  } finally {
    direct.close();
  }
});

// OpenClaw's presentation helpers, reduced to what the rules below read.
const SDK = {
  normalizeMessagePresentation: (p) => p ?? null,
  renderMessagePresentationFallbackText: ({ text, presentation }) => [text, ...presentation.blocks.flatMap((b) => b.buttons ?? []).map((b) => `- ${b.label}`)].join("\n"),
  resolveAskUserQuestionOptionIndices: ({ channelData }) => channelData?.indices,
  resolveAskUserQuestionOptionIndex: ({ questionOptionIndices, questionId, optionValue }) => questionOptionIndices?.[questionId]?.[optionValue],
  resolveMessagePresentationControlValue: (b) => b.value,
  resolveMessagePresentationButtonAction: (b) => b.action,
};

test("a presentation's question options and value buttons become buttons; approvals stay text", () => {
  const presentation = {
    blocks: [
      { type: "text", text: "Choose" },
      { type: "buttons", buttons: [{ label: "Yes", action: { type: "question", questionId: "q1", optionValue: "y" } }, { label: "Later", value: "later", style: "primary" }] },
      { type: "buttons", buttons: [{ label: "Approve", action: { type: "approval", decision: "allow" } }] },
      { type: "buttons", buttons: [{ label: "Unknown option", action: { type: "question", questionId: "q1", optionValue: "zzz" } }] },
    ],
  };
  const { text, buttons } = resolvePresentation(SDK, { text: "Pick", presentation, channelData: { indices: { q1: { y: 0 } } } });
  assert.equal(text, "Pick\n- Yes\n- Later\n- Approve\n- Unknown option");
  assert.deepEqual(buttons, [
    [
      { id: "question-0", text: "Yes", context: { oc_question: true, question_id: "q1", option_index: 0 }, style: undefined },
      { id: "later", text: "Later", callback_data: "later", context: { callback_data: "later" }, style: "primary" },
    ],
  ]);
});

describe("end to end: buttons posted through the bridge, clicked in the fake", () => {
  let fake;
  let account;
  let server;
  let recorder;
  let callbackUrl;

  before(async () => {
    const { startFake, startRunningAccount, recordingRuntime, eventually } = await import("./helpers.js");
    const { interactionAccounts } = await import("../src/channel.js");
    const route = createInteractionRoute({ account: (id) => interactionAccounts.get(id) });
    server = createServer((req, res) => route(req, res));
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    callbackUrl = `http://127.0.0.1:${server.address().port}/mattermost/interactions/default`;
    fake = await startFake();
    recorder = recordingRuntime();
    account = await startRunningAccount(fake, { rt: recorder.rt, system: recorder.system });
    await eventually(() => interactionAccounts.get("default")?.key, { what: "interaction key" });
  });

  after(async () => {
    await account?.stop();
    await fake?.stop();
    server?.close();
  });

  test("the bridge's key signs like the JS plugin; a click updates the post and reaches OpenClaw once", async () => {
    const { interactionAccounts } = await import("../src/channel.js");
    const key = interactionAccounts.get("default").key;
    const expected = createHmac("sha256", "openclaw-mattermost-interactions").update(fake.info.token).digest("hex");
    assert.equal(key, expected);
    const props = buildButtonProps({ buttons: [{ id: "go_on", text: "Go on", callback_data: "go_on", context: { callback_data: "go_on" } }], channelId: fake.info.townSquare, callbackUrl, key });
    const sent = await account.bridge.request("send", { channelId: fake.info.townSquare, text: "Shall I?", attachments: props.attachments });
    const postId = sent.postIds[0];
    const click = await fake.cmd({ cmd: "clickButton", userId: fake.info.aliceId, postId, actionId: "goon" });
    assert.equal(click.status, 200);
    assert.deepEqual(click.response.update, { message: "Shall I?", props: { attachments: [{ text: "✓ **Go on** selected by @alice" }] } });
    const post = (await fake.posts()).find((p) => p.id === postId);
    assert.equal(post.message, "Shall I?");
    assert.deepEqual(post.props.attachments, [{ text: "✓ **Go on** selected by @alice" }]);
    const { eventually } = await import("./helpers.js");
    const call = await eventually(() => recorder.dispatches.find((d) => d.ctxPayload.MessageSid === `interaction:${postId}:goon`), { what: "click dispatch" });
    assert.equal(call.ctxPayload.Body, '[Button click: user @alice selected "Go on"]');
    assert.equal(call.ctxPayload.CommandAuthorized, false);
    assert.ok(recorder.systemEvents.some((e) => e.text === `Mattermost button click: action="goon" by alice in channel ${fake.info.townSquare}`));
    // The update removed the button: the server itself refuses a second click.
    await assert.rejects(fake.cmd({ cmd: "clickButton", userId: fake.info.aliceId, postId, actionId: "goon" }), /api\.post\.do_action\.action_id\.app_error/);
    // Bob may not talk to the bot in channels: his click is ignored with the JS text.
    const again = await account.bridge.request("send", { channelId: fake.info.townSquare, text: "Again?", attachments: props.attachments });
    const bob = await fake.cmd({ cmd: "clickButton", userId: fake.info.bobId, postId: again.postIds[0], actionId: "goon" });
    assert.equal(bob.response.ephemeral_text, "OpenClaw ignored this action for #town-square.");
  });

  test("outbound.sendPayload posts rendered buttons, signed for the DM it resolves, on the first post", async () => {
    const { mattermostPlugin } = await import("../src/channel.js");
    const payload = { text: "Which one?", channelData: { mattermost: { presentationButtons: [[{ id: "pick_a", text: "A", callback_data: "pick_a", context: { callback_data: "pick_a" } }]] } } };
    const cfg = { ...account.cfg, gateway: { port: Number(new URL(callbackUrl).port), customBindHost: "127.0.0.1" } };
    const result = await mattermostPlugin.outbound.sendPayload({ cfg, to: `user:${fake.info.aliceId}`, text: payload.text, payload, accountId: "default" });
    const postId = result.messageId;
    const post = (await fake.posts()).find((p) => p.id === postId);
    assert.equal(post.channel_id, fake.info.dmAlice);
    assert.equal(post.message, "Which one?");
    assert.deepEqual(post.props.attachments[0].actions.map((a) => [a.id, a.name]), [["picka", "A"]]);
    const { integration } = await fake.cmd({ cmd: "integration", postId, actionId: "picka" });
    assert.equal(integration.url, callbackUrl);
    assert.equal(integration.context.__openclaw_channel_id, fake.info.dmAlice);
    const click = await fake.cmd({ cmd: "clickButton", userId: fake.info.aliceId, postId, actionId: "picka" });
    assert.deepEqual(click.response.update.props, { attachments: [{ text: "✓ **A** selected by @alice" }] });
  });
});
