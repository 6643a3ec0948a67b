// Inbound debounce (src/debounce.js): the keys, the rule for what may wait and the merge of
// OpenClaw's Mattermost plugin, handed to OpenClaw's debouncer (here a timer-less stand-in with
// its interface: items are held per key until flushed by hand).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createInboundDebounce, debounceKey, mayWait, mergeMessages } from "../src/debounce.js";
import { buildInboundFields } from "../src/inbound.js";

const msg = (id, text, extra = {}) => ({
  id,
  text,
  channelId: "c1",
  channelType: "direct",
  rootId: null,
  sender: { id: "u1", username: "alice" },
  files: [],
  history: [],
  ...extra,
});

/** OpenClaw's `runtime.channel` with a debouncer that holds items per key until `flush()`. */
function runtime({ debounceMs = 500, commands = ["/new", "/status"] } = {}) {
  const held = new Map();
  const calls = [];
  let params;
  const rt = {
    commands: { isControlCommandMessage: (text) => commands.some((c) => text.trim().toLowerCase().startsWith(c)) },
    debounce: {
      resolveInboundDebounceMs: ({ cfg, channel }) => (calls.push(channel), cfg.messages?.inbound?.byChannel?.[channel] ?? debounceMs),
      createInboundDebouncer: (p) => {
        params = p;
        return {
          enqueue: async (item) => {
            const key = p.buildKey(item);
            if (!key || !(p.resolveDebounceMs() > 0) || !p.shouldDebounce(item)) return run([item]);
            held.set(key, [...(held.get(key) ?? []), item]);
          },
        };
      },
    },
  };
  const flush = async () => {
    for (const [key, items] of held) {
      held.delete(key);
      await run(items);
    }
  };
  const run = (items) => params.onFlush(items, ({ dispatch }) => ({ completion: dispatch({}) })).completion;
  return { rt, flush, calls, keyOf: (m) => params.buildKey(m) };
}

test("the key is account, channel, thread (or channel) and sender, as the JS plugin's", () => {
  assert.equal(debounceKey("default", msg("p1", "hi")), "mattermost:default:c1:channel:u1");
  assert.equal(debounceKey("work", msg("p1", "hi", { rootId: "r1" })), "mattermost:work:c1:thread:r1:u1");
  assert.equal(debounceKey("default", msg("p1", "hi", { sender: {} })), null);
});

test("text may wait; files, empty posts and control commands (mention removed) go at once", () => {
  const { rt } = runtime();
  assert.equal(mayWait(rt, {}, msg("p1", "hello"), "openclaw"), true);
  assert.equal(mayWait(rt, {}, msg("p1", "hello", { files: [{ name: "a.png" }] }), "openclaw"), false);
  assert.equal(mayWait(rt, {}, msg("p1", "  "), "openclaw"), false);
  assert.equal(mayWait(rt, {}, msg("p1", "@openclaw /status"), "openclaw"), false);
  assert.equal(mayWait(rt, {}, msg("p1", "/new"), "openclaw"), false);
});

test("merged messages: the last one with the texts joined by newlines and every id", () => {
  const first = msg("p1", " first part ", {
    mentioned: true,
    history: [
      { sender: "bob", body: "earlier", messageId: "p0" },
      { sender: "alice", body: "first part", messageId: "p1" },
    ],
  });
  const second = msg("p2", "second part", { createAt: 2 });
  const merged = mergeMessages([first, second]);
  assert.equal(merged.id, "p2");
  assert.equal(merged.text, "first part\nsecond part");
  assert.deepEqual(merged.messageIds, ["p1", "p2"]);
  assert.deepEqual(merged.history, [{ sender: "bob", body: "earlier", messageId: "p0" }]);
  assert.equal(merged.mentioned, true);
  assert.equal(merged.createAt, 2);
  assert.equal(mergeMessages([first]), first, "one message is handed on as it is");

  const { fields } = buildInboundFields({
    msg: merged,
    accountId: "default",
    route: { agentId: "main", accountId: "default" },
    thread: { sessionKey: "s" },
    botUsername: "openclaw",
  });
  assert.deepEqual(fields.MessageSids, ["p1", "p2"]);
  assert.equal(fields.MessageSidFirst, "p1");
  assert.equal(fields.MessageSidLast, "p2");
  assert.equal(fields.MessageSid, "p2");
  assert.match(fields.Body, /^first part\nsecond part\n\[mattermost message id: p2 channel: c1\]$/);
  const single = buildInboundFields({ msg: first, accountId: "default", route: { agentId: "main" }, thread: { sessionKey: "s" } });
  assert.equal(single.fields.MessageSids, undefined);
});

test("posts of one sender in one conversation are one turn; others and commands are not held", async () => {
  const { rt, flush, calls } = runtime();
  const delivered = [];
  const d = createInboundDebounce({ rt, cfg: {}, accountId: "default", botUsername: () => "openclaw", deliver: (m) => delivered.push(m) });
  await d.enqueue(msg("p1", "one"));
  await d.enqueue(msg("p2", "two"));
  await d.enqueue(msg("p3", "from bob", { sender: { id: "u2" } }));
  await d.enqueue(msg("p4", "/status"));
  assert.deepEqual(delivered.map((m) => m.id), ["p4"], "a command goes at once");
  await flush();
  assert.deepEqual(
    delivered.map((m) => [m.id, m.text]),
    [
      ["p4", "/status"],
      ["p2", "one\ntwo"],
      ["p3", "from bob"],
    ],
  );
  assert.ok(calls.includes("mattermost"), "the wait is OpenClaw's for the mattermost channel");
});

test("with no debounce time, or an OpenClaw without the debouncer, every message goes at once", async () => {
  const { rt } = runtime({ debounceMs: 0 });
  const delivered = [];
  const d = createInboundDebounce({ rt, cfg: {}, accountId: "default", botUsername: () => null, deliver: (m) => delivered.push(m.id) });
  await d.enqueue(msg("p1", "one"));
  await d.enqueue(msg("p2", "two"));
  assert.deepEqual(delivered, ["p1", "p2"]);
  const plain = createInboundDebounce({ rt: {}, cfg: {}, accountId: "default", botUsername: () => null, deliver: (m) => delivered.push(m.id) });
  await plain.enqueue(msg("p3", "three"));
  assert.deepEqual(delivered, ["p1", "p2", "p3"]);
});
