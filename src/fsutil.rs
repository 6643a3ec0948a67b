//! Folders no other local user can touch: a `Dir` is an open handle on a directory that was
//! verified (on the handle, not the path) to be this user's and writable by no one else, and
//! every file in it is created, renamed, listed and removed relative to that handle with
//! `O_NOFOLLOW`/`O_EXCL`, so swapping a path for a symlink afterwards redirects nothing.

use std::ffi::{CStr, CString, OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// An opened, verified directory.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

/// A directory entry, not followed if it is a symlink.
pub struct Entry {
    pub name: OsString,
    pub stat: libc::stat64,
}

const DIR_FLAGS: libc::c_int =
    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;

fn c_name(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::ErrorKind::InvalidInput.into())
}

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

fn fstat(fd: RawFd) -> io::Result<libc::stat64> {
    // SAFETY: fstat fills the zeroed struct it is given.
    let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
    check(unsafe { libc::fstat64(fd, &mut st) })?;
    Ok(st)
}

/// Why the directory at `path` cannot be trusted, with the fix, or `None`. A `parent` may
/// also be root's, and writable by others if sticky (like `/tmp`).
fn untrusted(st: &libc::stat64, path: &Path, parent: bool) -> Option<String> {
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    let p = path.display();
    let sticky = st.st_mode & libc::S_ISVTX != 0;
    if st.st_uid != me && !(parent && st.st_uid == 0) {
        Some(format!("{p} belongs to uid {}, not to this user (uid {me}), who could swap its files; remove it or choose a folder of your own", st.st_uid))
    } else if st.st_mode & 0o022 != 0 && !(parent && sticky) {
        Some(format!(
            "{p} can be written by other users (mode {:o}); run chmod go-w {p}",
            st.st_mode & 0o7777
        ))
    } else {
        None
    }
}

/// Whether `path` is a symlink of this user or root (as systemd's `StateDirectory` makes), to
/// be followed; a symlink of another user, who could point it elsewhere, is refused.
fn trusted_link(path: &Path) -> io::Result<bool> {
    let link = std::fs::symlink_metadata(path)?;
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    match link.uid() {
        _ if !link.is_symlink() => Ok(false),
        uid if uid == me || uid == 0 => Ok(true),
        uid => Err(refused(format!(
            "{} is a symbolic link of uid {uid}, who could point it elsewhere; use the real folder's path",
            path.display()
        ))),
    }
}

/// Refuses `dir` unless no other user can replace a part of the path to it: every folder on
/// the way, as written and with symlinks resolved, is this user's or root's and writable by no
/// one else unless sticky (like `/tmp`), and every symlink on the way is this user's or root's.
fn no_one_else_can_swap(dir: &Path) -> io::Result<()> {
    let checked = |p: &Path| match untrusted(&stat(p)?, p, true) {
        Some(why) => Err(refused(why)),
        None => Ok(()),
    };
    for p in dir.ancestors() {
        trusted_link(p)?;
        checked(p)?;
    }
    std::fs::canonicalize(dir)?
        .ancestors()
        .try_for_each(checked)
}

/// `stat` (following links) of the folder `p`, which, unlike opening it, needs no read right.
fn stat(p: &Path) -> io::Result<libc::stat64> {
    let c = c_name(p.as_os_str())?;
    // SAFETY: stat fills the zeroed struct it is given.
    let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
    check(unsafe { libc::stat64(c.as_ptr(), &mut st) })?;
    Ok(st)
}

fn refused(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, why)
}

