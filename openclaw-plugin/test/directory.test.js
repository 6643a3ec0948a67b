// The directory adapter (src/directory.js) against the real bridge and the fake Mattermost:
// through the account's running bridge (the gateway) and through one run of the binary
// (`--directory`, OpenClaw's CLI); the entries as @openclaw/mattermost makes them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createDirectory } from "../src/directory.js";
import { BRIDGE_BIN, recordingRuntime, startFake, startRunningAccount, tempDir } from "./helpers.js";

/** A config of one account against `fake`, as a user writes it (the JS plugin's keys). */
function configFor(fake, extra = {}) {
  return {
    channels: {
      mattermost: {
        baseUrl: fake.info.url,
        botToken: fake.info.token,
        binaryPath: BRIDGE_BIN,
        stateFile: `${tempDir("state")}/state.json`,
        ...extra,
      },
    },
  };
}

const GROUPS = [
  { kind: "channel", id: "channel:townsquare0000000000000001", name: "town-square", handle: "Town Square" },
  { kind: "group", id: "channel:secretplans000000000000001", name: "secret-plans", handle: "Secret Plans" },
  { kind: "channel", id: "channel:offtopic000000000000000001", name: "off-topic", handle: "Off-Topic" },
  { kind: "channel", id: "channel:otherlobby0000000000000001", name: "lobby", handle: "Lobby" },
];
const byId = (a, b) => a.id.localeCompare(b.id);

describe("directory: one run of the binary (no bridge running here)", () => {
  let fake;
  before(async () => {
    fake = await startFake();
  });
  after(async () => fake.stop());
  const directory = createDirectory(() => undefined);

  it("lists the bot's open and private channels, filtered by a query on name or display name", async () => {
    const cfg = configFor(fake);
    assert.deepEqual((await directory.listGroups({ cfg, accountId: "default" })).sort(byId), [...GROUPS].sort(byId));
    assert.deepEqual(await directory.listGroupsLive({ cfg, query: " SECRET " }), [GROUPS[1]]);
    assert.equal((await directory.listGroups({ cfg, limit: 2 })).length, 2);
  });

  it("lists the team's people but the bot, with the JS plugin's handle (first and last name, else nickname)", async () => {
    const cfg = configFor(fake);
    const peers = await directory.listPeers({ cfg, accountId: "default" });
    assert.deepEqual(peers.sort(byId), [
      { kind: "user", id: "user:alice000000000000000000001", name: "alice", handle: "Alice Liddell" },
      { kind: "user", id: "user:bob00000000000000000000001", name: "bob", handle: "bobby" },
      { kind: "user", id: "user:helperbot00000000000000001", name: "helperbot", handle: undefined },
    ]);
    const found = await directory.listPeersLive({ cfg, query: "Bob" });
    assert.deepEqual(found.map((p) => p.id), ["user:bob00000000000000000000001"]);
    const searched = (await fake.requests()).filter((r) => r.method === "POST" && r.path === "/api/v4/users/search");
    assert.equal(searched.length, 1, "a query is the server's user search");
  });

  it("skips disabled and unconfigured accounts, and an account whose server fails", async () => {
    const cfg = configFor(fake, {
      accounts: {
        default: {},
        off: { enabled: false },
        broken: { botToken: "not-the-bots-token" },
      },
    });
    // (the broken account's token is refused; the default one still lists)
    const groups = await directory.listGroups({ cfg });
    assert.equal(groups.length, 4);
    assert.deepEqual(await directory.listPeers({ cfg, accountId: "broken" }), []);
    assert.deepEqual(await directory.listGroups({ cfg, accountId: "off" }), []);
    const unconfigured = { channels: { mattermost: { binaryPath: BRIDGE_BIN } } };
    const env = process.env.MATTERMOST_URL;
    delete process.env.MATTERMOST_URL;
    try {
      assert.deepEqual(await directory.listPeers({ cfg: unconfigured }), []);
    } finally {
      if (env !== undefined) process.env.MATTERMOST_URL = env;
    }
  });
});

describe("directory: through the running bridge (the gateway)", () => {
  let fake;
  let world;
  before(async () => {
    fake = await startFake();
    world = await startRunningAccount(fake, { rt: recordingRuntime().rt });
  });
  after(async () => {
    await world.stop();
    await fake.stop();
  });

  it("asks the account's bridge, and runs no binary", async () => {
    let runs = 0;
    const directory = createDirectory((id) => (id === "default" ? world.bridge : undefined), {
      once: async () => {
        runs++;
        return { error: "no run expected" };
      },
    });
    const groups = await directory.listGroups({ cfg: world.cfg, accountId: "default" });
    assert.deepEqual(groups.sort(byId), [...GROUPS].sort(byId));
    const peers = await directory.listPeers({ cfg: world.cfg, accountId: "default", query: "lidd" });
    assert.deepEqual(peers, [{ kind: "user", id: "user:alice000000000000000000001", name: "alice", handle: "Alice Liddell" }]);
    assert.equal(runs, 0);
  });

  it("is the plugin's directory adapter", async () => {
    const { mattermostPlugin } = await import("../src/channel.js");
    const peers = await mattermostPlugin.directory.listPeersLive({ cfg: world.cfg, accountId: "default" });
    assert.equal(peers.length, 3);
  });
});
