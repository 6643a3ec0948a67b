// Streaming modes as the JS plugin wires them (src/streaming.js): block sealing at tool
// activity and message boundaries, tool lines in the preview, the progress status post and
// the handover to the final answer. OpenClaw's progress compositor is played by a small
// stand-in (`standInSdk`) that keeps its contract: `update(text)` shows a status text,
// nothing after the final reply started. With E2E_DIR set to a folder where e2e/run.sh
// installed openclaw (E2E_KEEP=1), the last test runs OpenClaw's own compositor.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { resolveAccount } from "../src/config.js";
import { handleInboundMessage } from "../src/inbound.js";
import { createDraftStream, loadOutboundSdk } from "../src/streaming.js";
import { eventually, recordingBridge, recordingRuntime, recordingText } from "./helpers.js";

/** The recording runtime with OpenClaw's text helpers (chunking by length at the limit). */
function runtimeWithText() {
  const recorder = recordingRuntime();
  recorder.rt.text = recordingText({ defaultTableMode: "off" }).text;
  return recorder;
}

/** OpenClaw's channel-outbound helpers, reduced to what the streaming code calls. */
function standInSdk({ hooked = false } = {}) {
  const made = [];
  return {
    made,
    hooksReplies: () => hooked,
    resolveChannelStreamingPreviewToolProgress: (entry, fallback, mode) => {
      const s = entry?.streaming ?? {};
      const value = mode === "progress" ? (s.progress?.toolProgress ?? s.preview?.toolProgress) : s.preview?.toolProgress;
      return typeof value === "boolean" ? value : fallback;
    },
    buildChannelProgressDraftLineForEntry: (_entry, input) => `tool ${input.name}`,
    createChannelProgressDraftCompositor: (params) => {
      let lines = [];
      let finalStarted = false;
      const label = params.entry?.streaming?.progress?.label ?? "Working";
      const compositor = {
        params,
        async pushToolProgress(line) {
          if (finalStarted) return false;
          lines = [...lines, line];
          await params.update(params.mode === "progress" ? `${label}\n${lines.join("\n")}` : lines.join("\n"), { flush: true });
          return true;
        },
        pushItemEvent: async () => false,
        pushPlanProgress: async () => false,
        pushReasoningProgress: async () => false,
        resetActivity: () => (lines = []),
        beginAssistantMessage: () => {},
        resetReasoningProgress: () => {},
        markFinalReplyStarted: () => (finalStarted = true),
        markFinalReplyDelivered: () => (finalStarted = true),
      };
      made.push(compositor);
      return compositor;
    },
  };
}

const DM = { id: "P", channelId: "D", channelType: "direct", sender: { id: "U", username: "u" }, text: "hi" };

async function turn(streaming, sdk) {
  const { rt, dispatches } = runtimeWithText();
  const bridge = recordingBridge();
  const cfg = { channels: { mattermost: { streaming } } };
  const deps = { cfg, accountId: "default", account: resolveAccount(cfg), rt, bridge, log: () => {}, previewThrottleMs: 0, outboundSdk: sdk };
  const res = await handleInboundMessage(deps, DM);
  await res.done;
  return { call: dispatches[0], bridge };
}

const texts = (bridge) => bridge.requests.map(([m, p]) => [m, p.postId ?? null, p.text ?? null]);

test("block: text, a tool call, text: the first message and the tool line stay as posts, the final edits the last", async () => {
  const sdk = standInSdk();
  const { call, bridge } = await turn({ mode: "block" }, sdk);
  const o = call.replyOptions;
  o.onAssistantMessageStart();
  o.onPartialReply({ text: "checking X" });
  await eventually(() => bridge.requests.length === 1, { what: "the first post" });
  assert.equal(await o.onToolStart({ name: "read", phase: "start" }), true);
  o.onAssistantMessageStart();
  await o.onPartialReply({ text: "echo: X" });
  await eventually(() => bridge.requests.length === 3, { what: "the third post" });
  await call.delivery.deliver({ text: "checking X\n\necho: X!" }, { kind: "final" });
  assert.deepEqual(texts(bridge), [
    ["send", null, "checking X"],
    ["send", null, "tool read"],
    ["send", null, "echo: X"],
    // the sealed "checking X" is taken off the final text; the rest edits the last post
    ["edit", "post3", "echo: X!"],
  ]);
});

test("block: the final answer already shown by sealed posts sends nothing more", async () => {
  const { call, bridge } = await turn({ mode: "block" }, standInSdk());
  const o = call.replyOptions;
  o.onPartialReply({ text: "one" });
  await eventually(() => bridge.requests.length === 1, { what: "the first post" });
  await o.onToolStart({ name: "read" });
  const res = await call.delivery.deliver({ text: "one" }, { kind: "final" });
  // the final answer is text again: the tool line's post is sealed too, and nothing is sent
  assert.deepEqual(texts(bridge), [
    ["send", null, "one"],
    ["send", null, "tool read"],
  ]);
  assert.deepEqual(res.messageIds, ["post1"]);
  assert.equal(res.visibleReplySent, true);
});

