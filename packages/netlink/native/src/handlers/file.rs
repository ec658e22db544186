//! File operations for code that must not load node:fs on its per-call path (host-local's lease store, the
//! lock of a network directory): see `files.rs`. Paths are strings; errors carry the errno's code and name
//! the request and the path.

use crate::error::{Error, Result};
use crate::files;
use crate::js::args::{arg, arg_string, arg_u32};
use crate::napi::{napi_value, Args, Env, Export};
use crate::sys;

pub static EXPORTS: &[Export] = &[
    export!("fileOpen", file_open),
    export!("fileClose", file_close),
    export!("fileRead", file_read),
    export!("fileWrite", file_write),
    export!("fileUnlink", file_unlink),
    export!("fileRename", file_rename),
    export!("fileStat", file_stat),
    export!("fileSetTimes", file_set_times),
    export!("fileAccess", file_access),
    export!("fileRealPath", file_real_path),
    export!("dirCreate", dir_create),
    export!("dirRemoveTree", dir_remove_tree),
    export!("dirList", dir_list),
];

/// fileOpen(path, flags, mode) -> fd (O_CLOEXEC added).
fn file_open(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    let flags = arg_u32(env, args, 1, "open flags")?;
    let mode = arg_u32(env, args, 2, "mode")?;
    let fd = files::open_file(&path, flags as i32, mode).map_err(|e| e.about("fileOpen", path.clone()))?;
    Ok(env.number(fd as f64))
}

/// fileClose(fd)
fn file_close(env: &Env, args: &Args) -> Result<napi_value> {
    let fd = arg_u32(env, args, 0, "file descriptor")?;
    files::close_file(fd as i32).map_err(|e| e.about("fileClose", format!("fd {}", fd)))?;
    Ok(env.undefined())
}

/// fileRead(path, maxBytes, asText, missingOk) -> string (UTF-8, invalid sequences replaced) | Buffer, or
/// null for a missing file when missingOk (an expected absence costs no exception on the JS side).
fn file_read(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    let max = arg_u32(env, args, 1, "maxBytes")?;
    let as_text = args.get(env, 2).map(|v| env.to_bool(v)).transpose()?.unwrap_or(false);
    let missing_ok = args.get(env, 3).map(|v| env.to_bool(v)).transpose()?.unwrap_or(false);
    let content = match files::read_file(&path, max as usize) {
        Err(e) if missing_ok && e.errno == sys::ENOENT => return Ok(env.null()),
        other => other.map_err(|e| e.about("fileRead", path.clone()))?,
    };
    if as_text {
        Ok(env.string(&String::from_utf8_lossy(&content)))
    } else {
        env.buffer(&content)
    }
}

/// fileWrite(path, data: string | Uint8Array, mode, exclusive)
fn file_write(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    let data = env.to_bytes(arg(env, args, 1, "data")?).map_err(|e| e.about("fileWrite", path.clone()))?;
    let mode = arg_u32(env, args, 2, "mode")?;
    let exclusive = args.get(env, 3).map(|v| env.to_bool(v)).transpose()?.unwrap_or(false);
    files::write_file(&path, &data, mode, exclusive).map_err(|e| e.about("fileWrite", path.clone()))?;
    Ok(env.undefined())
}

/// fileUnlink(path)
fn file_unlink(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    files::remove_file(&path).map_err(|e| e.about("fileUnlink", path.clone()))?;
    Ok(env.undefined())
}

/// fileRename(from, to)
fn file_rename(env: &Env, args: &Args) -> Result<napi_value> {
    let from = arg_string(env, args, 0, "source path")?;
    let to = arg_string(env, args, 1, "target path")?;
    files::rename(&from, &to).map_err(|e| e.about("fileRename", format!("{} -> {}", from, to)))?;
    Ok(env.undefined())
}

/// fileStat(path, followLinks = true) -> {dev, ino, mtimeNs: decimal strings; kind, mode, uid, size}
fn file_stat(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    let follow_links = args.get(env, 1).map(|v| env.to_bool(v)).transpose()?.unwrap_or(true);
    let status = files::file_status(&path, follow_links).map_err(|e| e.about("fileStat", path.clone()))?;
    let o = env.object();
    env.set_str(o, c"dev", &status.dev.to_string());
    env.set_str(o, c"ino", &status.ino.to_string());
    env.set_str(o, c"mtimeNs", &status.mtime_ns.to_string());
    env.set_str(o, c"kind", status.kind.name());
    env.set_num(o, c"mode", status.mode as f64);
    env.set_num(o, c"uid", status.uid as f64);
    env.set_num(o, c"size", status.size as f64);
    Ok(o)
}

/// fileSetTimes(path, seconds | null, nanoseconds): atime and mtime; null = now.
fn file_set_times(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    let time = match args.get(env, 1) {
        None => None,
        Some(value) => {
            let seconds = env.to_number(value).map_err(|e| e.with_detail("seconds must be a number"))?;
            if seconds.fract() != 0.0 || seconds.abs() > (1u64 << 53) as f64 {
                return Err(Error::invalid(format!("seconds must be an integer, got {}", seconds)));
            }
            let nanoseconds = arg_u32(env, args, 2, "nanoseconds")?;
            Some((seconds as i64, nanoseconds as i64))
        }
    };
    files::set_file_times(&path, time).map_err(|e| e.about("fileSetTimes", path.clone()))?;
    Ok(env.undefined())
}

/// fileAccess(path, "exists" | "read" | "write" | "execute"): throws EACCES/EROFS/ENOENT when not allowed.
/// fileRealPath(path) -> string: realpath(3), every symlink resolved.
fn file_real_path(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    let resolved = files::real_path(&path).map_err(|e| e.about("fileRealPath", path.clone()))?;
    Ok(env.string(&resolved))
}

fn file_access(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    let mode = match arg_string(env, args, 1, "access mode")?.as_str() {
        "exists" => sys::F_OK,
        "read" => sys::R_OK,
        "write" => sys::W_OK,
        "execute" => sys::X_OK,
        other => return Err(Error::invalid(format!("access mode {:?} is not exists, read, write or execute", other))),
    };
    files::check_access(&path, mode).map_err(|e| e.about("fileAccess", path.clone()))?;
    Ok(env.undefined())
}

/// dirCreate(path, mode): mkdir -p.
fn dir_create(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    let mode = arg_u32(env, args, 1, "mode")?;
    files::make_directory(&path, mode).map_err(|e| e.about("dirCreate", path.clone()))?;
    Ok(env.undefined())
}

/// dirRemoveTree(path): rm -rf (missing is fine).
fn dir_remove_tree(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    files::remove_tree(&path).map_err(|e| e.about("dirRemoveTree", path.clone()))?;
    Ok(env.undefined())
}

/// dirList(path) -> [{name, kind}]
fn dir_list(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "path")?;
    let entries = files::list_directory(&path).map_err(|e| e.about("dirList", path.clone()))?;
    let items = entries
        .iter()
        .map(|(name, kind)| {
            let o = env.object();
            env.set_str(o, c"name", name);
            env.set_str(o, c"kind", kind.name());
            o
        })
        .collect();
    Ok(env.array(items))
}
