//! open / close: one netlink socket per JS handle, created inside the handle's namespace.

use crate::error::{Error, Result};
use crate::js::args::{arg_opt_string, socket, to_u32};
use crate::napi::{napi_value, Args, Env, Export};
use crate::netns;
use crate::socket::{Protocol, Socket};

pub static EXPORTS: &[Export] = &[export!("open", open), export!("close", close)];

/// open(nsPath: string | null, protocol?: number = NETLINK_ROUTE) -> fd. The socket is created inside the
/// namespace and stays bound to it.
fn open(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_opt_string(env, args, 0, "namespace path")?;
    let protocol = match args.get(env, 1) {
        None => Protocol::Route,
        Some(value) => {
            let number = to_u32(env, value, "netlink protocol")?;
            Protocol::from_number(number as i32).ok_or_else(|| Error::invalid(format!("netlink protocol {} is not NETLINK_ROUTE (0) or NETLINK_NETFILTER (12)", number)))?
        }
    };
    let sock = match &path {
        Some(p) => netns::run_in(p, || Socket::open(protocol)).map_err(|e| e.about("open", p.clone()))?,
        None => Socket::open(protocol)?,
    };
    Ok(env.number(sock.fd as f64))
}

fn close(env: &Env, args: &Args) -> Result<napi_value> {
    socket(env, args)?.close();
    Ok(env.undefined())
}
