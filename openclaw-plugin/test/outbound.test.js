// How replies go out: replyToMode per chat type, response prefix, Markdown tables, chunking and
// the streaming modes, against the real bridge and the fake Mattermost where posts are made.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildToolContext, mattermostPlugin, outbound, resolveAutoThreadId, resolveReplyTransport } from "../src/channel.js";
import { resolveAccount, resolveReplyToMode } from "../src/config.js";
import { handleInboundMessage, previewPrefix, previewText, resolveThread } from "../src/inbound.js";
import { textPlan } from "../src/text.js";
import { eventually, recordingBridge, recordingRuntime, recordingText, startFake, startRunningAccount } from "./helpers.js";

const DEFAULT_TABLE_MODE = mattermostPlugin.messaging.defaultMarkdownTableMode;

/** OpenClaw's `reply.resolveEffectiveMessagesConfig` for the prefix: account, channel, global. */
function resolveEffectiveMessagesConfig(cfg, _agentId, { channel, accountId }) {
  const section = cfg?.channels?.[channel] ?? {};
  const responsePrefix =
    section.accounts?.[accountId]?.responsePrefix ?? section.responsePrefix ?? cfg?.messages?.responsePrefix;
  return { responsePrefix };
}

function runtimeWithText(options) {
  const recorder = recordingRuntime(options);
  const text = recordingText({ defaultTableMode: DEFAULT_TABLE_MODE });
  recorder.rt.text = text.text;
  recorder.rt.reply.resolveEffectiveMessagesConfig = resolveEffectiveMessagesConfig;
  return { ...recorder, textCalls: text.calls };
}

test("replyToMode per chat type: replyToModeByChatType, else off for DMs, else replyToMode", () => {
  const account = (config) => resolveAccount({ channels: { mattermost: { serverUrl: "https://a", botToken: "t", ...config } } });
  assert.equal(resolveReplyToMode(account({}), "channel"), "off");
  assert.equal(resolveReplyToMode(account({ replyToMode: "all" }), "channel"), "all");
  assert.equal(resolveReplyToMode(account({ replyToMode: "all" }), "group"), "all");
  assert.equal(resolveReplyToMode(account({ replyToMode: "all" }), "direct"), "off", "DMs stay flat by default");
  const scoped = account({ replyToMode: "first", replyToModeByChatType: { direct: "batched", channel: "off" } });
  assert.equal(resolveReplyToMode(scoped, "direct"), "batched");
  assert.equal(resolveReplyToMode(scoped, "channel"), "off");
  assert.equal(resolveReplyToMode(scoped, "group"), "first");
});

test("threads: a flat DM ignores its thread; first, all and batched thread a top-level post", () => {
  const route = { sessionKey: "s" };
  const top = { id: "P1", rootId: null };
  const inThread = { id: "P2", rootId: "R" };
  const flat = { replyToId: undefined, sessionKey: "s", parentSessionKey: undefined };
  assert.deepEqual(resolveThread({ msg: inThread, kind: "direct", route, replyToMode: "off" }), flat);
  assert.deepEqual(resolveThread({ msg: top, kind: "channel", route, replyToMode: "off" }), flat);
  for (const mode of ["first", "all", "batched"]) {
    assert.deepEqual(resolveThread({ msg: top, kind: "channel", route, replyToMode: mode }), {
      replyToId: "P1",
      sessionKey: "s:thread:p1",
      parentSessionKey: "s",
    });
  }
  assert.deepEqual(resolveThread({ msg: inThread, kind: "channel", route, replyToMode: "off" }), {
    replyToId: "R",
    sessionKey: "s:thread:r",
    parentSessionKey: "s",
  });
  assert.deepEqual(resolveThread({ msg: top, kind: "direct", route, replyToMode: "all" }), {
    replyToId: "P1",
    sessionKey: "s:thread:p1",
    parentSessionKey: undefined,
  });
});

