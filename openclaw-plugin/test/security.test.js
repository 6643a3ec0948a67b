// Another local user against the plugin (issue 14, section 3): a planted config folder in the
// shared temp dir, planted or loose state/media folders, swapped outbound media paths. As root
// (CI), the attacker's files belong to uid 65534; otherwise the same files are ours with loose
// modes, and the owner-only cases are skipped.
import assert from "node:assert/strict";
import {
  chmodSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { startAccount } from "../src/channel.js";
import { localizeMedia } from "../src/outbound.js";
import { BRIDGE_BIN, recordingRuntime, startFake, startRunningAccount, tempDir, withoutStateDir } from "./helpers.js";

const ROOT = process.getuid() === 0;
const ATTACKER = 65534;
const asAttacker = (path) => ROOT && lchownSync(path, ATTACKER, ATTACKER);
const scratch = (name) => tempDir(name);

describe("the config never goes through a file", () => {
  test("token theft: a folder another user planted at the old predictable config path is not used", async () => {
    // The attacker prepares <tmp>/openclaw-<uid>/mattermost-bridge/ (mode 0777) with
    // default.json linked to the operator's ~/.bashrc, hoping for the config (or a swap of it).
    const shared = scratch("sharedtmp");
    chmodSync(shared, 0o1777);
    const top = join(shared, `openclaw-${process.getuid()}`);
    const planted = join(top, "mattermost-bridge");
    mkdirSync(planted, { recursive: true });
    for (const dir of [top, planted]) {
      chmodSync(dir, 0o777);
      asAttacker(dir);
    }
    const victim = join(scratch("home"), ".bashrc");
    writeFileSync(victim, "export PS1='$ '\n");
    symlinkSync(victim, join(planted, "default.json"));
    asAttacker(join(planted, "default.json"));

    const fake = await startFake();
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = shared; // what os.tmpdir() answers while the account starts
    let account;
    try {
      account = await startRunningAccount(fake, { rt: recordingRuntime().rt });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    try {
      assert.equal(readFileSync(victim, "utf8"), "export PS1='$ '\n", "the operator's file was overwritten");
      assert.deepEqual(readdirSync(planted), ["default.json"], "something was written into the attacker's folder");
      assert.equal(readlinkSync(join(planted, "default.json")), victim);
      const cmdline = readFileSync(`/proc/${account.bridge.pid}/cmdline`, "utf8").split("\0");
      assert.ok(cmdline.includes("--config-fd"), `the bridge reads no config file: ${cmdline.join(" ")}`);
      assert.ok(!cmdline.some((a) => a.startsWith(shared)), "the bridge was pointed into the shared temp dir");
    } finally {
      await account.stop();
      await fake.stop();
    }
  });
});

/** startAccount that must fail fast; aborted after 5 s so that a version that runs anyway ends. */
async function refusal(stateDir) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  try {
    return await startAccount(
      {
        cfg: { channels: { mattermost: { serverUrl: "http://127.0.0.1:1", botToken: "t", binaryPath: BRIDGE_BIN } } },
        accountId: "default",
        abortSignal: controller.signal,
        channelRuntime: recordingRuntime().rt,
        log: { info() {}, warn() {}, debug() {} },
      },
      { stateDir, env: withoutStateDir(process.env), supervisor: { stdinGraceMs: 500, termGraceMs: 500 } },
    ).then(
      () => "started and ran until aborted",
      (err) => err,
    );
  } finally {
    clearTimeout(timer);
  }
}

describe("the state and media folders under OpenClaw's state dir must be private", () => {
  test("a media folder that is a symbolic link is refused, naming it", async () => {
    const state = scratch("state");
    mkdirSync(join(state, "media"), { mode: 0o700 });
    const elsewhere = scratch("ssh");
    symlinkSync(elsewhere, join(state, "media", "mattermost"));
    asAttacker(join(state, "media", "mattermost"));
    const err = await refusal(state);
    assert.match(String(err), /media\/mattermost is a symbolic link; remove it/);
  });

  test("a media folder writable by others is refused with the chmod fix", async () => {
    const state = scratch("state");
    mkdirSync(join(state, "media", "mattermost"), { recursive: true, mode: 0o700 });
    chmodSync(join(state, "media", "mattermost"), 0o777);
    const err = await refusal(state);
    assert.match(String(err), /media\/mattermost is writable by other users \(mode 0777\); chmod go-w/);
  });

  test("a media folder another user owns is refused", { skip: !ROOT && "needs root to chown" }, async () => {
    const state = scratch("state");
    mkdirSync(join(state, "media", "mattermost"), { recursive: true, mode: 0o700 });
    asAttacker(join(state, "media", "mattermost"));
    const err = await refusal(state);
    assert.match(String(err), /media\/mattermost belongs to uid 65534/);
  });

  test("a state dir writable by others is refused (the state file would be swappable)", async () => {
    const state = scratch("state");
    chmodSync(state, 0o777);
    const err = await refusal(state);
    assert.match(String(err), /state folder: .* is writable by other users \(mode 0777\); chmod go-w/);
  });

  test("the folders the plugin creates are 0700", async () => {
    const state = join(scratch("state"), "fresh");
    await refusal(state); // runs (unreachable server) until aborted
    assert.equal(lstatSync(state).mode & 0o777, 0o700);
    assert.equal(lstatSync(join(state, "media", "mattermost")).mode & 0o777, 0o700);
  });
});

describe("outbound media: the bridge gets exactly the checked file", () => {
  test("a link is resolved: the bridge is handed the real path that was checked", async () => {
    const root = scratch("roots");
    writeFileSync(join(root, "real.txt"), "data");
    symlinkSync(join(root, "real.txt"), join(root, "link.txt"));
    const { paths } = await localizeMedia([join(root, "link.txt")], { roots: [root] });
    assert.deepEqual(paths, [realpathSync(join(root, "real.txt"))]);
  });

  test("a file another user owns in a shared sticky folder is refused", { skip: !ROOT && "needs root to chown" }, async () => {
    const shared = scratch("sticky");
    chmodSync(shared, 0o1777);
    writeFileSync(join(shared, "report.txt"), "theirs");
    asAttacker(join(shared, "report.txt"));
    await assert.rejects(localizeMedia([join(shared, "report.txt")], { roots: [shared] }), /belongs to uid 65534 in the shared folder .* could swap it/);
  });

  test("a file in a folder other users may write is refused", async () => {
    const root = scratch("loose");
    const open = join(root, "drop");
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(join(open, "x.txt"), "x");
    await assert.rejects(localizeMedia([join(open, "x.txt")], { roots: [root] }), /drop is writable by other users \(mode 0777\).*chmod go-w/);
  });

  test("a downloaded file is not staged where another user could swap it (TMPDIR writable by others)", async () => {
    // In a folder others may write (not sticky), they could rename the staging folder away and
    // put one whose file links to the operator's ~/.ssh/id_rsa: the bridge would upload that.
    const shared = scratch("loose-tmp");
    chmodSync(shared, 0o777);
    asAttacker(shared);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = shared;
    try {
      const fetchImpl = async () => new Response("reply image");
      await assert.rejects(localizeMedia(["https://example.com/a.png"], { fetchImpl }), /loose-tmp.*(writable by other users|belongs to uid)/);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    assert.deepEqual(readdirSync(shared), [], "the refused staging folder is removed");
  });

  test("a file of ours in a sticky folder such as /tmp is sent", async () => {
    const shared = scratch("sticky-ok");
    chmodSync(shared, 0o1777);
    writeFileSync(join(shared, "mine.txt"), "mine");
    const { paths } = await localizeMedia([join(shared, "mine.txt")], { roots: [shared] });
    assert.deepEqual(paths, [realpathSync(join(shared, "mine.txt"))]);
  });
});
