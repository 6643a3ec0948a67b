//! The bridge's footprint and speed, measured end to end: the release binary is spawned as
//! OpenClaw would, against the fake Mattermost server of the tests, and every figure of the
//! benchmark issue is printed as a table (median of several runs, with min and max).
//!
//!     cargo build --release && cargo bench --bench bridge
//!
//! Set `BENCH_IDLE_SECS` to shorten the 60 s idle-CPU measurement while experimenting.

use fake_mattermost::*;
use openclaw_mattermost::mattermost::event::{self, Frame};
use serde::Serialize;
use serde_json::json;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const RUNS: usize = 3;
const THROUGHPUT_POSTS: usize = 60_000;
/// Three in ten posts come from someone not allowed (filtered out), like a busy server.
const FILTERED_EVERY: usize = 10;
const FILTERED_SHARE: usize = 3;

/// `BENCH_ONLY=idle,latency` runs only those figures (size, start, idle, throughput, latency,
/// peak, send); by default all of them.
fn wanted(figure: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only.split(',').any(|f| f.trim() == figure))
}

fn main() {
    // BENCH_BINARY measures another build, e.g. a static one from cross/build.sh.
    let binary = std::env::var_os("BENCH_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_openclaw-mattermost")));
    let mut table = Table::default();
    if wanted("size") {
        let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
        table.single(
            "stripped release binary, x86_64",
            "≤ 3 MB",
            format!("{:.2} MB ({size} bytes)", size as f64 / 1e6),
        );
    }
    if wanted("start") {
        table.runs(
            "cold start to ready (loopback, no TLS)",
            "≤ 50 ms",
            "ms",
            (0..5).map(|_| cold_start(&binary)),
        );
    }
    if wanted("idle") {
        let (memory, idle_cpu) = idle(&binary);
        let mb = |kib: u64| kib as f64 / 1024.0;
        table.single(
            "idle RSS after ready, connected",
            "≤ 4 MB",
            format!(
                "{:.2} MB (PSS {:.2} MB, anonymous {:.2} MB)",
                mb(memory.rss),
                mb(memory.pss),
                mb(memory.anon)
            ),
        );
        table.single(
            &format!("CPU time while idle for {} s", idle_secs()),
            "≤ 5 ms",
            format!("{idle_cpu:.2} ms"),
        );
    }
    if wanted("throughput") {
        throughput_figures(&binary, &mut table);
    }
    if wanted("latency") {
        let latencies: Vec<(f64, f64)> = (0..RUNS).map(|_| latency(&binary)).collect();
        table.runs(
            "added latency p50 at 1,000 posts/s",
            "≤ 200 µs",
            "µs",
            latencies.iter().map(|l| l.0),
        );
        table.runs(
            "added latency p99 at 1,000 posts/s",
            "≤ 1 ms",
            "µs",
            latencies.iter().map(|l| l.1),
        );
    }
    if wanted("peak") {
        table.runs(
            "peak RSS while 2,000 posts/s flow for 10 s",
            "≤ 8 MB",
            "MB",
            (0..1).map(|_| peak_rss(&binary)),
        );
    }
    if wanted("send") {
        table.runs(
            "send round trip p50 (request → 201 → response)",
            "≤ 500 µs",
            "µs",
            (0..RUNS).map(|_| send_round_trip(&binary)),
        );
    }
    table.print();
}

/// Throughput two ways: wall clock (bounded by the fake server and the reader sharing the two
/// cores) and per CPU second of the bridge (all its threads), which is what "one core" means
/// and what the bare loop is compared with (its own thread's CPU time).
fn throughput_figures(binary: &PathBuf, table: &mut Table) {
    let runs: Vec<(f64, f64)> = (0..RUNS).map(|_| throughput(binary)).collect();
    table.runs(
        "throughput: accepted posted → message lines, wall clock",
        "≥ 50,000 /s",
        "/s",
        runs.iter().map(|r| r.0),
    );
    let per_cpu: Vec<f64> = runs.iter().map(|r| r.1).collect();
    table.runs(
        "throughput per CPU second of the bridge (one core)",
        "≥ 50,000 /s",
        "/s",
        per_cpu.iter().copied(),
    );
    let bare: Vec<f64> = (0..RUNS).map(|_| bare_loop()).collect();
    table.runs(
        "bare loop per CPU second: parse the same frames, write the lines",
        "(reference)",
        "/s",
        bare.iter().copied(),
    );
    table.single(
        "ratio bare loop / bridge, per CPU second (medians)",
        "within 3×",
        format!("{:.2}×", median(&bare) / median(&per_cpu)),
    );
}

// --- the bridge under test -------------------------------------------------------------------

