//! Files on the bridge's side: downloading attachments into `mediaDir` (streamed, size-capped
//! per file and in total, under a random name (`names`), never visible under the final name until
//! complete, created only through a verified folder handle), checking files the host wants to
//! send, and removing old downloads.

pub mod cleanup;
pub mod mime;
pub mod names;

use crate::fsutil::Dir;
use crate::mattermost::api::{Api, ApiError};
use crate::mattermost::is_valid_id;
use crate::mattermost::model::FileInfo;
use crate::random;
use crate::sync::lock;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where downloads go and how big they may be.
#[derive(Debug)]
pub struct Media {
    dir: Arc<Dir>,
    max_bytes: u64,
    /// `mediaMaxTotalMb` in bytes; `u64::MAX`: no cap.
    max_total: u64,
    /// Bytes in `mediaDir` when last counted plus those reserved since (`None`: not counted),
    /// and the bytes reserved by downloads still running (on disk only in part).
    used: Mutex<(Option<u64>, u64)>,
}

/// A file saved under `mediaDir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub path: PathBuf,
    pub size: u64,
}

/// A local file the host asked us to send, checked and described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub path: PathBuf,
    pub name: String,
    pub size: u64,
    pub mime_type: &'static str,
}

/// Why a local file cannot be sent: the path as given and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFileError {
    pub path: String,
    pub message: String,
}

/// Why an attachment was not saved.
#[derive(Debug)]
pub enum DownloadError {
    /// Above `mediaMaxMb`, declared or found while streaming.
    TooLarge(String),
    /// The server refused, or the transfer failed.
    Api(ApiError),
    /// Our side: `mediaDir` cannot be written, or the id is unusable.
    Local(String),
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadError::TooLarge(why) | DownloadError::Local(why) => f.write_str(why),
            DownloadError::Api(e) => write!(f, "download failed: {e}"),
        }
    }
}

impl Media {
    /// Opens `mediaDir`, creating it owner-only (attachments can be private); refused unless
    /// it is this user's and no one else can write it (see `Dir::open`).
    pub fn open(dir: &Path, max_bytes: u64, max_total: u64) -> io::Result<Media> {
        Ok(Media {
            dir: Arc::new(Dir::open(dir, true)?),
            max_bytes,
            max_total,
            used: Mutex::new((None, 0)),
        })
    }

    pub fn dir(&self) -> &Arc<Dir> {
        &self.dir
    }

    /// Counts `n` more bytes into `mediaDir` if they fit under `mediaMaxTotalMb`. Near the cap
    /// the folder is counted again (old files may have been removed, by the sweep or the host),
    /// plus what running downloads reserved (their part files counted twice: the safe side).
    fn reserve(&self, n: u64) -> bool {
        if self.max_total == u64::MAX {
            return true;
        }
        let mut guard = lock(&self.used);
        let (used, running) = &mut *guard;
        let fits = |used: u64| used.saturating_add(n) <= self.max_total;
        if !used.is_some_and(fits) {
            *used = Some(cleanup::usage(&self.dir).saturating_add(*running));
        }
        let total = used.unwrap_or(0);
        let ok = fits(total);
        if ok {
            *used = Some(total + n);
            *running += n;
        }
        ok
    }

    /// A download that had `reserved` bytes ended with `written` of them on disk.
    fn finish(&self, reserved: u64, written: u64) {
        let mut guard = lock(&self.used);
        let (used, running) = &mut *guard;
        if let Some(used) = used.as_mut() {
            *used = used.saturating_sub(reserved - written.min(reserved));
        }
        *running = running.saturating_sub(reserved);
    }

    fn full(&self) -> DownloadError {
        DownloadError::TooLarge(format!(
            "not downloaded: mediaDir would hold more than mediaMaxTotalMb ({}); get it with fetchFile once older files are removed, or raise mediaMaxTotalMb",
            megabytes(self.max_total)
        ))
    }

    /// Downloads one attachment to `mediaDir/<file id>/<uuid>.<extension>` (`names`).
    pub fn download(&self, api: &Api, info: &FileInfo) -> Result<Saved, DownloadError> {
        if !is_valid_id(&info.id) {
            return Err(DownloadError::Local("not a Mattermost file id".into()));
        }
        let declared = u64::try_from(info.size).unwrap_or(0);
        if declared > self.max_bytes {
            return Err(self.too_large(declared));
        }
        if !self.reserve(declared) {
            return Err(self.full());
        }
        let mut reserved = declared;
        let result = self.save(api, info, declared, &mut reserved);
        let written = result.as_ref().map_or(0, |saved| saved.size);
        self.finish(reserved, written);
        result
    }

    /// Downloads into `<file id>/.<random>.part`, then renames it to its stored name; every step
    /// relative to the verified `<file id>` folder.
    fn save(
        &self,
        api: &Api,
        info: &FileInfo,
        declared: u64,
        reserved: &mut u64,
    ) -> Result<Saved, DownloadError> {
        let path = self.dir.path().join(&info.id);
        let local =
            |e: io::Error| DownloadError::Local(format!("cannot write {}: {e}", path.display()));
        let folder = self.dir.subdir(&info.id, true).map_err(local)?;
        let name = names::stored_name(&info.name);
        let temp = format!(".{:016x}.part", random::next_u64());
        let out = folder.create(&temp).map_err(local)?;
        let result = self
            .fetch_into(api, &info.id, declared, out, reserved)
            .and_then(|size| folder.rename(&temp, &name).map(|()| size).map_err(local));
        match result {
            Ok(size) => Ok(Saved {
                path: path.join(name),
                size,
            }),
            Err(e) => {
                let _ = folder.remove(temp.as_ref(), false);
                Err(e)
            }
        }
    }

