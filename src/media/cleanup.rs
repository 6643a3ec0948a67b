//! Removing old downloads from `mediaDir`. Only the bridge's own layout is touched — folders
//! named like a Mattermost file id and the files inside them — so pointing `mediaDir` at a
//! folder that holds other things never deletes those things.

use crate::fsutil::{Dir, Entry};
use crate::mattermost::is_valid_id;
use crate::stop::Stop;
use std::ffi::OsString;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often the sweep runs after the one at start.
const EVERY: Duration = Duration::from_secs(3600);

/// Sweeps `dir` now and then hourly until the bridge stops, on its own thread.
pub fn start(dir: Arc<Dir>, max_age: Duration, stop: Arc<Stop>) {
    let spawned = std::thread::Builder::new()
        .name("media-cleanup".into())
        .spawn(move || loop {
            let removed = remove_expired(&dir, max_age, SystemTime::now());
            if removed > 0 {
                log::info!(
                    "removed {removed} downloaded files older than {} h",
                    max_age.as_secs() / 3600
                );
            }
            if stop.sleep(EVERY) {
                return;
            }
        });
    if let Err(e) = spawned {
        log::warn!("media cleanup is off: cannot start its thread: {e}");
    }
}

/// Our folders in `dir`: named like a Mattermost file id, real directories (not symlinks),
/// opened and verified.
fn our_folders(dir: &Dir) -> impl Iterator<Item = (OsString, Dir)> + '_ {
    let entries = dir.entries().unwrap_or_else(|e| {
        log::warn!("cannot read {}: {e}", dir.path().display());
        Vec::new()
    });
    entries.into_iter().filter_map(|entry| {
        let name = entry.name.to_str().filter(|n| is_valid_id(n))?;
        let folder = is_dir(&entry).then(|| dir.subdir(name, false).ok())??;
        Some((entry.name, folder))
    })
}

fn is_dir(entry: &Entry) -> bool {
    entry.stat.st_mode & libc::S_IFMT == libc::S_IFDIR
}

fn is_file(entry: &Entry) -> bool {
    entry.stat.st_mode & libc::S_IFMT == libc::S_IFREG
}

/// The bytes of every file in our folders, for `mediaMaxTotalMb`.
pub fn usage(dir: &Dir) -> u64 {
    our_folders(dir)
        .flat_map(|(_, folder)| folder.entries().unwrap_or_default())
        .filter(is_file)
        .map(|entry| entry.stat.st_size as u64)
        .sum()
}

/// Removes files last modified before `now - max_age` and the folders left empty; returns how
/// many files went. Only through the folders' handles: a path swapped meanwhile changes nothing.
pub fn remove_expired(dir: &Dir, max_age: Duration, now: SystemTime) -> usize {
    let cutoff = now.checked_sub(max_age).unwrap_or(UNIX_EPOCH);
    let mut removed = 0;
    for (name, folder) in our_folders(dir) {
        removed += remove_all(&folder, &expired(&folder, cutoff));
        // Fails (and stays) while anything is left in it, which is what we want.
        let _ = dir.remove(&name, true);
    }
    removed
}

fn expired(folder: &Dir, cutoff: SystemTime) -> Vec<OsString> {
    let cutoff = cutoff.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as libc::time_t;
    let entries = folder.entries().unwrap_or_default();
    entries
        .into_iter()
        .filter(|e| is_file(e) && e.stat.st_mtime < cutoff)
        .map(|e| e.name)
        .collect()
}

fn remove_all(folder: &Dir, names: &[OsString]) -> usize {
    names
        .iter()
        .filter(|name| folder.remove(name, false).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{self, File};
    use std::path::Path;

    const ID_OLD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
    const ID_NEW: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn open_folder(dir: &Path, id: &str) -> Dir {
        Dir::open(dir, false).unwrap().subdir(id, false).unwrap()
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

        let removed = remove_expired(&Dir::open(&dir, false).unwrap(), day, SystemTime::now());
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
        let dir = std::env::temp_dir().join(format!("ocmm-swap-{:x}", crate::random::next_u64()));
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
        assert_eq!(remove_all(&handle, &names), 1);

        assert!(
            documents.join("report.pdf").exists(),
            "a fresh file elsewhere went"
        );
        assert!(!dir.join("moved").join("report.pdf").exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn usage_counts_the_files_in_our_folders_only() {
        let dir = std::env::temp_dir().join(format!("ocmm-usage-{:x}", crate::random::next_u64()));
        fs::create_dir_all(dir.join(ID_OLD)).unwrap();
        fs::write(dir.join(ID_OLD).join("a"), [0u8; 1000]).unwrap();
        fs::write(dir.join(ID_OLD).join(".x.part"), [0u8; 24]).unwrap();
        fs::write(dir.join("notes.txt"), [0u8; 5000]).unwrap();
        std::os::unix::fs::symlink("/", dir.join(ID_NEW)).unwrap();
        assert_eq!(usage(&Dir::open(&dir, false).unwrap()), 1024);
        fs::remove_dir_all(&dir).unwrap();
    }
}
