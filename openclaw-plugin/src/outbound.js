// Outbound: OpenClaw targets → bridge `send` params, and media sources → local files.
import { mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { basename, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Parses an OpenClaw target for this channel into bridge `send` params:
 * `channel:<id>` / `#<id>` → `{channelId}`; `user:<id>` / `mattermost:<id>` / `@<id>` →
 * `{userId}` (the bridge opens the DM). A bare id is taken as a channel id (the bridge has no
 * user lookup; use `user:` for DMs). `mattermost:channel:<id>` and `mattermost:group:<id>`
 * (inbound `From` values) are channels too.
 */
export function parseTarget(raw) {
  let to = String(raw ?? "").trim();
  if (!to) throw new Error("mattermost: empty target");
  if (/^mattermost:/i.test(to)) {
    to = to.slice("mattermost:".length);
    if (!/^(channel|group|user):/i.test(to)) return { userId: to };
  }
  const m = /^(channel|group|user|dm):(.+)$/i.exec(to);
  if (m) {
    const id = m[2].trim();
    return m[1].toLowerCase() === "user" || m[1].toLowerCase() === "dm" ? { userId: id } : { channelId: id };
  }
  if (to.startsWith("#")) return { channelId: to.slice(1) };
  if (to.startsWith("@")) return { userId: to.slice(1) };
  return { channelId: to };
}

/** `user:`/`channel:` form of a target (what inbound contexts use as `To`). */
export function normalizeTarget(raw) {
  try {
    const t = parseTarget(raw);
    return t.userId ? `user:${t.userId}` : `channel:${t.channelId}`;
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
  const roots = [env.OPENCLAW_STATE_DIR || join(homedir(), ".openclaw"), tmpdir()];
  const agents = cfg?.agents ?? {};
  if (typeof agents.defaults?.workspace === "string") roots.push(agents.defaults.workspace);
  for (const agent of Array.isArray(agents.list) ? agents.list : []) {
    if (typeof agent?.workspace === "string") roots.push(agent.workspace);
  }
  return roots;
}

async function within(path, roots) {
  const real = await realpath(path).catch(() => resolve(path));
  for (const root of roots) {
    const r = await realpath(root).catch(() => resolve(root));
    if (real === r || real.startsWith(r.endsWith(sep) ? r : r + sep)) return true;
  }
  return false;
}

/**
 * Turns media sources into local paths for the bridge. An `http(s)` URL is downloaded into a
 * private temporary folder (removed by `cleanup`). A local path or `file://` URL is read with
 * OpenClaw's `readFile` when the host gives one (its media access policy), else it must lie
 * under one of `roots` (when given).
 */
export async function localizeMedia(sources, { maxBytes = 20 * 1024 * 1024, fetchImpl = fetch, readFile, roots } = {}) {
  const paths = [];
  const temps = [];
  const stage = async (name, bytes) => {
    if (bytes.length > maxBytes) throw new Error(`mattermost: ${name} is larger than mediaMaxMb`);
    const dir = await mkdtemp(join(tmpdir(), "openclaw-mattermost-out-"));
    temps.push(dir);
    const path = join(dir, name || "file");
    await writeFile(path, bytes, { mode: 0o600 });
    return path;
  };
  try {
    for (const source of sources) {
      if (/^https?:\/\//i.test(source)) {
        const res = await fetchImpl(source);
        if (!res.ok) throw new Error(`mattermost: fetching ${source} answered ${res.status}`);
        const bytes = Buffer.from(await res.arrayBuffer());
        paths.push(await stage(basename(new URL(source).pathname), bytes));
        continue;
      }
      const local = /^file:\/\//i.test(source) ? fileURLToPath(source) : source;
      if (readFile) {
        paths.push(await stage(basename(local), Buffer.from(await readFile(local))));
      } else if (roots && !(await within(local, roots))) {
        throw new Error(`mattermost: ${local} is outside the folders media may be sent from`);
      } else {
        paths.push(local);
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
 * `rootId` puts the post(s) in that thread.
 */
export async function sendThroughBridge(bridge, { target, text, media = [], rootId, maxBytes, readFile, roots }) {
  const { paths, cleanup } = await localizeMedia(media, { maxBytes, readFile, roots });
  try {
    const params = { ...target, text: text ?? "" };
    if (rootId) params.rootId = String(rootId);
    if (paths.length) params.files = paths;
    return await bridge.request("send", params);
  } finally {
    await cleanup();
  }
}
