//! Routes (RTM_*ROUTE): encoders and the decoder of `rtmsg` replies, including ECMP next hops.

use crate::addr::{family_of, ip_bytes, ip_of, AF_INET, AF_INET6};
use crate::nl::{self, MsgBuilder};
use std::net::IpAddr;

pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_DELROUTE: u16 = 25;
pub const RTM_GETROUTE: u16 = 26;
const RTMSG_LEN: usize = 12;

const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
const RTA_METRICS: u16 = 8;
const RTA_MULTIPATH: u16 = 9;
const RTA_TABLE: u16 = 15;
const RTAX_MTU: u16 = 2;
const RTAX_ADVMSS: u16 = 8;

pub const RT_TABLE_UNSPEC: u32 = 0;
pub const RT_TABLE_MAIN: u32 = 254;
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RT_SCOPE_NOWHERE: u8 = 255;
pub const RTPROT_BOOT: u8 = 3;
pub const RTN_UNICAST: u8 = 1;
pub const RTNH_F_ONLINK: u32 = 4;

/// What routeAdd/Replace/Append/Del send. Unset fields take iproute2's defaults for adds
/// (protocol boot, scope universe, type unicast, main table) and match anything for deletes.
#[derive(Debug, Clone, Default)]
pub struct RouteSpec {
    pub family: u8,
    /// None = default route (0.0.0.0/0 or ::/0)
    pub dst: Option<(IpAddr, u8)>,
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
    pub src: Option<IpAddr>,
    pub scope: Option<u8>,
    pub metric: Option<u32>,
    pub mtu: Option<u32>,
    pub advmss: Option<u32>,
    pub table: Option<u32>,
    pub protocol: Option<u8>,
    pub route_type: Option<u8>,
    pub onlink: bool,
}

impl RouteSpec {
    /// The family the addresses imply (dst, gateway, src), or the explicit one.
    pub fn resolve_family(&self) -> Option<u8> {
        if self.family != 0 {
            return Some(self.family);
        }
        self.dst.map(|(ip, _)| family_of(&ip)).or(self.gateway.as_ref().map(family_of)).or(self.src.as_ref().map(family_of))
    }
}

fn rtmsg(family: u8, dst_len: u8, table: u8, protocol: u8, scope: u8, route_type: u8, flags: u32) -> [u8; RTMSG_LEN] {
    let mut out = [0u8; RTMSG_LEN];
    out[0] = family;
    out[1] = dst_len;
    out[4] = table;
    out[5] = protocol;
    out[6] = scope;
    out[7] = route_type;
    out[8..12].copy_from_slice(&flags.to_ne_bytes());
    out
}

/// `flags`: CREATE|EXCL (add), CREATE|REPLACE (replace), CREATE|APPEND (append, ECMP); 0 for delete.
pub fn encode(msg_type: u16, flags: u16, spec: &RouteSpec, family: u8) -> MsgBuilder {
    let deleting = msg_type == RTM_DELROUTE;
    let table = spec.table.unwrap_or(if deleting { RT_TABLE_UNSPEC } else { RT_TABLE_MAIN });
    let (protocol, scope, route_type) = if deleting {
        // Wildcards: the kernel then matches any protocol, scope and type.
        (spec.protocol.unwrap_or(0), spec.scope.unwrap_or(RT_SCOPE_NOWHERE), spec.route_type.unwrap_or(0))
    } else {
        (spec.protocol.unwrap_or(RTPROT_BOOT), spec.scope.unwrap_or(RT_SCOPE_UNIVERSE), spec.route_type.unwrap_or(RTN_UNICAST))
    };
    let dst_len = spec.dst.map_or(0, |(_, len)| len);
    let header_table = if table < 256 { table as u8 } else { RT_TABLE_UNSPEC as u8 };
    let route_flags = if spec.onlink { RTNH_F_ONLINK } else { 0 };
    let mut msg = MsgBuilder::new(msg_type, flags);
    msg.header(&rtmsg(family, dst_len, header_table, protocol, scope, route_type, route_flags));
    if table >= 256 {
        msg.attr_u32(RTA_TABLE, table);
    }
    if let Some((dst, _)) = spec.dst {
        msg.attr(RTA_DST, &ip_bytes(&dst));
    }
    if let Some(gw) = spec.gateway {
        msg.attr(RTA_GATEWAY, &ip_bytes(&gw));
    }
    if let Some(oif) = spec.oif {
        msg.attr_u32(RTA_OIF, oif);
    }
    if let Some(src) = spec.src {
        msg.attr(RTA_PREFSRC, &ip_bytes(&src));
    }
    if let Some(metric) = spec.metric {
        msg.attr_u32(RTA_PRIORITY, metric);
    }
    if spec.mtu.is_some() || spec.advmss.is_some() {
        msg.nest_start(RTA_METRICS);
        if let Some(mtu) = spec.mtu {
            msg.attr_u32(RTAX_MTU, mtu);
        }
        if let Some(advmss) = spec.advmss {
            msg.attr_u32(RTAX_ADVMSS, advmss);
        }
        msg.nest_end();
    }
    msg
}

