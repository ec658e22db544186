//! The functions JS calls. Each reads its arguments, sends one netlink request (resolving a link name to an
//! index first only where the kernel insists on an index), and returns plain objects.
//! Convention: the first argument of every socket operation is the socket fd from `open`.

use crate::addr::{self, AddrSpec};
use crate::error::{Error, Result};
use crate::link::{self, BridgePort, CommonAttrs, LinkChange, LinkRef};
use crate::napi::{napi_value, Args, Env, Export, JsType};
use crate::netns::{self, LockMode};
use crate::nl;
use crate::route::{self, RouteFilter, RouteSpec};
use crate::socket::Socket;
use crate::vlan;
use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;

/// An Export whose JS name is given once.
macro_rules! export {
    ($name:literal, $handler:ident) => {
        Export { name: $name, c_name: match CStr::from_bytes_with_nul(concat!($name, "\0").as_bytes()) { Ok(c) => c, Err(_) => panic!() }, handler: $handler }
    };
}

pub static EXPORTS: &[Export] = &[
    export!("open", open),
    export!("close", close),
    export!("linkGet", link_get),
    export!("linkList", link_list),
    export!("linkAddBridge", link_add_bridge),
    export!("linkAddVeth", link_add_veth),
    export!("linkDel", link_del),
    export!("linkSetUp", link_set_up),
    export!("linkSetDown", link_set_down),
    export!("linkSetMtu", link_set_mtu),
    export!("linkSetMac", link_set_mac),
    export!("linkSetMaster", link_set_master),
    export!("linkSetNoMaster", link_set_nomaster),
    export!("linkSetPromisc", link_set_promisc),
    export!("linkSetNetns", link_set_netns),
    export!("linkSetName", link_set_name),
    export!("linkSetTxQLen", link_set_txqlen),
    export!("linkSetAlias", link_set_alias),
    export!("bridgePortSetFlags", bridge_port_set_flags),
    export!("bridgePortGet", bridge_port_get),
    export!("bridgeVlanAdd", bridge_vlan_add),
    export!("bridgeVlanDel", bridge_vlan_del),
    export!("bridgeVlanList", bridge_vlan_list),
    export!("addrAdd", addr_add),
    export!("addrReplace", addr_replace),
    export!("addrDel", addr_del),
    export!("addrList", addr_list),
    export!("routeAdd", route_add),
    export!("routeReplace", route_replace),
    export!("routeAppend", route_append),
    export!("routeDel", route_del),
    export!("routeList", route_list),
    export!("netnsCreate", netns_create),
    export!("netnsDelete", netns_delete),
    export!("netnsCheck", netns_check),
    export!("netnsIsNetns", netns_is_netns),
    export!("netnsSame", netns_same),
    export!("sysctlGet", sysctl_get),
    export!("sysctlSet", sysctl_set),
    export!("flock", flock),
];

// ---- argument readers ------------------------------------------------------------------------------

