// Channel posts that fail only the bridge's mention gate (`addressed: false`, asked for with
// `--unaddressed`): dispatched when OpenClaw's mention patterns for the agent match or when they
// are a text command their sender may run, as @openclaw/mattermost lets them through; otherwise
// they stay history. Against the real bridge and the fake Mattermost server.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { admitUnaddressed, commandAuthorized } from "../src/inbound.js";
import { eventually, recordingRuntime, sleep, startFake, startRunningAccount } from "./helpers.js";

/**
 * Stand-ins for OpenClaw's mention and command helpers (`runtime.channel.mentions`, `.commands`),
 * with OpenClaw's semantics: patterns from `messages.groupChat.mentionPatterns` (case-insensitive),
 * text commands on unless `commands.text` is false, a few of its control commands, and its
 * mention decision (resolveInboundMentionDecision).
 */
function withOpenClawHelpers(rt) {
  rt.mentions = {
    buildMentionRegexes: (cfg) => (cfg.messages?.groupChat?.mentionPatterns ?? []).map((p) => new RegExp(p, "i")),
    matchesMentionPatterns: (text, regexes) => regexes.some((r) => r.test(text)),
    resolveInboundMentionDecision: ({ facts, policy }) => {
      const bypass =
        policy.isGroup && policy.requireMention && !facts.wasMentioned && policy.allowTextCommands && policy.commandAuthorized && policy.hasControlCommand;
      const effectiveWasMentioned = facts.wasMentioned || bypass;
      return { effectiveWasMentioned, shouldBypassMention: bypass, shouldSkip: policy.requireMention && facts.canDetectMention && !effectiveWasMentioned };
    },
  };
  rt.commands = {
    shouldHandleTextCommands: ({ cfg }) => cfg.commands?.text !== false,
    isControlCommandMessage: (text) => /^\/(new|status|reset)(\s|$)/i.test(text.trim()) || text.trim().toLowerCase() === "stop",
  };
  return rt;
}

const ROOT = { messages: { groupChat: { mentionPatterns: ["\\bclaw\\b"] } } };

describe("unaddressed channel posts", () => {
  let fake;
  let account;
  let recorder;

  before(async () => {
    fake = await startFake();
    recorder = recordingRuntime();
    withOpenClawHelpers(recorder.rt);
    account = await startRunningAccount(fake, { rt: recorder.rt, root: ROOT, extra: { groupPolicy: "open" } });
  });

  after(async () => {
    await account?.stop();
    await fake?.stop();
  });

  const dispatchOf = (postId) =>
    eventually(() => recorder.dispatches.find((d) => d.ctxPayload.MessageSid === postId), { what: `dispatch of ${postId}` });
  const dispatched = (postId) => recorder.dispatches.some((d) => d.ctxPayload.MessageSid === postId);

  test("the plugin asks the bridge for them", () => {
    assert.ok(account.bridge.args.includes("--unaddressed"));
  });

  test("a post naming the agent by a mention pattern is dispatched as mentioned, with the history before it and its files", async () => {
    const { info } = fake;
    const before1 = await fake.post(info.aliceId, info.offTopic, "earlier chatter");
    await fake.cmd({ cmd: "addFile", id: "clawfile000000000000000001", name: "plan.txt", text: "the plan" });
    const named = await fake.post(info.aliceId, info.offTopic, "Claw, what do you make of this?", { fileIds: ["clawfile000000000000000001"] });
    const ctx = (await dispatchOf(named)).ctxPayload;
    assert.equal(ctx.WasMentioned, true);
    assert.equal(ctx.BodyForAgent, "Claw, what do you make of this?");
    assert.equal(ctx.CommandAuthorized, true);
    assert.equal(ctx.CommandSource, undefined, "not a command");
    assert.deepEqual(ctx.InboundHistory.map((e) => e.messageId), [before1]);
    assert.equal(readFileSync(ctx.MediaPaths[0], "utf8"), "the plan", "fetched once taken");
    assert.ok(!dispatched(before1), "chatter is not dispatched");
    // What came before was handed over with it: the next turn carries only what followed.
    const after1 = await fake.post(info.aliceId, info.offTopic, "plain chatter after");
    const next = await fake.post(info.aliceId, info.offTopic, "@openclaw and now?");
    const later = (await dispatchOf(next)).ctxPayload;
    assert.deepEqual(later.InboundHistory.map((e) => e.messageId), [after1]);
    assert.ok(!dispatched(after1));
  });

  test("a text command from a sender allowed to run commands passes without a mention, with CommandSource text", async () => {
    const { info } = fake;
    const id = await fake.post(info.aliceId, info.townSquare, "/status");
    const ctx = (await dispatchOf(id)).ctxPayload;
    assert.equal(ctx.CommandSource, "text");
    assert.equal(ctx.CommandAuthorized, true);
    assert.equal(ctx.WasMentioned, true, "the JS plugin's effectiveWasMentioned includes the bypass");
    assert.equal(ctx.CommandBody, "/status");
    // An addressed command is marked the same way.
    const addressed = await fake.post(info.aliceId, info.townSquare, "@openclaw /new");
    const ctx2 = (await dispatchOf(addressed)).ctxPayload;
    assert.equal(ctx2.CommandSource, "text");
    assert.equal(ctx2.CommandBody, "/new");
  });

  test("a command from a sender who may not run commands is not dispatched, addressed or not", async () => {
    const { info } = fake;
    // groupPolicy open: bob may talk in channels, but is on no allow list.
    const bare = await fake.post(info.bobId, info.townSquare, "/new");
    const addressed = await fake.post(info.bobId, info.townSquare, "@openclaw /new");
    const chat = await fake.post(info.bobId, info.townSquare, "@openclaw hello");
    const ctx = (await dispatchOf(chat)).ctxPayload;
    assert.equal(ctx.CommandAuthorized, false);
    assert.equal(ctx.CommandSource, undefined);
    assert.ok(!dispatched(bare) && !dispatched(addressed));
  });

  test("a post matching nothing stays history only, once", async () => {
    const { info } = fake;
    const chatter = await fake.post(info.aliceId, info.groupChannel, "nothing for the bot here, clawing back");
    await sleep(300);
    assert.ok(!dispatched(chatter));
    const ask = await fake.post(info.aliceId, info.groupChannel, "@openclaw summary?");
    const ctx = (await dispatchOf(ask)).ctxPayload;
    assert.deepEqual(ctx.InboundHistory.map((e) => [e.messageId, e.body]), [[chatter, "nothing for the bot here, clawing back"]]);
  });
});

