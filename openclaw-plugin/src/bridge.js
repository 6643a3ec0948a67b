// The bridge child process: spawns `openclaw-mattermost`, speaks JSON-RPC 2.0 lines with it
// (PROTOCOL.md), restarts it with backoff when it dies, and stops it on request.
import { spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { splitLines } from "./lines.js";

/** A JSON-RPC error answered by the bridge (code, message, data as in PROTOCOL.md). */
export class BridgeError extends Error {
  constructor(code, message, data) {
    super(message);
    this.name = "BridgeError";
    this.code = code;
    this.data = data;
  }
}

const DEFAULTS = {
  // First restart delay; doubles per crash up to maxBackoffMs, reset after healthyMs of uptime.
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  healthyMs: 60_000,
  // Stop: close stdin, wait for the bridge to finish (it takes at most 10 s), SIGTERM, SIGKILL.
  stdinGraceMs: 12_000,
  termGraceMs: 3_000,
  // How long a request waits for a (re)started bridge to be ready before failing.
  readyTimeoutMs: 60_000,
  // How long a request waits for its answer once written.
  requestTimeoutMs: 120_000,
  // The longest stdout line taken from the bridge (a 10 MB post JSON-escaped fits); longer
  // lines are dropped with a warning as they stream in. Stderr lines: 64 KiB.
  maxLineBytes: 32 * 1024 * 1024,
  maxLogLineBytes: 64 * 1024,
};

/**
 * Supervises one bridge process per account.
 *
 * Events: `ready` (params of the `ready` line), `message`, `status` (notification params),
 * `spawn` (child pid), `exit` ({code, signal, expected}), `fatal` (Error: the bridge refuses
 * its configuration, exit code 2, or cannot be started at all; no restart), `log`
 * ({level, text}).
 */
export class BridgeSupervisor extends EventEmitter {
  /**
   * `configText`, when given, is written to each child on descriptor 3 (an inherited pipe,
   * read with `--config-fd 3` in `args`) and the pipe closed: no config file exists.
   */
  constructor({ binary, args = [], env = process.env, configText = null, options = {} }) {
    super();
    this.binary = binary;
    this.args = args;
    this.env = env;
    this.configText = configText;
    this.opts = { ...DEFAULTS, ...options };
    this.child = null;
    this.readyInfo = null;
    this.stopped = false;
    this.restarts = 0;
    this.backoffMs = this.opts.initialBackoffMs;
    this.nextId = 1;
    this.pending = new Map();
    this.readyWaiters = [];
    this.restartTimer = null;
    this.stderrTail = [];
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Spawns the first child. `done` settles once the supervisor is stopped or fatal. */
  start() {
    this.spawnChild();
    return this;
  }

  get pid() {
    return this.child?.pid ?? null;
  }

  get isReady() {
    return this.readyInfo !== null;
  }

  spawnChild() {
    if (this.stopped) return;
    this.readyInfo = null;
    this.stderrTail = [];
    let child;
    const stdio = ["pipe", "pipe", "pipe"];
    if (this.configText !== null) stdio.push("pipe");
    try {
      child = spawn(this.binary, this.args, { env: this.env, stdio });
    } catch (err) {
      this.onChildGone(null, { code: null, signal: null, error: err });
      return;
    }
    this.child = child;
    const startedAt = Date.now();
    child.startedAt = startedAt;
    child.stdin.on("error", () => {}); // EPIPE after a crash: the exit handler reports it
    if (this.configText !== null && child.stdio[3]) {
      child.stdio[3].on("error", () => {});
      child.stdio[3].end(this.configText);
    }
    splitLines(child.stdout, {
      maxBytes: this.opts.maxLineBytes,
      onLine: (line) => this.onLine(child, line),
      onOverflow: () =>
        this.emit("log", { level: "warn", text: `bridge wrote a stdout line over ${this.opts.maxLineBytes} bytes; dropped` }),
    });
    splitLines(child.stderr, {
      maxBytes: this.opts.maxLogLineBytes,
      onLine: (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        this.emit("log", { level: "debug", text: line });
      },
      onOverflow: () =>
        this.emit("log", { level: "warn", text: `bridge wrote a log line over ${this.opts.maxLogLineBytes} bytes; dropped` }),
    });
    child.on("error", (error) => {
      // spawn failure (ENOENT, EACCES): no pid, and no exit event will follow
      if (!child.pid) {
        this.onChildGone(child, { code: null, signal: null, error });
      }
    });
    child.on("exit", (code, signal) => this.onChildGone(child, { code, signal }));
    if (child.pid) this.emit("spawn", child.pid);
  }

  onLine(child, line) {
    if (child !== this.child) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      this.emit("log", { level: "warn", text: `bridge wrote a non-JSON line: ${JSON.stringify(line.slice(0, 200))}` });
      return;
    }
    if (msg === null || typeof msg !== "object" || Array.isArray(msg)) {
      this.emit("log", { level: "warn", text: `bridge wrote a line that is not a JSON object: ${JSON.stringify(line.slice(0, 200))}` });
      return;
    }
    if (msg.id !== undefined && msg.id !== null && !msg.method) {
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      clearTimeout(waiter.timer);
      if (msg.error) waiter.reject(new BridgeError(msg.error.code, msg.error.message, msg.error.data));
      else waiter.resolve(msg.result ?? {});
      return;
    }
    switch (msg.method) {
      case "ready":
        this.readyInfo = msg.params ?? {};
        for (const w of this.readyWaiters.splice(0)) w.resolve(this.readyInfo);
        this.emit("ready", this.readyInfo);
        break;
      case "message":
      case "reaction":
      case "status":
        this.emit(msg.method, msg.params ?? {});
        break;
      default:
        this.emit("log", { level: "debug", text: `bridge notification ${msg.method}` });
    }
  }

  onChildGone(child, { code, signal, error }) {
    if (child && child !== this.child) return;
    if (child && child.gone) return;
    if (child) child.gone = true;
    this.child = null;
    this.readyInfo = null;
    const reason = error
      ? `could not start ${this.binary}: ${error.message}`
      : `bridge exited (code ${code}, signal ${signal})`;
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new BridgeError(-32003, reason, { error: reason }));
      this.pending.delete(id);
    }
    this.emit("exit", { code, signal, expected: this.stopped, error });
    if (this.stopped) {
      this.finish();
      return;
    }
    if (code === 2 || error) {
      // Bad configuration or command line (the last stderr line names the key and the fix),
      // or a binary that cannot be run at all: restarting cannot help.
      const why = this.stderrTail.at(-1) ?? "bad configuration";
      const err = error
        ? new Error(`${reason} (set channels.mattermost.binaryPath to the openclaw-mattermost binary)`)
        : new Error(`openclaw-mattermost refused its configuration: ${why}`);
      this.stopped = true;
      for (const w of this.readyWaiters.splice(0)) w.reject(err);
      this.emit("fatal", err);
      this.finish(err);
      return;
    }
    const uptime = child?.startedAt ? Date.now() - child.startedAt : 0;
    if (uptime >= this.opts.healthyMs) this.backoffMs = this.opts.initialBackoffMs;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs);
    this.restarts += 1;
    this.emit("log", { level: "warn", text: `${reason}; restarting in ${delay} ms` });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.spawnChild();
    }, delay);
  }

  finish(err) {
    for (const w of this.readyWaiters.splice(0)) w.reject(err ?? new Error("bridge stopped"));
    this.resolveDone(err ?? null);
  }

  /** Resolves with the `ready` params once a child is ready. */
  waitReady(timeoutMs = this.opts.readyTimeoutMs) {
    if (this.readyInfo) return Promise.resolve(this.readyInfo);
    if (this.stopped) return Promise.reject(new BridgeError(-32003, "bridge stopped", {}));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(new BridgeError(-32003, "the Mattermost bridge is not ready", { error: "not ready" }));
      }, timeoutMs);
      this.readyWaiters.push(waiter);
    });
  }

  /** Sends a request to the ready child; resolves with its result or rejects a BridgeError. */
  async request(method, params = {}, { timeoutMs = this.opts.requestTimeoutMs } = {}) {
    await this.waitReady();
    const child = this.child;
    if (!child) throw new BridgeError(-32003, "bridge not running", {});
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BridgeError(-32003, `no answer to ${method} within ${timeoutMs} ms`, {}));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  }

  /**
   * Stops for good: no restart; closes stdin (the bridge finishes in-flight work and exits 0),
   * then SIGTERM after stdinGraceMs, then SIGKILL after termGraceMs. Resolves when the child
   * is gone.
   */
  async stop() {
    this.stopped = true;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    const child = this.child;
    if (!child) {
      this.finish();
      return this.done;
    }
    const gone = new Promise((resolve) => {
      if (child.gone) resolve();
      else child.once("exit", () => resolve());
    });
    const within = (ms) =>
      Promise.race([gone.then(() => true), new Promise((r) => setTimeout(() => r(false), ms).unref())]);
    child.stdin.end();
    if (!(await within(this.opts.stdinGraceMs))) {
      this.emit("log", { level: "warn", text: "bridge did not stop after stdin closed; SIGTERM" });
      child.kill("SIGTERM");
      if (!(await within(this.opts.termGraceMs))) {
        this.emit("log", { level: "warn", text: "bridge ignored SIGTERM; SIGKILL" });
        child.kill("SIGKILL");
        await gone;
      }
    }
    return this.done;
  }
}
