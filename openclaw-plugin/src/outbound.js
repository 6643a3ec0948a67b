// Outbound: OpenClaw targets → bridge `send` params, and media sources → local files.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
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
 * Turns media sources into local paths for the bridge: a path or `file://` URL is used as
 * is; an `http(s)` URL is downloaded into a private temporary folder (removed by `cleanup`).
 */
export async function localizeMedia(sources, { maxBytes = 20 * 1024 * 1024, fetchImpl = fetch } = {}) {
  const paths = [];
  const temps = [];
  try {
    for (const source of sources) {
      if (/^file:\/\//i.test(source)) {
        paths.push(fileURLToPath(source));
      } else if (/^https?:\/\//i.test(source)) {
        const res = await fetchImpl(source);
        if (!res.ok) throw new Error(`mattermost: fetching ${source} answered ${res.status}`);
        const bytes = Buffer.from(await res.arrayBuffer());
        if (bytes.length > maxBytes) throw new Error(`mattermost: ${source} is larger than mediaMaxMb`);
        const dir = await mkdtemp(join(tmpdir(), "openclaw-mattermost-out-"));
        temps.push(dir);
        const name = basename(new URL(source).pathname) || "file";
        const path = join(dir, name);
        await writeFile(path, bytes, { mode: 0o600 });
        paths.push(path);
      } else {
        paths.push(source);
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
export async function sendThroughBridge(bridge, { target, text, media = [], rootId, maxBytes }) {
  const { paths, cleanup } = await localizeMedia(media, { maxBytes });
  try {
    const params = { ...target, text: text ?? "" };
    if (rootId) params.rootId = String(rootId);
    if (paths.length) params.files = paths;
    return await bridge.request("send", params);
  } finally {
    await cleanup();
  }
}
