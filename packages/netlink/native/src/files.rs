//! What a plugin's per-call path needs from files without loading node:fs (which costs a compiled plugin
//! start-up time): the whole content of an fd (stdin, which a runtime may hand over non-blocking), a file's
//! identity (to tell whether two paths are the same executable), and the small set of file operations
//! host-local's lease store uses (open for a lock, read/write whole files, unlink, rename, list, mkdir -p,
//! rm -r, stat with nanoseconds, set times, access).

use crate::error::{Error, Result};
use crate::sys;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};

/// Read `fd` to end of file. A non-blocking fd that has nothing yet (EAGAIN) is waited on with poll(2), so
/// this behaves like a blocking read either way. More than `max_bytes` is EFBIG (the rest is left unread).
pub fn read_fd(fd: i32, max_bytes: usize) -> Result<Vec<u8>> {
    let mut content = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match sys::read_some(fd, &mut chunk) {
            Ok(0) => return Ok(content),
            Ok(n) => {
                if content.len() + n > max_bytes {
                    return Err(Error::os(sys::EFBIG).with_detail(format!("more than {} bytes", max_bytes)));
                }
                content.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.raw_os_error() == Some(sys::EAGAIN) => sys::wait_readable(fd)?,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Write all of `data` to `fd`. A non-blocking fd that is full (EAGAIN: a pipe whose reader is slow) is
/// waited on with poll(2), so this behaves like a blocking write either way. A closed pipe is EPIPE (the
/// caller must ignore SIGPIPE, as Node and Bun do).
pub fn write_fd(fd: i32, data: &[u8]) -> Result<()> {
    let mut offset = 0;
    while offset < data.len() {
        match sys::write_some(fd, &data[offset..]) {
            Ok(n) => offset += n,
            Err(e) if e.raw_os_error() == Some(sys::EAGAIN) => sys::wait_writable(fd)?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The (st_dev, st_ino) of the file `path` names, following symlinks (so /proc/self/exe and a symlink to
/// an executable both give the executable's identity).
pub fn file_identity(path: &str) -> Result<(u64, u64)> {
    let meta = fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}


/// What kind of file a directory entry or stat names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Directory,
    Symlink,
    Other,
}

impl FileKind {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::File => "file",
            FileKind::Directory => "directory",
            FileKind::Symlink => "symlink",
            FileKind::Other => "other",
        }
    }
    fn of(ty: fs::FileType) -> FileKind {
        if ty.is_file() {
            FileKind::File
        } else if ty.is_dir() {
            FileKind::Directory
        } else if ty.is_symlink() {
            FileKind::Symlink
        } else {
            FileKind::Other
        }
    }
}

/// stat(2) of a path, the fields the lease store (and a caller comparing files) needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatus {
    pub dev: u64,
    pub ino: u64,
    pub kind: FileKind,
    /// permission bits (st_mode & 0o7777)
    pub mode: u32,
    pub uid: u32,
    pub size: u64,
    /// st_mtime in nanoseconds since the epoch (exact: the store compares it to the nanosecond)
    pub mtime_ns: i128,
}

/// open(2) `path` with `flags` (O_CLOEXEC is always added) and `mode` for a file O_CREAT creates.
/// Only the flags in `OPEN_FLAGS` are accepted (EINVAL otherwise).
pub fn open_file(path: &str, flags: i32, mode: u32) -> Result<i32> {
    const OPEN_FLAGS: i32 = sys::O_ACCMODE | sys::O_CREAT | sys::O_EXCL | sys::O_TRUNC | sys::O_APPEND | sys::O_NONBLOCK | sys::O_DIRECTORY | sys::O_NOFOLLOW | sys::O_NOCTTY;
    if flags & !OPEN_FLAGS != 0 || flags & sys::O_ACCMODE == sys::O_ACCMODE {
        return Err(Error::invalid(format!("open flags {:#o} are not supported", flags)));
    }
    Ok(sys::open_path(path, flags, mode & 0o7777)?)
}

/// close(2) an fd from `open_file` (closing a locked file drops its flock).
pub fn close_file(fd: i32) -> Result<()> {
    Ok(sys::close_checked(fd)?)
}

/// The whole content of the file at `path`, opened non-blocking (a FIFO without a writer fails with EAGAIN
/// or reads empty instead of blocking; a regular file is unaffected). More than `max_bytes` is EFBIG; a
/// directory EISDIR.
pub fn read_file(path: &str, max_bytes: usize) -> Result<Vec<u8>> {
    let mut file = fs::OpenOptions::new().read(true).custom_flags(sys::O_NONBLOCK | sys::O_NOCTTY).open(path)?;
    let mut content = Vec::new();
    // one byte more than allowed tells "too large" without reading an endless file to its end
    (&mut file).take(max_bytes as u64 + 1).read_to_end(&mut content)?;
    if content.len() > max_bytes {
        return Err(Error::os(sys::EFBIG).with_detail(format!("more than {} bytes", max_bytes)));
    }
    Ok(content)
}

/// Write `data` as the whole content of `path` with permission `mode` (for a new file; umask applies).
/// `exclusive`: the file must not exist (EEXIST), and if writing fails the new file is removed again.
/// Otherwise an existing file is overwritten in place and then cut to `data`'s length: not opened with
/// O_TRUNC, because ext4 (auto_da_alloc) flushes a file truncated to zero and rewritten when it is closed,
/// about 1 ms per write here against 10 µs in place (host-local rewrites small files on every call).
pub fn write_file(path: &str, data: &[u8], mode: u32, exclusive: bool) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    // O_NOFOLLOW: a link planted where the file goes (a writable data directory) is never written through
    options.write(true).mode(mode & 0o7777).custom_flags(sys::O_NOCTTY | sys::O_NOFOLLOW);
    if exclusive {
        options.create_new(true);
    } else {
        options.create(true);
    }
    let mut file = options.open(path)?;
    let written = file.write_all(data).and_then(|()| if exclusive { Ok(()) } else { file.set_len(data.len() as u64) });
    if let Err(e) = written {
        drop(file);
        if exclusive {
            let _ = fs::remove_file(path);
        }
        return Err(e.into());
    }
    Ok(())
}

/// realpath(3): `path` with every symlink, "." and ".." resolved (the file must exist).
pub fn real_path(path: &str) -> Result<String> {
    let resolved = fs::canonicalize(path)?;
    resolved.into_os_string().into_string().map_err(|_| Error::os(sys::EINVAL).with_detail("the resolved path is not UTF-8"))
}

/// unlink(2) a file (not a directory).
pub fn remove_file(path: &str) -> Result<()> {
    Ok(fs::remove_file(path)?)
}

/// rename(2): atomically replaces `to` when it exists.
pub fn rename(from: &str, to: &str) -> Result<()> {
    Ok(fs::rename(from, to)?)
}

/// mkdir -p with `mode` for every directory it creates; an existing directory is fine.
pub fn make_directory(path: &str, mode: u32) -> Result<()> {
    Ok(fs::DirBuilder::new().recursive(true).mode(mode & 0o7777).create(path)?)
}

/// rm -rf: remove `path` and everything below it (symlinks are removed, not followed). A missing path is
/// not an error.
pub fn remove_tree(path: &str) -> Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.raw_os_error() == Some(sys::ENOENT) => Ok(()),
        Err(e) => Err(e.into()),
        Ok(meta) if meta.is_dir() => match fs::remove_dir_all(path) {
            Err(e) if e.raw_os_error() == Some(sys::ENOENT) => Ok(()),
            other => Ok(other?),
        },
        Ok(_) => Ok(fs::remove_file(path)?),
    }
}

