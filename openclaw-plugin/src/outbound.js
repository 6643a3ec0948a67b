// Outbound: OpenClaw targets → bridge `send` params, and media sources → local files.
import { mkdtemp, realpath, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveStateDir, runtimeStore } from "./config.js";
import { assertNoOtherUserCanSwap } from "./safe-path.js";

const MATTERMOST_ID = /^[a-z0-9]{26}$/;

/**
 * Parses an OpenClaw target for this channel into bridge `send` params, as @openclaw/mattermost
 * reads targets (`parseMattermostTarget`):
 * - `channel:<id>`, `group:<id>` → `{channelId}`; `channel:<name>`, `channel:#<name>`, `#<name>`
 *   and a bare word that is not an id → `{channelName}` (found by the bridge in the bot's teams, or in `teamId`);
 * - `user:<id>`, `dm:<id>`, `mattermost:<id>` → `{userId}`; `@<name>` → `{username}` (the
 *   bridge opens the DM);
 * - a bare 26-character id → `{peerId}`: the bridge takes it as a user's when the server knows
 *   such a user (the DM), else as a channel's;
 * - `mattermost:channel:<id>` and `mattermost:group:<id>` (inbound `From` values) are channels.
 */
export function parseTarget(raw) {
  let to = String(raw ?? "").trim();
  if (!to) throw new Error("mattermost: empty target");
  if (/^mattermost:/i.test(to)) {
    to = to.slice("mattermost:".length).trim();
    const from = /^(channel|group):(.*)$/is.exec(to);
    if (from) return { channelId: nonEmpty(from[2].trim(), "channel id") };
    if (!/^user:/i.test(to)) return { userId: nonEmpty(to, "user id") };
  }
  const m = /^(channel|group|user|dm):(.*)$/is.exec(to);
  if (m) {
    const kind = m[1].toLowerCase();
    const id = nonEmpty(m[2].trim(), kind === "user" || kind === "dm" ? "user id" : "channel id");
    if (kind === "user" || kind === "dm") return { userId: id };
    if (kind === "channel" && !MATTERMOST_ID.test(id)) return { channelName: nonEmpty(id.replace(/^#/, "").trim(), "channel name") };
    return { channelId: id };
  }
  if (to.startsWith("@")) return { username: nonEmpty(to.slice(1).trim(), "username") };
  if (to.startsWith("#")) return { channelName: nonEmpty(to.slice(1).trim(), "channel name") };
  return MATTERMOST_ID.test(to) ? { peerId: to } : { channelName: to };
}

function nonEmpty(value, what) {
  if (!value) throw new Error(`mattermost: the target names no ${what}`);
  return value;
}

/**
 * A target's canonical form (what inbound contexts use as `To`): `user:<id>`, `@<name>`,
 * `channel:<id>`, `channel:#<name>`; a bare id stays as it is (a user's or a channel's, known
 * only when sending).
 */
export function normalizeTarget(raw) {
  try {
    const t = parseTarget(raw);
    if (t.userId) return `user:${t.userId}`;
    if (t.username) return `@${t.username}`;
    if (t.channelName) return `channel:#${t.channelName}`;
    return t.peerId ?? `channel:${t.channelId}`;
  } catch {
    return undefined;
  }
}

/** Media sources of a reply payload, in order. */
export function payloadMedia(payload) {
  const list = [];
  if (Array.isArray(payload?.mediaUrls)) list.push(...payload.mediaUrls);
  if (payload?.mediaUrl && !list.includes(payload.mediaUrl)) list.push(payload.mediaUrl);
  return list.filter((m) => typeof m === "string" && m.trim());
}

/**
 * Folders an agent's reply may attach local files from, when OpenClaw gives no media policy of
 * its own: OpenClaw's state dir (its media store and the default workspace), the agents'
 * configured workspaces, and the system temp dir.
 */
export function defaultMediaRoots(cfg, env = process.env) {
  const roots = [resolveStateDir(runtimeStore.runtime, env), tmpdir()];
  const agents = cfg?.agents ?? {};
  if (typeof agents.defaults?.workspace === "string") roots.push(agents.defaults.workspace);
  for (const agent of Array.isArray(agents.list) ? agents.list : []) {
    if (typeof agent?.workspace === "string") roots.push(agent.workspace);
  }
  return roots;
}

async function within(real, roots) {
  for (const root of roots) {
    const r = await realpath(root).catch(() => resolve(root));
    if (real === r || real.startsWith(r.endsWith(sep) ? r : r + sep)) return true;
  }
  return false;
}

/**
 * A local file to attach: its real path (symbolic links resolved), which must lie under one of
 * `roots` (when given), be a regular file, and be on a path no other user can change (see
 * safe-path.js). The bridge gets exactly this checked path, so nothing can be swapped in
 * between the check and the upload.
 */
async function checkedLocalFile(local, roots) {
  let real;
  try {
    real = await realpath(local);
  } catch (err) {
    throw new Error(`mattermost: cannot attach ${local}: ${err.code ?? err.message}`);
  }
  if (roots && !(await within(real, roots))) {
    throw new Error(`mattermost: ${local} is outside the folders media may be sent from`);
  }
  assertNoOtherUserCanSwap(real, `mattermost: cannot attach ${local}`);
  if (!(await stat(real)).isFile()) throw new Error(`mattermost: cannot attach ${local}: not a regular file`);
  return real;
}

/**
 * The body of `res`, refused as soon as more than `maxBytes` arrive (or are announced by
 * Content-Length): a huge or endless download never sits in memory whole.
 */
async function readCapped(res, maxBytes, what) {
  const tooBig = () => new Error(`mattermost: ${what} is larger than mediaMaxMb`);
  const declared = Number(res.headers?.get?.("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel?.().catch(() => {});
    throw tooBig();
  }
  const reader = res.body?.getReader?.();
  if (!reader) {
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > maxBytes) throw tooBig();
    return bytes;
  }
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooBig();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Turns media sources into local paths for the bridge. An `http(s)` URL is downloaded into a
 * private temporary folder (removed by `cleanup`), at most `maxBytes`. A local path or
 * `file://` URL is read with OpenClaw's `readFile` when the host gives one (its media access
 * policy) and staged the same way; else the bridge gets the file's checked real path (see
 * `checkedLocalFile`), which must lie under one of `roots` (when given).
 */
export async function localizeMedia(sources, { maxBytes = 20 * 1024 * 1024, fetchImpl = fetch, readFile, roots } = {}) {
  const paths = [];
  const temps = [];
  const stage = async (name, bytes) => {
    if (bytes.length > maxBytes) throw new Error(`mattermost: ${name} is larger than mediaMaxMb`);
    const dir = await mkdtemp(join(tmpdir(), "openclaw-mattermost-out-"));
    try {
      // A temp dir (TMPDIR) others may write: they could swap our folder for theirs.
      assertNoOtherUserCanSwap(await realpath(dir), "mattermost: staging a reply's media");
    } catch (err) {
      await rmdir(dir).catch(() => {}); // empty; never follows a link swapped in
      throw err;
    }
    temps.push(dir);
    const path = join(dir, name && name !== "." && name !== ".." ? name : "file");
    await writeFile(path, bytes, { mode: 0o600, flag: "wx" });
    return path;
  };
  try {
    for (const source of sources) {
      if (/^https?:\/\//i.test(source)) {
        const res = await fetchImpl(source);
        if (!res.ok) throw new Error(`mattermost: fetching ${source} answered ${res.status}`);
        const name = basename(new URL(source).pathname);
        paths.push(await stage(name, await readCapped(res, maxBytes, name || source)));
        continue;
      }
      const local = /^file:\/\//i.test(source) ? fileURLToPath(source) : source;
      if (readFile) {
        paths.push(await stage(basename(local), Buffer.from(await readFile(local))));
      } else {
        paths.push(await checkedLocalFile(local, roots));
      }
    }
  } catch (err) {
    await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
    throw err;
  }
  return {
    paths,
    cleanup: () => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))),
  };
}

/**
 * Sends text and/or media through the bridge; returns the bridge's `{channelId, postIds}`.
 * `rootId` puts the post(s) in that thread. The text is trimmed, as OpenClaw's Mattermost
 * plugin trims every post it sends (`sendMessageMattermost`): a chunk of a long answer ends
 * without the blank OpenClaw's splitter leaves before its cut.
 */
export async function sendThroughBridge(bridge, { target, text, media = [], rootId, attachments, maxBytes, readFile, roots }) {
  const { paths, cleanup } = await localizeMedia(media, { maxBytes, readFile, roots });
  try {
    const params = { ...target, text: typeof text === "string" ? text.trim() : "" };
    if (rootId) params.rootId = String(rootId);
    if (paths.length) params.files = paths;
    if (attachments?.length) params.attachments = attachments;
    return await bridge.request("send", params);
  } finally {
    await cleanup();
  }
}
