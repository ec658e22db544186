//! Addresses (RTM_NEWADDR/DELADDR/GETADDR).

use crate::addr::{self, AddrSpec};
use crate::error::{Error, Result};
use crate::js::args::{arg_link, parse_cidr, parse_ip, resolve_index, socket, Opts};
use crate::js::build::js_addr;
use crate::link::LinkRef;
use crate::napi::{napi_value, Args, Env, Export};
use crate::nl;
use crate::route;
use crate::socket::Socket;
use std::net::{IpAddr, Ipv4Addr};

pub static EXPORTS: &[Export] = &[
    export!("addrAdd", addr_add),
    export!("addrReplace", addr_replace),
    export!("addrDel", addr_del),
    export!("addrList", addr_list),
];

/// {address: "10.0.0.1/24" | "10.0.0.1", prefixLength?, peer?, broadcast?, label?, nodad?, noprefixroute?,
///  scope?, validLft?, preferredLft?}
fn addr_spec(sock: Socket, link: &LinkRef, opts: &Opts) -> Result<AddrSpec> {
    let (ip, cidr_len) = parse_cidr(&opts.required_string(c"address")?)?;
    let prefix_len = opts.u8(c"prefixLength")?.unwrap_or(cidr_len);
    if prefix_len > if ip.is_ipv4() { 32 } else { 128 } {
        return Err(Error::invalid(format!("prefix length {} too long", prefix_len)));
    }
    let broadcast = match opts.string(c"broadcast")? {
        None => None,
        Some(text) => match parse_ip(&text)? {
            IpAddr::V4(v4) => Some(Some(v4)),
            IpAddr::V6(_) => return Err(Error::invalid("broadcast must be IPv4")),
        },
    };
    let mut flags = 0;
    if opts.flag(c"nodad")? {
        flags |= addr::IFA_F_NODAD;
    }
    if opts.flag(c"noprefixroute")? {
        flags |= addr::IFA_F_NOPREFIXROUTE;
    }
    Ok(AddrSpec {
        index: resolve_index(sock, link)? as u32,
        ip,
        prefix_len,
        peer: opts.ip(c"peer")?,
        broadcast: broadcast.or(if opts.flag(c"noBroadcast")? { Some(None::<Ipv4Addr>) } else { None }),
        label: opts.string(c"label")?,
        flags,
        scope: opts.u8(c"scope")?.unwrap_or(0),
        valid_lft: opts.u32(c"validLft")?,
        preferred_lft: opts.u32(c"preferredLft")?,
    })
}

/// The three address changes.
#[derive(Clone, Copy)]
enum AddrChange {
    Add,
    Replace,
    Del,
}

impl AddrChange {
    fn request(self) -> &'static str {
        match self {
            AddrChange::Add => "addrAdd",
            AddrChange::Replace => "addrReplace",
            AddrChange::Del => "addrDel",
        }
    }
}

fn addr_change(env: &Env, args: &Args, change: AddrChange) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let opts = Opts::of(env, args, 2);
    let subject = || format!("{} on {}", opts.string(c"address").ok().flatten().unwrap_or_default(), link.describe());
    let run = || -> Result<()> {
        let spec = addr_spec(sock, &link, &opts)?;
        let msg = match change {
            AddrChange::Add => addr::add(&spec, nl::NLM_F_CREATE | nl::NLM_F_EXCL),
            AddrChange::Replace => addr::add(&spec, nl::NLM_F_CREATE | nl::NLM_F_REPLACE),
            AddrChange::Del => addr::delete(&spec),
        };
        sock.request_ack(msg)
    };
    run().map_err(|e| e.about(change.request(), subject()))?;
    Ok(env.undefined())
}
fn addr_add(env: &Env, args: &Args) -> Result<napi_value> {
    addr_change(env, args, AddrChange::Add)
}
fn addr_replace(env: &Env, args: &Args) -> Result<napi_value> {
    addr_change(env, args, AddrChange::Replace)
}
fn addr_del(env: &Env, args: &Args) -> Result<napi_value> {
    addr_change(env, args, AddrChange::Del)
}

/// addrList(fd, {link?, family?: 4|6})
fn addr_list(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let opts = Opts::of(env, args, 1);
    let family = route::family_number(opts.u8(c"family")?.unwrap_or(0));
    let link = opts.link(c"link")?;
    let index = link.as_ref().map(|l| resolve_index(sock, l)).transpose().map_err(|e| e.about("addrList", link.as_ref().map(LinkRef::describe).unwrap_or_default()))?;
    let replies = sock.dump(|| addr::list(family))?;
    let items = replies
        .iter()
        .filter(|r| r.msg_type == addr::RTM_NEWADDR)
        .filter_map(|r| addr::parse(&r.payload))
        .filter(|a| index.is_none_or(|i| a.index == i as u32) && (family == 0 || a.family == family))
        .map(|a| js_addr(env, &a))
        .collect();
    Ok(env.array(items))
}

