//! What the bridge has seen and delivered, so a reconnect or a restart can catch up on what it
//! missed without delivering anything twice: `Progress`, shared by the delivery stage, the
//! catch-up and the polling transport, and kept in `stateFile` (saved at most once a second
//! while it changes, and once more at shutdown). A `Snapshot` is a copy of it at one moment,
//! and the state file's contents.
//!
//! Times are the server's (`create_at`), never our clock, so a skewed host clock cannot make
//! catch-up skip posts. `seen_until` is the newest post seen on the event stream in any channel;
//! per channel, the last delivered post and the ids delivered just before it are kept, because
//! posts of the same moment can arrive in any order.

use super::threads::Threads;
use crate::config::Config;
use crate::fsutil::Dir;
use crate::mattermost::model::{Channel, Post};
use crate::policy::Implicit;
use crate::stop::Stop;
use crate::sync::lock;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Posts this much older than what we saw last are fetched again on catch-up (and deduplicated):
/// posts committed a little out of order must not fall through the gap.
pub const OVERLAP_MS: i64 = 2_000;
/// Ids remembered per channel for deduplication across a restart: every post of the overlap
/// window up to this many, i.e. exact up to 128 posts a second in one channel.
const RECENT_PER_CHANNEL: usize = 256;
const FORMAT_VERSION: u32 = 1;