test("reply transport and the message tool's thread follow the chat type's mode", () => {
  const flatDm = { chatType: "direct", replyToMode: "off" };
  assert.deepEqual(resolveReplyTransport({ threadId: "T", replyToId: "R", replyDelivery: flatDm }), {
    replyToId: null,
    threadId: null,
  });
  const channel = { chatType: "channel", replyToMode: "all" };
  assert.deepEqual(resolveReplyTransport({ threadId: "T", replyToId: "R", replyDelivery: channel }), { replyToId: "T", threadId: "T" });
  assert.deepEqual(resolveReplyTransport({ threadId: "T", replyToId: "R", replyToIsExplicit: true, replyDelivery: channel }), {
    replyToId: "R",
    threadId: "R",
  });
  assert.deepEqual(resolveReplyTransport({ replyToId: "R" }), { replyToId: "R", threadId: "R" });

  const C = "c".repeat(26);
  const cfg = { channels: { mattermost: { serverUrl: "https://a", botToken: "t", replyToMode: "first" } } };
  const hasRepliedRef = { value: false };
  const context = { ChatType: "channel", To: `channel:${C}`, ReplyToId: "P", CurrentMessageId: "P" };
  const tool = buildToolContext({ cfg, accountId: "default", context, hasRepliedRef });
  assert.equal(tool.replyToMode, "first");
  assert.equal(tool.currentChannelId, `channel:${C}`);
  assert.equal(resolveAutoThreadId({ to: `channel:${C}`, toolContext: tool }), "P", "first send of the turn: threaded");
  hasRepliedRef.value = true;
  assert.equal(resolveAutoThreadId({ to: `channel:${C}`, toolContext: tool }), undefined, "later sends under first: not");
  assert.equal(resolveAutoThreadId({ to: `channel:${"o".repeat(26)}`, toolContext: tool }), undefined, "another channel: not");
  const inThread = buildToolContext({ cfg, accountId: "default", context: { ...context, MessageThreadId: "R" }, hasRepliedRef });
  assert.equal(inThread.replyToMode, "all", "inside an existing thread every send stays in it");
  assert.equal(resolveAutoThreadId({ to: `channel:${C}`, toolContext: inThread }), "R");
});

test("streaming modes: the object form's mode, the plugin's scalar forms, partial by default", () => {
  const mode = (streaming) => resolveAccount({ channels: { mattermost: { streaming } } }).streaming;
  assert.equal(mode(undefined), "partial");
  assert.equal(mode(false), "off");
  assert.equal(mode(true), "partial");
  assert.equal(mode("off"), "off");
  assert.equal(mode({ mode: "block" }), "block");
  assert.equal(mode({ mode: "Progress" }), "progress");
  assert.equal(mode({ chunkMode: "newline" }), "partial");
});

test("text plan: OpenClaw's helpers decide limit, table mode and chunk mode; none → the text as written", () => {
  const { text, calls } = recordingText({ defaultTableMode: DEFAULT_TABLE_MODE });
  const cfg = { channels: { mattermost: { markdown: { tables: "bullets" }, streaming: { chunkMode: "newline" } } } };
  const account = resolveAccount({ channels: { mattermost: { textChunkLimit: 30 } } });
  const plan = textPlan({ text }, cfg, account);
  assert.equal(plan.tableMode, "bullets");
  assert.equal(plan.chunkMode, "newline");
  assert.deepEqual(calls[0], ["resolveTextChunkLimit", "mattermost", "default", { fallbackLimit: 30 }]);
  assert.deepEqual(plan.chunks("| a |\n\nnext"), ["[table:bullets]\n| a |", "next"]);
  assert.equal(textPlan({ text }, {}, resolveAccount({})).tableMode, "off", "the channel's default table mode is off");
  const bare = textPlan({}, cfg, account);
  assert.deepEqual(bare.chunks("| a |\n\nnext"), ["| a |\n\nnext"]);
});