impl Dir {
    /// Opens the directory at `path` (with `create`, made `0700` with any missing parents
    /// first). Refused: a directory of another user or one others may write, a folder anywhere
    /// above that is neither this user's nor root's or that others may write unless it is
    /// sticky like `/tmp`, and, for any of them, a symlink of another user.
    pub fn open(path: &Path, create: bool) -> io::Result<Dir> {
        let path = std::path::absolute(path)?;
        if create {
            let mut builder = std::fs::DirBuilder::new();
            std::os::unix::fs::DirBuilderExt::mode(builder.recursive(true), 0o700);
            builder.create(&path)?;
        }
        // Also where a link of ours (or root's) at `path` points: no one else can swap it.
        no_one_else_can_swap(&path)?;
        let flags = match trusted_link(&path)? {
            true => DIR_FLAGS & !libc::O_NOFOLLOW,
            false => DIR_FLAGS,
        };
        let c_path = c_name(path.as_os_str())?;
        // SAFETY: a valid C string; the returned fd is owned here.
        let fd = check(unsafe { libc::open(c_path.as_ptr(), flags) })?;
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Dir::verified(fd, path)
    }

    fn verified(fd: OwnedFd, path: PathBuf) -> io::Result<Dir> {
        match untrusted(&fstat(fd.as_raw_fd())?, &path, false) {
            Some(why) => Err(refused(why)),
            None => Ok(Dir { fd, path }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn at(&self, name: &OsStr, flags: libc::c_int, mode: libc::c_uint) -> io::Result<OwnedFd> {
        let c = c_name(name)?;
        // SAFETY: a valid fd and C string; the returned fd is owned here.
        let fd = check(unsafe { libc::openat(self.fd.as_raw_fd(), c.as_ptr(), flags, mode) })?;
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// The sub-directory `name`, made `0700` first when `create`; verified like `open`.
    pub fn subdir(&self, name: &str, create: bool) -> io::Result<Dir> {
        let c = c_name(name.as_ref())?;
        if create {
            // SAFETY: a valid fd and C string.
            let made = check(unsafe { libc::mkdirat(self.fd.as_raw_fd(), c.as_ptr(), 0o700) });
            match made {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
        }
        Dir::verified(self.at(name.as_ref(), DIR_FLAGS, 0)?, self.path.join(name))
    }

    /// Creates the new file `name` (`0600`; fails if anything has that name).
    pub fn create(&self, name: &str) -> io::Result<File> {
        let flags =
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        Ok(File::from(self.at(name.as_ref(), flags, 0o600)?))
    }

    /// Opens the file `name` for reading, not following a symlink.
    pub fn read(&self, name: &str) -> io::Result<File> {
        let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        Ok(File::from(self.at(name.as_ref(), flags, 0)?))
    }

    /// Renames `from` to `to` inside this directory (replacing `to`).
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (from, to) = (c_name(from.as_ref())?, c_name(to.as_ref())?);
        let fd = self.fd.as_raw_fd();
        // SAFETY: a valid fd and C strings.
        check(unsafe { libc::renameat(fd, from.as_ptr(), fd, to.as_ptr()) }).map(drop)
    }

    /// Removes the file (or, with `dir`, the empty directory) `name`.
    pub fn remove(&self, name: &OsStr, dir: bool) -> io::Result<()> {
        let c = c_name(name)?;
        let flags = if dir { libc::AT_REMOVEDIR } else { 0 };
        // SAFETY: a valid fd and C string.
        check(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), flags) }).map(drop)
    }

    /// Every entry but `.` and `..`, with its (not followed) metadata.
    pub fn entries(&self) -> io::Result<Vec<Entry>> {
        // A new open of this very folder (`.` through the handle, never the path): a duplicate
        // would share one read position with listings running at the same time.
        let dup = self.at(".".as_ref(), DIR_FLAGS, 0)?.into_raw_fd();
        // SAFETY: fdopendir takes over `dup`; closedir closes it.
        let stream = unsafe { libc::fdopendir(dup) };
        if stream.is_null() {
            let e = io::Error::last_os_error();
            unsafe { libc::close(dup) };
            return Err(e);
        }
        let mut found = Vec::new();
        loop {
            // SAFETY: a valid stream; the entry is read before the next readdir.
            let entry = unsafe { libc::readdir64(stream) };
            if entry.is_null() {
                break;
            }
            let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) }.to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let mut stat: libc::stat64 = unsafe { std::mem::zeroed() };
            let flags = libc::AT_SYMLINK_NOFOLLOW;
            let c = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
            if unsafe { libc::fstatat64(dup, c.as_ptr(), &mut stat, flags) } == 0 {
                found.push(Entry {
                    name: OsString::from_vec(name.to_vec()),
                    stat,
                });
            }
        }
        unsafe { libc::closedir(stream) };
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    /// Another user who may write a folder further up can rename our folder away and put
    /// theirs (or a link to the operator's files) in its place: the paths the bridge reports
    /// (`files[].path`) would then name their files.
    #[test]
    fn a_folder_others_may_write_anywhere_above_is_refused() {
        let base = std::env::temp_dir().join(format!("ocmm-up-{:x}", crate::random::next_u64()));
        let shared = base.join("shared");
        fs::create_dir_all(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
        let deep = shared.join("mine").join("media");
        let error = Dir::open(&deep, true).unwrap_err();
        assert!(
            error.to_string().contains("shared can be written"),
            "{error}"
        );
        // Through a link of ours, too (resolved), and for an existing folder.
        std::os::unix::fs::symlink(shared.join("mine"), base.join("link")).unwrap();
        let error = Dir::open(&base.join("link").join("media"), false).unwrap_err();
        assert!(
            error.to_string().contains("shared can be written"),
            "{error}"
        );
        // A link of ours as the folder itself, pointing under it.
        std::os::unix::fs::symlink(shared.join("mine").join("media"), base.join("media")).unwrap();
        let error = Dir::open(&base.join("media"), true).unwrap_err();
        assert!(
            error.to_string().contains("shared can be written"),
            "{error}"
        );
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o755)).unwrap();
        Dir::open(&base.join("link").join("media"), false).unwrap();
        Dir::open(&base.join("media"), false).unwrap();
        fs::remove_dir_all(&base).unwrap();
    }

    /// The sweep and the downloads' total-size count list the same folder at once: listings
    /// sharing one read position would skip entries (under-counting `mediaMaxTotalMb`).
    #[test]
    fn listings_at_the_same_time_each_see_every_entry() {
        let path = std::env::temp_dir().join(format!("ocmm-list-{:x}", crate::random::next_u64()));
        let dir = std::sync::Arc::new(Dir::open(&path, true).unwrap());
        for n in 0..2000 {
            dir.create(&format!("f{n}")).unwrap();
        }
        let lists = |dir: std::sync::Arc<Dir>| {
            move || (0..30).all(|_| dir.entries().unwrap().len() == 2000)
        };
        let other = std::thread::spawn(lists(dir.clone()));
        let here = lists(dir.clone())();
        assert!(
            here && other.join().unwrap(),
            "a listing missed or repeated entries"
        );
        fs::remove_dir_all(&path).unwrap();
    }

    #[test]
    fn handles_list_again_refuse_links_and_never_overwrite() {
        let path = std::env::temp_dir().join(format!("ocmm-dir-{:x}", crate::random::next_u64()));
        let dir = Dir::open(&path, true).unwrap();
        assert!(dir.path().is_absolute());
        dir.create("a").unwrap();
        // A second listing starts over (the handle's read position is shared).
        assert_eq!(dir.entries().unwrap().len(), 1);
        assert_eq!(dir.entries().unwrap().len(), 1);
        assert_eq!(
            dir.create("a").unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        std::os::unix::fs::symlink("/", path.join("link")).unwrap();
        assert!(dir.subdir("link", true).is_err());
        assert!(dir.read("link").is_err());
        assert!(dir.create("link").is_err());
        dir.rename("a", "b").unwrap();
        dir.remove("b".as_ref(), false).unwrap();
        fs::remove_dir_all(&path).unwrap();
    }
}
