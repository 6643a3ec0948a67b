// The binaries a release package carries: picked by platform/arch, SHA-256 checked, and the
// binaryPath / PATH overrides still first.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BUNDLED_DIRS, bundledBinary, parseSums } from "../src/bundled.js";
import { resolveBinary } from "../src/config.js";

const roots = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A plugin folder laid out as cross/release.sh packs it: one script per arch, and the sums. */
function releasePackage() {
  const root = mkdtempSync(join(tmpdir(), "ocmm-pkg-"));
  roots.push(root);
  const plugin = join(root, "plugin");
  const sums = [];
  for (const dir of Object.values(BUNDLED_DIRS)) {
    mkdirSync(join(plugin, "bin", dir), { recursive: true });
    const text = `#!/bin/sh\necho ${dir}\n`;
    writeFileSync(join(plugin, "bin", dir, "openclaw-mattermost"), text, { mode: 0o755 });
    sums.push(`${createHash("sha256").update(text).digest("hex")}  ${dir}/openclaw-mattermost`);
  }
  writeFileSync(join(plugin, "bin", "SHA256SUMS"), sums.join("\n") + "\n");
  const path = join(root, "path");
  mkdirSync(path);
  return { root, plugin, path };
}

test("the binary for the running platform and architecture is picked", () => {
  const { plugin } = releasePackage();
  for (const [arch, dir] of [["x64", "linux-x64"], ["arm64", "linux-arm64"], ["arm", "linux-arm"]]) {
    assert.equal(bundledBinary(plugin, { platform: "linux", arch }), join(plugin, "bin", dir, "openclaw-mattermost"));
  }
  if (process.platform === "linux" && BUNDLED_DIRS[`linux-${process.arch}`]) {
    assert.equal(bundledBinary(plugin), join(plugin, "bin", `linux-${process.arch}`, "openclaw-mattermost"));
  }
});

test("a platform the package has no binary for gets an error naming it", () => {
  const { plugin } = releasePackage();
  assert.throws(() => bundledBinary(plugin, { platform: "darwin", arch: "arm64" }), /no bridge binary for darwin-arm64; it carries linux-x64, linux-arm64, linux-arm\. .*binaryPath/);
  assert.throws(() => bundledBinary(plugin, { platform: "linux", arch: "riscv64" }), /no bridge binary for linux-riscv64/);
  assert.throws(() => bundledBinary(plugin, { platform: "linux", arch: "arm", armVersion: 6 }), /linux-arm \(ARMv6; the arm binary needs ARMv7\)/);
  // Through resolveBinary too, once no override is there.
  assert.throws(() => resolveBinary({}, { PATH: "" }, plugin, { platform: "win32", arch: "x64" }), /no bridge binary for win32-x64/);
});

test("a binary whose SHA-256 differs from SHA256SUMS is refused, before it is ever run", () => {
  const { plugin } = releasePackage();
  const arm = join(plugin, "bin", "linux-arm", "openclaw-mattermost");
  writeFileSync(arm, "#!/bin/sh\necho altered\n");
  assert.throws(() => bundledBinary(plugin, { platform: "linux", arch: "arm" }), /refusing to run .*linux-arm\/openclaw-mattermost: its SHA-256 is [0-9a-f]{64}, but .*SHA256SUMS says [0-9a-f]{64}/);
  // A file changed after it was checked once is checked again.
  const x64 = join(plugin, "bin", "linux-x64", "openclaw-mattermost");
  assert.equal(bundledBinary(plugin, { platform: "linux", arch: "x64" }), x64);
  writeFileSync(x64, "#!/bin/sh\necho altered too, a bit longer\n");
  assert.throws(() => bundledBinary(plugin, { platform: "linux", arch: "x64" }), /refusing to run/);
  // A file the list does not name, or a listed file that is gone.
  writeFileSync(join(plugin, "bin", "SHA256SUMS"), "");
  assert.throws(() => bundledBinary(plugin, { platform: "linux", arch: "arm64" }), /lists no linux-arm64\/openclaw-mattermost/);
  rmSync(arm);
  writeFileSync(join(plugin, "bin", "SHA256SUMS"), `${"0".repeat(64)}  linux-arm/openclaw-mattermost\n`);
  assert.throws(() => bundledBinary(plugin, { platform: "linux", arch: "arm" }), /linux-arm\/openclaw-mattermost is missing/);
});

test("a checked binary that lost its executable bit (an unpacker) gets it back", () => {
  const { plugin } = releasePackage();
  const arm64 = join(plugin, "bin", "linux-arm64", "openclaw-mattermost");
  chmodSync(arm64, 0o644);
  assert.equal(bundledBinary(plugin, { platform: "linux", arch: "arm64" }), arm64);
  assert.equal(statSync(arm64).mode & 0o777, 0o755);
});

test("binaryPath, then PATH, then bin/openclaw-mattermost come before the bundled binary", () => {
  const { plugin, path } = releasePackage();
  const host = { platform: "linux", arch: "arm64" };
  const bundled = join(plugin, "bin", "linux-arm64", "openclaw-mattermost");
  assert.equal(resolveBinary({}, { PATH: path }, plugin, host), bundled);
  writeFileSync(join(plugin, "bin", "openclaw-mattermost"), "#!/bin/sh\n", { mode: 0o755 });
  assert.equal(resolveBinary({}, { PATH: path }, plugin, host), join(plugin, "bin", "openclaw-mattermost"));
  writeFileSync(join(path, "openclaw-mattermost"), "#!/bin/sh\n", { mode: 0o755 });
  assert.equal(resolveBinary({}, { PATH: path }, plugin, host), join(path, "openclaw-mattermost"));
  assert.equal(resolveBinary({ binaryPath: "/opt/x" }, { PATH: path }, plugin, host), "/opt/x");
  // Overrides work even where the package has no binary for the platform, or a bad one.
  writeFileSync(join(plugin, "bin", "SHA256SUMS"), "");
  assert.equal(resolveBinary({ binaryPath: "/opt/x" }, { PATH: "" }, plugin, { platform: "darwin", arch: "x64" }), "/opt/x");
});

test("SHA256SUMS lines as sha256sum writes them (text and binary mode)", () => {
  const h = "a".repeat(64);
  const sums = parseSums(`${h}  linux-x64/openclaw-mattermost\n${h} *linux-arm/openclaw-mattermost\nnot a line\n`);
  assert.deepEqual([...sums.keys()], ["linux-x64/openclaw-mattermost", "linux-arm/openclaw-mattermost"]);
});
