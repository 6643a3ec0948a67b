//! Removing old downloads from `mediaDir`. Only the bridge's own layout is touched — folders
//! named like a Mattermost file id and the files inside them — so pointing `mediaDir` at a
//! folder that holds other things never deletes those things.

use crate::mattermost::is_valid_id;
use crate::stop::Stop;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How often the sweep runs after the one at start.
const EVERY: Duration = Duration::from_secs(3600);

/// Sweeps `dir` now and then hourly until the bridge stops, on its own thread.
pub fn start(dir: &Path, max_age: Duration, stop: Arc<Stop>) {
    let dir = dir.to_path_buf();
    let spawned = std::thread::Builder::new()
        .name("media-cleanup".into())
        .spawn(move || loop {
            match remove_expired(&dir, max_age, SystemTime::now()) {
                Ok(0) => {}
                Ok(n) => log::info!(
                    "removed {n} downloaded files older than {} h",
                    max_age.as_secs() / 3600
                ),
                Err(e) => log::warn!("cleaning {} failed: {e}", dir.display()),
            }
            if stop.sleep(EVERY) {
                return;
            }
        });
    if let Err(e) = spawned {
        log::warn!("media cleanup is off: cannot start its thread: {e}");
    }
}

/// Removes files last modified before `now - max_age` and the folders left empty; returns how
/// many files went. A missing `dir` is not an error (nothing was downloaded yet).
pub fn remove_expired(dir: &Path, max_age: Duration, now: SystemTime) -> io::Result<usize> {
    let cutoff = now.checked_sub(max_age).unwrap_or(SystemTime::UNIX_EPOCH);
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let is_ours = entry.file_name().to_str().is_some_and(is_valid_id)
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if is_ours {
            removed += sweep_folder(&entry.path(), cutoff);
        }
    }
    Ok(removed)
}

fn sweep_folder(folder: &Path, cutoff: SystemTime) -> usize {
    let removed = remove_all(&expired(folder, cutoff));
    // Fails (and stays) while anything is left in it, which is what we want.
    let _ = fs::remove_dir(folder);
    removed
}

fn expired(folder: &Path, cutoff: SystemTime) -> Vec<std::path::PathBuf> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| {
            entry
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| m.modified().ok())
                .is_some_and(|modified| modified < cutoff)
        })
        .map(|entry| entry.path())
        .collect()
}

fn remove_all(paths: &[std::path::PathBuf]) -> usize {
    paths.iter().filter(|p| fs::remove_file(p).is_ok()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    const ID_OLD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
    const ID_NEW: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn open_folder(dir: &Path, id: &str) -> std::path::PathBuf {
        dir.join(id)
    }

    fn file_aged(path: &Path, age: Duration) {
        let file = File::create(path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    }

    #[test]
    fn removes_only_old_files_in_our_layout() {
        let dir =
            std::env::temp_dir().join(format!("ocmm-cleanup-{:x}", crate::random::next_u64()));
        let day = Duration::from_secs(24 * 3600);
        for id in [ID_OLD, ID_NEW] {
            fs::create_dir_all(dir.join(id)).unwrap();
        }
        fs::create_dir_all(dir.join("not-ours")).unwrap();
        file_aged(&dir.join(ID_OLD).join("old.pdf"), day * 2);
        file_aged(&dir.join(ID_NEW).join("new.pdf"), Duration::from_secs(60));
        file_aged(&dir.join(ID_NEW).join(".0123.part"), day * 3);
        file_aged(&dir.join("not-ours").join("keep.txt"), day * 10);
        file_aged(&dir.join("top-level.txt"), day * 10);

        let removed = remove_expired(&dir, day, SystemTime::now()).unwrap();
        assert_eq!(removed, 2);
        assert!(!dir.join(ID_OLD).exists(), "emptied folders go too");
        assert!(dir.join(ID_NEW).join("new.pdf").exists());
        assert!(!dir.join(ID_NEW).join(".0123.part").exists());
        assert!(dir.join("not-ours").join("keep.txt").exists());
        assert!(dir.join("top-level.txt").exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The folder is swapped for a symlink to the operator's files between the age check and
    /// the delete: only the file that was checked goes, in the folder that was checked.
    #[test]
    fn a_folder_swapped_for_a_symlink_mid_sweep_redirects_nothing() {
        let dir =
            std::env::temp_dir().join(format!("ocmm-swap-{:x}", crate::random::next_u64()));
        let day = Duration::from_secs(24 * 3600);
        let folder = dir.join(ID_OLD);
        let documents = dir.join("Documents");
        fs::create_dir_all(&folder).unwrap();
        fs::create_dir_all(&documents).unwrap();
        file_aged(&folder.join("report.pdf"), day * 2);
        file_aged(&documents.join("report.pdf"), Duration::from_secs(60));

        let handle = open_folder(&dir, ID_OLD);
        let names = expired(&handle, SystemTime::now() - day);
        fs::rename(&folder, dir.join("moved")).unwrap();
        std::os::unix::fs::symlink(&documents, &folder).unwrap();
        let _ = &handle;
        assert_eq!(remove_all(&names), 1);

        assert!(documents.join("report.pdf").exists(), "a fresh file elsewhere went");
        assert!(!dir.join("moved").join("report.pdf").exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_dir_is_fine() {
        let missing = Path::new("/nonexistent/openclaw-mattermost-media");
        assert_eq!(
            remove_expired(missing, Duration::from_secs(1), SystemTime::now()).unwrap(),
            0
        );
    }
}