fn arg(env: &Env, args: &Args, i: usize, what: &str) -> Result<napi_value> {
    args.get(env, i).ok_or_else(|| Error::invalid(format!("missing {}", what)))
}
fn arg_string(env: &Env, args: &Args, i: usize, what: &str) -> Result<String> {
    env.to_string(arg(env, args, i, what)?).map_err(|e| e.with_detail(format!("{} must be a string", what)))
}
fn arg_opt_string(env: &Env, args: &Args, i: usize, what: &str) -> Result<Option<String>> {
    args.get(env, i).map(|v| env.to_string(v).map_err(|e| e.with_detail(format!("{} must be a string", what)))).transpose()
}
fn to_u32(env: &Env, value: napi_value, what: &str) -> Result<u32> {
    let n = env.to_number(value).map_err(|e| e.with_detail(format!("{} must be a number", what)))?;
    if n < 0.0 || n > u32::MAX as f64 || n.fract() != 0.0 {
        return Err(Error::invalid(format!("{} must be an unsigned 32-bit integer, got {}", what, n)));
    }
    Ok(n as u32)
}
fn arg_u32(env: &Env, args: &Args, i: usize, what: &str) -> Result<u32> {
    to_u32(env, arg(env, args, i, what)?, what)
}
fn socket(env: &Env, args: &Args) -> Result<Socket> {
    let fd = arg_u32(env, args, 0, "socket")?;
    Ok(Socket { fd: fd as i32 })
}
/// A link named by string (name) or number (index).
fn arg_link(env: &Env, args: &Args, i: usize) -> Result<LinkRef> {
    let value = arg(env, args, i, "link")?;
    to_link(env, value)
}
fn to_link(env: &Env, value: napi_value) -> Result<LinkRef> {
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

struct Opts<'a> {
    env: &'a Env,
    object: Option<napi_value>,
}
impl<'a> Opts<'a> {
    fn of(env: &'a Env, args: &Args, i: usize) -> Opts<'a> {
        Opts { env, object: args.get(env, i) }
    }
    fn value(&self, name: &CStr) -> Option<napi_value> {
        self.object.and_then(|o| self.env.get(o, name))
    }
    fn label(name: &CStr) -> String {
        name.to_string_lossy().into_owned()
    }
    fn string(&self, name: &CStr) -> Result<Option<String>> {
        self.value(name).map(|v| self.env.to_string(v).map_err(|e| e.with_detail(format!("{} must be a string", Self::label(name))))).transpose()
    }
    fn required_string(&self, name: &CStr) -> Result<String> {
        self.string(name)?.ok_or_else(|| Error::invalid(format!("missing {}", Self::label(name))))
    }
    fn u32(&self, name: &CStr) -> Result<Option<u32>> {
        self.value(name).map(|v| to_u32(self.env, v, &Self::label(name))).transpose()
    }
    fn u8(&self, name: &CStr) -> Result<Option<u8>> {
        match self.u32(name)? {
            Some(n) if n > 255 => Err(Error::invalid(format!("{} must be 0..255", Self::label(name)))),
            other => Ok(other.map(|n| n as u8)),
        }
    }
    fn bool(&self, name: &CStr) -> Result<Option<bool>> {
        self.value(name).map(|v| self.env.to_bool(v).map_err(|e| e.with_detail(format!("{} must be a boolean", Self::label(name))))).transpose()
    }
    fn flag(&self, name: &CStr) -> Result<bool> {
        Ok(self.bool(name)?.unwrap_or(false))
    }
    fn ip(&self, name: &CStr) -> Result<Option<IpAddr>> {
        self.string(name)?.map(|text| parse_ip(&text)).transpose()
    }
    fn mac(&self, name: &CStr) -> Result<Option<[u8; 6]>> {
        self.string(name)?.map(|text| parse_mac(&text)).transpose()
    }
    fn link(&self, name: &CStr) -> Result<Option<LinkRef>> {
        self.value(name).map(|v| to_link(self.env, v)).transpose()
    }
}

fn parse_ip(text: &str) -> Result<IpAddr> {
    text.parse().map_err(|_| Error::invalid(format!("invalid IP address {:?}", text)))
}
fn parse_mac(text: &str) -> Result<[u8; 6]> {
    nl::parse_mac(text).ok_or_else(|| Error::invalid(format!("invalid MAC address {:?}", text)))
}
/// "10.0.0.0/8" -> (ip, 8); a bare address means a host route (/32 or /128).
fn parse_cidr(text: &str) -> Result<(IpAddr, u8)> {
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
fn resolve_index(sock: Socket, link: &LinkRef) -> Result<i32> {
    match link {
        LinkRef::Index(i) => Ok(*i),
        LinkRef::Name(_) => Ok(fetch_link(sock, link)?.index),
    }
}
fn fetch_link(sock: Socket, link: &LinkRef) -> Result<link::Link> {
    let reply = sock.request_one(link::get(link)).map_err(|e| e.about("linkGet", link.describe()))?;
    link::parse(&reply.payload).ok_or_else(|| Error::os(71).about("linkGet", link.describe()))
}

// ---- result builders ----------------------------------------------------------------------------------

fn js_ip(env: &Env, ip: &IpAddr) -> napi_value {
    env.string(&ip.to_string())
}

fn js_bridge_port(env: &Env, port: &BridgePort) -> napi_value {
    let o = env.object();
    let flags = [(c"hairpin", port.hairpin), (c"isolated", port.isolated), (c"learning", port.learning), (c"unicastFlood", port.unicast_flood)];
    for (name, value) in flags {
        if let Some(on) = value {
            env.set_bool(o, name, on);
        }
    }
    if let Some(state) = port.state {
        env.set_num(o, c"state", state as f64);
    }
    o
}

fn js_link(env: &Env, l: &link::Link) -> napi_value {
    let o = env.object();
    env.set_num(o, c"index", l.index as f64);
    env.set_str(o, c"name", &l.name);
    if let Some(kind) = &l.kind {
        env.set_str(o, c"kind", kind);
    }
    if let Some(kind) = &l.slave_kind {
        env.set_str(o, c"slaveKind", kind);
    }
    env.set_num(o, c"mtu", l.mtu as f64);
    env.set_str(o, c"mac", l.mac.as_deref().unwrap_or(""));
    env.set_bool(o, c"up", l.flags & link::IFF_UP != 0);
    env.set_bool(o, c"promisc", l.flags & link::IFF_PROMISC != 0);
    env.set_num(o, c"flags", l.flags as f64);
    env.set_num(o, c"linkType", l.link_type as f64);
    env.set_str(o, c"operstate", link::operstate_name(l.operstate));
    let optional_numbers = [
        (c"master", l.master.map(f64::from)),
        (c"peerIndex", l.peer_index.map(f64::from)),
        (c"netnsId", l.netns_id.map(f64::from)),
        (c"txqlen", l.txqlen.map(f64::from)),
        (c"minMtu", l.min_mtu.map(f64::from)),
        (c"maxMtu", l.max_mtu.map(f64::from)),
    ];
    for (name, value) in optional_numbers {
        if let Some(v) = value {
            env.set_num(o, name, v);
        }
    }
    if let Some(mac) = &l.broadcast {
        env.set_str(o, c"broadcast", mac);
    }
    if let Some(mac) = &l.perm_mac {
        env.set_str(o, c"permMac", mac);
    }
    if let Some(alias) = &l.alias {
        env.set_str(o, c"alias", alias);
    }
    if let Some(filtering) = l.vlan_filtering {
        env.set_bool(o, c"vlanFiltering", filtering);
    }
    if let Some(port) = &l.bridge_port {
        env.set(o, c"bridgePort", js_bridge_port(env, port));
    }
    o
}

fn js_addr(env: &Env, a: &addr::Addr) -> napi_value {
    let o = env.object();
    env.set_num(o, c"linkIndex", a.index as f64);
    env.set_num(o, c"family", if a.family == addr::AF_INET { 4.0 } else { 6.0 });
    env.set(o, c"address", js_ip(env, &a.ip));
    env.set_num(o, c"prefixLength", a.prefix_len as f64);
    env.set_num(o, c"scope", a.scope as f64);
    env.set_num(o, c"flags", a.flags as f64);
    env.set_bool(o, c"tentative", a.flags & addr::IFA_F_TENTATIVE != 0);
    env.set_bool(o, c"dadFailed", a.flags & addr::IFA_F_DADFAILED != 0);
    env.set_bool(o, c"deprecated", a.flags & addr::IFA_F_DEPRECATED != 0);
    env.set_bool(o, c"permanent", a.flags & addr::IFA_F_PERMANENT != 0);
    env.set_bool(o, c"nodad", a.flags & addr::IFA_F_NODAD != 0);
    if let Some(peer) = &a.peer {
        env.set(o, c"peer", js_ip(env, peer));
    }
    if let Some(brd) = &a.broadcast {
        env.set(o, c"broadcast", js_ip(env, brd));
    }
    if let Some(label) = &a.label {
        env.set_str(o, c"label", label);
    }
    if let Some(v) = a.valid_lft {
        env.set_num(o, c"validLft", v as f64);
    }
    if let Some(v) = a.preferred_lft {
        env.set_num(o, c"preferredLft", v as f64);
    }
    o
}

fn js_route(env: &Env, r: &route::Route) -> napi_value {
    let o = env.object();
    env.set_num(o, c"family", if r.family == addr::AF_INET { 4.0 } else { 6.0 });
    match &r.dst {
        Some((ip, len)) => env.set_str(o, c"dst", &format!("{}/{}", ip, len)),
        None => env.set_str(o, c"dst", if r.family == addr::AF_INET { "0.0.0.0/0" } else { "::/0" }),
    }
    if let Some(gw) = &r.gateway {
        env.set(o, c"gateway", js_ip(env, gw));
    }
    if let Some(oif) = r.oif {
        env.set_num(o, c"linkIndex", oif as f64);
    }
    if let Some(src) = &r.src {
        env.set(o, c"src", js_ip(env, src));
    }
    env.set_num(o, c"scope", r.scope as f64);
    if let Some(metric) = r.metric {
        env.set_num(o, c"metric", metric as f64);
    }
    env.set_num(o, c"table", r.table as f64);
    env.set_num(o, c"protocol", r.protocol as f64);
    env.set_num(o, c"type", r.route_type as f64);
    env.set_num(o, c"flags", r.flags as f64);
    if let Some(mtu) = r.mtu {
        env.set_num(o, c"mtu", mtu as f64);
    }
    if let Some(advmss) = r.advmss {
        env.set_num(o, c"advmss", advmss as f64);
    }
    if !r.multipath.is_empty() {
        let hops = r
            .multipath
            .iter()
            .map(|h| {
                let hop = env.object();
                if let Some(gw) = &h.gateway {
                    env.set(hop, c"gateway", js_ip(env, gw));
                }
                env.set_num(hop, c"linkIndex", h.oif as f64);
                env.set_num(hop, c"weight", h.weight as f64);
                env.set_num(hop, c"flags", h.flags as f64);
                hop
            })
            .collect();
        env.set(o, c"multipath", env.array(hops));
    }
    o
}

// ---- sockets ------------------------------------------------------------------------------------------

/// open(nsPath?: string) -> fd. The socket is created inside the namespace and stays bound to it.
fn open(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_opt_string(env, args, 0, "namespace path")?;
    let sock = match &path {
        Some(p) => netns::run_in(p, Socket::open).map_err(|e| e.about("open", p.clone()))?,
        None => Socket::open()?,
    };
    Ok(env.number(sock.fd as f64))
}

fn close(env: &Env, args: &Args) -> Result<napi_value> {
    socket(env, args)?.close();
    Ok(env.undefined())
}

// ---- links --------------------------------------------------------------------------------------------

fn link_get(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    Ok(js_link(env, &fetch_link(sock, &link)?))
}

fn link_list(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let replies = sock.dump(link::list)?;
    let items = replies.iter().filter(|r| r.msg_type == link::RTM_NEWLINK).filter_map(|r| link::parse(&r.payload)).map(|l| js_link(env, &l)).collect();
    Ok(env.array(items))
}

fn common_attrs(opts: &Opts, mtu: &CStr, mac: &CStr, up: Option<&CStr>) -> Result<CommonAttrs> {
    let up = match up {
        Some(name) => opts.flag(name)?,
        None => false,
    };
    Ok(CommonAttrs { mtu: opts.u32(mtu)?, mac: opts.mac(mac)?, txqlen: opts.u32(c"txqlen")?, up })
}

/// linkAddBridge(fd, {name, mtu?, mac?, txqlen?, vlanFiltering?, up?})
fn link_add_bridge(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let opts = Opts::of(env, args, 1);
    let name = opts.required_string(c"name")?;
    let run = || -> Result<()> {
        let attrs = common_attrs(&opts, c"mtu", c"mac", Some(c"up"))?;
        sock.request_ack(link::add_bridge(&name, &attrs, opts.bool(c"vlanFiltering")?))
    };
    run().map_err(|e| e.about("linkAddBridge", name.clone()))?;
    Ok(env.undefined())
}

/// linkAddVeth(fd, {name, peerName, mtu?, mac?, peerMtu?, peerMac?, peerNetns?: path, txqlen?, up?}).
/// The peer cannot be brought up in the same request (the kernel's veth_open answers ENOTCONN).
fn link_add_veth(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let opts = Opts::of(env, args, 1);
    let name = opts.required_string(c"name")?;
    let run = || -> Result<()> {
        let peer_name = opts.required_string(c"peerName")?;
        let attrs = common_attrs(&opts, c"mtu", c"mac", Some(c"up"))?;
        let mut peer = common_attrs(&opts, c"peerMtu", c"peerMac", None)?;
        // The peer gets the same MTU unless told otherwise (as `ip link add ... mtu N` does).
        peer.mtu = peer.mtu.or(attrs.mtu);
        let peer_ns = opts.string(c"peerNetns")?.map(|p| netns::open_netns(&p).map_err(|e| e.about("linkAddVeth", p.clone()))).transpose()?;
        let msg = link::add_veth(&name, &attrs, &peer_name, &peer, peer_ns.as_ref().map(|f| f.as_raw_fd()));
        sock.request_ack(msg)
    };
    run().map_err(|e| e.about("linkAddVeth", name.clone()))?;
    Ok(env.undefined())
}

fn link_del(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    sock.request_ack(link::delete(&link)).map_err(|e| e.about("linkDel", link.describe()))?;
    Ok(env.undefined())
}

/// One RTM_SETLINK on `link`.
fn change_link(sock: Socket, link: &LinkRef, change: LinkChange, request: &'static str) -> Result<()> {
    sock.request_ack(link::set(link, &change)).map_err(|e| e.about(request, link.describe()))
}

fn link_set_up(env: &Env, args: &Args) -> Result<napi_value> {
    change_link(socket(env, args)?, &arg_link(env, args, 1)?, LinkChange::Up, "linkSetUp")?;
    Ok(env.undefined())
}
fn link_set_down(env: &Env, args: &Args) -> Result<napi_value> {
    change_link(socket(env, args)?, &arg_link(env, args, 1)?, LinkChange::Down, "linkSetDown")?;
    Ok(env.undefined())
}
fn link_set_mtu(env: &Env, args: &Args) -> Result<napi_value> {
    let mtu = arg_u32(env, args, 2, "mtu")?;
    change_link(socket(env, args)?, &arg_link(env, args, 1)?, LinkChange::Mtu(mtu), "linkSetMtu")?;
    Ok(env.undefined())
}
fn link_set_mac(env: &Env, args: &Args) -> Result<napi_value> {
    let mac = parse_mac(&arg_string(env, args, 2, "mac")?)?;
    change_link(socket(env, args)?, &arg_link(env, args, 1)?, LinkChange::Mac(mac), "linkSetMac")?;
    Ok(env.undefined())
}
fn link_set_master(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let master = arg_link(env, args, 2)?;
    let master_index = resolve_index(sock, &master).map_err(|e| e.about("linkSetMaster", master.describe()))?;
    change_link(sock, &link, LinkChange::Master(master_index as u32), "linkSetMaster")?;
    Ok(env.undefined())
}
fn link_set_nomaster(env: &Env, args: &Args) -> Result<napi_value> {
    change_link(socket(env, args)?, &arg_link(env, args, 1)?, LinkChange::Master(0), "linkSetNoMaster")?;
    Ok(env.undefined())
}
fn link_set_promisc(env: &Env, args: &Args) -> Result<napi_value> {
    let on = env.to_bool(arg(env, args, 2, "promisc flag")?)?;
    change_link(socket(env, args)?, &arg_link(env, args, 1)?, LinkChange::Promisc(on), "linkSetPromisc")?;
    Ok(env.undefined())
}
/// linkSetNetns(fd, link, nsPath): move the link into the namespace at nsPath.
fn link_set_netns(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let path = arg_string(env, args, 2, "namespace path")?;
    let ns = netns::open_netns(&path).map_err(|e| e.about("linkSetNetns", path.clone()))?;
    change_link(sock, &link, LinkChange::NetnsFd(ns.as_raw_fd()), "linkSetNetns")?;
    Ok(env.undefined())
}
fn link_set_name(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let new_name = arg_string(env, args, 2, "new name")?;
    to_link(env, env.string(&new_name))?; // same validity rules as any interface name
    let index = resolve_index(sock, &link).map_err(|e| e.about("linkSetName", link.describe()))?;
    change_link(sock, &LinkRef::Index(index), LinkChange::Name(new_name), "linkSetName").map_err(|e| Error { subject: Some(link.describe()), ..e })?;
    Ok(env.undefined())
}
fn link_set_txqlen(env: &Env, args: &Args) -> Result<napi_value> {
    let len = arg_u32(env, args, 2, "txqlen")?;
    change_link(socket(env, args)?, &arg_link(env, args, 1)?, LinkChange::TxQLen(len), "linkSetTxQLen")?;
    Ok(env.undefined())
}
fn link_set_alias(env: &Env, args: &Args) -> Result<napi_value> {
    let alias = arg_string(env, args, 2, "alias")?;
    change_link(socket(env, args)?, &arg_link(env, args, 1)?, LinkChange::Alias(alias), "linkSetAlias")?;
    Ok(env.undefined())
}

// ---- bridge ports -----------------------------------------------------------------------------------

/// bridgePortSetFlags(fd, link, {hairpin?, isolated?, learning?, unicastFlood?})
fn bridge_port_set_flags(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let opts = Opts::of(env, args, 2);
    let port = BridgePort {
        hairpin: opts.bool(c"hairpin")?,
        isolated: opts.bool(c"isolated")?,
        learning: opts.bool(c"learning")?,
        unicast_flood: opts.bool(c"unicastFlood")?,
        state: None,
    };
    let run = || -> Result<()> {
        let index = resolve_index(sock, &link)?;
        sock.request_ack(link::bridge_port_set(index, &port))
    };
    run().map_err(|e| e.about("bridgePortSetFlags", link.describe()))?;
    Ok(env.undefined())
}

fn bridge_port_get(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let found = fetch_link(sock, &link).map_err(|e| e.about("bridgePortGet", link.describe()))?;
    match &found.bridge_port {
        Some(port) => Ok(js_bridge_port(env, port)),
        None => Err(Error::invalid("not a bridge port").about("bridgePortGet", link.describe())),
    }
}

// ---- bridge VLANs -------------------------------------------------------------------------------------

fn vid_arg(env: &Env, args: &Args) -> Result<u16> {
    let vid = arg_u32(env, args, 2, "vid")?;
    if !(1..=4094).contains(&vid) {
        return Err(Error::invalid(format!("VLAN id {} is not in 1..4094", vid)));
    }
    Ok(vid as u16)
}

/// bridgeVlanAdd(fd, link, vid, {pvid?, untagged?, self?})
fn bridge_vlan_add(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let vid = vid_arg(env, args)?;
    let opts = Opts::of(env, args, 3);
    let (pvid, untagged, on_self) = (opts.flag(c"pvid")?, opts.flag(c"untagged")?, opts.flag(c"self")?);
    let run = || -> Result<()> {
        let index = resolve_index(sock, &link)?;
        sock.request_ack(vlan::modify(false, index, vid, pvid, untagged, on_self))
    };
    run().map_err(|e| e.about("bridgeVlanAdd", format!("{} vid {}", link.describe(), vid)))?;
    Ok(env.undefined())
}

/// bridgeVlanDel(fd, link, vid, {self?})
fn bridge_vlan_del(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let vid = vid_arg(env, args)?;
    let on_self = Opts::of(env, args, 3).flag(c"self")?;
    let run = || -> Result<()> {
        let index = resolve_index(sock, &link)?;
        sock.request_ack(vlan::modify(true, index, vid, false, false, on_self))
    };
    run().map_err(|e| e.about("bridgeVlanDel", format!("{} vid {}", link.describe(), vid)))?;
    Ok(env.undefined())
}

/// bridgeVlanList(fd, linkIndex?) -> [{linkIndex, vid, pvid, untagged}]
fn bridge_vlan_list(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let only = args.get(env, 1).map(|v| to_u32(env, v, "link index")).transpose()?;
    let replies = sock.dump(vlan::list)?;
    let mut items = Vec::new();
    for reply in replies.iter().filter(|r| r.msg_type == link::RTM_NEWLINK) {
        for v in vlan::parse(&reply.payload) {
            if only.is_none_or(|i| i as i32 == v.index) {
                let o = env.object();
                env.set_num(o, c"linkIndex", v.index as f64);
                env.set_num(o, c"vid", v.vid as f64);
                env.set_bool(o, c"pvid", v.pvid);
                env.set_bool(o, c"untagged", v.untagged);
                items.push(o);
            }
        }
    }
    Ok(env.array(items))
}

// ---- addresses ----------------------------------------------------------------------------------------

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

fn addr_change(env: &Env, args: &Args, request: &'static str) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let opts = Opts::of(env, args, 2);
    let subject = || format!("{} on {}", opts.string(c"address").ok().flatten().unwrap_or_default(), link.describe());
    let run = || -> Result<()> {
        let spec = addr_spec(sock, &link, &opts)?;
        let msg = match request {
            "addrAdd" => addr::add(&spec, nl::NLM_F_CREATE | nl::NLM_F_EXCL),
            "addrReplace" => addr::add(&spec, nl::NLM_F_CREATE | nl::NLM_F_REPLACE),
            _ => addr::delete(&spec),
        };
        sock.request_ack(msg)
    };
    run().map_err(|e| e.about(request, subject()))?;
    Ok(env.undefined())
}
fn addr_add(env: &Env, args: &Args) -> Result<napi_value> {
    addr_change(env, args, "addrAdd")
}
fn addr_replace(env: &Env, args: &Args) -> Result<napi_value> {
    addr_change(env, args, "addrReplace")
}
fn addr_del(env: &Env, args: &Args) -> Result<napi_value> {
    addr_change(env, args, "addrDel")
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

// ---- routes -------------------------------------------------------------------------------------------

/// {dst?: CIDR (default route when absent), gateway?, link?, src?, scope?, metric?, mtu?, advmss?, table?,
///  protocol?, type?, onlink?, family?: 4|6}
fn route_spec(sock: Socket, opts: &Opts) -> Result<(RouteSpec, u8)> {
    let dst = opts.string(c"dst")?.map(|text| parse_cidr(&text)).transpose()?;
    let link = opts.link(c"link")?;
    let spec = RouteSpec {
        family: route::family_number(opts.u8(c"family")?.unwrap_or(0)),
        dst: dst.filter(|(_, len)| *len > 0),
        gateway: opts.ip(c"gateway")?,
        oif: link.as_ref().map(|l| resolve_index(sock, l)).transpose()?.map(|i| i as u32),
        src: opts.ip(c"src")?,
        scope: opts.u8(c"scope")?,
        metric: opts.u32(c"metric")?,
        mtu: opts.u32(c"mtu")?,
        advmss: opts.u32(c"advmss")?,
        table: opts.u32(c"table")?,
        protocol: opts.u8(c"protocol")?,
        route_type: opts.u8(c"type")?,
        onlink: opts.flag(c"onlink")?,
    };
    let family = spec.resolve_family().or(dst.map(|(ip, _)| addr::family_of(&ip))).ok_or_else(|| Error::invalid("route needs dst, gateway, src or family"))?;
    Ok((spec, family))
}

fn route_change(env: &Env, args: &Args, request: &'static str) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let opts = Opts::of(env, args, 1);
    let subject = || {
        let dst = opts.string(c"dst").ok().flatten().unwrap_or_else(|| "default".into());
        match opts.string(c"gateway").ok().flatten() {
            Some(gw) => format!("{} via {}", dst, gw),
            None => dst,
        }
    };
    let run = || -> Result<()> {
        let (spec, family) = route_spec(sock, &opts)?;
        let (msg_type, flags) = match request {
            "routeAdd" => (route::RTM_NEWROUTE, nl::NLM_F_CREATE | nl::NLM_F_EXCL),
            "routeReplace" => (route::RTM_NEWROUTE, nl::NLM_F_CREATE | nl::NLM_F_REPLACE),
            "routeAppend" => (route::RTM_NEWROUTE, nl::NLM_F_CREATE | nl::NLM_F_APPEND),
            _ => (route::RTM_DELROUTE, 0),
        };
        sock.request_ack(route::encode(msg_type, flags, &spec, family))
    };
    run().map_err(|e| e.about(request, subject()))?;
    Ok(env.undefined())
}
fn route_add(env: &Env, args: &Args) -> Result<napi_value> {
    route_change(env, args, "routeAdd")
}
fn route_replace(env: &Env, args: &Args) -> Result<napi_value> {
    route_change(env, args, "routeReplace")
}
fn route_append(env: &Env, args: &Args) -> Result<napi_value> {
    route_change(env, args, "routeAppend")
}
fn route_del(env: &Env, args: &Args) -> Result<napi_value> {
    route_change(env, args, "routeDel")
}

/// routeList(fd, {family?: 4|6, table?: number (0 = all; default main), dst?, gateway?, link?})
fn route_list(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let opts = Opts::of(env, args, 1);
    let family = route::family_number(opts.u8(c"family")?.unwrap_or(0));
    let link = opts.link(c"link")?;
    let filter = RouteFilter {
        table: match opts.u32(c"table")?.unwrap_or(route::RT_TABLE_MAIN) {
            0 => None,
            t => Some(t),
        },
        dst: opts.string(c"dst")?.map(|t| parse_cidr(&t)).transpose()?.map(Some),
        gateway: opts.ip(c"gateway")?,
        oif: link.as_ref().map(|l| resolve_index(sock, l)).transpose().map_err(|e| e.about("routeList", ""))?.map(|i| i as u32),
    };
    let replies = sock.dump(|| route::list(family))?;
    let items = replies
        .iter()
        .filter(|r| r.msg_type == route::RTM_NEWROUTE)
        .filter_map(|r| route::parse(&r.payload))
        .filter(|r| filter.matches(r))
        .map(|r| js_route(env, &r))
        .collect();
    Ok(env.array(items))
}

// ---- namespaces, sysctl, flock ----------------------------------------------------------------------

fn netns_create(env: &Env, args: &Args) -> Result<napi_value> {
    let name = arg_string(env, args, 0, "namespace name")?;
    let path = netns::create(&name).map_err(|e| e.about("netnsCreate", name.clone()))?;
    Ok(env.string(&path))
}
fn netns_delete(env: &Env, args: &Args) -> Result<napi_value> {
    let name = arg_string(env, args, 0, "namespace name")?;
    netns::delete(&name).map_err(|e| e.about("netnsDelete", name.clone()))?;
    Ok(env.undefined())
}
/// Throws ENOENT / ENOTNS unless the path is a network namespace.
fn netns_check(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "namespace path")?;
    netns::open_netns(&path).map_err(|e| e.about("netnsCheck", path.clone()))?;
    Ok(env.undefined())
}
fn netns_is_netns(env: &Env, args: &Args) -> Result<napi_value> {
    let path = arg_string(env, args, 0, "namespace path")?;
    Ok(env.boolean(netns::is_netns(&path)))
}
fn netns_same(env: &Env, args: &Args) -> Result<napi_value> {
    let a = arg_string(env, args, 0, "namespace path")?;
    let b = arg_string(env, args, 1, "namespace path")?;
    let same = netns::same(&a, &b).map_err(|e| e.about("netnsSame", format!("{} {}", a, b)))?;
    Ok(env.boolean(same))
}
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