/// The progress at one moment, as saved in the state file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    #[serde(default)]
    version: u32,
    /// The newest `create_at` seen on the stream, delivered or not (0: nothing yet).
    #[serde(default)]
    pub seen_until: i64,
    /// Channel id → what was delivered there last.
    #[serde(default)]
    pub channels: HashMap<String, ChannelProgress>,
    /// The threads the bot wrote or replied in (implicit mentions).
    #[serde(default, skip_serializing_if = "Threads::is_empty")]
    pub threads: Threads,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelProgress {
    /// `create_at` of the newest delivered post.
    pub create_at: i64,
    /// The newest delivered post.
    pub post_id: String,
    /// Ids delivered within `OVERLAP_MS` before `create_at` (the last one included).
    #[serde(default)]
    pub recent: Vec<(String, i64)>,
    /// The channel's newest post when a bridge that had seen nothing went live (`baseline`):
    /// every post up to it came before the first start. 0: no baseline.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub before_start: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl Snapshot {
    /// A post was seen on the stream.
    pub fn seen(&mut self, create_at: i64) {
        self.seen_until = self.seen_until.max(create_at);
    }

    /// A post was delivered to the host.
    pub fn delivered(&mut self, channel_id: &str, post_id: &str, create_at: i64) {
        self.seen(create_at);
        let channel = self.channels.entry(channel_id.to_string()).or_default();
        if create_at >= channel.create_at {
            channel.create_at = create_at;
            // Reuses the buffer: this runs for every delivered post.
            channel.post_id.clear();
            channel.post_id.push_str(post_id);
        }
        channel.recent.push((post_id.to_string(), create_at));
        let newest = channel.create_at;
        channel.recent.retain(|(_, at)| *at >= newest - OVERLAP_MS);
        if channel.recent.len() > RECENT_PER_CHANNEL {
            let excess = channel.recent.len() - RECENT_PER_CHANNEL;
            channel.recent.drain(..excess);
        }
    }

    /// Whether a post found by catch-up is one this channel already had: delivered (remembered
    /// id) or older than the overlap before the last delivered post (delivered in order, or
    /// filtered out then).
    pub fn already_had(&self, channel_id: &str, post_id: &str, create_at: i64) -> bool {
        let Some(channel) = self.channels.get(channel_id) else {
            return false;
        };
        create_at < channel.create_at - OVERLAP_MS
            || create_at <= channel.before_start
            || channel.recent.iter().any(|(id, _)| id == post_id)
    }

    /// Where the bot's channels stood when a bridge that had seen nothing went live: each
    /// channel's newest post (`last_post_at`, server time) as a baseline that no post up to it
    /// gets past, and `seen_until` the newest of those and of the channels' creation. A
    /// restart before the first post then catches up what came meanwhile, and nothing from
    /// before the first start. Does nothing once something was seen.
    pub fn baseline(&mut self, channels: &[Channel]) {
        if self.seen_until > 0 {
            return;
        }
        for channel in channels.iter().filter(|c| c.last_post_at > 0) {
            let progress = self.channels.entry(channel.id.clone()).or_default();
            progress.before_start = progress.before_start.max(channel.last_post_at);
        }
        let newest = channels
            .iter()
            .map(|c| c.last_post_at.max(c.create_at))
            .max();
        self.seen_until = newest.unwrap_or_default();
    }

    /// Reads the state file `name` in `dir` (not through a symlink). A missing file is a
    /// fresh start (`Ok(None)`); an unreadable or corrupt one is an error for the caller to
    /// log before starting fresh.
    pub fn load(dir: &Dir, name: &str) -> Result<Option<Snapshot>, String> {
        let path = dir.path().join(name);
        let mut text = String::new();
        match dir.read(name).and_then(|mut f| f.read_to_string(&mut text)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let mut progress: Snapshot = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a valid state file: {e}", path.display()))?;
        progress.threads = std::mem::take(&mut progress.threads).bounded();
        if progress.version != FORMAT_VERSION {
            return Err(format!(
                "{} has format version {}, this bridge writes {FORMAT_VERSION}",
                path.display(),
                progress.version
            ));
        }
        Ok(Some(progress))
    }

    /// Writes the state file atomically: a new temporary file of unpredictable name in the
    /// same directory, flushed to disk, then renamed over the old one, so a crash leaves
    /// either the old or the new file.
    pub fn save(&self, dir: &Dir, name: &str) -> io::Result<()> {
        let mut saved = self.clone();
        saved.version = FORMAT_VERSION;
        let json = serde_json::to_vec(&saved).map_err(io::Error::other)?;
        let temp = format!(".{name}.{:016x}.tmp", crate::random::next_u64());
        let result = dir.create(&temp).and_then(|mut file| {
            file.write_all(&json)?;
            file.sync_all()?;
            dir.rename(&temp, name)
        });
        if result.is_err() {
            let _ = dir.remove(temp.as_ref(), false);
        }
        result
    }
}

/// How often a changed `Progress` is saved while the bridge runs.
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// The bridge's progress, shared by its threads: the current `Snapshot`, whether it changed
/// since it was last saved, and the state file it is saved to.
pub struct Progress {
    current: Mutex<Snapshot>,
    changed: AtomicBool,
    /// The state file's folder (opened and verified) and its name there.
    file: Option<(Dir, String)>,
    /// Whether a saved state was found at start (a restart, rather than a first run).
    restored: bool,
}

impl Progress {
    /// Opens `stateFile`'s folder (an error if it is not this user's alone, see `Dir::open`)
    /// and reads the file. A corrupt or unreadable file is logged and ignored: the bridge
    /// starts fresh rather than not at all.
    pub fn load(config: &Config) -> Result<Progress, String> {
        let file =
            match &config.state_file {
                None => None,
                Some(path) => Some(state_dir(path).map_err(|e| {
                    format!("channels.mattermost.stateFile {}: {e}", path.display())
                })?),
            };
        let loaded = match &file {
            None => None,
            Some((dir, name)) => {
                match Snapshot::load(dir, name) {
                    Ok(progress) => progress,
                    Err(e) => {
                        log::warn!("{e}; starting without it (posts missed while stopped are not caught up)");
                        None
                    }
                }
            }
        };
        Ok(Progress {
            restored: loaded.is_some(),
            current: Mutex::new(loaded.unwrap_or_default()),
            changed: AtomicBool::new(false),
            file,
        })
    }

    pub fn restored(&self) -> bool {
        self.restored
    }

    /// `Snapshot::baseline`, saved with the next save.
    pub fn baseline(&self, channels: &[Channel]) {
        lock(&self.current).baseline(channels);
        self.changed.store(true, Ordering::Relaxed);
    }

    /// Whether anything was seen yet (or a baseline taken).
    pub fn seen_anything(&self) -> bool {
        lock(&self.current).seen_until > 0
    }

    pub fn seen(&self, create_at: i64) {
        let mut progress = lock(&self.current);
        if create_at > progress.seen_until {
            progress.seen(create_at);
            self.changed.store(true, Ordering::Relaxed);
        }
    }

    pub fn delivered(&self, channel_id: &str, post_id: &str, create_at: i64) {
        lock(&self.current).delivered(channel_id, post_id, create_at);
        self.changed.store(true, Ordering::Relaxed);
    }

    /// One of the bot's own posts went by: it may start or join a thread.
    pub fn own_post(&self, post: &Post) {
        lock(&self.current).threads.own_post(post);
        self.changed.store(true, Ordering::Relaxed);
    }

    /// What the bot's part in the post's thread makes of the post.
    pub fn thread_facts(&self, post: &Post) -> Implicit {
        lock(&self.current).threads.facts(post)
    }

    pub fn snapshot(&self) -> Snapshot {
        lock(&self.current).clone()
    }

    /// Saves now if anything changed since the last save.
    pub fn save(&self) {
        let Some((dir, name)) = &self.file else {
            return;
        };
        if !self.changed.swap(false, Ordering::Relaxed) {
            return;
        }
        let progress = self.snapshot();
        if let Err(e) = progress.save(dir, name) {
            self.changed.store(true, Ordering::Relaxed);
            log::warn!(
                "cannot write stateFile {}: {e}",
                dir.path().join(name).display()
            );
        }
    }

    /// Saves once a second while the bridge runs, on its own thread.
    pub fn start_saver(self: &Arc<Progress>, stop: Arc<Stop>) {
        if self.file.is_none() {
            return;
        }
        let progress = self.clone();
        let spawned = std::thread::Builder::new()
            .name("state-file".into())
            .spawn(move || {
                while !stop.sleep(SAVE_EVERY) {
                    progress.save();
                }
            });
        if let Err(e) = spawned {
            log::warn!("stateFile is saved only at shutdown: cannot start its thread: {e}");
        }
    }
}

/// The state file's folder, created owner-only if missing, and the file's name in it.
pub fn state_dir(path: &Path) -> std::io::Result<(Dir, String)> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.is_empty() {
        return Err(std::io::Error::other("not a file name"));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    Ok((
        Dir::open(parent.unwrap_or(Path::new(".")), true)?,
        name.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::fs;
    use std::path::Path;

    fn channel(id: &str, create_at: i64, last_post_at: i64) -> Channel {
        let json = format!(
            r#"{{"id":"{id}","type":"O","create_at":{create_at},"last_post_at":{last_post_at}}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn a_baseline_keeps_what_came_before_the_first_start_out() {
        let mut p = Snapshot::default();
        p.baseline(&[channel("a", 100, 5_000), channel("quiet", 9_000, 0)]);
        assert_eq!(p.seen_until, 9_000, "the newest post or channel creation");
        assert!(
            p.already_had("a", "old", 5_000),
            "the newest post before the start"
        );
        assert!(
            p.already_had("a", "older", 4_500),
            "inside the overlap, still before"
        );
        assert!(!p.already_had("a", "new", 5_001));
        assert!(
            !p.already_had("quiet", "first", 9_001),
            "no posts: no baseline"
        );
        // A post delivered there soon after: what came before the start stays out.
        p.delivered("a", "d", 6_000);
        assert!(p.already_had("a", "old", 5_000));
        assert!(
            !p.already_had("a", "late", 5_500),
            "in the overlap, not delivered"
        );
        // Only a bridge that has seen nothing takes a baseline.
        let before = p.clone();
        p.baseline(&[channel("b", 1, 99_999)]);
        assert_eq!(p, before);
    }

    fn dir_of(path: &Path) -> Dir {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        Dir::open(path.parent().unwrap(), false).unwrap()
    }

    fn save_to(p: &Snapshot, path: &Path) -> io::Result<()> {
        p.save(&dir_of(path), "state.json")
    }

    fn load(path: &Path) -> Result<Option<Snapshot>, String> {
        Snapshot::load(&dir_of(path), "state.json")
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "ocmm-progress-{name}-{:x}/state.json",
            crate::random::next_u64()
        ))
    }

    #[test]
    fn remembers_the_last_delivered_post_and_recent_ids() {
        let mut p = Snapshot::default();
        p.delivered("c", "p1", 1_000);
        p.delivered("c", "p2", 2_500);
        p.delivered("c", "p3", 5_000);
        p.seen(6_000);
        let c = &p.channels["c"];
        assert_eq!((c.create_at, c.post_id.as_str()), (5_000, "p3"));
        // p1 and p2 are older than the overlap before p3 (5000 - 2000 = 3000).
        assert_eq!(c.recent, vec![("p3".to_string(), 5_000)]);
        assert_eq!(p.seen_until, 6_000);
        assert!(p.already_had("c", "p3", 5_000));
        assert!(p.already_had("c", "p0", 2_000), "older than the overlap");
        assert!(
            !p.already_had("c", "p4", 4_000),
            "within the overlap and not delivered"
        );
        assert!(!p.already_had("other", "p1", 1_000));
    }

    #[test]
    fn recent_ids_are_bounded() {
        let mut p = Snapshot::default();
        for n in 0..1000 {
            p.delivered("c", &format!("p{n}"), 10_000);
        }
        assert_eq!(p.channels["c"].recent.len(), RECENT_PER_CHANNEL);
        assert!(p.already_had("c", "p999", 10_000));
    }

    #[test]
    fn saves_and_loads_atomically() {
        let path = temp_path("roundtrip");
        assert_eq!(load(&path).unwrap(), None, "missing file: fresh start");
        let mut p = Snapshot::default();
        p.delivered("c", "p1", 42);
        save_to(&p, &path).unwrap();
        let loaded = load(&path).unwrap().unwrap();
        assert_eq!(loaded.channels, p.channels);
        assert_eq!(loaded.seen_until, 42);
        let dir = path.parent().unwrap();
        let names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("state.json")],
            "no temp file left"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn saving_never_writes_through_a_planted_symlink() {
        let path = temp_path("planted");
        let dir = path.parent().unwrap();
        fs::create_dir_all(dir).unwrap();
        let victim = dir.join("victim");
        fs::write(&victim, "precious").unwrap();
        // The old temporary name was predictable: `<stateFile>.tmp-<pid>`.
        let mut planted = path.as_os_str().to_owned();
        planted.push(format!(".tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let mut p = Snapshot::default();
        p.delivered("c", "p1", 42);
        let _ = save_to(&p, &path);
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn corrupt_files_are_errors_not_panics() {
        let path = temp_path("corrupt");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        for bad in [
            "",
            "{",
            "[]",
            "{\"version\":99}",
            "{\"version\":1,\"channels\":5}",
        ] {
            fs::write(&path, bad).unwrap();
            assert!(load(&path).is_err(), "{bad:?}");
        }
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