    /// Streams the file into `out`, stopping as soon as it passes `mediaMaxMb` (the declared
    /// size may be wrong) or the bytes beyond those `reserved` do not fit `mediaMaxTotalMb`.
    fn fetch_into(
        &self,
        api: &Api,
        id: &str,
        declared: u64,
        mut out: File,
        reserved: &mut u64,
    ) -> Result<u64, DownloadError> {
        let body = api.download(id, declared).map_err(DownloadError::Api)?;
        let cannot_write = |e: io::Error| DownloadError::Local(format!("cannot write: {e}"));
        // Reading and writing errors must be told apart: one is the network, one our disk.
        let mut limited = body.take(self.max_bytes.saturating_add(1));
        let mut buffer = vec![0u8; 64 * 1024];
        let mut copied = 0u64;
        loop {
            let n = match limited.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(DownloadError::Api(ApiError::Network(e.to_string()))),
            };
            copied += n as u64;
            if copied > *reserved {
                if !self.reserve(copied - *reserved) {
                    return Err(self.full());
                }
                *reserved = copied;
            }
            out.write_all(&buffer[..n]).map_err(cannot_write)?;
        }
        if copied > self.max_bytes {
            return Err(self.too_large(copied));
        }
        Ok(copied)
    }

    fn too_large(&self, size: u64) -> DownloadError {
        DownloadError::TooLarge(format!(
            "file is {} or more, above mediaMaxMb ({}); not downloaded",
            megabytes(size),
            megabytes(self.max_bytes)
        ))
    }

    /// Checks every path the host wants to send before anything is uploaded.
    pub fn check_outgoing(&self, paths: &[&str]) -> Result<Vec<Outgoing>, LocalFileError> {
        paths.iter().map(|path| self.check_one(path)).collect()
    }

    fn check_one(&self, given: &str) -> Result<Outgoing, LocalFileError> {
        let fail = |message: String| LocalFileError {
            path: given.to_string(),
            message: format!("{given}: {message}"),
        };
        let path = Path::new(given);
        let meta = fs::metadata(path).map_err(|e| fail(describe_io(&e)))?;
        if !meta.is_file() {
            return Err(fail("not a regular file".into()));
        }
        File::open(path).map_err(|e| fail(describe_io(&e)))?;
        if meta.len() > self.max_bytes {
            return Err(fail(format!(
                "file is {}, above mediaMaxMb ({})",
                megabytes(meta.len()),
                megabytes(self.max_bytes)
            )));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        Ok(Outgoing {
            mime_type: mime::for_name(&name),
            path: path.to_path_buf(),
            name,
            size: meta.len(),
        })
    }
}

fn describe_io(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied (cannot read it)".into(),
        _ => format!("cannot read it: {error}"),
    }
}

/// `12345678` → `11.8 MB` (MiB, as Mattermost and `mediaMaxMb` count).
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ocmm-media-{name}-{:x}", random::next_u64()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn outgoing_files_are_checked() {
        let dir = scratch("out");
        let ok = dir.join("photo.PNG");
        fs::write(&ok, b"12345").unwrap();
        let big = dir.join("big.bin");
        fs::write(&big, vec![0u8; 2048]).unwrap();
        let media = Media::open(&dir, 1024, u64::MAX).unwrap();
        let good = media.check_outgoing(&[ok.to_str().unwrap()]).unwrap();
        assert_eq!(good[0].name, "photo.PNG");
        assert_eq!(good[0].size, 5);
        assert_eq!(good[0].mime_type, "image/png");

        let missing = dir.join("missing.txt");
        let cases = [
            (missing.to_str().unwrap(), "no such file"),
            (dir.to_str().unwrap(), "not a regular file"),
            (big.to_str().unwrap(), "above mediaMaxMb"),
        ];
        for (path, why) in cases {
            let error = media
                .check_outgoing(&[ok.to_str().unwrap(), path])
                .unwrap_err();
            assert_eq!(error.path, path);
            assert!(error.message.contains(why), "{}", error.message);
        }
        fs::remove_dir_all(dir).unwrap();
    }

    /// Downloads run four at a time: when the count is redone from disk (near the cap), the
    /// bytes other downloads reserved but have not written yet still count.
    #[test]
    fn a_recount_keeps_what_running_downloads_reserved() {
        let dir = scratch("cap");
        let media = Media::open(&dir, 100, 150).unwrap();
        assert!(media.reserve(100), "first download, declared 100");
        assert!(
            !media.reserve(100),
            "a second one would pass mediaMaxTotalMb once the first is written"
        );
        media.finish(100, 0); // the first failed: nothing written
        assert!(media.reserve(100));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn sizes_read_as_megabytes() {
        assert_eq!(megabytes(20 * 1024 * 1024), "20.0 MB");
        assert_eq!(megabytes(1536 * 1024), "1.5 MB");
    }
}
