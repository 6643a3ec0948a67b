// One run of the bridge binary for one answer (`--check --json`, `--directory …`), on an
// account's config as the plugin would start it: the config on descriptor 3 (`bridgeConfig`:
// the token through the child's environment, never the text), the answer as the JSON of its
// stdout. For where no bridge runs: OpenClaw's CLI, the setup wizard, the doctor.
import { spawn } from "node:child_process";
import { bridgeConfig, resolveBinary } from "./config.js";

/**
 * Runs `<binary> <args> --config-fd 3` for `account` (an account of `resolveAccount`).
 * Resolves `{ output }` (its stdout, parsed) or `{ error, missingBinary? }` (the reason: its
 * last line on stderr, else the exit code); never rejects. At most `maxOutput` characters of
 * each stream are kept; a run over `timeoutMs` is killed. `binary` for tests.
 */
export async function runOnce(account, args, { cfg, env = process.env, binary, timeoutMs, maxOutput = 1 << 20 } = {}) {
  let bin;
  let config;
  try {
    bin = binary ?? resolveBinary(account.config, env);
  } catch (err) {
    return { error: err.message, missingBinary: true };
  }
  try {
    config = bridgeConfig(account, { env, cfg });
  } catch (err) {
    return { error: err.message };
  }
  const what = `${bin} ${args[0]}`;
  return new Promise((resolve) => {
    let done = false;
    let out = "";
    let errText = "";
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    let child;
    try {
      child = spawn(bin, [...args, "--config-fd", "3"], { env: config.env, stdio: ["ignore", "pipe", "pipe", "pipe"] });
    } catch (err) {
      resolve({ error: `cannot run ${bin}: ${err.message}`, missingBinary: err.code === "ENOENT" });
      return;
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish({ error: `${what} did not finish within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    child.stdout.on("data", (d) => (out.length < maxOutput ? (out += d) : undefined));
    child.stderr.on("data", (d) => (errText.length < maxOutput ? (errText += d) : undefined));
    child.on("error", (err) => finish({ error: `cannot run ${bin}: ${err.message}`, missingBinary: err.code === "ENOENT" }));
    child.on("close", (code) => {
      try {
        finish({ output: JSON.parse(out) });
      } catch {
        const why = errText.trim().split("\n").at(-1) || `exit code ${code}`;
        finish({ error: `${what} gave no answer: ${why}` });
      }
    });
    child.stdio[3].on("error", () => {});
    child.stdio[3].end(config.text);
  });
}
