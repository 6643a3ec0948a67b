// The bridge binaries a release package carries: `bin/linux-<arch>/openclaw-mattermost` for
// x64, arm64 and arm (armv7), listed with their SHA-256 in `bin/SHA256SUMS` (made by
// cross/release.sh). One is picked by the running Node's platform and architecture, and its
// SHA-256 is checked against the list before it is first started.
import { accessSync, chmodSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";

const BINARY = "openclaw-mattermost";

/** `process.platform`/`process.arch` → the folder under bin/ (the Rust target in the comment). */
export const BUNDLED_DIRS = {
  "linux-x64": "linux-x64", // x86_64-unknown-linux-gnu
  "linux-arm64": "linux-arm64", // aarch64-unknown-linux-gnu
  "linux-arm": "linux-arm", // armv7-unknown-linux-gnueabihf
};

/** Files already checked in this process: path → the stat identity they had then. */
const verified = new Map();

function identity(path) {
  const s = statSync(path);
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
}

/** `SHA256SUMS` (`<hex>  <path>` lines, as sha256sum writes them) → Map path → hex. */
export function parseSums(text) {
  const sums = new Map();
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{64}) [ *]([^\s].*)$/.exec(line.trim());
    if (m) sums.set(m[2], m[1]);
  }
  return sums;
}

/**
 * The bundled binary for this machine, checked: its path, or null when the plugin folder has
 * no `bin/SHA256SUMS` (a source checkout, not a release package). Throws, naming the platform,
 * when the package has no binary for it, and refuses a file whose SHA-256 differs from the list.
 * `host` (tests, the CI's qemu check): `{ platform, arch, armVersion }` instead of this Node's.
 */
export function bundledBinary(pluginDir, host = {}) {
  const sumsPath = join(pluginDir, "bin", "SHA256SUMS");
  if (!existsSync(sumsPath)) return null;
  const platform = host.platform ?? process.platform;
  const arch = host.arch ?? process.arch;
  const name = `${platform}-${arch}`;
  const dir = BUNDLED_DIRS[name];
  const armVersion = Number(host.armVersion ?? process.config?.variables?.arm_version ?? 7);
  if (!dir || (arch === "arm" && armVersion < 7)) {
    const what = arch === "arm" && dir ? `${name} (ARMv${armVersion}; the arm binary needs ARMv7)` : name;
    throw new Error(
      `${BINARY}: this package has no bridge binary for ${what}; it carries ${Object.keys(BUNDLED_DIRS).join(", ")}. ` +
        "Build the bridge for this machine (see the README) and set channels.mattermost.binaryPath to it",
    );
  }
  const rel = `${dir}/${BINARY}`;
  const path = join(pluginDir, "bin", dir, BINARY);
  const expected = parseSums(readFileSync(sumsPath, "utf8")).get(rel);
  if (!expected) throw new Error(`${BINARY}: ${sumsPath} lists no ${rel}; reinstall the plugin`);
  if (!existsSync(path)) throw new Error(`${BINARY}: ${path} is missing; reinstall the plugin`);
  const before = identity(path);
  if (verified.get(path) !== before) {
    const actual = createHash("sha256").update(readFileSync(path)).digest("hex");
    if (actual !== expected) {
      throw new Error(
        `${BINARY}: refusing to run ${path}: its SHA-256 is ${actual}, but ${sumsPath} says ${expected} ` +
          "(a damaged or altered file); reinstall the plugin",
      );
    }
    // npm keeps the mode of packed files, but an unpacker that drops it is no reason to fail.
    try {
      accessSync(path, constants.X_OK);
    } catch {
      chmodSync(path, 0o755);
    }
    verified.set(path, identity(path));
  }
  return path;
}