test("the preview shows at most 4000 characters, cut with ...; the prefix only without template variables", () => {
  assert.equal(previewText("  short  "), "short");
  const cut = previewText("x".repeat(5000));
  assert.equal(cut.length, 4000);
  assert.ok(cut.endsWith("x..."));
  assert.equal(previewText("x".repeat(100), 50), `${"x".repeat(47)}...`, "a lower maximum cuts sooner (the first post of a preview, at textChunkLimit)");
  const rt = { reply: { resolveEffectiveMessagesConfig } };
  assert.equal(previewPrefix(rt, { channels: { mattermost: { responsePrefix: "[bot]" } } }, "main", "default"), "[bot]");
  assert.equal(previewPrefix(rt, { messages: { responsePrefix: "[all]" } }, "main", "default"), "[all]");
  assert.equal(previewPrefix(rt, { messages: { responsePrefix: "[{model}]" } }, "main", "default"), undefined);
  assert.equal(previewPrefix({}, { messages: { responsePrefix: "[all]" } }, "main", "default"), undefined);
});

test("preview modes: progress posts no partial text, partial is throttled, off with block.enabled lets OpenClaw send blocks", async () => {
  const msg = { id: "P", channelId: "D", channelType: "direct", sender: { id: "U", username: "u" }, text: "hi" };
  for (const [streaming, check] of [
    [
      { mode: "progress" },
      async (call, bridge) => {
        assert.equal(call.replyOptions.disableBlockStreaming, true);
        assert.equal(await call.replyOptions.onPartialReply({ text: "partial" }), false);
        call.replyOptions.onReasoningStream({ text: "hmm" });
        await call.delivery.deliver({ text: "done" }, { kind: "final" });
        assert.deepEqual(bridge.requests.map(([m, p]) => [m, p.text]), [["send", "done"]]);
      },
    ],
    [
      { mode: "partial" },
      async (call, bridge) => {
        // no throttle here (previewThrottleMs 0): every partial is shown
        call.replyOptions.onReasoningStream({ text: "hmm" });
        await eventually(() => bridge.requests.length === 1, { what: "the thinking line" });
        call.replyOptions.onPartialReply({ text: "Ans" });
        await call.delivery.deliver({ text: "Answer" }, { kind: "final" });
        assert.deepEqual(
          bridge.requests.map(([m, p]) => [m, p.text]),
          [
            ["send", "Thinking…"],
            ["edit", "Ans"],
            ["edit", "Answer"],
          ],
        );
      },
    ],
    [
      { mode: "partial", throttled: true },
      async (call, bridge) => {
        // a partial within the throttle (1.2 s; here a minute) of the last update waits, and
        // the final answer replaces it before it is shown
        call.replyOptions.onPartialReply({ text: "Ans" });
        await eventually(() => bridge.requests.length === 1, { what: "the first preview" });
        call.replyOptions.onPartialReply({ text: "Answ" });
        await call.delivery.deliver({ text: "Answer" }, { kind: "final" });
        assert.deepEqual(
          bridge.requests.map(([m, p]) => [m, p.text]),
          [
            ["send", "Ans"],
            ["edit", "Answer"],
          ],
        );
      },
    ],
    [
      { mode: "partial" },
      async (call, bridge) => {
        // a second assistant message replaces the first one's text, though it is shorter
        call.replyOptions.onPartialReply({ text: "First message, long" });
        await eventually(() => bridge.requests.length === 1, { what: "the first preview" });
        call.replyOptions.onAssistantMessageStart();
        call.replyOptions.onPartialReply({ text: "Second" });
        await eventually(() => bridge.requests.length === 2, { what: "the second text" });
        assert.deepEqual(bridge.requests.at(-1), ["edit", { postId: "post1", text: "Second" }]);
      },
    ],
    [
      { mode: "block" },
      async (call, bridge) => {
        // block: each assistant message gets its own post; the final answer edits the last one
        call.replyOptions.onReasoningStream({ text: "hmm" });
        await eventually(() => bridge.requests.length === 1, { what: "the thinking line" });
        call.replyOptions.onPartialReply({ text: "One" });
        await eventually(() => bridge.requests.length === 2, { what: "the first text" });
        call.replyOptions.onAssistantMessageStart();
        call.replyOptions.onPartialReply({ text: "Two" });
        await eventually(() => bridge.requests.length === 3, { what: "the second post" });
        await call.delivery.deliver({ text: "Two!" }, { kind: "final" });
        assert.deepEqual(bridge.requests, [
          ["send", { channelId: "D", text: "Thinking…" }],
          ["edit", { postId: "post1", text: "One" }],
          ["send", { channelId: "D", text: "Two" }],
          ["edit", { postId: "post2", text: "Two!" }],
        ]);
      },
    ],
    [
      { mode: "off", block: { enabled: true } },
      async (call) => assert.deepEqual(call.replyOptions, { disableBlockStreaming: false }),
    ],
    [{ mode: "off" }, async (call) => assert.deepEqual(call.replyOptions, {})],
  ]) {
    const { rt, dispatches } = runtimeWithText();
    const bridge = recordingBridge();
    const { throttled, ...setting } = streaming;
    const cfg = { channels: { mattermost: { streaming: setting } } };
    const account = resolveAccount(cfg);
    const deps = { cfg, accountId: "default", account, rt, bridge, log: () => {}, previewThrottleMs: throttled ? 60_000 : 0 };
    const res = await handleInboundMessage(deps, msg);
    await res.done;
    await check(dispatches[0], bridge);
  }
});

