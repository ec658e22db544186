//! Running a command inside a network namespace, as `ip netns exec` does but without iproute2: fork, the
//! child joins the namespace with setns(2) and execve(2)s the command; the caller waits for it. A compiled
//! Bun executable (cnitool) can do this itself, so nothing needs `ip netns` or nsenter to run a container.

use crate::error::{Error, Result};
use crate::js::args::{arg, arg_string};
use crate::napi::{napi_value, Args, Env, Export};
use crate::netns;
use crate::sys;
use std::ffi::{c_char, c_int, c_void, CString};
use std::os::fd::AsRawFd;

pub static EXPORTS: &[Export] = &[export!("netnsExec", netns_exec)];

extern "C" {
    fn fork() -> c_int;
    fn execve(path: *const c_char, argv: *const *const c_char, envp: *const *const c_char) -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn pipe2(fds: *mut c_int, flags: c_int) -> c_int;
    fn write(fd: c_int, buf: *const c_void, len: usize) -> isize;
    fn read(fd: c_int, buf: *mut c_void, len: usize) -> isize;
    fn close(fd: c_int) -> c_int;
    fn setns(fd: c_int, nstype: c_int) -> c_int;
    fn _exit(code: c_int) -> !;
    fn __errno_location() -> *mut c_int;
}

/// Exit status of a child that could not be started (as a shell reports "command not found").
const EXIT_CANNOT_EXEC: c_int = 127;
/// A signalled child reports 128 + signal number, as a shell does.
const EXIT_SIGNAL_BASE: f64 = 128.0;

fn errno() -> i32 {
    // SAFETY: glibc's thread-local errno.
    unsafe { *__errno_location() }
}

/// NUL-terminated strings ("a\0\0c\0") as CStrings; an empty string stays (`cmd a "" c` keeps its "").
fn split_nul(bytes: &[u8]) -> Vec<CString> {
    let mut parts: Vec<&[u8]> = bytes.split(|b| *b == 0).collect();
    // the piece after the last terminator is not a string
    parts.pop();
    parts.into_iter().map(|part| CString::new(part).expect("split at NUL")).collect()
}

/// netnsExec(nsPath, executable, argvNulSeparated, envNulSeparated) -> exit status (128+n when signalled).
/// The executable path is resolved by the caller (no PATH search here). A failure to join the namespace or
/// to exec is reported as an Error with the child's errno (the child tells it through a close-on-exec pipe).
fn netns_exec(env: &Env, args: &Args) -> Result<napi_value> {
    let ns_path = arg_string(env, args, 0, "namespace path")?;
    let executable = arg_string(env, args, 1, "executable path")?;
    let argv_bytes = env.to_bytes(arg(env, args, 2, "argv")?)?;
    let env_bytes = env.to_bytes(arg(env, args, 3, "environment")?)?;
    let ns = netns::open_netns(&ns_path).map_err(|e| e.about("netnsExec", ns_path.clone()))?;
    let program = CString::new(executable.clone()).map_err(|_| Error::invalid("executable path contains NUL"))?;
    let argv = split_nul(&argv_bytes);
    let envp = split_nul(&env_bytes);
    if argv.is_empty() {
        return Err(Error::invalid("argv must not be empty"));
    }
    // Everything the child touches is prepared before fork: after fork only syscalls run.
    let mut argv_ptrs: Vec<*const c_char> = argv.iter().map(|s| s.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut env_ptrs: Vec<*const c_char> = envp.iter().map(|s| s.as_ptr()).collect();
    env_ptrs.push(std::ptr::null());
    let mut fds = [0 as c_int; 2];
    // SAFETY: plain syscall with a 2-int array.
    if unsafe { pipe2(fds.as_mut_ptr(), sys::O_CLOEXEC) } < 0 {
        return Err(Error::os(errno()).about("netnsExec", "pipe2"));
    }
    let (read_end, write_end) = (fds[0], fds[1]);
    let ns_fd = ns.as_raw_fd();
    // SAFETY: the child only makes async-signal-safe syscalls (setns, execve, write, _exit) on memory
    // allocated before the fork.
    let pid = unsafe { fork() };
    if pid < 0 {
        let e = errno();
        unsafe {
            close(read_end);
            close(write_end);
        }
        return Err(Error::os(e).about("netnsExec", "fork"));
    }
    if pid == 0 {
        unsafe {
            close(read_end);
            let mut failed = setns(ns_fd, sys::CLONE_NEWNET) < 0;
            if !failed {
                execve(program.as_ptr(), argv_ptrs.as_ptr(), env_ptrs.as_ptr());
                failed = true;
            }
            if failed {
                let e = errno().to_ne_bytes();
                write(write_end, e.as_ptr() as *const c_void, e.len());
            }
            _exit(EXIT_CANNOT_EXEC);
        }
    }
    unsafe { close(write_end) };
    // The pipe closes on a successful exec (close-on-exec) with nothing written, or carries the errno.
    let mut errno_bytes = [0u8; 4];
    let mut got = 0usize;
    loop {
        // SAFETY: reading into a 4-byte buffer.
        let n = unsafe { read(read_end, errno_bytes.as_mut_ptr().add(got) as *mut c_void, errno_bytes.len() - got) };
        if n < 0 && errno() == sys::EINTR {
            continue;
        }
        if n <= 0 {
            break;
        }
        got += n as usize;
        if got == errno_bytes.len() {
            break;
        }
    }
    unsafe { close(read_end) };
    let mut status: c_int = 0;
    loop {
        // SAFETY: waiting for our own child.
        let r = unsafe { waitpid(pid, &mut status, 0) };
        if r < 0 && errno() == sys::EINTR {
            continue;
        }
        if r < 0 {
            return Err(Error::os(errno()).about("netnsExec", "waitpid"));
        }
        break;
    }
    if got == errno_bytes.len() {
        return Err(Error::os(i32::from_ne_bytes(errno_bytes)).about("netnsExec", executable));
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, as the glibc macros compute them
    let signal = status & 0x7f;
    let code = if signal == 0 { f64::from((status >> 8) & 0xff) } else { EXIT_SIGNAL_BASE + f64::from(signal) };
    Ok(env.number(code))
}