test("block: a long sealed block is split into posts at textChunkLimit", async () => {
  const { rt, dispatches } = runtimeWithText();
  const bridge = recordingBridge();
  const cfg = { channels: { mattermost: { streaming: { mode: "block" }, textChunkLimit: 10 } } };
  const deps = { cfg, accountId: "default", account: resolveAccount(cfg), rt, bridge, log: () => {}, previewThrottleMs: 0, outboundSdk: standInSdk() };
  await (await handleInboundMessage(deps, DM)).done;
  const o = dispatches[0].replyOptions;
  o.onPartialReply({ text: "aaaabbbbcccc" });
  await eventually(() => bridge.requests.length === 2, { what: "the preview, then its edit" });
  await o.onToolStart({ name: "read" });
  // the preview's first post is cut at textChunkLimit (a send is split there), then edited to
  // the whole text; sealed, the block is split into posts
  assert.deepEqual(texts(bridge), [
    ["send", null, "aaaabbb..."],
    ["edit", "post1", "aaaabbbbcccc"],
    ["edit", "post1", "aaaabbbbcc"],
    ["send", null, "cc"],
    ["send", null, "tool read"],
  ]);
});

test("partial: a tool line replaces the text in the preview; the next message's text replaces it", async () => {
  const { call, bridge } = await turn({ mode: "partial" }, standInSdk());
  const o = call.replyOptions;
  o.onPartialReply({ text: "checking X" });
  await eventually(() => bridge.requests.length === 1, { what: "the preview" });
  await o.onToolStart({ name: "read" });
  o.onAssistantMessageStart();
  o.onPartialReply({ text: "echo: X" });
  await eventually(() => bridge.requests.length === 3, { what: "the second text" });
  await call.delivery.deliver({ text: "echo: X" }, { kind: "final" });
  assert.deepEqual(texts(bridge), [
    ["send", null, "checking X"],
    ["edit", "post1", "tool read"],
    ["edit", "post1", "echo: X"],
  ]);
});

test("partial with streaming.preview.toolProgress false: no tool line, no sealing", async () => {
  const { call, bridge } = await turn({ mode: "partial", preview: { toolProgress: false } }, standInSdk());
  assert.equal(await call.replyOptions.onToolStart({ name: "read" }), false);
  assert.equal(call.replyOptions.allowProgressCallbacksWhenSourceDeliverySuppressed, undefined);
  assert.deepEqual(bridge.requests, []);
});

test("progress: the status post shows the tool lines, no answer text, and becomes the final answer", async () => {
  const sdk = standInSdk();
  const { call, bridge } = await turn({ mode: "progress", progress: { label: "Busy" } }, sdk);
  const o = call.replyOptions;
  assert.equal(await o.onPartialReply({ text: "checking X" }), false);
  assert.equal(await o.onToolStart({ name: "read" }), true);
  assert.equal(o.allowProgressCallbacksWhenSourceDeliverySuppressed, true);
  assert.equal(o.suppressDefaultToolProgressMessages, true);
  assert.equal(sdk.made[0].params.mode, "progress");
  assert.equal(sdk.made[0].params.seed, "default:D");
  await call.delivery.deliver({ text: "echo: X" }, { kind: "final" });
  assert.deepEqual(texts(bridge), [
    ["send", null, "Busy\ntool read"],
    ["edit", "post1", "echo: X"],
  ]);
  // after the final reply nothing changes the post any more
  await o.onToolStart({ name: "read" });
  assert.equal(bridge.requests.length, 2);
});

test("progress: an answer longer than one post is sent in parts and the status post removed", async () => {
  const { rt, dispatches } = runtimeWithText();
  const bridge = recordingBridge();
  const cfg = { channels: { mattermost: { streaming: { mode: "progress" }, textChunkLimit: 20 } } };
  const deps = { cfg, accountId: "default", account: resolveAccount(cfg), rt, bridge, log: () => {}, previewThrottleMs: 0, outboundSdk: standInSdk() };
  await (await handleInboundMessage(deps, DM)).done;
  await dispatches[0].replyOptions.onToolStart({ name: "read" });
  await dispatches[0].delivery.deliver({ text: "aaaaaaaaaabbbbbbbbbbcccc" }, { kind: "final" });
  assert.deepEqual(texts(bridge), [
    ["send", null, "Working\ntool read"],
    ["send", null, "aaaaaaaaaabbbbbbbbbb"],
    ["send", null, "cccc"],
    ["delete", "post1", null],
  ]);
});

