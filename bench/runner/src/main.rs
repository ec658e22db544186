//! The measuring half of `bench/run`: reads a plan on stdin, runs its calls one after the other and prints
//! one JSON line per call with the wall time and the child's rusage (minor/major page faults, peak RSS,
//! CPU time). Node's spawnSync gives no rusage and adds its own noise, so the timed spawn happens here:
//! a small std-only program (crates.io is unreachable) that forks/execs and reaps with `wait4`.
//!
//! Plan (one directive per line, `KEY<TAB>VALUE`; the harness in bench/lib/plan.ts writes it):
//!
//!   netns    <path>    enter this network namespace (with /sys remounted, as `ip netns exec` does): the
//!                      plugins' "host" for the calls that follow; between calls it moves the runner (untimed)
//!   capture  <dir>     where each call's stdout/stderr go (`<dir>/out.<copy>`, `<dir>/err.<copy>`)
//!   call     <tag>     starts a call; the tag is echoed in its result line and names it in errors
//!   key      <name>    keep this call's stdout under this name for a later `prev`
//!   arg      <value>   argv, program first
//!   env      K=V       the call's whole environment is these (plus nothing inherited)
//!   stdin    <path>    file fed on stdin (default: empty)
//!   prev     <name>    add `"prevResult": <stdout of the latest call keyed so>` to the stdin JSON object
//!   expect   <code>    exit status the call must end with (default 0); anything else aborts the plan
//!   parallel <n>       start n copies at once (`{i}` in args/env becomes 0..n-1); wall = until the last exits
//!   end                runs the call
//!
//! Output per call: {"tag":..,"wallNs":..,"minflt":..,"majflt":..,"maxrssKb":..,"utimeUs":..,"stimeUs":..}
//! (for parallel calls: faults and CPU summed, peak RSS the largest). A failed call prints its stdout
//! and stderr on stderr and exits 1, so the harness never averages failures.
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};
use std::fs::{self, File};
use std::io::{self, BufRead, Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::ptr;
use std::time::Instant;

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct Timeval {
    tv_sec: i64,
    tv_usec: i64,
}

/// struct rusage of Linux x86_64/aarch64: two timevals, then fourteen longs.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct Rusage {
    ru_utime: Timeval,
    ru_stime: Timeval,
    ru_maxrss: i64,
    ru_ixrss: i64,
    ru_idrss: i64,
    ru_isrss: i64,
    ru_minflt: i64,
    ru_majflt: i64,
    ru_nswap: i64,
    ru_inblock: i64,
    ru_oublock: i64,
    ru_msgsnd: i64,
    ru_msgrcv: i64,
    ru_nsignals: i64,
    ru_nvcsw: i64,
    ru_nivcsw: i64,
}

extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
    fn setns(fd: i32, nstype: i32) -> i32;
    fn unshare(flags: i32) -> i32;
    fn mount(
        source: *const c_char,
        target: *const c_char,
        fstype: *const c_char,
        flags: u64,
        data: *const c_void,
    ) -> i32;
    fn umount2(target: *const c_char, flags: i32) -> i32;
}

const CLONE_NEWNET: i32 = 0x4000_0000;
const CLONE_NEWNS: i32 = 0x0002_0000;
const MS_REC: u64 = 0x4000;
const MS_SLAVE: u64 = 1 << 19;
const MNT_DETACH: i32 = 2;

#[derive(Default, Clone)]
struct Call {
    tag: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
    prev: Option<String>,
    key: Option<String>,
    expect: i32,
    parallel: usize,
}

struct Measured {
    wall_ns: u128,
    usage: Rusage,
}

fn fail(message: &str) -> ! {
    eprintln!("cni-bench-runner: {message}");
    std::process::exit(1);
}

