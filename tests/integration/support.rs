//! Drives the built bridge the way OpenClaw does: spawn it with a config file, write JSON-RPC
//! lines to its stdin, read lines from its stdout. Lines that a test is not waiting for yet are
//! kept, so assertions can look for them in any order.

use serde_json::{json, Value};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(10);
/// How long the floods of 20,000 posts may go without a message: catching them up reads
/// dozens of pages of 200, which under a loaded machine (two cores, a debug build, the fake
/// beside it) takes far longer than `WAIT` before the first of them is handed over. These
/// tests are about losing nothing and bounded memory, not speed (that is the benchmark's).
pub const FLOOD_WAIT: Duration = Duration::from_secs(60);

/// The binary under test: `OPENCLAW_MATTERMOST_BIN` (e.g. a cross build) or cargo's own build.
pub fn binary() -> PathBuf {
    std::env::var_os("OPENCLAW_MATTERMOST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_openclaw-mattermost")))
}

/// The command line that starts the binary under test: `OPENCLAW_MATTERMOST_RUNNER` (words
/// split at whitespace, e.g. `qemu-aarch64-static` for a cross build without binfmt) before
/// `binary()`.
pub fn bridge_command_line() -> Vec<OsString> {
    let runner = std::env::var("OPENCLAW_MATTERMOST_RUNNER").unwrap_or_default();
    let mut line: Vec<OsString> = runner.split_whitespace().map(OsString::from).collect();
    line.push(binary().into_os_string());
    line
}

fn command_from(line: &[OsString]) -> Command {
    let (program, args) = line.split_first().expect("an empty bridge command line");
    let mut command = Command::new(program);
    command.args(args);
    command
}

/// Copies an executable with `cp`, a process of its own. Were the copy open for writing in this
/// process, a process that any test (of any suite: they share this process) forks meanwhile
/// would inherit that descriptor until it execs, and exec of the copy would fail with "Text
/// file busy" (ETXTBSY). A lock cannot help: every suite forks.
pub fn copy_executable(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg(from)
        .arg(to)
        .status()
        .expect("running cp");
    assert!(status.success(), "cp {from:?} {to:?}: {status}");
}

/// Puts a script at `to`, executable. For the reason of `copy_executable` the executable is
/// not written here: the text goes to `<to>.text`, which is never run (so a descriptor of it
/// that a fork inherits does no harm), and `install -m 0755`, a process of its own, makes the
/// executable from it.
pub fn write_executable(to: &Path, text: &str) {
    let mut source = to.as_os_str().to_owned();
    source.push(".text");
    let source = PathBuf::from(source);
    std::fs::write(&source, text).unwrap();
    let status = Command::new("install")
        .arg("-m")
        .arg("0755")
        .arg(&source)
        .arg(to)
        .status()
        .expect("running install");
    assert!(status.success(), "install {source:?} {to:?}: {status}");
    std::fs::remove_file(&source).unwrap();
}

/// Taken by the tests that post tens of thousands of posts, so they take turns. Each keeps a
/// core busy for about 15 s in a debug build (the fake's pages, the bridge's catch-up); when
/// they were separate test binaries they never overlapped, but in this one binary two of them
/// at once on a 2-core machine starved each other's bridge past `WAIT` between two messages
/// (seen: `catch_up::a_stalled_host_...` stuck at 4,550 of 20,000 while
/// `bad_input::a_stalled_host_...` ran; each passed alone).
pub fn one_flood_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static FLOODS: Mutex<()> = Mutex::new(());
    FLOODS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "ocmm-it-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `channels.mattermost` JSON5 config a typical test uses, with `extra` keys appended.
/// It exercises JSON5 on purpose: comments, unquoted keys, single quotes, trailing commas and
/// `${VAR}` for the token.
pub fn config_text(server_url: &str, extra: &str) -> String {
    format!(
        r#"// written by the integration tests
{{
  gateway: {{ mode: 'local' }},  /* other sections are ignored */
  channels: {{
    mattermost: {{
      serverUrl: '{server_url}',
      botToken: "${{TEST_BOT_TOKEN}}",
      reconnectInterval: 100,
      {extra}
    }},
  }},
}}
"#
    )
}

