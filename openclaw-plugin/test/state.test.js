// Catch-up after a restart in a default install (issue 14, section 2): no OPENCLAW_STATE_DIR in
// the environment, no stateFile or mediaDir in the config; the plugin asks OpenClaw's runtime
// for the state dir and the bridge keeps its state file there.
import assert from "node:assert/strict";
import { existsSync, lstatSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runtimeStore } from "../src/channel.js";
import { eventually, recordingRuntime, sleep, startFake, startRunningAccount, tempDir } from "./helpers.js";

test("a post made while the gateway is down reaches the agent once after it starts again", async () => {
  const stateDir = tempDir("openclaw-state");
  const asked = [];
  runtimeStore.runtime = {
    state: {
      resolveStateDir: (env) => {
        asked.push(env);
        return stateDir;
      },
    },
  };
  const fake = await startFake();
  const { info } = fake;
  const recorder = recordingRuntime();
  const count = (text) => recorder.dispatches.filter((d) => d.ctxPayload.BodyForAgent === text).length;
  const options = { rt: recorder.rt, stateDir: null, extra: { mediaDir: undefined } };
  try {
    let account = await startRunningAccount(fake, options);
    await fake.post(info.aliceId, info.dmAlice, "before the restart");
    await eventually(() => count("before the restart") === 1, { what: "the first post" });
    await account.stop();

    await fake.post(info.aliceId, info.dmAlice, "while the gateway was down");
    account = await startRunningAccount(fake, options);
    try {
      await eventually(() => count("while the gateway was down") === 1, { timeoutMs: 15_000, what: "the missed post" });
      await sleep(1000);
      assert.equal(count("while the gateway was down"), 1, "delivered once");
      assert.equal(count("before the restart"), 1, "not delivered again");
      assert.ok(asked.length > 0, "the plugin asked OpenClaw's runtime for the state dir");
      assert.equal(asked[0].OPENCLAW_STATE_DIR, undefined);
      assert.ok(existsSync(join(stateDir, "mattermost-state.json")), "the state file is in OpenClaw's state dir");
      assert.equal(lstatSync(join(stateDir, "media", "mattermost")).mode & 0o777, 0o700);
    } finally {
      await account.stop();
    }
  } finally {
    runtimeStore.runtime = null;
    await fake.stop();
  }
});

test("an agent run that outlives a channel restart replies through the new bridge", async () => {
  const fake = await startFake();
  const { info } = fake;
  let release;
  const gate = new Promise((r) => (release = r));
  let started;
  const running = new Promise((r) => (started = r));
  const recorder = recordingRuntime({
    reply: async (call) => {
      started();
      await gate; // the agent is still thinking while the channel restarts
      await call.delivery.deliver({ text: "answer after the restart" }, { kind: "final" });
    },
  });
  const first = await startRunningAccount(fake, { rt: recorder.rt, extra: { streaming: "off" } });
  let second;
  try {
    await fake.post(info.aliceId, info.dmAlice, "a slow question");
    await running;
    await first.stop();
    second = await startRunningAccount(fake, { rt: recorder.rt, extra: { streaming: "off" } });
    release();
    await eventually(
      async () => (await fake.botPosts()).find((p) => p.channel_id === info.dmAlice && p.message === "answer after the restart"),
      { what: "the reply posted through the restarted account's bridge" },
    );
  } finally {
    release();
    await second?.stop();
    await first.stop();
    await fake.stop();
  }
});
