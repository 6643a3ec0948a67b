// Paths no other local user can change. Before the plugin hands the bridge a folder (its state
// and media folders) or a file (outbound media), it checks that no other user could replace a
// part of that path between the check and the bridge's use: every folder on the way belongs to
// this user or root and no one else may write in it — except a sticky folder such as /tmp, where
// others may add entries but only an entry's owner may rename or remove it, so the next part
// must be this user's (or root's).
import { lstatSync, mkdirSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, sep } from "node:path";

const STICKY = 0o1000;

function myUid() {
  return process.getuid?.() ?? 0;
}

const trusted = (st) => st.uid === myUid() || st.uid === 0;
const mode = (st) => `0${(st.mode & 0o7777).toString(8)}`;

/**
 * Throws unless no other user can replace any part of `real`, an absolute path without
 * symbolic links (a `realpath`), down to and including its last part. `what` names the path in
 * the error, which also says the fix.
 */
export function assertNoOtherUserCanSwap(real, what) {
  if (!isAbsolute(real)) throw new Error(`${what}: ${real} is not an absolute path`);
  let parent = "/";
  let parentStat = lstatSync(parent);
  for (const part of real.split(sep).filter(Boolean)) {
    const path = join(parent, part);
    const st = lstatSync(path);
    if (st.isSymbolicLink()) throw new Error(`${what}: ${path} became a symbolic link; refusing ${real}`);
    if (!trusted(parentStat)) {
      throw new Error(
        `${what}: the folder ${parent} belongs to uid ${parentStat.uid}, who could replace ${path}; use a folder of your own (uid ${myUid()})`,
      );
    }
    if (parentStat.mode & 0o022) {
      if (!(parentStat.mode & STICKY)) {
        throw new Error(
          `${what}: the folder ${parent} is writable by other users (mode ${mode(parentStat)}), who could replace ${path}; chmod go-w ${parent}`,
        );
      }
      if (!trusted(st)) {
        throw new Error(
          `${what}: ${path} belongs to uid ${st.uid} in the shared folder ${parent}, who could swap it; use a file or folder of your own (uid ${myUid()})`,
        );
      }
    }
    parent = path;
    parentStat = st;
  }
}

/**
 * Creates the folder `path` (mode 0700) if missing, and makes sure it is a real folder (not a
 * symbolic link) owned by this user, writable by no one else, on a path no other user can
 * change. Throws an error naming the path and the fix otherwise. Returns `path`.
 */
export function ensurePrivateDir(path, what) {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (err) {
    if (err.code === "ENOENT") {
      ensurePrivateDir(dirname(path), what);
      return ensurePrivateDir(path, what);
    }
    if (err.code !== "EEXIST") throw new Error(`${what}: cannot create ${path}: ${err.message}`);
  }
  const st = lstatSync(path);
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new Error(`${what}: ${path} is ${st.isSymbolicLink() ? "a symbolic link" : "not a folder"}; remove it (it is recreated as a private folder)`);
  }
  if (st.uid !== myUid()) {
    throw new Error(`${what}: ${path} belongs to uid ${st.uid}, not to this user (uid ${myUid()}); remove it or chown it to yourself`);
  }
  if (st.mode & 0o022) {
    throw new Error(`${what}: ${path} is writable by other users (mode ${mode(st)}); chmod go-w ${path}`);
  }
  assertNoOtherUserCanSwap(path, what);
  return path;
}

/**
 * OpenClaw's state dir as a real path (created 0700 when missing; a symbolic link the user made
 * is followed), checked like `ensurePrivateDir`.
 */
export function privateStateDir(stateDir) {
  const what = "mattermost: OpenClaw's state folder";
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`${what}: cannot create ${stateDir}: ${err.message}`);
  }
  return ensurePrivateDir(realpathSync(stateDir), what);
}