pub struct Bridge {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    pending: Vec<Value>,
    /// Every stdout line, raw, for assertions over the whole output.
    stdout_log: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    /// While set, nobody reads the bridge's stdout (a host that stopped reading).
    stdout_paused: Arc<AtomicBool>,
    next_id: u64,
    pub dir: TempDir,
}

pub struct Launch {
    /// Program and leading arguments; `bridge_command_line()` by default. Tests that start the
    /// bridge another way (in a chroot) set their own.
    pub command: Vec<OsString>,
    pub config: Option<String>,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub rust_log: String,
}

impl Launch {
    pub fn new(config: String, token: &str) -> Launch {
        Launch {
            command: bridge_command_line(),
            config: Some(config),
            env: vec![("TEST_BOT_TOKEN".into(), token.into())],
            args: vec![],
            rust_log: "debug".into(),
        }
    }
}

impl Bridge {
    /// Starts the bridge with `config` (JSON5 text) and TEST_BOT_TOKEN=`token`.
    pub fn start(config: String, token: &str) -> Bridge {
        Bridge::launch(Launch::new(config, token))
    }

    pub fn launch(launch: Launch) -> Bridge {
        let dir = TempDir::new();
        let mut command = command_from(&launch.command);
        if let Some(config) = &launch.config {
            let path = dir.write("openclaw.json", config);
            command.arg("--config").arg(path);
        }
        command
            .args(&launch.args)
            .env_remove("MATTERMOST_URL")
            .env_remove("MATTERMOST_BOT_TOKEN")
            .env_remove("MATTERMOST_TEAM_ID")
            .env_remove("OPENCLAW_CONFIG_PATH")
            .env_remove("OPENCLAW_STATE_DIR")
            .env("HOME", &dir.0)
            // The default mediaDir is under the temp dir: keep downloads inside this test's dir.
            .env("TMPDIR", &dir.0)
            .env("RUST_LOG", &launch.rust_log)
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawning the bridge");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let stderr_pipe = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout_log = Arc::new(Mutex::new(Vec::new()));
        let log = stdout_log.clone();
        let stdout_paused = Arc::new(AtomicBool::new(false));
        let paused = stdout_paused.clone();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            loop {
                while paused.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                let Some(line) = lines.next() else { break };
                let Ok(line) = line else { break };
                log.lock().unwrap().push(line.clone());
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr_pipe);
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Bridge {
            child,
            stdin,
            lines,
            pending: Vec::new(),
            stdout_log,
            stderr,
            stdout_paused,
            next_id: 1,
            dir,
        }
    }

