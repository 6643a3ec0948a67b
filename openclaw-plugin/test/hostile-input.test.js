// Odd output from the bridge child and hostile media servers (issue 14, section 4).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { BridgeSupervisor } from "../src/bridge.js";
import { localizeMedia } from "../src/outbound.js";
import { tempDir } from "./tmp.js";

const READY = JSON.stringify({ jsonrpc: "2.0", method: "ready", params: { protocol: 1, bot: { id: "b", username: "bot" } } });

/** A stand-in bridge: a node script that runs `body`, then says ready and idles. */
function stubBridge(body) {
  const path = join(tempDir("stubout"), "bridge.mjs");
  writeFileSync(
    path,
    `#!${process.execPath}\n${body}\nprocess.stdout.write(${JSON.stringify(READY + "\n")});\nsetInterval(() => {}, 1000);\nprocess.stdin.on("end", () => process.exit(0)).resume();\n`,
    { mode: 0o755 },
  );
  return path;
}

async function superviseUntilReady(binary, options = {}) {
  const bridge = new BridgeSupervisor({ binary, options: { stdinGraceMs: 1000, termGraceMs: 500, ...options } });
  const logs = [];
  bridge.on("log", (l) => logs.push(l));
  bridge.start();
  try {
    await bridge.waitReady(20_000);
  } finally {
    await bridge.stop();
  }
  return logs;
}

test("stdout lines that are JSON but not objects (null, arrays, numbers) are ignored with a warning", async () => {
  const logs = await superviseUntilReady(stubBridge(`process.stdout.write("null\\n[]\\n5\\n\\"x\\"\\n");`));
  const warned = logs.filter((l) => l.level === "warn" && /not a JSON object/.test(l.text));
  assert.equal(warned.length, 4, JSON.stringify(logs));
});

test("a stdout line without end is dropped once it passes the cap; the next lines still count", async () => {
  // 40 MB without a newline, then the ready line: memory must not follow the line's length.
  const body = `const block = Buffer.alloc(1 << 20, 120); for (let i = 0; i < 40; i++) process.stdout.write(block); process.stdout.write("\\n");`;
  const logs = await superviseUntilReady(stubBridge(body), { maxLineBytes: 1 << 20 });
  assert.ok(
    logs.some((l) => l.level === "warn" && /stdout line over 1048576 bytes; dropped/.test(l.text)),
    JSON.stringify(logs.map((l) => l.text.slice(0, 100))),
  );
});

test("a media download is refused while it streams, as soon as it passes mediaMaxMb", { timeout: 20_000 }, async () => {
  let sent = 0;
  let closed;
  const gone = new Promise((r) => (closed = r));
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" }); // no length: endless
    const chunk = Buffer.alloc(64 * 1024, 1);
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed) res.once("drain", pump);
    };
    res.on("close", () => closed());
    pump();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${server.address().port}/endless.bin`;
    await assert.rejects(localizeMedia([url], { maxBytes: 1024 * 1024 }), /endless\.bin is larger than mediaMaxMb/);
    await gone;
    assert.ok(sent < 32 * 1024 * 1024, `the server sent ${sent} bytes before the download stopped`);
  } finally {
    server.closeAllConnections?.();
    server.close();
  }
});

test("a media download announcing a length over mediaMaxMb is refused before its body", async () => {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-length": String(50 * 1024 * 1024) });
    res.write(Buffer.alloc(1024));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${server.address().port}/big.bin`;
    await assert.rejects(localizeMedia([url], { maxBytes: 1024 * 1024 }), /big\.bin is larger than mediaMaxMb/);
  } finally {
    server.closeAllConnections?.();
    server.close();
  }
});