test("command authorisation in channels follows the JS plugin: allowFrom or groupAllowFrom, by id, * or (flagged) name", () => {
  const msg = (sender, extra = {}) => ({ channelType: "open", sender, senderName: `@${sender.username}`, ...extra });
  const alice = { id: "aliceid", username: "alice" };
  const account = (config) => ({ config });
  assert.equal(commandAuthorized(account({ allowFrom: ["ALICEID"] }), msg(alice)), true);
  assert.equal(commandAuthorized(account({ groupAllowFrom: ["user:aliceid"] }), msg(alice)), true);
  assert.equal(commandAuthorized(account({ groupAllowFrom: ["*"] }), msg(alice)), true);
  assert.equal(commandAuthorized(account({}), msg(alice)), false, "groupPolicy open alone authorises nobody");
  assert.equal(commandAuthorized(account({ allowFrom: ["bobid"] }), msg(alice)), false);
  assert.equal(commandAuthorized(account({ allowFrom: ["@alice"] }), msg(alice)), true, "our @username entries");
  assert.equal(commandAuthorized(account({ allowFrom: ["alice"] }), msg(alice)), false);
  assert.equal(commandAuthorized(account({ allowFrom: ["alice"], dangerouslyAllowNameMatching: true }), msg(alice)), true);
  assert.equal(commandAuthorized(account({}), { channelType: "direct", sender: alice }), true, "DMs: whoever the bridge let through");
});

test("without OpenClaw's helpers or with text commands off, unaddressed posts stay history", () => {
  const base = recordingRuntime().rt;
  const msg = { id: "p", channelId: "c", channelType: "open", sender: { id: "aliceid" }, text: "/status", addressed: false };
  const account = { config: { allowFrom: ["aliceid"] } };
  const deps = (rt, cfg = {}) => ({ cfg, accountId: "default", account, rt, botUsername: "openclaw" });
  assert.equal(admitUnaddressed(deps(base), msg), null);
  const rt = withOpenClawHelpers(recordingRuntime().rt);
  assert.equal(admitUnaddressed(deps(rt), msg).mentioned, true);
  assert.equal(admitUnaddressed(deps(rt, { commands: { text: false } }), msg), null);
  assert.equal(admitUnaddressed(deps(rt, ROOT), { ...msg, text: "hi claw" }).mentioned, true);
  assert.equal(admitUnaddressed(deps(rt, ROOT), { ...msg, text: "hi clawdia" }), null);
  assert.equal(admitUnaddressed(deps(rt, ROOT), { ...msg, channelType: "direct" }), null);
});
