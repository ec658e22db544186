//! Network namespaces (named ones under /var/run/netns, as `ip netns` manages them), running code inside a
//! namespace on a short-lived thread, sysctls inside a namespace, and flock.

use crate::error::{Error, Result};
use crate::sys;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

pub const NETNS_RUN_DIR: &str = "/var/run/netns";

fn not_a_netns() -> Error {
    Error::os(sys::EINVAL).with_code("ENOTNS")
}

/// Open a network-namespace file (/var/run/netns/x, /proc/<pid>/ns/net, ...). A missing file is ENOENT; a
/// file that is not a network namespace is EINVAL with code 'ENOTNS'. Never blocks: opening a FIFO (or a
/// device) for reading can wait forever, so only regular files are opened (an nsfs inode is one, reached
/// directly or through the /proc magic link, which stat follows), and with O_NONBLOCK in case the path is
/// swapped between the stat and the open; the opened file is checked again with fstat.
pub fn open_netns(path: &str) -> Result<File> {
    if !fs::metadata(path)?.is_file() {
        return Err(not_a_netns());
    }
    let file = OpenOptions::new().read(true).custom_flags(sys::O_CLOEXEC | sys::O_NONBLOCK | sys::O_NOCTTY).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_a_netns());
    }
    match sys::ns_type(file.as_raw_fd()) {
        Ok(t) if t == sys::CLONE_NEWNET => Ok(file),
        Ok(_) => Err(not_a_netns()),
        Err(e) if e.raw_os_error() == Some(sys::ENOTTY) => Err(not_a_netns()),
        Err(e) => Err(e.into()),
    }
}

/// Run `job` on a helper thread switched into the namespace at `path`. setns(2) changes only the calling
/// thread, so the JS thread never leaves its own namespace; the helper thread ends with the job.
pub fn run_in<T: Send>(path: &str, job: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    let ns = open_netns(path)?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                sys::setns_net(ns.as_raw_fd())?;
                job()
            })
            .join()
            .unwrap_or_else(|_| Err(Error::os(sys::EIO).with_detail("namespace helper thread panicked")))
    })
}