    /// Reads stdout to its end (the bridge exited), so `stdout_lines` is complete.
    pub fn read_to_end(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Ok(value) = serde_json::from_str(&line) {
                        self.pending.push(value);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => panic!("stdout still open after {timeout:?}"),
            }
        }
    }

    /// Waits for the line matching `pred`, keeping the others for later.
    pub fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        if let Some(i) = self.pending.iter().position(&pred) {
            return Some(self.pending.remove(i));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let value: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
                    if pred(&value) {
                        return Some(value);
                    }
                    self.pending.push(value);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    pub fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        match self.wait_for(WAIT, pred) {
            Some(v) => v,
            None => panic!(
                "timed out waiting for {what}\npending lines: {:#?}\nstderr:\n{}",
                self.pending,
                self.stderr()
            ),
        }
    }

    pub fn wait_ready(&mut self) -> Value {
        self.expect("ready", |v| v["method"] == "ready")
    }

    /// The next `message` notification.
    pub fn next_message(&mut self) -> Value {
        self.expect("a message", |v| v["method"] == "message")["params"].clone()
    }

    /// The next `message` notification, waiting up to `wait`.
    pub fn next_message_within(&mut self, wait: Duration) -> Value {
        match self.wait_for(wait, |v| v["method"] == "message") {
            Some(v) => v["params"].clone(),
            None => panic!("no message within {wait:?}\nstderr:\n{}", self.stderr()),
        }
    }

    /// Asserts no `message` arrives within `wait`.
    pub fn no_message(&mut self, wait: Duration) {
        if let Some(m) = self.wait_for(wait, |v| v["method"] == "message") {
            panic!("unexpected message: {m}");
        }
    }

    pub fn status(&mut self, state: &str) -> Value {
        let state = state.to_string();
        self.expect(&format!("status {state}"), move |v| {
            v["method"] == "status" && v["params"]["state"] == state.as_str()
        })["params"]
            .clone()
    }

    pub fn write_line(&mut self, line: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a request and returns its response (the whole line).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let line = json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}).to_string();
        self.write_line(line.as_bytes());
        self.expect(&format!("response to {method} #{id}"), move |v| {
            v["id"] == id && v.get("method").is_none()
        })
    }

    /// Sends a request and returns its `result`, panicking on an error response.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// Sends a request that must fail; returns its `error`.
    pub fn call_err(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(
            response.get("result").is_none(),
            "{method} unexpectedly succeeded: {response}"
        );
        response["error"].clone()
    }

    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Whether stderr shows `needle` within 10 s: a reader thread collects stderr, so a log
    /// line written before a stdout line may still be on its way when that line arrives.
    pub fn stderr_shows(&self, needle: &str) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if self.stderr().contains(needle) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        false
    }

    /// Stops reading the bridge's stdout, like a host that hangs.
    pub fn pause_stdout(&self) {
        self.stdout_paused.store(true, Ordering::Relaxed);
    }

    pub fn resume_stdout(&self) {
        self.stdout_paused.store(false, Ordering::Relaxed);
    }

    /// The bridge's resident memory in KiB (Linux `/proc`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("reading /proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout_log.lock().unwrap().clone()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the bridge to completion without a server (config errors), returning
/// (exit code, stderr, stdout).
pub fn run_to_exit(
    config: Option<&str>,
    env: &[(&str, &str)],
    args: &[&str],
) -> (i32, String, String) {
    let dir = TempDir::new();
    let mut command = command_from(&bridge_command_line());
    if let Some(config) = config {
        command
            .arg("--config")
            .arg(dir.write("openclaw.json", config));
    }
    let output = command
        .args(args)
        .env_remove("MATTERMOST_URL")
        .env_remove("MATTERMOST_BOT_TOKEN")
        .env_remove("MATTERMOST_TEAM_ID")
        .env_remove("OPENCLAW_CONFIG_PATH")
        .env_remove("OPENCLAW_STATE_DIR")
        .env("HOME", &dir.0)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("running the bridge");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

use fake_mattermost::{FakeMattermost, Fault, ALICE_ID, TEAM_ID, TOKEN};

/// The standard setup: alice may talk to the bot, team `acme`; `extra` adds config keys.
pub fn start_bridge(fake: &FakeMattermost, extra: &str) -> Bridge {
    let config = config_text(
        &fake.url(),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}', {extra}"),
    );
    let mut bridge = Bridge::start(config, TOKEN);
    bridge.wait_ready();
    bridge
}

/// `start_bridge` with `stateFile` at `state`.
pub fn stateful_bridge(fake: &FakeMattermost, state: &Path, extra: &str) -> Bridge {
    start_bridge(fake, &format!("stateFile: '{}', {extra}", state.display()))
}

/// Closes the bridge's stdin, as the host does on shutdown; it must exit 0.
pub fn stop(mut bridge: Bridge) {
    bridge.close_stdin();
    let status = bridge.wait_exit(WAIT).expect("the bridge exits");
    assert!(status.success());
}

/// Drops the bridge's WebSocket so that the server refuses to resume it, and holds the next
/// upgrade back a little: posts made right after this land in a gap that REST must catch up.
pub fn open_a_gap(fake: &FakeMattermost) {
    fake.inject(
        "GET",
        "/api/v4/websocket",
        Fault::pass().delayed(Duration::from_millis(600)),
    );
    fake.drop_websockets();
    fake.expire_ws_sessions();
}

/// The name Mattermost gives the DM channel of two users.
pub fn dm_name(a: &str, b: &str) -> String {
    if a < b {
        format!("{a}__{b}")
    } else {
        format!("{b}__{a}")
    }
}
