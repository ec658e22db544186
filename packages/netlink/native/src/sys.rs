//! The few libc calls std does not offer, declared by hand (glibc, x86_64/aarch64 Linux ABI), each wrapped
//! in a function returning `io::Result` so the `unsafe` stays in this file.

use std::ffi::CString;
use std::io;
use std::os::raw::{c_char, c_int, c_ulong, c_void};

pub const AF_NETLINK: c_int = 16;
pub const SOCK_RAW: c_int = 3;
pub const SOCK_CLOEXEC: c_int = 0o2000000;
/// Netlink protocol families (linux/netlink.h): the `protocol` argument of socket(AF_NETLINK, ...).
pub const NETLINK_ROUTE: c_int = 0;
pub const NETLINK_NETFILTER: c_int = 12;
pub const SOL_NETLINK: c_int = 270;
pub const NETLINK_CAP_ACK: c_int = 10;
pub const NETLINK_EXT_ACK: c_int = 11;
/// Socket-level options (asm-generic/socket.h): buffer sizes. The *FORCE variants pass the sysctl caps
/// (net.core.wmem_max/rmem_max) and need CAP_NET_ADMIN.
pub const SOL_SOCKET: c_int = 1;
pub const SO_SNDBUF: c_int = 7;
pub const SO_RCVBUF: c_int = 8;
pub const SO_SNDBUFFORCE: c_int = 32;
pub const SO_RCVBUFFORCE: c_int = 33;
pub const MSG_PEEK: c_int = 2;
pub const MSG_TRUNC: c_int = 0x20;
pub const CLONE_NEWNET: c_int = 0x4000_0000;
pub const MS_BIND: c_ulong = 4096;
pub const MS_REC: c_ulong = 16384;
pub const MS_SHARED: c_ulong = 1 << 20;
pub const MNT_DETACH: c_int = 2;
pub const LOCK_SH: c_int = 1;
pub const LOCK_EX: c_int = 2;
pub const LOCK_NB: c_int = 4;
pub const LOCK_UN: c_int = 8;
/// ioctl on an nsfs file: which kind of namespace it is (linux/nsfs.h).
const NS_GET_NSTYPE: c_ulong = 0xb703;

// errno values (asm-generic/errno-base.h, errno.h), by name; error.rs maps them back to their names.
pub const EPERM: i32 = 1;
pub const ENOENT: i32 = 2;
pub const EINTR: i32 = 4;
pub const EIO: i32 = 5;
pub const EBADF: i32 = 9;
pub const EAGAIN: i32 = 11;
pub const EWOULDBLOCK: i32 = EAGAIN;
pub const EBUSY: i32 = 16;
pub const EEXIST: i32 = 17;
pub const ENODEV: i32 = 19;
pub const EACCES: i32 = 13;
pub const ENOTDIR: i32 = 20;
pub const EISDIR: i32 = 21;
pub const EINVAL: i32 = 22;
pub const ENOTTY: i32 = 25;
pub const EFBIG: i32 = 27;
pub const EPROTO: i32 = 71;
pub const ENOBUFS: i32 = 105;
pub const EOPNOTSUPP: i32 = 95;
pub const EADDRNOTAVAIL: i32 = 99;
pub const ETIMEDOUT: i32 = 110;

// open(2) flags
pub const O_RDONLY: c_int = 0;
pub const O_NOCTTY: c_int = 0o400;
pub const O_NONBLOCK: c_int = 0o4000;
pub const O_CLOEXEC: c_int = 0o2000000;
pub const O_ACCMODE: c_int = 0o3;
/// The open(2) flags `open_path` passes through (asm-generic/fcntl.h; x86_64 and aarch64 agree).
pub const O_WRONLY: c_int = 0o1;
pub const O_RDWR: c_int = 0o2;
pub const O_CREAT: c_int = 0o100;
pub const O_EXCL: c_int = 0o200;
pub const O_TRUNC: c_int = 0o1000;
pub const O_APPEND: c_int = 0o2000;
#[cfg(target_arch = "aarch64")]
pub const O_DIRECTORY: c_int = 0o40000;
#[cfg(not(target_arch = "aarch64"))]
pub const O_DIRECTORY: c_int = 0o200000;
#[cfg(target_arch = "aarch64")]
pub const O_NOFOLLOW: c_int = 0o100000;
#[cfg(not(target_arch = "aarch64"))]
pub const O_NOFOLLOW: c_int = 0o400000;

// access(2) modes (unistd.h)
pub const F_OK: c_int = 0;
pub const X_OK: c_int = 1;
pub const W_OK: c_int = 2;
pub const R_OK: c_int = 4;