/// Run `job` here (no path) or inside the namespace at `path`.
pub fn run_maybe_in<T: Send>(path: Option<&str>, job: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    match path {
        Some(path) => run_in(path, job),
        None => job(),
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.len() > 255 || name.contains('\0') {
        return Err(Error::invalid(format!("invalid namespace name {:?}", name)));
    }
    Ok(())
}

pub fn path_of(name: &str) -> String {
    format!("{}/{}", NETNS_RUN_DIR, name)
}

/// Make /var/run/netns a shared mount point (bind-mounting it onto itself first if it is not a mount point),
/// as iproute2 does, so namespace mounts made later propagate to other mount namespaces.
fn ensure_run_dir_shared() -> Result<()> {
    fs::create_dir_all(NETNS_RUN_DIR)?;
    for attempt in 0..2 {
        match sys::mount_call(Some(""), NETNS_RUN_DIR, Some("none"), sys::MS_SHARED | sys::MS_REC) {
            Ok(()) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(sys::EINVAL) && attempt == 0 => {
                sys::mount_call(Some(NETNS_RUN_DIR), NETNS_RUN_DIR, Some("none"), sys::MS_BIND | sys::MS_REC)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `ip netns add <name>`: a new network namespace kept alive by a bind mount on /var/run/netns/<name>.
pub fn create(name: &str) -> Result<String> {
    check_name(name)?;
    ensure_run_dir_shared()?;
    let path = path_of(name);
    // The mount point; O_EXCL makes an existing name EEXIST.
    OpenOptions::new().write(true).create_new(true).mode(0o000).custom_flags(sys::O_CLOEXEC).open(&path)?;
    let bound = std::thread::scope(|scope| {
        scope
            .spawn(|| -> Result<()> {
                sys::unshare_net()?;
                // This thread's namespace (not the process's: other threads stay where they are).
                sys::mount_call(Some("/proc/thread-self/ns/net"), &path, Some("none"), sys::MS_BIND)?;
                Ok(())
            })
            .join()
            .unwrap_or_else(|_| Err(Error::os(sys::EIO).with_detail("namespace helper thread panicked")))
    });
    if let Err(e) = bound {
        let _ = fs::remove_file(&path);
        return Err(e);
    }
    Ok(path)
}

/// `ip netns del <name>`: detach the bind mount and remove the file. The namespace itself lives on while
/// processes or open fds still use it.
pub fn delete(name: &str) -> Result<()> {
    check_name(name)?;
    let path = path_of(name);
    if let Err(e) = sys::umount_detach(&path) {
        // Not mounted (EINVAL) still lets us remove a stale file; a missing file shows up below as ENOENT.
        if e.raw_os_error() != Some(sys::EINVAL) && e.raw_os_error() != Some(sys::ENOENT) {
            return Err(e.into());
        }
    }
    fs::remove_file(&path)?;
    Ok(())
}

pub fn is_netns(path: &str) -> bool {
    open_netns(path).is_ok()
}

/// Whether two paths refer to the same namespace (same nsfs inode).
pub fn same(a: &str, b: &str) -> Result<bool> {
    let (ma, mb) = (fs::metadata(a)?, fs::metadata(b)?);
    Ok(ma.dev() == mb.dev() && ma.ino() == mb.ino())
}

/// "net.ipv4.ip_forward" or "net/ipv4/conf/eth0.100/forwarding" -> /proc/sys/...
pub fn sysctl_path(key: &str) -> Result<String> {
    if key.is_empty() || key.contains("..") || key.starts_with('/') || key.contains('\0') {
        return Err(Error::invalid(format!("invalid sysctl key {:?}", key)));
    }
    let relative = if key.contains('/') { key.to_string() } else { key.replace('.', "/") };
    Ok(format!("/proc/sys/{}", relative))
}

pub fn sysctl_get(ns: Option<&str>, key: &str) -> Result<String> {
    let path = sysctl_path(key)?;
    run_maybe_in(ns, || read_sysctl(&path))
}

pub fn sysctl_set(ns: Option<&str>, key: &str, value: &str) -> Result<()> {
    let path = sysctl_path(key)?;
    run_maybe_in(ns, || write_sysctl(&path, value))
}

/// Read each key, all on one trip into the namespace (one helper thread, not one per key). A failure
/// names the key.
pub fn sysctl_get_many(ns: Option<&str>, keys: &[String]) -> Result<Vec<String>> {
    let paths = sysctl_paths(keys, "sysctlGetMany")?;
    run_maybe_in(ns, || {
        let mut values = Vec::with_capacity(paths.len());
        for (path, key) in paths.iter().zip(keys) {
            values.push(read_sysctl(path).map_err(|e| e.about("sysctlGetMany", key.clone()))?);
        }
        Ok(values)
    })
}

/// Set each key to its value, in order, all on one trip into the namespace; returns the values they had
/// (None for a key the kernel lets be written but not read, such as route/flush). A key already holding
/// its value is not written. When a write fails, the keys written before it get their old values back,
/// newest first, so the namespace is as it was; the error names the key that failed (and any key that
/// could not be put back).
pub fn sysctl_exchange(ns: Option<&str>, entries: &[(String, String)]) -> Result<Vec<Option<String>>> {
    let keys: Vec<String> = entries.iter().map(|(key, _)| key.clone()).collect();
    let paths = sysctl_paths(&keys, "sysctlExchange")?;
    run_maybe_in(ns, || {
        let mut previous: Vec<Option<String>> = Vec::with_capacity(entries.len());
        let mut written: Vec<usize> = Vec::new();
        for (i, (key, value)) in entries.iter().enumerate() {
            let step = exchange_one(&paths[i], value);
            match step {
                Ok((old, wrote)) => {
                    previous.push(old);
                    if wrote {
                        written.push(i);
                    }
                }
                Err(e) => {
                    let mut lost = Vec::new();
                    for &j in written.iter().rev() {
                        let restored = match &previous[j] {
                            Some(old) => write_sysctl(&paths[j], old).is_ok(),
                            None => false,
                        };
                        if !restored {
                            lost.push(keys[j].clone());
                        }
                    }
                    let e = e.about("sysctlExchange", key.clone());
                    return Err(if lost.is_empty() { e } else { e.with_detail(format!("could not put back {}", lost.join(", "))) });
                }
            }
        }
        Ok(previous)
    })
}

/// One key of `sysctl_exchange`: its old value (None when unreadable) and whether it was written.
fn exchange_one(path: &str, value: &str) -> Result<(Option<String>, bool)> {
    let old = match read_sysctl(path) {
        Ok(old) => Some(old),
        // write-only entries (mode 0200) refuse reads even to root
        Err(e) if e.errno == sys::EACCES || e.errno == sys::EPERM => None,
        Err(e) => return Err(e),
    };
    if old.as_deref() == Some(value.trim_end_matches('\n')) {
        return Ok((old, false));
    }
    write_sysctl(path, value)?;
    Ok((old, true))
}

fn sysctl_paths(keys: &[String], request: &'static str) -> Result<Vec<String>> {
    keys.iter().map(|key| sysctl_path(key).map_err(|e| e.about(request, key.clone()))).collect()
}

fn read_sysctl(path: &str) -> Result<String> {
    let mut text = String::new();
    File::open(path)?.read_to_string(&mut text)?;
    Ok(text.trim_end_matches('\n').to_string())
}

fn write_sysctl(path: &str, value: &str) -> Result<()> {
    OpenOptions::new().write(true).open(path)?.write_all(value.as_bytes())?;
    Ok(())
}

pub enum LockMode {
    Exclusive,
    Shared,
    Unlock,
}

/// flock(2): blocking unless `try_only`; Ok(false) when `try_only` and someone else holds the lock.
pub fn flock(fd: i32, mode: LockMode, try_only: bool) -> Result<bool> {
    let mut op = match mode {
        LockMode::Exclusive => sys::LOCK_EX,
        LockMode::Shared => sys::LOCK_SH,
        LockMode::Unlock => sys::LOCK_UN,
    };
    if try_only {
        op |= sys::LOCK_NB;
    }
    match sys::flock_fd(fd, op) {
        Ok(()) => Ok(true),
        Err(e) if try_only && e.raw_os_error() == Some(sys::EWOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn sysctl_keys_map_to_proc_paths() {
        assert_eq!(sysctl_path("net.ipv4.ip_forward").unwrap(), "/proc/sys/net/ipv4/ip_forward");
        assert_eq!(sysctl_path("net/ipv4/conf/eth0.100/rp_filter").unwrap(), "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
        assert!(sysctl_path("../etc/passwd").is_err());
        assert!(sysctl_path("/etc/passwd").is_err());
    }
    #[test]
    fn namespace_names_are_checked() {
        assert!(check_name("a-1").is_ok());
        assert!(check_name("a/b").is_err());
        assert!(check_name("..").is_err());
        assert!(check_name("").is_err());
    }
    #[test]
    fn the_own_namespace_is_a_netns_and_same_as_itself() {
        assert!(is_netns("/proc/self/ns/net"));
        assert!(!is_netns("/proc/self/ns/mnt") || !is_netns("/etc/hostname"));
        assert!(!is_netns("/etc/hostname"));
        assert!(same("/proc/self/ns/net", "/proc/thread-self/ns/net").unwrap());
    }
}
