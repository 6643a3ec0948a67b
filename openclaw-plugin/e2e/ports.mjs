// Free TCP ports on 127.0.0.1 for the end-to-end run, chosen by the OS (never a fixed or
// random guess), so that runs at the same time, or other services, do not collide. Another
// process may still take a port between the check and our use of it: callers that can, retry.
import { createServer } from "node:net";

/** Listens on `port` (0: any free one) and closes again; resolves the port, or null if taken. */
function probe(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(null));
    s.listen(port, "127.0.0.1", () => {
      const got = s.address().port;
      s.close(() => resolve(got));
    });
  });
}

/** A port the OS says is free. */
export async function freePort() {
  const port = await probe(0);
  if (port === null) throw new Error("no free port on 127.0.0.1");
  return port;
}

/**
 * A free port P such that P + each of `offsets` is free too (OpenClaw's gateway also listens
 * on its port + 2, for browser control).
 */
export async function freePortWith(offsets) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    let ok = true;
    for (const offset of offsets) {
      if (port + offset > 65535 || (await probe(port + offset)) === null) ok = false;
    }
    if (ok) return port;
  }
  throw new Error(`no free port P on 127.0.0.1 with P+${offsets.join(", P+")} free too`);
}