struct Bridge {
    child: Child,
    stdin: ChildStdin,
    /// Every stdout line with the moment it was read.
    lines: Receiver<(Instant, String)>,
    _dir: tempdir::Dir,
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Bridge {
    fn spawn(binary: &PathBuf, fake: &FakeMattermost) -> Bridge {
        let dir =
            std::env::temp_dir().join(format!("ocmm-bench-{}-{}", std::process::id(), fake.port()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = format!(
            "{{channels:{{mattermost:{{serverUrl:'{}', botToken:'{TOKEN}', allowFrom:['{ALICE_ID}'], teamId:'{TEAM_ID}', chatmode:'onmessage'}}}}}}",
            fake.url()
        );
        let path = dir.join("openclaw.json");
        std::fs::write(&path, config).unwrap();
        let mut child = Command::new(binary)
            .arg("--config")
            .arg(&path)
            .env("RUST_LOG", "error")
            .env("TMPDIR", &dir)
            .env_remove("OPENCLAW_STATE_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawning the release binary (run `cargo build --release` first)");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::with_capacity(1 << 16, stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Bridge {
            child,
            stdin,
            lines,
            _dir: tempdir::Dir(dir),
        }
    }

    fn wait_for(&self, what: &str) -> (Instant, String) {
        loop {
            let (at, line) = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no {what}"));
            if line.contains(what) {
                return (at, line);
            }
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_kib(pid: u32, field: &str) -> u64 {
    proc_kib(pid, "status", field)
}

/// A "Field: N kB" line of /proc/<pid>/<file>.
fn proc_kib(pid: u32, file: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time of every thread of `pid`, in nanoseconds (schedstat has ns resolution; the
/// tick counts in /proc/pid/stat have 10 ms).
fn cpu_ns(pid: u32) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

// --- frames ----------------------------------------------------------------------------------

/// A `posted` event shaped like a real server's (~1 KB), from alice (accepted) or bob (filtered),
/// with `stamp` in its text.
fn posted_data(n: usize, stamp: &str) -> serde_json::Value {
    let filtered = n % FILTERED_EVERY < FILTERED_SHARE;
    let (user, channel, kind, name, display) = if filtered {
        (BOB_ID, TOWN_SQUARE, "O", "town-square", "Town Square")
    } else {
        (ALICE_ID, DM_ALICE, "D", DM_ALICE, "@alice")
    };
    let message = format!(
        "t={stamp}; message {n}: the quarterly report is attached, could you summarise the main points and draft a reply to the team? Thanks a lot, and please keep it short."
    );
    let post = json!({
        "id": format!("post{n:022}"), "create_at": 1_790_000_000_000i64 + n as i64,
        "update_at": 1_790_000_000_000i64 + n as i64, "edit_at": 0, "delete_at": 0, "is_pinned": false,
        "user_id": user, "channel_id": channel, "root_id": "", "original_id": "", "message": message,
        "type": "", "props": {"disable_group_highlight": true}, "hashtags": "", "pending_post_id": "",
        "reply_count": 0, "last_reply_at": 0, "participants": null,
        "metadata": {"embeds": [{"type": "message_attachment"}], "reactions": [], "priority": {"priority": ""}},
    });
    json!({
        "channel_display_name": display, "channel_name": name, "channel_type": kind,
        "post": post.to_string(), "sender_name": if filtered { "@bob" } else { "@alice" },
        "set_online": true, "team_id": if filtered { TEAM_ID } else { "" },
    })
}

/// The whole event as the server renders it (without `seq`, which the fake adds per connection).
fn posted_event(n: usize, stamp: &str) -> String {
    let data = posted_data(n, stamp);
    let channel = data["post"].as_str().map_or("", |_| DM_ALICE);
    json!({
        "event": "posted", "data": data,
        "broadcast": {"omit_users": null, "user_id": "", "channel_id": channel, "team_id": "",
                      "connection_id": "", "omit_connection_id": ""},
    })
    .to_string()
}

fn is_accepted(n: usize) -> bool {
    n % FILTERED_EVERY >= FILTERED_SHARE
}

// --- the figures -----------------------------------------------------------------------------

fn cold_start(binary: &PathBuf) -> f64 {
    let fake = FakeMattermost::start();
    let started = Instant::now();
    let bridge = Bridge::spawn(binary, &fake);
    let (at, _) = bridge.wait_for("\"method\":\"ready\"");
    at.duration_since(started).as_secs_f64() * 1e3
}

fn idle_secs() -> u64 {
    std::env::var("BENCH_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

/// Memory one second after ready, in KiB.
struct IdleMemory {
    rss: u64,
    /// Proportional set size: shared pages (libc.so's, for a dynamic binary) count split
    /// among the processes mapping them.
    pss: u64,
    /// Heap, stacks and other private memory.
    anon: u64,
}

/// (memory one second after ready, CPU ms used over the idle period).
fn idle(binary: &PathBuf) -> (IdleMemory, f64) {
    let fake = FakeMattermost::start();
    let bridge = Bridge::spawn(binary, &fake);
    bridge.wait_for("\"method\":\"ready\"");
    std::thread::sleep(Duration::from_secs(1));
    let memory = IdleMemory {
        rss: status_kib(bridge.pid(), "VmRSS:"),
        pss: proc_kib(bridge.pid(), "smaps_rollup", "Pss:"),
        anon: status_kib(bridge.pid(), "RssAnon:"),
    };
    if std::env::var_os("BENCH_SMAPS").is_some() {
        let smaps = std::fs::read_to_string(format!("/proc/{}/smaps", bridge.pid())).unwrap();
        let mut name = String::new();
        for line in smaps.lines() {
            if line.contains('-') && !line.starts_with(|c: char| c.is_ascii_uppercase()) {
                name = line.to_string();
            } else if let Some(kb) = line.strip_prefix("Rss:") {
                let kb: u64 = kb.trim().trim_end_matches(" kB").parse().unwrap();
                if kb >= 64 {
                    eprintln!("{kb:>6} kB  {name}");
                }
            }
        }
        eprintln!(
            "{}",
            std::fs::read_to_string(format!("/proc/{}/status", bridge.pid())).unwrap()
        );
    }
    let before = cpu_ns(bridge.pid());
    std::thread::sleep(Duration::from_secs(idle_secs()));
    let used = cpu_ns(bridge.pid()) - before;
    (memory, used as f64 / 1e6)
}

/// Accepted posts per second, the fake sending as fast as it can: (per wall-clock second, per
/// CPU second the bridge used).
fn throughput(binary: &PathBuf) -> (f64, f64) {
    let fake = FakeMattermost::start();
    // The fake sends faster than any client reads: with the real server's queue of 256 it
    // would close the socket, which is catch-up's business (tests/integration/catch_up.rs), not
    // this figure's.
    fake.set_send_queue_limit(usize::MAX);
    let bridge = Bridge::spawn(binary, &fake);
    bridge.wait_for("\"method\":\"ready\"");
    let frames: Vec<String> = (0..THROUGHPUT_POSTS)
        .map(|n| posted_event(n, "0"))
        .collect();
    let accepted = (0..THROUGHPUT_POSTS).filter(|n| is_accepted(*n)).count();
    let cpu_before = cpu_ns(bridge.pid());
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for batch in frames.chunks(256) {
                fake.broadcast_event_texts(batch);
            }
        });
        let mut seen = 0;
        while seen < accepted {
            let (_, line) = bridge
                .lines
                .recv_timeout(Duration::from_secs(30))
                .expect("message lines");
            if line.starts_with("{\"jsonrpc\":\"2.0\",\"method\":\"message\"") {
                seen += 1;
            }
        }
    });
    let wall = started.elapsed().as_secs_f64();
    let cpu = (cpu_ns(bridge.pid()) - cpu_before) as f64 / 1e9;
    (accepted as f64 / wall, accepted as f64 / cpu)
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The same work without the bridge: parse each frame, decide by sender, write a line.
fn bare_loop() -> f64 {
    let frames: Vec<String> = (0..THROUGHPUT_POSTS)
        .map(|n| {
            json!({"event": "posted", "data": posted_data(n, "0"), "broadcast": {"channel_id": DM_ALICE}, "seq": n + 1})
                .to_string()
        })
        .collect();
    #[derive(Serialize)]
    struct Line<'a> {
        id: &'a str,
        channel_id: &'a str,
        user: &'a str,
        text: &'a str,
        create_at: i64,
    }
    let mut out = BufWriter::new(std::io::sink());
    let started = thread_cpu();
    let mut written = 0;
    for frame in &frames {
        if let Ok(parsed) = event::parse(frame) {
            if let Frame::Posted(posted) = parsed.frame {
                let post = &posted.post;
                if post.user_id == ALICE_ID {
                    let line = Line {
                        id: &post.id,
                        channel_id: &post.channel_id,
                        user: &post.user_id,
                        text: &post.message,
                        create_at: post.create_at,
                    };
                    serde_json::to_writer(&mut out, &line).unwrap();
                    out.write_all(b"\n").unwrap();
                    written += 1;
                }
            }
        }
    }
    out.flush().unwrap();
    written as f64 / (thread_cpu() - started).as_secs_f64()
}

/// (p50, p99) in µs from the server writing a frame to its line being read, at 1,000 posts/s.
fn latency(binary: &PathBuf) -> (f64, f64) {
    const POSTS: usize = 3000;
    let fake = FakeMattermost::start();
    // Each event leaves the fake on its own, not in 20 ms bursts.
    fake.set_ws_poll(Duration::from_micros(100));
    let bridge = Bridge::spawn(binary, &fake);
    bridge.wait_for("\"method\":\"ready\"");
    let mut samples = Vec::with_capacity(POSTS);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let start = Instant::now();
            for n in 0..POSTS {
                // Accepted posts only: each one is a sample.
                let n_accepted = n * FILTERED_EVERY + FILTERED_SHARE;
                fake.broadcast_event_text(&posted_event(n_accepted, WRITE_STAMP));
                let next = start + Duration::from_millis(n as u64 + 1);
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        });
        while samples.len() < POSTS {
            let (at, line) = bridge
                .lines
                .recv_timeout(Duration::from_secs(30))
                .expect("message lines");
            let Some(rest) = line.split("t=").nth(1) else {
                continue;
            };
            let Some(written) = rest.split(';').next().and_then(|s| s.parse::<u64>().ok()) else {
                continue;
            };
            let read = at.duration_since(epoch()).as_micros() as u64;
            samples.push(read.saturating_sub(written) as f64);
        }
    });
    samples.sort_by(|a, b| a.total_cmp(b));
    (percentile(&samples, 0.50), percentile(&samples, 0.99))
}

/// Peak RSS (MB) of a bridge taking 2,000 posts/s for 10 s.
fn peak_rss(binary: &PathBuf) -> f64 {
    let fake = FakeMattermost::start();
    let bridge = Bridge::spawn(binary, &fake);
    bridge.wait_for("\"method\":\"ready\"");
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let start = Instant::now();
            for n in 0..20_000 {
                fake.broadcast_event_text(&posted_event(n, "0"));
                if n % 2 == 1 {
                    let next = start + Duration::from_millis(n as u64 / 2 + 1);
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                }
            }
        });
        let accepted = (0..20_000).filter(|n| is_accepted(*n)).count();
        let mut seen = 0;
        while seen < accepted {
            let (_, line) = bridge
                .lines
                .recv_timeout(Duration::from_secs(30))
                .expect("message lines");
            if line.contains("\"method\":\"message\"") {
                seen += 1;
            }
        }
    });
    status_kib(bridge.pid(), "VmHWM:") as f64 / 1024.0
}