pub fn list(family: u8) -> MsgBuilder {
    let mut msg = MsgBuilder::new(RTM_GETROUTE, 0);
    msg.header(&rtmsg(family, 0, 0, 0, 0, 0, 0));
    msg
}

#[derive(Debug, Clone, PartialEq)]
pub struct NextHop {
    pub gateway: Option<IpAddr>,
    pub oif: u32,
    pub weight: u16,
    pub flags: u8,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Route {
    pub family: u8,
    pub dst: Option<(IpAddr, u8)>,
    pub dst_len: u8,
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
    pub src: Option<IpAddr>,
    pub scope: u8,
    pub metric: Option<u32>,
    pub table: u32,
    pub protocol: u8,
    pub route_type: u8,
    pub flags: u32,
    pub mtu: Option<u32>,
    pub advmss: Option<u32>,
    pub multipath: Vec<NextHop>,
}

pub fn parse(payload: &[u8]) -> Option<Route> {
    if payload.len() < RTMSG_LEN {
        return None;
    }
    let mut route = Route {
        family: payload[0],
        dst_len: payload[1],
        table: payload[4] as u32,
        protocol: payload[5],
        scope: payload[6],
        route_type: payload[7],
        flags: nl::u32_at(payload, 8)?,
        ..Route::default()
    };
    for (attr, data) in nl::attrs_after(payload, RTMSG_LEN) {
        match attr {
            RTA_DST => route.dst = ip_of(data).map(|ip| (ip, route.dst_len)),
            RTA_GATEWAY => route.gateway = ip_of(data),
            RTA_OIF => route.oif = nl::u32_at(data, 0),
            RTA_PREFSRC => route.src = ip_of(data),
            RTA_PRIORITY => route.metric = nl::u32_at(data, 0),
            RTA_TABLE => route.table = nl::u32_at(data, 0).unwrap_or(route.table),
            RTA_METRICS => {
                for (metric, value) in nl::attrs(data) {
                    match metric {
                        RTAX_MTU => route.mtu = nl::u32_at(value, 0),
                        RTAX_ADVMSS => route.advmss = nl::u32_at(value, 0),
                        _ => {}
                    }
                }
            }
            RTA_MULTIPATH => route.multipath = parse_multipath(data),
            _ => {}
        }
    }
    Some(route)
}

/// RTA_MULTIPATH: a sequence of rtnexthop {len u16, flags u8, hops u8, ifindex i32} each followed by
/// its own attributes (the gateway).
fn parse_multipath(mut data: &[u8]) -> Vec<NextHop> {
    let mut hops = Vec::new();
    while data.len() >= 8 {
        let len = nl::u16_at(data, 0).unwrap_or(0) as usize;
        if len < 8 || len > data.len() {
            break;
        }
        let mut hop = NextHop { gateway: None, oif: nl::u32_at(data, 4).unwrap_or(0), weight: data[3] as u16 + 1, flags: data[2] };
        for (attr, value) in nl::attrs(&data[8..len]) {
            if attr == RTA_GATEWAY {
                hop.gateway = ip_of(value);
            }
        }
        hops.push(hop);
        data = &data[nl::align(len).min(data.len())..];
    }
    hops
}

/// Does a route match a list filter? `None` fields match anything.
pub struct RouteFilter {
    /// None = every table
    pub table: Option<u32>,
    pub dst: Option<Option<(IpAddr, u8)>>,
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
}

impl RouteFilter {
    pub fn matches(&self, route: &Route) -> bool {
        if let Some(table) = self.table {
            if route.table != table {
                return false;
            }
        }
        if let Some(dst) = &self.dst {
            let wanted = dst.filter(|(_, len)| *len > 0);
            if route.dst != wanted {
                return false;
            }
        }
        if let Some(gw) = &self.gateway {
            let via_hop = route.multipath.iter().any(|h| h.gateway.as_ref() == Some(gw));
            if route.gateway.as_ref() != Some(gw) && !via_hop {
                return false;
            }
        }
        if let Some(oif) = self.oif {
            let via_hop = route.multipath.iter().any(|h| h.oif == oif);
            if route.oif != Some(oif) && !via_hop {
                return false;
            }
        }
        true
    }
}

pub fn family_number(version: u8) -> u8 {
    match version {
        4 => AF_INET,
        6 => AF_INET6,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RouteSpec {
        RouteSpec {
            dst: Some(("10.2.0.0".parse().unwrap(), 16)),
            gateway: Some("10.1.0.1".parse().unwrap()),
            oif: Some(4),
            metric: Some(100),
            mtu: Some(1400),
            advmss: Some(1360),
            ..Default::default()
        }
    }

    #[test]
    fn add_encodes_defaults_and_round_trips() {
        let s = spec();
        let bytes = encode(RTM_NEWROUTE, nl::NLM_F_CREATE | nl::NLM_F_EXCL, &s, AF_INET).finish(1);
        let hdr = &bytes[16..28];
        assert_eq!(hdr[..8], [AF_INET, 16, 0, 0, RT_TABLE_MAIN as u8, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST]);
        let route = parse(&bytes[16..]).unwrap();
        assert_eq!(route.dst, s.dst);
        assert_eq!(route.gateway, s.gateway);
        assert_eq!((route.oif, route.metric, route.mtu, route.advmss), (Some(4), Some(100), Some(1400), Some(1360)));
        assert_eq!(route.table, RT_TABLE_MAIN);
    }

    #[test]
    fn delete_uses_wildcard_scope_and_no_table() {
        let bytes = encode(RTM_DELROUTE, 0, &spec(), AF_INET).finish(1);
        let hdr = &bytes[16..28];
        assert_eq!((hdr[4], hdr[5], hdr[6], hdr[7]), (0, 0, RT_SCOPE_NOWHERE, 0));
    }

    #[test]
    fn large_table_goes_in_rta_table() {
        let s = RouteSpec { table: Some(1000), ..spec() };
        let bytes = encode(RTM_NEWROUTE, 0, &s, AF_INET).finish(1);
        assert_eq!(bytes[16 + 4], 0);
        assert_eq!(parse(&bytes[16..]).unwrap().table, 1000);
    }

    #[test]
    fn multipath_is_decoded() {
        let mut mp = Vec::new();
        for (gw, oif) in [([0xfdu8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 3u32), ([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 4)] {
            mp.extend_from_slice(&28u16.to_ne_bytes());
            mp.extend_from_slice(&[0, 0]);
            mp.extend_from_slice(&oif.to_ne_bytes());
            mp.extend_from_slice(&20u16.to_ne_bytes());
            mp.extend_from_slice(&RTA_GATEWAY.to_ne_bytes());
            mp.extend_from_slice(&gw);
        }
        let mut msg = MsgBuilder::new(RTM_NEWROUTE, 0);
        msg.header(&rtmsg(AF_INET6, 0, 254, 3, 0, 1, 0)).attr(RTA_MULTIPATH, &mp);
        let bytes = msg.finish(1);
        let route = parse(&bytes[16..]).unwrap();
        assert_eq!(route.multipath.len(), 2);
        assert_eq!(route.multipath[1].oif, 4);
        assert_eq!(route.multipath[1].gateway, Some("fd00::2".parse().unwrap()));
        let filter = RouteFilter { table: Some(254), dst: Some(None), gateway: Some("fd00::2".parse().unwrap()), oif: None };
        assert!(filter.matches(&route));
    }
}