// utimensat(2) (fcntl.h, linux/stat.h)
const AT_FDCWD: c_int = -100;
/// tv_nsec value meaning "the current time".
const UTIME_NOW: i64 = (1 << 30) - 1;

#[repr(C)]
#[derive(Clone, Copy)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

// poll(2) events
const POLLIN: i16 = 0x1;
const POLLOUT: i16 = 0x4;

#[repr(C)]
struct SockaddrNl {
    nl_family: u16,
    nl_pad: u16,
    nl_pid: u32,
    nl_groups: u32,
}

#[repr(C)]
struct PollFd {
    fd: c_int,
    events: i16,
    revents: i16,
}

extern "C" {
    fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int;
    fn bind(fd: c_int, addr: *const SockaddrNl, len: u32) -> c_int;
    fn setsockopt(fd: c_int, level: c_int, name: c_int, value: *const c_void, len: u32) -> c_int;
    fn send(fd: c_int, buf: *const c_void, len: usize, flags: c_int) -> isize;
    fn recv(fd: c_int, buf: *mut c_void, len: usize, flags: c_int) -> isize;
    fn close(fd: c_int) -> c_int;
    fn setns(fd: c_int, nstype: c_int) -> c_int;
    fn unshare(flags: c_int) -> c_int;
    fn mount(src: *const c_char, target: *const c_char, fstype: *const c_char, flags: c_ulong, data: *const c_void) -> c_int;
    fn umount2(target: *const c_char, flags: c_int) -> c_int;
    fn flock(fd: c_int, op: c_int) -> c_int;
    fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    fn read(fd: c_int, buf: *mut c_void, len: usize) -> isize;
    fn write(fd: c_int, buf: *const c_void, len: usize) -> isize;
    fn poll(fds: *mut PollFd, count: c_ulong, timeout_ms: c_int) -> c_int;
    fn open(path: *const c_char, flags: c_int, ...) -> c_int;
    fn access(path: *const c_char, mode: c_int) -> c_int;
    fn utimensat(dirfd: c_int, path: *const c_char, times: *const Timespec, flags: c_int) -> c_int;
    #[cfg(test)]
    fn getsockopt(fd: c_int, level: c_int, name: c_int, value: *mut c_void, len: *mut u32) -> c_int;
    #[cfg(test)]
    fn socketpair(domain: c_int, ty: c_int, protocol: c_int, fds: *mut c_int) -> c_int;
}

/// A connected AF_UNIX datagram pair: lets tests play the kernel's side of a netlink conversation.
#[cfg(test)]
pub fn datagram_pair() -> io::Result<(c_int, c_int)> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: fds has room for the two descriptors socketpair writes.
    check(unsafe { socketpair(1, 2 | SOCK_CLOEXEC, 0, fds.as_mut_ptr()) })?;
    Ok((fds[0], fds[1]))
}

fn check(ret: c_int) -> io::Result<c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn cstr(text: &str) -> io::Result<CString> {
    CString::new(text).map_err(|_| io::Error::from_raw_os_error(EINVAL))
}

/// A netlink socket of `protocol` (NETLINK_ROUTE, NETLINK_NETFILTER), bound to a kernel-chosen port id,
/// asking for extended and capped acks.
pub fn netlink_socket(protocol: c_int) -> io::Result<c_int> {
    // SAFETY: plain syscalls on integers and a stack struct whose size we pass.
    unsafe {
        let fd = check(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol))?;
        let one: c_int = 1;
        // Both are best effort: older kernels lack them and acks still work.
        setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one as *const c_int as *const c_void, 4);
        setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one as *const c_int as *const c_void, 4);
        let addr = SockaddrNl { nl_family: AF_NETLINK as u16, nl_pad: 0, nl_pid: 0, nl_groups: 0 };
        if bind(fd, &addr, std::mem::size_of::<SockaddrNl>() as u32) < 0 {
            let err = io::Error::last_os_error();
            close(fd);
            return Err(err);
        }
        Ok(fd)
    }
}

/// Set a socket buffer size with `forced` (past the sysctl cap), or with `plain` (capped) where the caller
/// lacks CAP_NET_ADMIN. The kernel doubles the value for its bookkeeping, so the room is at least `bytes`.
fn set_buffer_size(fd: c_int, forced: c_int, plain: c_int, bytes: usize) -> io::Result<()> {
    let value: c_int = bytes.min(c_int::MAX as usize / 2) as c_int;
    let set = |name: c_int| -> io::Result<c_int> {
        // SAFETY: a c_int on the stack and its size.
        check(unsafe { setsockopt(fd, SOL_SOCKET, name, &value as *const c_int as *const c_void, std::mem::size_of::<c_int>() as u32) })
    };
    match set(forced) {
        Err(e) if e.raw_os_error() == Some(EPERM) => set(plain).map(|_| ()),
        other => other.map(|_| ()),
    }
}