/// The entries of directory `path` ("." and ".." excluded), each with its kind (d_type; lstat where the
/// filesystem does not say). Names that are not UTF-8 are skipped: no JS string could name them again.
pub fn list_directory(path: &str) -> Result<Vec<(String, FileKind)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        let kind = match entry.file_type() {
            Ok(ty) => FileKind::of(ty),
            Err(e) if e.raw_os_error() == Some(sys::ENOENT) => continue, // removed meanwhile
            Err(e) => return Err(e.into()),
        };
        entries.push((name, kind));
    }
    Ok(entries)
}

/// stat(2) of `path`, following symlinks; lstat(2) (the link itself) when `follow_links` is false.
pub fn file_status(path: &str, follow_links: bool) -> Result<FileStatus> {
    let meta = if follow_links { fs::metadata(path)? } else { fs::symlink_metadata(path)? };
    Ok(FileStatus {
        dev: meta.dev(),
        ino: meta.ino(),
        kind: FileKind::of(meta.file_type()),
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        size: meta.size(),
        mtime_ns: meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128,
    })
}

/// Set the access and modification times of `path` to `time` (seconds, nanoseconds after the epoch), or to
/// now when None.
pub fn set_file_times(path: &str, time: Option<(i64, i64)>) -> Result<()> {
    if let Some((_, nanoseconds)) = time {
        if !(0..1_000_000_000).contains(&nanoseconds) {
            return Err(Error::invalid(format!("nanoseconds {} out of range", nanoseconds)));
        }
    }
    Ok(sys::set_times(path, time)?)
}

