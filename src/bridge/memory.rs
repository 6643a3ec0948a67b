//! The bridge's `Progress` (what it saw and delivered), shared by the delivery stage and the
//! catch-up, and kept in `stateFile`: saved at most once a second while it changes, and once
//! more at shutdown.

use crate::config::Config;
use crate::fsutil::Dir;
use crate::progress::Progress;
use crate::stop::{lock, Stop};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SAVE_EVERY: Duration = Duration::from_secs(1);

pub struct Memory {
    progress: Mutex<Progress>,
    changed: AtomicBool,
    /// The state file's folder (opened and verified) and its name there.
    file: Option<(Dir, String)>,
    /// Whether a saved state was found at start (a restart, rather than a first run).
    restored: bool,
}

impl Memory {
    /// Opens `stateFile`'s folder (an error if it is not this user's alone, see `Dir::open`)
    /// and reads the file. A corrupt or unreadable file is logged and ignored: the bridge
    /// starts fresh rather than not at all.
    pub fn load(config: &Config) -> Result<Memory, String> {
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
                match Progress::load(dir, name) {
                    Ok(progress) => progress,
                    Err(e) => {
                        log::warn!("{e}; starting without it (posts missed while stopped are not caught up)");
                        None
                    }
                }
            }
        };
        Ok(Memory {
            restored: loaded.is_some(),
            progress: Mutex::new(loaded.unwrap_or_default()),
            changed: AtomicBool::new(false),
            file,
        })
    }

    pub fn restored(&self) -> bool {
        self.restored
    }

    pub fn seen(&self, create_at: i64) {
        let mut progress = lock(&self.progress);
        if create_at > progress.seen_until {
            progress.seen(create_at);
            self.changed.store(true, Ordering::Relaxed);
        }
    }

    pub fn delivered(&self, channel_id: &str, post_id: &str, create_at: i64) {
        lock(&self.progress).delivered(channel_id, post_id, create_at);
        self.changed.store(true, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Progress {
        lock(&self.progress).clone()
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
    pub fn start_saver(self: &Arc<Memory>, stop: Arc<Stop>) {
        if self.file.is_none() {
            return;
        }
        let memory = self.clone();
        let spawned = std::thread::Builder::new()
            .name("state-file".into())
            .spawn(move || {
                while !stop.sleep(SAVE_EVERY) {
                    memory.save();
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