/// Let one datagram of `bytes` through: netlink refuses a send larger than the send buffer (EMSGSIZE).
pub fn grow_send_buffer(fd: c_int, bytes: usize) -> io::Result<()> {
    set_buffer_size(fd, SO_SNDBUFFORCE, SO_SNDBUF, bytes)
}

/// Room for `bytes` of queued answers: past the receive buffer the kernel drops them (ENOBUFS).
pub fn grow_receive_buffer(fd: c_int, bytes: usize) -> io::Result<()> {
    set_buffer_size(fd, SO_RCVBUFFORCE, SO_RCVBUF, bytes)
}

pub fn send_all(fd: c_int, buf: &[u8]) -> io::Result<()> {
    loop {
        // SAFETY: buf is a valid slice for its length.
        let n = unsafe { send(fd, buf.as_ptr() as *const c_void, buf.len(), 0) };
        if n >= 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(EINTR) {
            return Err(err);
        }
    }
}

/// Receive one datagram into `buf`, growing it first if the next datagram is larger.
pub fn recv_datagram(fd: c_int, buf: &mut Vec<u8>) -> io::Result<usize> {
    loop {
        // SAFETY: buf is valid for buf.len() bytes; MSG_PEEK|MSG_TRUNC only reports the size.
        let n = unsafe { recv(fd, buf.as_mut_ptr() as *mut c_void, 0, MSG_PEEK | MSG_TRUNC) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(EINTR) {
                continue;
            }
            return Err(err);
        }
        if n as usize > buf.len() {
            buf.resize(n as usize, 0);
        }
        // SAFETY: as above.
        let n = unsafe { recv(fd, buf.as_mut_ptr() as *mut c_void, buf.len(), 0) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(EINTR) {
                continue;
            }
            return Err(err);
        }
        return Ok(n as usize);
    }
}

