// Scratch folders for the tests, all removed when the test process exits (node --test runs
// each file in its own process), so that runs leave nothing in the temp dir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made = [];

/** A fresh, private folder `<temp dir>/ocmm-<name>-XXXXXX`, removed at exit. */
export function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `ocmm-${name}-`));
  made.push(dir);
  return dir;
}

process.on("exit", () => {
  for (const dir of made.reverse()) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A folder a test made unreadable to us: nothing more to do at exit.
    }
  }
});
