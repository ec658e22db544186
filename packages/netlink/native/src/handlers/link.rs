//! Links (RTM_NEWLINK/DELLINK/SETLINK/GETLINK) and bridge-port flags (AF_BRIDGE IFLA_PROTINFO).

use crate::background;
use crate::error::{Error, Result};
use crate::js::args::{arg, arg_link, arg_string, arg_u32, fetch_link, parse_mac, resolve_index, socket, to_link, Opts};
use crate::js::build::{js_bridge_port, js_link};
use crate::link::{self, BridgePort, CommonAttrs, LinkChange, LinkRef};
use crate::napi::{napi_value, Args, Env, Export};
use crate::netns;
use crate::socket::Socket;
use std::ffi::CStr;
use std::os::fd::AsRawFd;

pub static EXPORTS: &[Export] = &[
    export!("linkGet", link_get),
    export!("linkList", link_list),
    export!("linkAddBridge", link_add_bridge),
    export!("linkAddVeth", link_add_veth),
    export!("linkDel", link_del),
    export!("linkDelStart", link_del_start),
    export!("requestWait", request_wait),
    export!("linkSetUp", link_set_up),
    export!("linkSetDown", link_set_down),
    export!("linkSetMtu", link_set_mtu),
    export!("linkSetMac", link_set_mac),
    export!("linkSetMaster", link_set_master),
    export!("linkSetNoMaster", link_set_nomaster),
    export!("linkSetPromisc", link_set_promisc),
    export!("linkSetAllmulti", link_set_allmulti),
    export!("linkSetNetns", link_set_netns),
    export!("linkSetName", link_set_name),
    export!("linkSetTxQLen", link_set_txqlen),
    export!("linkSetAlias", link_set_alias),
    export!("bridgePortSetFlags", bridge_port_set_flags),
    export!("bridgePortGet", bridge_port_get),
];

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

/// linkDelStart(fd, link) -> id: linkDel on a helper thread; requestWait(id) joins it. The socket must not
/// be used by anything else until then.
fn link_del_start(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let link = arg_link(env, args, 1)?;
    let describe = link.describe();
    let msg = link::delete(&link);
    let id = background::start(move || sock.request_ack(msg).map_err(|e| e.about("linkDel", describe)))
        .map_err(|e| e.about("linkDelStart", link.describe()))?;
    Ok(env.number(id as f64))
}

/// requestWait(id): wait for a request a *Start function began; throws what the request would have thrown.
fn request_wait(env: &Env, args: &Args) -> Result<napi_value> {
    let id = arg_u32(env, args, 0, "request id")?;
    background::wait(id)?;
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
fn link_set_allmulti(env: &Env, args: &Args) -> Result<napi_value> {
    let on = env.to_bool(arg(env, args, 2, "allmulti flag")?)?;
    change_link(socket(env, args)?, &arg_link(env, args, 1)?, LinkChange::Allmulti(on), "linkSetAllmulti")?;
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

