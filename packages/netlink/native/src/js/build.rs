//! JS object builders: decoded kernel objects -> plain JS objects. The field names written here are the
//! ones packages/netlink/src/types.ts declares (checked by test/boundary.kernel.test.ts).

use crate::addr;
use crate::link::{self, BridgePort};
use crate::napi::{napi_value, Env};
use crate::route;
use crate::vlan;
use std::net::IpAddr;

pub fn js_ip(env: &Env, ip: &IpAddr) -> napi_value {
    env.string(&ip.to_string())
}

pub fn js_bridge_port(env: &Env, port: &BridgePort) -> napi_value {
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

pub fn js_link(env: &Env, l: &link::Link) -> napi_value {
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

pub fn js_addr(env: &Env, a: &addr::Addr) -> napi_value {
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

pub fn js_route(env: &Env, r: &route::Route) -> napi_value {
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

pub fn js_vlan(env: &Env, v: &vlan::Vlan) -> napi_value {
    let o = env.object();
    env.set_num(o, c"linkIndex", v.index as f64);
    env.set_num(o, c"vid", v.vid as f64);
    env.set_bool(o, c"pvid", v.pvid);
    env.set_bool(o, c"untagged", v.untagged);
    o
}
