//! What a plugin's start-up needs from files without loading node:fs: the whole content of an fd (stdin,
//! which a runtime may hand over non-blocking) and a file's identity (to tell whether two paths are the
//! same executable).

use crate::error::{Error, Result};
use crate::sys;
use std::fs;
use std::os::unix::fs::MetadataExt;

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

/// The (st_dev, st_ino) of the file `path` names, following symlinks (so /proc/self/exe and a symlink to
/// an executable both give the executable's identity).
pub fn file_identity(path: &str) -> Result<(u64, u64)> {
    let meta = fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
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
}