test("once the final answer goes out in posts of its own, the preview takes no more updates (as the JS plugin's)", async () => {
  const { rt, dispatches } = runtimeWithText();
  const requests = [];
  let n = 0;
  // (a slow server: the answer's posts take longer than the preview's throttle)
  const bridge = {
    request: async (method, params) => {
      requests.push([method, params.postId ?? null, params.text ?? null]);
      if (method === "send" && n > 0) await new Promise((r) => setTimeout(r, 150));
      return method === "send" ? { channelId: params.channelId, postIds: [`post${++n}`] } : {};
    },
  };
  const cfg = { channels: { mattermost: { streaming: { mode: "partial" }, textChunkLimit: 12 } } };
  const deps = { cfg, accountId: "default", account: resolveAccount(cfg), rt, bridge, log: () => {}, previewThrottleMs: 100, outboundSdk: null };
  await (await handleInboundMessage(deps, DM)).done;
  const o = dispatches[0].replyOptions;
  o.onPartialReply({ text: "one two" });
  await eventually(() => requests.length === 1, { what: "the preview" });
  o.onPartialReply({ text: "one two three four" });
  await dispatches[0].delivery.deliver({ text: "one two three four five six" }, { kind: "final" });
  await new Promise((r) => setTimeout(r, 250));
  assert.deepEqual(
    requests.filter(([m]) => m === "edit"),
    [],
    "the preview is not edited while the answer's posts go out",
  );
  assert.deepEqual(requests.at(-1), ["delete", "post1", null]);
});

test("no preview when another plugin hooks message_sending (as the JS plugin)", async () => {
  const { call } = await turn({ mode: "partial" }, standInSdk({ hooked: true }));
  assert.deepEqual(call.replyOptions, {});
});

test("the draft stream removes a retracted status post and posts the next update anew", async () => {
  const bridge = recordingBridge();
  const plan = { limit: 4000, chunks: (s) => (s ? [s] : []) };
  const draft = createDraftStream({ bridge, target: { channelId: "C" }, rootId: "R", plan, throttleMs: 0 });
  draft.update("status");
  await draft.settle();
  await draft.deleteCurrentMessage();
  draft.update("again");
  await eventually(() => bridge.requests.length === 3, { what: "the new post" });
  assert.deepEqual(bridge.requests, [
    ["send", { channelId: "C", rootId: "R", text: "status" }],
    ["delete", { postId: "post1" }],
    ["send", { channelId: "C", rootId: "R", text: "again" }],
  ]);
});

test("the preview is capped at 4000 characters, not textChunkLimit (as the JS plugin's); its first post fits one part", async () => {
  const bridge = recordingBridge();
  const plan = { limit: 20, chunks: (s) => (s ? [s] : []) };
  const draft = createDraftStream({ bridge, target: { channelId: "C" }, plan, throttleMs: 0 });
  const long = "word ".repeat(12).trim();
  draft.updateAssistantText(long);
  await eventually(() => bridge.requests.length === 2, { what: "the first post and its edit" });
  await draft.settle();
  // (a send above textChunkLimit would be split by the bridge: the first post is cut to it,
  // then edited to the whole preview, which the bridge lets an edit hold)
  assert.deepEqual(bridge.requests, [
    ["send", { channelId: "C", text: "word word word wo..." }],
    ["edit", { postId: "post1", text: long }],
  ]);
  draft.updateAssistantText("x".repeat(5000));
  await eventually(() => bridge.requests.length === 3, { what: "the capped edit" });
  assert.equal(bridge.requests[2][1].text, `${"x".repeat(3997)}...`);
});

test("without OpenClaw's SDK the plugin still loads: no compositor, partial text only", async () => {
  // (these tests run without openclaw installed; inside the gateway the import resolves)
  if (!process.env.E2E_DIR) assert.equal(await loadOutboundSdk(), null);
  const { call, bridge } = await turn({ mode: "progress" }, null);
  assert.equal(await call.replyOptions.onToolStart({ name: "read" }), false);
  await call.delivery.deliver({ text: "done" }, { kind: "final" });
  assert.deepEqual(texts(bridge), [["send", null, "done"]]);
});

const installed = process.env.E2E_DIR && join(process.env.E2E_DIR, "node_modules/openclaw/dist/plugin-sdk/channel-outbound.js");
test("OpenClaw's own compositor: progress status post and block tool line (E2E_DIR with openclaw)", { skip: !(installed && existsSync(installed)) && "E2E_DIR has no openclaw" }, async () => {
  const real = await import(pathToFileURL(installed).href);
  const sdk = { ...real, hooksReplies: () => false };
  const { call, bridge } = await turn({ mode: "progress", progress: { label: "Busy", toolProgress: true } }, sdk);
  assert.equal(await call.replyOptions.onToolStart({ name: "read", phase: "start", args: { path: "a.txt" } }), true);
  await call.delivery.deliver({ text: "echo: X" }, { kind: "final" });
  assert.equal(bridge.requests[0][0], "send");
  assert.match(bridge.requests[0][1].text, /^Busy\n/);
  assert.deepEqual(bridge.requests.at(-1), ["edit", { postId: "post1", text: "echo: X" }]);
});