/// Enters the namespace as `ip netns exec` does: the network namespace, plus a private mount namespace
/// whose /sys is a fresh sysfs, so /sys/class/net shows this namespace's links, not the machine's. The
/// private mount namespace is made once; a later switch only moves the network namespace and remounts /sys
/// (a sysfs shows the network namespace of whoever mounted it).
fn enter_netns(path: &str, mounts_private: &mut bool) {
    let file = File::open(path).unwrap_or_else(|e| fail(&format!("open {path}: {e}")));
    let check = |r: i32, what: &str| {
        if r != 0 {
            fail(&format!("{what} ({path}): {}", io::Error::last_os_error()));
        }
    };
    let root = CString::new("/").unwrap_or_default();
    let sys = CString::new("/sys").unwrap_or_default();
    let sysfs = CString::new("sysfs").unwrap_or_default();
    // SAFETY: valid fd and NUL-terminated strings; single-threaded, so the whole process moves. The
    // mount changes happen only in the new mount namespace, made a slave first so nothing propagates back.
    unsafe {
        check(setns(file.as_raw_fd(), CLONE_NEWNET), "setns");
        if !*mounts_private {
            check(unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)");
            check(
                mount(
                    ptr::null(),
                    root.as_ptr(),
                    ptr::null(),
                    MS_SLAVE | MS_REC,
                    ptr::null(),
                ),
                "mount --make-rslave /",
            );
            *mounts_private = true;
        }
        check(umount2(sys.as_ptr(), MNT_DETACH), "umount /sys");
        check(
            mount(sysfs.as_ptr(), sys.as_ptr(), sysfs.as_ptr(), 0, ptr::null()),
            "mount sysfs /sys",
        );
    }
}

/// Reaps `pid` with its rusage, retrying on EINTR.
fn reap(pid: u32) -> (ExitStatus, Rusage) {
    let mut status: i32 = 0;
    let mut usage = Rusage::default();
    loop {
        // SAFETY: pointers to live locals; pid is our own child, not yet reaped.
        let r = unsafe { wait4(pid as i32, &mut status, 0, &mut usage) };
        if r == pid as i32 {
            return (ExitStatus::from_raw(status), usage);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            fail(&format!("wait4 {pid}: {e}"));
        }
    }
}

/// The stdin JSON object with `"prevResult": <result>` appended before its closing brace.
fn with_prev_result(config: &str, result: &str) -> String {
    let body = config.trim_end();
    let Some(body) = body.strip_suffix('}') else {
        fail("stdin with prev: the config is not a JSON object")
    };
    let empty = body.trim_end().ends_with('{');
    format!(
        "{}{}\"prevResult\":{}}}",
        body,
        if empty { "" } else { "," },
        result.trim()
    )
}

fn run(call: &Call, capture: &str, outputs: &mut HashMap<String, String>) -> Measured {
    let stdin_bytes: Option<Vec<u8>> = match (&call.stdin, &call.prev) {
        (Some(path), None) => {
            Some(fs::read(path).unwrap_or_else(|e| fail(&format!("read {path}: {e}"))))
        }
        (Some(path), Some(tag)) => {
            let config =
                fs::read_to_string(path).unwrap_or_else(|e| fail(&format!("read {path}: {e}")));
            let Some(result) = outputs.get(tag) else {
                fail(&format!(
                    "{}: prev {tag}: no earlier call with that key",
                    call.tag
                ))
            };
            Some(with_prev_result(&config, result).into_bytes())
        }
        (None, Some(_)) => fail("prev needs stdin"),
        (None, None) => None,
    };
    let copies = call.parallel.max(1);
    // stdin comes from a file written before the clock starts, so no pipe writing is timed
    let mut stdin_paths = Vec::with_capacity(copies);
    for i in 0..copies {
        let path = format!("{capture}/in.{i}");
        fs::write(&path, stdin_bytes.as_deref().unwrap_or(b""))
            .unwrap_or_else(|e| fail(&format!("write {path}: {e}")));
        stdin_paths.push(path);
    }
    let mut commands = Vec::with_capacity(copies);
    for (i, stdin_path) in stdin_paths.iter().enumerate() {
        let subst = |s: &str| {
            if copies > 1 {
                s.replace("{i}", &i.to_string())
            } else {
                s.to_string()
            }
        };
        let mut command = Command::new(subst(&call.args[0]));
        command.args(call.args[1..].iter().map(|a| subst(a)));
        command.env_clear();
        for (k, v) in &call.env {
            command.env(k, subst(v));
        }
        let open = |p: &str| File::open(p).unwrap_or_else(|e| fail(&format!("open {p}: {e}")));
        let create =
            |p: &str| File::create(p).unwrap_or_else(|e| fail(&format!("create {p}: {e}")));
        command.stdin(Stdio::from(open(stdin_path)));
        command.stdout(Stdio::from(create(&format!("{capture}/out.{i}"))));
        command.stderr(Stdio::from(create(&format!("{capture}/err.{i}"))));
        commands.push(command);
    }
    let start = Instant::now();
    let mut children = Vec::with_capacity(copies);
    for command in commands.iter_mut() {
        match command.spawn() {
            Ok(child) => children.push(child),
            Err(e) => fail(&format!("{}: spawn {}: {e}", call.tag, call.args[0])),
        }
    }
    let mut total = Rusage::default();
    let mut statuses = Vec::with_capacity(copies);
    for child in &children {
        let (status, usage) = reap(child.id());
        total.ru_minflt += usage.ru_minflt;
        total.ru_majflt += usage.ru_majflt;
        total.ru_maxrss = total.ru_maxrss.max(usage.ru_maxrss);
        total.ru_utime.tv_usec += usage.ru_utime.tv_sec * 1_000_000 + usage.ru_utime.tv_usec;
        total.ru_stime.tv_usec += usage.ru_stime.tv_sec * 1_000_000 + usage.ru_stime.tv_usec;
        statuses.push(status);
    }
    let wall_ns = start.elapsed().as_nanos();
    drop(children); // already reaped by wait4; dropping a std Child neither waits nor kills
    for (i, status) in statuses.iter().enumerate() {
        if status.code() != Some(call.expect) {
            let read = |p: String| {
                let mut s = String::new();
                let _ = File::open(p).and_then(|mut f| f.read_to_string(&mut s));
                s
            };
            eprintln!(
                "cni-bench-runner: {} copy {i}: {} ended with {status} (expected {}); stdout: {}; stderr: {}",
                call.tag,
                call.args.join(" "),
                call.expect,
                read(format!("{capture}/out.{i}")).trim(),
                read(format!("{capture}/err.{i}")).trim()
            );
            std::process::exit(1);
        }
    }
    // kept for a later call's `prev` (a CHECK or DEL gets the ADD's result, as a runtime passes it)
    if let Some(key) = &call.key {
        let out = fs::read_to_string(format!("{capture}/out.0")).unwrap_or_default();
        outputs.insert(key.clone(), out);
    }
    Measured {
        wall_ns,
        usage: total,
    }
}