test("a long answer's chunks are posted trimmed, as the JS plugin's sendMessageMattermost trims each", async () => {
  const msg = { id: "P", channelId: "D", channelType: "direct", sender: { id: "U", username: "u" }, text: "long" };
  const { rt, dispatches } = runtimeWithText();
  // OpenClaw's splitter keeps the paragraph break before its cut at the end of a chunk
  // (seen with its chunkMarkdownTextWithMode: "…w800\n" for a 4000-character limit).
  rt.text.chunkMarkdownTextWithMode = (text) => text.split(/(?<=\n)/);
  const bridge = recordingBridge();
  const cfg = { channels: { mattermost: { streaming: { mode: "off" } } } };
  const deps = { cfg, accountId: "default", account: resolveAccount(cfg), rt, bridge, log: () => {} };
  const res = await handleInboundMessage(deps, msg);
  await res.done;
  await dispatches[0].delivery.deliver({ text: "one two\n  three \nfour" }, { kind: "final" });
  assert.deepEqual(
    bridge.requests.map(([m, p]) => [m, p.text]),
    [
      ["send", "one two"],
      ["send", "three"],
      ["send", "four"],
    ],
  );
});

describe("replies against the fake server", () => {
  let fake;
  let account;
  let recorder;
  const replies = new Map();

  before(async () => {
    fake = await startFake();
    recorder = runtimeWithText({
      reply: async (call) => {
        const script = replies.get(call.ctxPayload.BodyForAgent);
        if (script) await script(call);
      },
    });
    account = await startRunningAccount(fake, {
      rt: recorder.rt,
      extra: {
        replyToMode: "all",
        replyToModeByChatType: { direct: "first" },
        markdown: { tables: "code" },
        textChunkLimit: 50,
        streaming: { mode: "partial", chunkMode: "newline" },
        responsePrefix: "[bot]",
      },
    });
  });

  after(async () => {
    await account?.stop();
    await fake?.stop();
  });

  const dispatchFor = (text) =>
    eventually(() => recorder.dispatches.find((d) => d.ctxPayload.BodyForAgent === text), { what: `dispatch of "${text}"` });

  test("replyToModeByChatType.direct: a top-level DM is answered in a thread under it", async () => {
    const { info } = fake;
    replies.set("threaded dm", async (call) => {
      await call.delivery.deliver({ text: "[bot] in a thread" }, { kind: "final" });
    });
    const id = await fake.post(info.aliceId, info.dmAlice, "threaded dm");
    const ctx = (await dispatchFor("threaded dm")).ctxPayload;
    assert.equal(ctx.MessageThreadId, id);
    assert.equal(ctx.SessionKey, `agent:main:mattermost:direct:${info.aliceId}:thread:${id.toLowerCase()}`);
    assert.equal(ctx.ParentSessionKey, undefined);
    const reply = await eventually(async () => (await fake.botPosts()).find((p) => p.message === "[bot] in a thread"));
    assert.equal(reply.root_id, id);
  });

  test("a long answer: tables converted, split by paragraphs at textChunkLimit, each part a post in the thread", async () => {
    const { info } = fake;
    const answer = "[bot] Results:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nThat is all for today, thanks.";
    replies.set("results?", async (call) => {
      // no preview: the final text goes out as OpenClaw's Mattermost plugin sends it
      await call.delivery.deliver({ text: answer }, { kind: "final" });
    });
    const id = await fake.post(info.aliceId, info.townSquare, "@openclaw results?");
    await dispatchFor("results?");
    const expected = ["[bot] Results:", "[table:code]\n| a | b |\n|---|---|\n| 1 | 2 |", "That is all for today, thanks."];
    const posts = await eventually(async () => {
      const mine = (await fake.botPosts()).filter((p) => p.root_id === id);
      return mine.length === expected.length && mine;
    });
    assert.deepEqual(posts.map((p) => p.message), expected);
    assert.ok(recorder.textCalls.some(([name, limit, mode]) => name === "chunkMarkdownTextWithMode" && limit === 50 && mode === "newline"));
  });

  test("the first preview carries the response prefix; the final answer is the preview, edited", async () => {
    const { info } = fake;
    replies.set("stream", async (call) => {
      await call.replyOptions.onPartialReply({ text: "Hel" });
      await call.replyOptions.onPartialReply({ text: "Hello" });
      await call.delivery.deliver({ text: "[bot] Hello there" }, { kind: "final" });
    });
    const sent = [];
    const { bridge } = account.entry;
    const request = bridge.request.bind(bridge);
    bridge.request = (method, params, opts) => {
      sent.push([method, params.text]);
      return request(method, params, opts);
    };
    const id = await fake.post(info.aliceId, info.townSquare, "@openclaw stream");
    await dispatchFor("stream");
    const post = await eventually(async () => (await fake.botPosts()).find((p) => p.root_id === id && p.message === "[bot] Hello there"));
    bridge.request = request;
    assert.ok(post.edit_at > 0, "the answer is the edited preview");
    assert.equal(sent[0][0], "send", "one post for the streamed answer");
    assert.match(sent[0][1], /^\[bot\] Hel/, "the first preview already has the prefix");
    assert.deepEqual(sent.slice(1).map(([m]) => m), sent.slice(1).map(() => "edit"), "then only edits");
    assert.equal(sent.at(-1)[1], "[bot] Hello there");
  });

  test("a streamed answer longer than one post: its parts are posted and the preview removed", async () => {
    const { info } = fake;
    const first = "[bot] The first paragraph of a long answer.";
    const second = "And the second paragraph of it.";
    replies.set("long", async (call) => {
      await call.replyOptions.onPartialReply({ text: "The first" });
      await call.delivery.deliver({ text: `${first}\n\n${second}` }, { kind: "final" });
    });
    const id = await fake.post(info.aliceId, info.townSquare, "@openclaw long");
    await dispatchFor("long");
    const posts = await eventually(async () => {
      const mine = (await fake.botPosts()).filter((p) => p.root_id === id);
      const live = mine.filter((p) => !p.delete_at);
      return live.length === 2 && mine.length === 3 && live;
    });
    assert.deepEqual(posts.map((p) => p.message), [first, second]);
    const deletes = (await fake.requests()).filter((r) => r.method === "DELETE" && /^\/api\/v4\/posts\/[a-z0-9]{26}$/.test(r.path));
    assert.equal(deletes.length, 1, "the preview post is deleted");
  });

  test("outbound sendText converts tables per markdown.tables", async () => {
    const { info } = fake;
    const prev = (await import("../src/config.js")).runtimeStore.runtime;
    const { runtimeStore } = await import("../src/config.js");
    runtimeStore.runtime = { channel: recorder.rt };
    try {
      await outbound.sendText({ cfg: account.cfg, to: `channel:${info.townSquare}`, text: "| x |", accountId: "default" });
    } finally {
      runtimeStore.runtime = prev;
    }
    await eventually(async () => (await fake.botPosts()).find((p) => p.message === "[table:code]\n| x |"));
    assert.deepEqual(outbound.chunker("abcdef", 4), ["abcdef"], "no host: OpenClaw's chunker is not there, one piece");
  });
});
