//! Argument readers: JS values -> Rust values, each failure an EINVAL naming the argument.
//! Also the two rtnetlink lookups several handlers share (a link name -> its index / its full record).

use crate::error::{Error, Result};
use crate::link::{self, LinkRef};
use crate::napi::{napi_value, Args, Env, JsType};
use crate::nl;
use crate::socket::Socket;
use crate::sys;
use std::ffi::CStr;
use std::net::IpAddr;

pub fn arg(env: &Env, args: &Args, i: usize, what: &str) -> Result<napi_value> {
    args.get(env, i).ok_or_else(|| Error::invalid(format!("missing {}", what)))
}
pub fn arg_string(env: &Env, args: &Args, i: usize, what: &str) -> Result<String> {
    env.to_string(arg(env, args, i, what)?).map_err(|e| e.with_detail(format!("{} must be a string", what)))
}
pub fn arg_opt_string(env: &Env, args: &Args, i: usize, what: &str) -> Result<Option<String>> {
    args.get(env, i).map(|v| env.to_string(v).map_err(|e| e.with_detail(format!("{} must be a string", what)))).transpose()
}
pub fn to_u32(env: &Env, value: napi_value, what: &str) -> Result<u32> {
    let n = env.to_number(value).map_err(|e| e.with_detail(format!("{} must be a number", what)))?;
    if n < 0.0 || n > u32::MAX as f64 || n.fract() != 0.0 {
        return Err(Error::invalid(format!("{} must be an unsigned 32-bit integer, got {}", what, n)));
    }
    Ok(n as u32)
}
pub fn arg_u32(env: &Env, args: &Args, i: usize, what: &str) -> Result<u32> {
    to_u32(env, arg(env, args, i, what)?, what)
}
pub fn socket(env: &Env, args: &Args) -> Result<Socket> {
    let fd = arg_u32(env, args, 0, "socket")?;
    Ok(Socket { fd: fd as i32 })
}
/// A link named by string (name) or number (index).
pub fn arg_link(env: &Env, args: &Args, i: usize) -> Result<LinkRef> {
    let value = arg(env, args, i, "link")?;
    to_link(env, value)
}
pub fn to_link(env: &Env, value: napi_value) -> Result<LinkRef> {
    match env.type_of(value) {
        JsType::String => {
            let name = env.to_string(value)?;
            if name.is_empty() || name.len() >= 16 || name.contains('/') || name.contains(char::is_whitespace) {
                return Err(Error::invalid(format!("invalid interface name {:?}", name)).about("", name));
            }
            Ok(LinkRef::Name(name))
        }
        JsType::Number => {
            let index = to_u32(env, value, "link index")?;
            if index == 0 || index > i32::MAX as u32 {
                return Err(Error::invalid(format!("invalid link index {}", index)));
            }
            Ok(LinkRef::Index(index as i32))
        }
        _ => Err(Error::invalid("link must be a name or an index")),
    }
}

// ---- option-object readers ---------------------------------------------------------------------------

pub struct Opts<'a> {
    env: &'a Env,
    object: Option<napi_value>,
}
impl<'a> Opts<'a> {
    pub fn of(env: &'a Env, args: &Args, i: usize) -> Opts<'a> {
        Opts { env, object: args.get(env, i) }
    }
    fn value(&self, name: &CStr) -> Option<napi_value> {
        self.object.and_then(|o| self.env.get(o, name))
    }
    fn label(name: &CStr) -> String {
        name.to_string_lossy().into_owned()
    }
    pub fn string(&self, name: &CStr) -> Result<Option<String>> {
        self.value(name).map(|v| self.env.to_string(v).map_err(|e| e.with_detail(format!("{} must be a string", Self::label(name))))).transpose()
    }
    pub fn required_string(&self, name: &CStr) -> Result<String> {
        self.string(name)?.ok_or_else(|| Error::invalid(format!("missing {}", Self::label(name))))
    }
    pub fn u32(&self, name: &CStr) -> Result<Option<u32>> {
        self.value(name).map(|v| to_u32(self.env, v, &Self::label(name))).transpose()
    }
    pub fn u8(&self, name: &CStr) -> Result<Option<u8>> {
        match self.u32(name)? {
            Some(n) if n > 255 => Err(Error::invalid(format!("{} must be 0..255", Self::label(name)))),
            other => Ok(other.map(|n| n as u8)),
        }
    }
    pub fn bool(&self, name: &CStr) -> Result<Option<bool>> {
        self.value(name).map(|v| self.env.to_bool(v).map_err(|e| e.with_detail(format!("{} must be a boolean", Self::label(name))))).transpose()
    }
    pub fn flag(&self, name: &CStr) -> Result<bool> {
        Ok(self.bool(name)?.unwrap_or(false))
    }
    pub fn ip(&self, name: &CStr) -> Result<Option<IpAddr>> {
        self.string(name)?.map(|text| parse_ip(&text)).transpose()
    }
    pub fn mac(&self, name: &CStr) -> Result<Option<[u8; 6]>> {
        self.string(name)?.map(|text| parse_mac(&text)).transpose()
    }
    pub fn link(&self, name: &CStr) -> Result<Option<LinkRef>> {
        self.value(name).map(|v| to_link(self.env, v)).transpose()
    }
}

pub fn parse_ip(text: &str) -> Result<IpAddr> {
    text.parse().map_err(|_| Error::invalid(format!("invalid IP address {:?}", text)))
}
pub fn parse_mac(text: &str) -> Result<[u8; 6]> {
    nl::parse_mac(text).ok_or_else(|| Error::invalid(format!("invalid MAC address {:?}", text)))
}
/// "10.0.0.0/8" -> (ip, 8); a bare address means a host route (/32 or /128).
pub fn parse_cidr(text: &str) -> Result<(IpAddr, u8)> {
    let (ip_text, len_text) = match text.split_once('/') {
        Some((ip, len)) => (ip, Some(len)),
        None => (text, None),
    };
    let ip = parse_ip(ip_text)?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len_text {
        Some(len) => len.parse::<u8>().ok().filter(|l| *l <= max).ok_or_else(|| Error::invalid(format!("invalid prefix length in {:?}", text)))?,
        None => max,
    };
    Ok((ip, len))
}

/// The index of a link, asking the kernel when only a name was given.
pub fn resolve_index(sock: Socket, link: &LinkRef) -> Result<i32> {
    match link {
        LinkRef::Index(i) => Ok(*i),
        LinkRef::Name(_) => Ok(fetch_link(sock, link)?.index),
    }
}
pub fn fetch_link(sock: Socket, link: &LinkRef) -> Result<link::Link> {
    let reply = sock.request_one(link::get(link)).map_err(|e| e.about("linkGet", link.describe()))?;
    link::parse(&reply.payload).ok_or_else(|| Error::os(sys::EPROTO).about("linkGet", link.describe()))
}