fn main() {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut capture = String::from("/tmp");
    let mut call: Option<Call> = None;
    let mut outputs: HashMap<String, String> = HashMap::new();
    let mut mounts_private = false;
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.unwrap_or_else(|e| fail(&format!("reading the plan: {e}")));
        if line.is_empty() {
            continue;
        }
        let (key, value) = line.split_once('\t').unwrap_or((line.as_str(), ""));
        let bad = |what: &str| -> ! { fail(&format!("plan line {}: {what}: {line}", n + 1)) };
        match (key, call.as_mut()) {
            ("netns", None) => enter_netns(value, &mut mounts_private),
            ("capture", None) => capture = value.to_string(),
            ("call", None) => {
                call = Some(Call {
                    tag: value.to_string(),
                    parallel: 1,
                    ..Call::default()
                })
            }
            ("arg", Some(c)) => c.args.push(value.to_string()),
            ("env", Some(c)) => match value.split_once('=') {
                Some((k, v)) => c.env.push((k.to_string(), v.to_string())),
                None => bad("env needs K=V"),
            },
            ("stdin", Some(c)) => c.stdin = Some(value.to_string()),
            ("prev", Some(c)) => c.prev = Some(value.to_string()),
            ("key", Some(c)) => c.key = Some(value.to_string()),
            ("expect", Some(c)) => {
                c.expect = value
                    .parse()
                    .unwrap_or_else(|_| bad("expect needs a number"))
            }
            ("parallel", Some(c)) => {
                c.parallel = value
                    .parse()
                    .unwrap_or_else(|_| bad("parallel needs a number"))
            }
            ("end", Some(_)) => {
                let c = call.take().unwrap_or_else(|| bad("end without call"));
                if c.args.is_empty() {
                    bad("call without arg");
                }
                let m = run(&c, &capture, &mut outputs);
                let u = m.usage;
                let micros = |t: Timeval| t.tv_sec * 1_000_000 + t.tv_usec;
                let _ = writeln!(
                    out,
                    "{{\"tag\":\"{}\",\"wallNs\":{},\"minflt\":{},\"majflt\":{},\"maxrssKb\":{},\"utimeUs\":{},\"stimeUs\":{}}}",
                    c.tag.replace('\\', "\\\\").replace('"', "\\\""),
                    m.wall_ns,
                    u.ru_minflt,
                    u.ru_majflt,
                    u.ru_maxrss,
                    micros(u.ru_utime),
                    micros(u.ru_stime)
                );
            }
            _ => bad("unexpected directive here"),
        }
    }
    if call.is_some() {
        fail("plan ends inside a call");
    }
    let _ = out.flush();
}
