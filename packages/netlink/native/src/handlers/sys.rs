//! Host primitives the plugins need without loading node:fs: sysctls (inside a namespace), flock, reading
//! a whole fd (stdin), writing all of one (stdout), and a file's identity (st_dev/st_ino).

use crate::error::{Error, Result};
use crate::files;
use crate::js::args::{arg_opt_string, arg_string, arg_u32};
use crate::napi::{napi_value, Args, Env, Export};
use crate::netns::{self, LockMode};

pub static EXPORTS: &[Export] = &[
    export!("sysctlGet", sysctl_get),
    export!("sysctlSet", sysctl_set),
    export!("sysctlGetMany", sysctl_get_many),
    export!("sysctlExchange", sysctl_exchange),
    export!("flock", flock),
    export!("readFd", read_fd),
    export!("writeFd", write_fd),
    export!("fileIdentity", file_identity),
];

/// sysctlGet(nsPath | null, key)
fn sysctl_get(env: &Env, args: &Args) -> Result<napi_value> {
    let ns = arg_opt_string(env, args, 0, "namespace path")?;
    let key = arg_string(env, args, 1, "sysctl key")?;
    let value = netns::sysctl_get(ns.as_deref(), &key).map_err(|e| e.about("sysctlGet", key.clone()))?;
    Ok(env.string(&value))
}
/// sysctlSet(nsPath | null, key, value)
fn sysctl_set(env: &Env, args: &Args) -> Result<napi_value> {
    let ns = arg_opt_string(env, args, 0, "namespace path")?;
    let key = arg_string(env, args, 1, "sysctl key")?;
    let value = arg_string(env, args, 2, "sysctl value")?;
    netns::sysctl_set(ns.as_deref(), &key, &value).map_err(|e| e.about("sysctlSet", key.clone()))?;
    Ok(env.undefined())
}
/// sysctlGetMany(nsPath | null, keys: NUL-terminated keys concatenated) -> string[]
fn sysctl_get_many(env: &Env, args: &Args) -> Result<napi_value> {
    let ns = arg_opt_string(env, args, 0, "namespace path")?;
    let keys = nul_terminated(&arg_string(env, args, 1, "sysctl keys")?);
    let values = netns::sysctl_get_many(ns.as_deref(), &keys)?;
    Ok(env.array(values.iter().map(|value| env.string(value)).collect()))
}
/// sysctlExchange(nsPath | null, entries: key and value, each NUL-terminated, concatenated) -> (string | null)[]
fn sysctl_exchange(env: &Env, args: &Args) -> Result<napi_value> {
    let ns = arg_opt_string(env, args, 0, "namespace path")?;
    let items = nul_terminated(&arg_string(env, args, 1, "sysctl entries")?);
    if items.len() % 2 != 0 {
        return Err(Error::invalid("sysctl entries must alternate key and value").about("sysctlExchange", ""));
    }
    let entries: Vec<(String, String)> = items.chunks(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect();
    let previous = netns::sysctl_exchange(ns.as_deref(), &entries)?;
    Ok(env.array(previous.iter().map(|old| old.as_deref().map_or_else(|| env.null(), |text| env.string(text))).collect()))
}
/// "a\0b\0" -> ["a", "b"] (the form JS sends string lists in, as for netnsExec's argv)
fn nul_terminated(joined: &str) -> Vec<String> {
    let mut items: Vec<String> = joined.split('\0').map(str::to_string).collect();
    items.pop(); // after the last NUL
    items
}
/// flock(fd, "exclusive" | "shared" | "unlock", tryOnly) -> acquired
fn flock(env: &Env, args: &Args) -> Result<napi_value> {
    let fd = arg_u32(env, args, 0, "file descriptor")?;
    let mode = match arg_string(env, args, 1, "lock mode")?.as_str() {
        "exclusive" => LockMode::Exclusive,
        "shared" => LockMode::Shared,
        "unlock" => LockMode::Unlock,
        other => return Err(Error::invalid(format!("lock mode {:?} is not exclusive, shared or unlock", other))),
    };
    let try_only = args.get(env, 2).map(|v| env.to_bool(v)).transpose()?.unwrap_or(false);
    let acquired = netns::flock(fd as i32, mode, try_only).map_err(|e| e.about("flock", format!("fd {}", fd)))?;
    Ok(env.boolean(acquired))
}

/// readFd(fd, maxBytes) -> Buffer: the fd's whole content (EFBIG past maxBytes).
fn read_fd(env: &Env, args: &Args) -> Result<napi_value> {
    let fd = arg_u32(env, args, 0, "file descriptor")?;
    let max = arg_u32(env, args, 1, "maxBytes")?;
    let content = files::read_fd(fd as i32, max as usize).map_err(|e| e.about("readFd", format!("fd {}", fd)))?;
    env.buffer(&content)
}

/// writeFd(fd, data: string | Uint8Array): all of it (a full non-blocking fd is polled, not EAGAIN).
fn write_fd(env: &Env, args: &Args) -> Result<napi_value> {
    let fd = arg_u32(env, args, 0, "file descriptor")?;
    let data = env.to_bytes(crate::js::args::arg(env, args, 1, "data")?)?;
    files::write_fd(fd as i32, &data).map_err(|e| e.about("writeFd", format!("fd {}", fd)))?;
    Ok(env.undefined())
}

/// fileIdentity(path) -> {dev: string, ino: string}: decimal st_dev/st_ino (exact beyond 2^53), symlinks
/// followed.
fn file_identity(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    let (dev, ino) = files::file_identity(&path).map_err(|e| e.about("fileIdentity", path.clone()))?;
    let o = env.object();
    env.set_str(o, c"dev", &dev.to_string());
    env.set_str(o, c"ino", &ino.to_string());
    Ok(o)
}