/// access(2) with R_OK/W_OK/X_OK/F_OK: EACCES (or EROFS, ENOENT) when not allowed.
pub fn check_access(path: &str, mode: i32) -> Result<()> {
    Ok(sys::access_path(path, mode)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn reads_to_end_of_file_and_waits_on_a_non_blocking_fd() {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        reader.set_nonblocking(true).unwrap();
        let feeder = std::thread::spawn(move || {
            // The reader sees EAGAIN at least until the first write (the thread may start late: either
            // way the result is the same, which is the point).
            writer.write_all(b"{\"cniVersion\":").unwrap();
            writer.write_all(&[b'1'; 100_000]).unwrap();
            writer.write_all(b"}").unwrap();
        });
        let content = read_fd(reader.as_raw_fd(), 1 << 20).unwrap();
        feeder.join().unwrap();
        assert_eq!(content.len(), 14 + 100_000 + 1);
        assert!(content.starts_with(b"{\"cniVersion\":") && content.ends_with(b"1}"));
    }

    #[test]
    fn more_than_the_limit_is_efbig() {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        writer.write_all(&[0u8; 100]).unwrap();
        drop(writer);
        let err = read_fd(reader.as_raw_fd(), 99).unwrap_err();
        assert_eq!(err.code_name(), "EFBIG");
        let (mut writer, reader) = UnixStream::pair().unwrap();
        writer.write_all(&[0u8; 100]).unwrap();
        drop(writer);
        assert_eq!(read_fd(reader.as_raw_fd(), 100).unwrap().len(), 100);
    }

    #[test]
    fn writes_everything_and_waits_on_a_full_non_blocking_fd() {
        let (writer, mut reader) = UnixStream::pair().unwrap();
        writer.set_nonblocking(true).unwrap();
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        // far more than a socket buffer holds: the writer sees EAGAIN until the reader drains
        let drain = std::thread::spawn(move || {
            let mut got = Vec::new();
            std::io::Read::read_to_end(&mut reader, &mut got).unwrap();
            got
        });
        write_fd(writer.as_raw_fd(), &data).unwrap();
        drop(writer);
        assert_eq!(drain.join().unwrap(), data);
        assert_eq!(write_fd(-1, b"x").unwrap_err().errno, sys::EBADF);
    }

    #[test]
    fn a_closed_fd_is_ebadf() {
        assert_eq!(read_fd(-1, 10).unwrap_err().errno, sys::EBADF);
    }

    #[test]
    fn identity_follows_symlinks() {
        let exe = file_identity("/proc/self/exe").unwrap();
        let real = std::fs::canonicalize("/proc/self/exe").unwrap();
        assert_eq!(file_identity(real.to_str().unwrap()).unwrap(), exe);
        assert_ne!(file_identity("/proc/self/cwd").unwrap(), exe);
        assert_eq!(file_identity("/nonexistent/x").unwrap_err().errno, sys::ENOENT);
    }

    /// A fresh private directory under the system temp dir, removed by `remove_tree` at the end of a test.
    fn scratch(tag: &str) -> String {
        let dir = std::env::temp_dir().join(format!("nlf-rs-{}-{}", tag, std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        dir.to_str().unwrap().to_string()
    }

    #[test]
    fn write_read_exclusive_and_truncate() {
        let dir = scratch("rw");
        let path = format!("{}/10.0.0.2", dir);
        write_file(&path, b"id\r\neth0", 0o600, true).unwrap();
        assert_eq!(read_file(&path, 100).unwrap(), b"id\r\neth0");
        assert_eq!(file_status(&path, true).unwrap().mode, 0o600);
        assert_eq!(write_file(&path, b"other", 0o600, true).unwrap_err().errno, sys::EEXIST);
        write_file(&path, b"x", 0o644, false).unwrap();
        assert_eq!(read_file(&path, 100).unwrap(), b"x", "cut to the new length after the overwrite");
        write_file(&path, b"longer", 0o644, false).unwrap();
        assert_eq!(read_file(&path, 100).unwrap(), b"longer");
        assert_eq!(file_status(&path, true).unwrap().mode, 0o600, "an existing file keeps its mode");
        assert_eq!(read_file(&path, 0).unwrap_err().errno, sys::EFBIG);
        assert_eq!(read_file(&dir, 100).unwrap_err().errno, sys::EISDIR);
        assert_eq!(read_file(&format!("{}/missing", dir), 100).unwrap_err().errno, sys::ENOENT);
        write_file(&path, b"", 0o644, false).unwrap();
        assert_eq!(read_file(&path, 100).unwrap(), b"");
        remove_tree(&dir).unwrap();
    }

    #[test]
    fn an_endless_file_stops_at_the_limit() {
        assert_eq!(read_file("/dev/zero", 4096).unwrap_err().errno, sys::EFBIG);
    }

    #[test]
    fn directories_list_rename_unlink_and_remove_tree() {
        let dir = scratch("dir");
        make_directory(&format!("{}/a/b/c", dir), 0o700).unwrap();
        make_directory(&format!("{}/a/b/c", dir), 0o700).unwrap(); // existing: fine
        assert_eq!(file_status(&format!("{}/a/b", dir), true).unwrap().mode, 0o700);
        write_file(&format!("{}/f", dir), b"", 0o600, true).unwrap();
        std::os::unix::fs::symlink("f", format!("{}/l", dir)).unwrap();
        let mut entries = list_directory(&dir).unwrap();
        entries.sort_by(|x, y| x.0.cmp(&y.0));
        let names: Vec<(&str, FileKind)> = entries.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        assert_eq!(names, [("a", FileKind::Directory), ("f", FileKind::File), ("l", FileKind::Symlink)]);
        assert_eq!(file_status(&format!("{}/l", dir), false).unwrap().kind, FileKind::Symlink); // lstat
        assert_eq!(file_status(&format!("{}/l", dir), true).unwrap().kind, FileKind::File);
        rename(&format!("{}/f", dir), &format!("{}/g", dir)).unwrap();
        assert_eq!(remove_file(&format!("{}/f", dir)).unwrap_err().errno, sys::ENOENT);
        remove_file(&format!("{}/g", dir)).unwrap();
        assert_eq!(remove_file(&format!("{}/a", dir)).unwrap_err().errno, sys::EISDIR);
        assert_eq!(list_directory(&format!("{}/l", dir)).unwrap_err().errno, sys::ENOENT); // dangling now
        remove_tree(&format!("{}/a", dir)).unwrap();
        remove_tree(&format!("{}/a", dir)).unwrap(); // missing: fine
        remove_tree(&dir).unwrap();
        assert_eq!(file_status(&dir, true).unwrap_err().errno, sys::ENOENT);
    }

    #[test]
    fn times_are_set_to_the_nanosecond() {
        let dir = scratch("times");
        set_file_times(&dir, Some((1_700_000_000, 123_456_789))).unwrap();
        assert_eq!(file_status(&dir, true).unwrap().mtime_ns, 1_700_000_000_123_456_789);
        set_file_times(&dir, None).unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as i128;
        assert!((now - file_status(&dir, true).unwrap().mtime_ns).abs() < 60_000_000_000);
        assert_eq!(set_file_times(&dir, Some((0, 1_000_000_000))).unwrap_err().errno, sys::EINVAL);
        remove_tree(&dir).unwrap();
    }

    #[test]
    fn open_close_and_access() {
        let dir = scratch("open");
        let path = format!("{}/lock", dir);
        let fd = open_file(&path, sys::O_RDONLY | sys::O_CREAT, 0o750).unwrap();
        assert_eq!(file_status(&path, true).unwrap().mode & 0o700, 0o700);
        close_file(fd).unwrap();
        assert_eq!(close_file(fd).unwrap_err().errno, sys::EBADF);
        assert_eq!(open_file(&path, sys::O_RDONLY | sys::O_CREAT | sys::O_EXCL, 0o600).unwrap_err().errno, sys::EEXIST);
        assert_eq!(open_file(&path, 0o3, 0).unwrap_err().errno, sys::EINVAL);
        check_access(&dir, sys::W_OK).unwrap();
        check_access(&path, sys::F_OK).unwrap();
        assert_eq!(check_access(&format!("{}/missing", dir), sys::F_OK).unwrap_err().errno, sys::ENOENT);
        remove_tree(&dir).unwrap();
    }
}
