//! Connection tracking (ctnetlink, on a NETLINK_NETFILTER socket opened with `open(nsPath, 12)`): deleting
//! entries by protocol and original destination port. The JS side is packages/netlink/src/conntrack.ts.

use crate::conntrack;
use crate::error::{Error, Result};
use crate::js::args::{arg, arg_u32, socket, to_u32};
use crate::napi::{napi_value, Args, Env, Export};
use std::ffi::CString;

pub static EXPORTS: &[Export] = &[export!("conntrackDeleteByDstPort", conntrack_delete_by_dst_port)];

/// At most this many ports per call (a config lists a handful).
const MAX_PORTS: usize = 65535;

/// conntrackDeleteByDstPort(fd, family: 0 | 2 | 10, protocol: number, ports: number[], replySource?: Uint8Array) -> number deleted
fn conntrack_delete_by_dst_port(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let family = arg_u32(env, args, 1, "family")?;
    let protocol = arg_u32(env, args, 2, "protocol")?;
    if family > u8::MAX as u32 || protocol > u8::MAX as u32 {
        return Err(Error::invalid("family and protocol must be bytes"));
    }
    let list = arg(env, args, 3, "ports")?;
    let length = env.get(list, c"length").map(|v| to_u32(env, v, "ports.length")).transpose()?.ok_or_else(|| Error::invalid("ports must be an array"))? as usize;
    if length > MAX_PORTS {
        return Err(Error::invalid("too many ports"));
    }
    let mut ports = Vec::with_capacity(length);
    for i in 0..length {
        let index = CString::new(i.to_string()).map_err(|_| Error::invalid("ports"))?;
        let value = env.get(list, &index).ok_or_else(|| Error::invalid("ports must hold numbers"))?;
        let port = to_u32(env, value, "port")?;
        if port > u16::MAX as u32 {
            return Err(Error::invalid(format!("port {} is not a port number", port)));
        }
        ports.push(port as u16);
    }
    let reply_src = args.get(env, 4).map(|value| env.to_bytes(value)).transpose()?;
    if reply_src.as_ref().is_some_and(|address| address.len() != 4 && address.len() != 16) {
        return Err(Error::invalid("replySource must be 4 or 16 bytes"));
    }
    let deleted = conntrack::delete_by_dst_port(sock, family as u8, protocol as u8, &ports, reply_src.as_deref())?;
    Ok(env.number(deleted as f64))
}