/// Median µs from writing a `send` request to reading its response.
fn send_round_trip(binary: &PathBuf) -> f64 {
    let fake = FakeMattermost::start();
    let mut bridge = Bridge::spawn(binary, &fake);
    bridge.wait_for("\"method\":\"ready\"");
    let mut samples = Vec::new();
    for id in 0..300 {
        let request = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"send\",\"params\":{{\"channelId\":\"{DM_ALICE}\",\"text\":\"reply {id}\"}}}}\n"
        );
        let sent = Instant::now();
        bridge.stdin.write_all(request.as_bytes()).unwrap();
        bridge.stdin.flush().unwrap();
        let (at, _) = bridge.wait_for(&format!("\"id\":{id},\"result\""));
        // The first few warm the connection pool.
        if id >= 20 {
            samples.push(at.duration_since(sent).as_secs_f64() * 1e6);
        }
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    percentile(&samples, 0.5)
}

// --- reporting -------------------------------------------------------------------------------

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    percentile(&sorted, 0.5)
}

#[derive(Default)]
struct Table {
    rows: Vec<[String; 5]>,
}

impl Table {
    fn single(&mut self, figure: &str, target: &str, value: String) {
        self.rows
            .push([figure.into(), target.into(), value, "".into(), "".into()]);
    }

    fn runs(&mut self, figure: &str, target: &str, unit: &str, values: impl Iterator<Item = f64>) {
        let mut values: Vec<f64> = values.collect();
        values.sort_by(|a, b| a.total_cmp(b));
        let show = |v: f64| match unit {
            "/s" => format!("{:.0} /s", v),
            "MB" => format!("{v:.2} MB"),
            _ => format!("{v:.1} {unit}"),
        };
        let (min, max) = (values[0], values[values.len() - 1]);
        self.rows.push([
            figure.into(),
            target.into(),
            show(median(&values)),
            show(min),
            show(max),
        ]);
    }

    fn print(&self) {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| {
                c.lines().find_map(|l| {
                    l.strip_prefix("model name")
                        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
                })
            })
            .unwrap_or_default();
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!("\nmachine: {cpu}, {cores} cores\n");
        println!("| figure | target | median | min | max |");
        println!("|---|---|---|---|---|");
        for row in &self.rows {
            println!("| {} |", row.join(" | "));
        }
    }
}