/// read(2) into `buf`, retried on EINTR; 0 means end of file. EAGAIN is returned to the caller.
pub fn read_some(fd: c_int, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe { read(fd, buf.as_mut_ptr() as *mut c_void, buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(EINTR) {
            return Err(err);
        }
    }
}

/// write(2) from `buf`, retried on EINTR; returns how much was written. EAGAIN is returned to the caller.
pub fn write_some(fd: c_int, buf: &[u8]) -> io::Result<usize> {
    loop {
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe { write(fd, buf.as_ptr() as *const c_void, buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(EINTR) {
            return Err(err);
        }
    }
}

/// Wait until `fd` can be written (or is hung up / in error, which the next write reports): for a
/// non-blocking fd that said EAGAIN.
pub fn wait_writable(fd: c_int) -> io::Result<()> {
    let mut entry = PollFd { fd, events: POLLOUT, revents: 0 };
    loop {
        // SAFETY: one PollFd on the stack, count 1; -1 = no timeout.
        match check(unsafe { poll(&mut entry, 1, -1) }) {
            Err(e) if e.raw_os_error() == Some(EINTR) => continue,
            other => return other.map(|_| ()),
        }
    }
}

/// Wait until `fd` is readable (or at end of file / hung up): for a non-blocking fd that said EAGAIN.
pub fn wait_readable(fd: c_int) -> io::Result<()> {
    let mut entry = PollFd { fd, events: POLLIN, revents: 0 };
    loop {
        // SAFETY: one PollFd on the stack, count 1; -1 = no timeout.
        match check(unsafe { poll(&mut entry, 1, -1) }) {
            Err(e) if e.raw_os_error() == Some(EINTR) => continue,
            other => return other.map(|_| ()),
        }
    }
}

pub fn close_fd(fd: c_int) {
    // SAFETY: closing an fd the caller owns.
    unsafe {
        close(fd);
    }
}

/// close(2), reporting failure (EBADF for an fd that is not open). Not retried on EINTR: Linux has
/// released the fd by then.
pub fn close_checked(fd: c_int) -> io::Result<()> {
    // SAFETY: closing an fd the caller owns.
    check(unsafe { close(fd) }).map(|_| ())
}

/// open(2) with O_CLOEXEC always added; `mode` applies when O_CREAT creates the file. Retried on EINTR.
pub fn open_path(path: &str, flags: c_int, mode: u32) -> io::Result<c_int> {
    let path = cstr(path)?;
    loop {
        // SAFETY: NUL-terminated path alive for the call; the variadic mode is passed as an unsigned int.
        match check(unsafe { open(path.as_ptr(), flags | O_CLOEXEC, mode as std::os::raw::c_uint) }) {
            Err(e) if e.raw_os_error() == Some(EINTR) => continue,
            other => return other,
        }
    }
}

/// access(2): may the real user read/write/execute `path` (F_OK: does it exist)?
pub fn access_path(path: &str, mode: c_int) -> io::Result<()> {
    let path = cstr(path)?;
    // SAFETY: NUL-terminated path alive for the call.
    check(unsafe { access(path.as_ptr(), mode) }).map(|_| ())
}

/// Set the access and modification times of `path` (following symlinks) to `seconds` + `nanoseconds`
/// after the epoch, or to the current time when `time` is None.
pub fn set_times(path: &str, time: Option<(i64, i64)>) -> io::Result<()> {
    let path = cstr(path)?;
    let stamp = match time {
        Some((seconds, nanoseconds)) => Timespec { tv_sec: seconds, tv_nsec: nanoseconds },
        None => Timespec { tv_sec: 0, tv_nsec: UTIME_NOW },
    };
    let times = [stamp, stamp];
    // SAFETY: NUL-terminated path and an array of two timespecs, both alive for the call.
    check(unsafe { utimensat(AT_FDCWD, path.as_ptr(), times.as_ptr(), 0) }).map(|_| ())
}

/// Switch the calling thread into the network namespace `fd` refers to.
pub fn setns_net(fd: c_int) -> io::Result<()> {
    // SAFETY: plain syscall.
    check(unsafe { setns(fd, CLONE_NEWNET) }).map(|_| ())
}

/// Give the calling thread a new, empty network namespace.
pub fn unshare_net() -> io::Result<()> {
    // SAFETY: plain syscall.
    check(unsafe { unshare(CLONE_NEWNET) }).map(|_| ())
}

/// The CLONE_NEW* type of the namespace an nsfs fd refers to (ENOTTY if it is not a namespace).
pub fn ns_type(fd: c_int) -> io::Result<c_int> {
    // SAFETY: NS_GET_NSTYPE takes no argument and returns the type.
    check(unsafe { ioctl(fd, NS_GET_NSTYPE) })
}

pub fn mount_call(src: Option<&str>, target: &str, fstype: Option<&str>, flags: c_ulong) -> io::Result<()> {
    let src = src.map(cstr).transpose()?;
    let target = cstr(target)?;
    let fstype = fstype.map(cstr).transpose()?;
    // SAFETY: all pointers are NUL-terminated strings alive for the call, or null.
    check(unsafe {
        mount(
            src.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            target.as_ptr(),
            fstype.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            flags,
            std::ptr::null(),
        )
    })
    .map(|_| ())
}

pub fn umount_detach(target: &str) -> io::Result<()> {
    let target = cstr(target)?;
    // SAFETY: NUL-terminated string alive for the call.
    check(unsafe { umount2(target.as_ptr(), MNT_DETACH) }).map(|_| ())
}

/// flock(2), retried on EINTR.
pub fn flock_fd(fd: c_int, op: c_int) -> io::Result<()> {
    loop {
        // SAFETY: plain syscall on an integer fd.
        match check(unsafe { flock(fd, op) }) {
            Err(e) if e.raw_os_error() == Some(EINTR) => continue,
            other => return other.map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer_size(fd: c_int, name: c_int) -> c_int {
        let mut value: c_int = 0;
        let mut len = std::mem::size_of::<c_int>() as u32;
        // SAFETY: a c_int on the stack and its size.
        check(unsafe { getsockopt(fd, SOL_SOCKET, name, &mut value as *mut c_int as *mut c_void, &mut len) }).unwrap();
        value
    }

    #[test]
    fn buffers_grow_past_their_defaults() {
        let fd = netlink_socket(NETLINK_NETFILTER).unwrap();
        let (send_before, receive_before) = (buffer_size(fd, SO_SNDBUF), buffer_size(fd, SO_RCVBUF));
        let wanted = 4 * 1024 * 1024;
        grow_send_buffer(fd, wanted).unwrap();
        grow_receive_buffer(fd, wanted).unwrap();
        let (send_after, receive_after) = (buffer_size(fd, SO_SNDBUF), buffer_size(fd, SO_RCVBUF));
        assert!(send_after > send_before, "send buffer {} -> {}", send_before, send_after);
        assert!(receive_after > receive_before, "receive buffer {} -> {}", receive_before, receive_after);
        // With CAP_NET_ADMIN the *FORCE options pass the sysctl caps: the kernel keeps twice the value.
        if send_after as usize >= 2 * wanted {
            assert_eq!(receive_after as usize, 2 * wanted);
        }
        close_fd(fd);
    }
}
