//! Links (RTM_*LINK): request encoders and the decoder of `ifinfomsg` replies, including bridge-port data.

use crate::nl::{self, MsgBuilder};

pub const RTM_NEWLINK: u16 = 16;
pub const RTM_DELLINK: u16 = 17;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_SETLINK: u16 = 19;

pub const AF_UNSPEC: u8 = 0;
pub const AF_BRIDGE: u8 = 7;
pub const IFINFOMSG_LEN: usize = 16;

pub const IFF_UP: u32 = 0x1;
pub const IFF_PROMISC: u32 = 0x100;
pub const IFF_ALLMULTI: u32 = 0x200;

const IFLA_ADDRESS: u16 = 1;
const IFLA_BROADCAST: u16 = 2;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_MASTER: u16 = 10;
pub const IFLA_PROTINFO: u16 = 12;
const IFLA_TXQLEN: u16 = 13;
const IFLA_OPERSTATE: u16 = 16;
const IFLA_LINKINFO: u16 = 18;
const IFLA_IFALIAS: u16 = 20;
pub const IFLA_AF_SPEC: u16 = 26;
const IFLA_NET_NS_FD: u16 = 28;
pub const IFLA_EXT_MASK: u16 = 29;
const IFLA_LINK_NETNSID: u16 = 37;
const IFLA_MIN_MTU: u16 = 50;
const IFLA_MAX_MTU: u16 = 51;
const IFLA_PERM_ADDRESS: u16 = 54;

const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const IFLA_INFO_SLAVE_KIND: u16 = 4;
const IFLA_INFO_SLAVE_DATA: u16 = 5;
const VETH_INFO_PEER: u16 = 1;
const IFLA_BR_VLAN_FILTERING: u16 = 7;

pub const IFLA_BRPORT_STATE: u16 = 1;
pub const IFLA_BRPORT_MODE: u16 = 4; // hairpin
pub const IFLA_BRPORT_LEARNING: u16 = 8;
pub const IFLA_BRPORT_UNICAST_FLOOD: u16 = 9;
pub const IFLA_BRPORT_ISOLATED: u16 = 33;

/// RTEXT_FILTER_SKIP_STATS: leave the (large) counters out of link replies.
pub const RTEXT_FILTER_SKIP_STATS: u32 = 1 << 3;

/// How a request names its link: the kernel accepts either an index or IFLA_IFNAME.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkRef {
    Index(i32),
    Name(String),
}

impl LinkRef {
    pub fn describe(&self) -> String {
        match self {
            LinkRef::Index(i) => format!("#{}", i),
            LinkRef::Name(n) => n.clone(),
        }
    }
}

pub fn ifinfomsg(family: u8, index: i32, flags: u32, change: u32) -> [u8; IFINFOMSG_LEN] {
    let mut out = [0u8; IFINFOMSG_LEN];
    out[0] = family;
    out[4..8].copy_from_slice(&index.to_ne_bytes());
    out[8..12].copy_from_slice(&flags.to_ne_bytes());
    out[12..16].copy_from_slice(&change.to_ne_bytes());
    out
}

/// A link message addressed to `link` (index in the header, or index 0 and IFLA_IFNAME).
pub fn addressed(msg_type: u16, family: u8, link: &LinkRef, flags: u32, change: u32) -> MsgBuilder {
    let mut msg = MsgBuilder::new(msg_type, 0);
    match link {
        LinkRef::Index(index) => {
            msg.header(&ifinfomsg(family, *index, flags, change));
        }
        LinkRef::Name(name) => {
            msg.header(&ifinfomsg(family, 0, flags, change)).attr_str(IFLA_IFNAME, name);
        }
    }
    msg
}

pub fn get(link: &LinkRef) -> MsgBuilder {
    let mut msg = addressed(RTM_GETLINK, AF_UNSPEC, link, 0, 0);
    msg.attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    msg
}

pub fn list() -> MsgBuilder {
    let mut msg = MsgBuilder::new(RTM_GETLINK, 0);
    msg.header(&ifinfomsg(AF_UNSPEC, 0, 0, 0)).attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    msg
}

pub fn delete(link: &LinkRef) -> MsgBuilder {
    addressed(RTM_DELLINK, AF_UNSPEC, link, 0, 0)
}

/// Options common to links we create.
#[derive(Debug, Default, Clone)]
pub struct CommonAttrs {
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    pub txqlen: Option<u32>,
    pub up: bool,
}

fn common(msg: &mut MsgBuilder, attrs: &CommonAttrs) {
    if let Some(mtu) = attrs.mtu {
        msg.attr_u32(IFLA_MTU, mtu);
    }
    if let Some(mac) = attrs.mac {
        msg.attr(IFLA_ADDRESS, &mac);
    }
    if let Some(txqlen) = attrs.txqlen {
        msg.attr_u32(IFLA_TXQLEN, txqlen);
    }
}

fn new_link(name: &str, attrs: &CommonAttrs) -> MsgBuilder {
    let up = if attrs.up { IFF_UP } else { 0 };
    let mut msg = MsgBuilder::new(RTM_NEWLINK, nl::NLM_F_CREATE | nl::NLM_F_EXCL);
    msg.header(&ifinfomsg(AF_UNSPEC, 0, up, up)).attr_str(IFLA_IFNAME, name);
    common(&mut msg, attrs);
    msg
}

// IFLA_INFO_KIND goes without a NUL, as iproute2 sends it (the kernel copies it with nla_strscpy either way).
pub fn add_bridge(name: &str, attrs: &CommonAttrs, vlan_filtering: Option<bool>) -> MsgBuilder {
    let mut msg = new_link(name, attrs);
    msg.nest_start(IFLA_LINKINFO).attr(IFLA_INFO_KIND, b"bridge");
    if let Some(filtering) = vlan_filtering {
        msg.nest_start(IFLA_INFO_DATA).attr_u8(IFLA_BR_VLAN_FILTERING, filtering as u8).nest_end();
    }
    msg.nest_end();
    msg
}

/// A veth pair; the peer may be created straight inside another namespace (`peer_netns_fd`).
pub fn add_veth(name: &str, attrs: &CommonAttrs, peer_name: &str, peer: &CommonAttrs, peer_netns_fd: Option<i32>) -> MsgBuilder {
    let mut msg = new_link(name, attrs);
    msg.nest_start(IFLA_LINKINFO).attr(IFLA_INFO_KIND, b"veth").nest_start(IFLA_INFO_DATA);
    msg.nest_start(VETH_INFO_PEER);
    let peer_up = if peer.up { IFF_UP } else { 0 };
    msg.raw(&ifinfomsg(AF_UNSPEC, 0, peer_up, peer_up)).attr_str(IFLA_IFNAME, peer_name);
    common(&mut msg, peer);
    if let Some(fd) = peer_netns_fd {
        msg.attr_u32(IFLA_NET_NS_FD, fd as u32);
    }
    msg.nest_end().nest_end().nest_end();
    msg
}

/// One attribute change of an existing link (RTM_SETLINK).
#[derive(Debug, Clone)]
pub enum LinkChange {
    Up,
    Down,
    Promisc(bool),
    /// receive all multicast packets (IFF_ALLMULTI)
    Allmulti(bool),
    Mtu(u32),
    Mac([u8; 6]),
    /// 0 = no master
    Master(u32),
    NetnsFd(i32),
    Name(String),
    TxQLen(u32),
    Alias(String),
}

pub fn set(link: &LinkRef, change: &LinkChange) -> MsgBuilder {
    let (flags, mask) = match change {
        LinkChange::Up => (IFF_UP, IFF_UP),
        LinkChange::Down => (0, IFF_UP),
        LinkChange::Promisc(on) => (if *on { IFF_PROMISC } else { 0 }, IFF_PROMISC),
        LinkChange::Allmulti(on) => (if *on { IFF_ALLMULTI } else { 0 }, IFF_ALLMULTI),
        _ => (0, 0),
    };
    let mut msg = addressed(RTM_SETLINK, AF_UNSPEC, link, flags, mask);
    match change {
        LinkChange::Up | LinkChange::Down | LinkChange::Promisc(_) | LinkChange::Allmulti(_) => {}
        LinkChange::Mtu(mtu) => {
            msg.attr_u32(IFLA_MTU, *mtu);
        }
        LinkChange::Mac(mac) => {
            msg.attr(IFLA_ADDRESS, mac);
        }
        LinkChange::Master(index) => {
            msg.attr_u32(IFLA_MASTER, *index);
        }
        LinkChange::NetnsFd(fd) => {
            msg.attr_u32(IFLA_NET_NS_FD, *fd as u32);
        }
        LinkChange::Name(name) => {
            // The new name travels in IFLA_IFNAME, so the link itself must be named by index.
            msg.attr_str(IFLA_IFNAME, name);
        }
        LinkChange::TxQLen(len) => {
            msg.attr_u32(IFLA_TXQLEN, *len);
        }
        LinkChange::Alias(alias) => {
            // Without a NUL, as iproute2 sends it: the kernel stores exactly nla_len bytes as the alias.
            msg.attr(IFLA_IFALIAS, alias.as_bytes());
        }
    }
    msg
}

/// Bridge-port settings as the kernel reports them (IFLA_INFO_SLAVE_DATA) or as we set them (IFLA_PROTINFO).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BridgePort {
    pub hairpin: Option<bool>,
    pub isolated: Option<bool>,
    pub learning: Option<bool>,
    pub unicast_flood: Option<bool>,
    pub state: Option<u8>,
}

/// AF_BRIDGE RTM_SETLINK with IFLA_PROTINFO: the bridge driver's own port-flag interface.
pub fn bridge_port_set(index: i32, port: &BridgePort) -> MsgBuilder {
    let mut msg = MsgBuilder::new(RTM_SETLINK, 0);
    msg.header(&ifinfomsg(AF_BRIDGE, index, 0, 0)).nest_start(IFLA_PROTINFO);
    let flags = [
        (IFLA_BRPORT_MODE, port.hairpin),
        (IFLA_BRPORT_ISOLATED, port.isolated),
        (IFLA_BRPORT_LEARNING, port.learning),
        (IFLA_BRPORT_UNICAST_FLOOD, port.unicast_flood),
    ];
    for (attr, value) in flags {
        if let Some(on) = value {
            msg.attr_u8(attr, on as u8);
        }
    }
    msg.nest_end();
    msg
}

fn parse_bridge_port(data: &[u8]) -> BridgePort {
    let mut port = BridgePort::default();
    for (attr, payload) in nl::attrs(data) {
        let flag = nl::u8_of(payload).map(|v| v != 0);
        match attr {
            IFLA_BRPORT_MODE => port.hairpin = flag,
            IFLA_BRPORT_ISOLATED => port.isolated = flag,
            IFLA_BRPORT_LEARNING => port.learning = flag,
            IFLA_BRPORT_UNICAST_FLOOD => port.unicast_flood = flag,
            IFLA_BRPORT_STATE => port.state = nl::u8_of(payload),
            _ => {}
        }
    }
    port
}

/// A link as RTM_NEWLINK describes it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Link {
    pub index: i32,
    pub name: String,
    pub link_type: u16,
    pub flags: u32,
    pub kind: Option<String>,
    pub slave_kind: Option<String>,
    pub mtu: u32,
    pub min_mtu: Option<u32>,
    pub max_mtu: Option<u32>,
    pub mac: Option<String>,
    pub broadcast: Option<String>,
    pub perm_mac: Option<String>,
    pub operstate: u8,
    pub master: Option<u32>,
    pub peer_index: Option<u32>,
    pub netns_id: Option<i32>,
    pub txqlen: Option<u32>,
    pub alias: Option<String>,
    pub vlan_filtering: Option<bool>,
    pub bridge_port: Option<BridgePort>,
}

pub fn operstate_name(state: u8) -> &'static str {
    match state {
        1 => "notpresent",
        2 => "down",
        3 => "lowerlayerdown",
        4 => "testing",
        5 => "dormant",
        6 => "up",
        _ => "unknown",
    }
}

pub fn parse(payload: &[u8]) -> Option<Link> {
    if payload.len() < IFINFOMSG_LEN {
        return None;
    }
    let mut link = Link {
        link_type: nl::u16_at(payload, 2)?,
        index: nl::i32_at(payload, 4)?,
        flags: nl::u32_at(payload, 8)?,
        ..Link::default()
    };
    for (attr, data) in nl::attrs_after(payload, IFINFOMSG_LEN) {
        match attr {
            IFLA_IFNAME => link.name = nl::str_of(data),
            IFLA_MTU => link.mtu = nl::u32_at(data, 0).unwrap_or(0),
            IFLA_MIN_MTU => link.min_mtu = nl::u32_at(data, 0),
            IFLA_MAX_MTU => link.max_mtu = nl::u32_at(data, 0),
            IFLA_ADDRESS => link.mac = Some(nl::format_mac(data)),
            IFLA_BROADCAST => link.broadcast = Some(nl::format_mac(data)),
            IFLA_PERM_ADDRESS => link.perm_mac = Some(nl::format_mac(data)),
            IFLA_OPERSTATE => link.operstate = nl::u8_of(data).unwrap_or(0),
            IFLA_MASTER => link.master = nl::u32_at(data, 0),
            IFLA_LINK => link.peer_index = nl::u32_at(data, 0),
            IFLA_LINK_NETNSID => link.netns_id = nl::i32_at(data, 0),
            IFLA_TXQLEN => link.txqlen = nl::u32_at(data, 0),
            IFLA_IFALIAS => link.alias = Some(nl::str_of(data)),
            IFLA_LINKINFO => parse_link_info(&mut link, data),
            _ => {}
        }
    }
    Some(link)
}

fn parse_link_info(link: &mut Link, info: &[u8]) {
    let mut data = None;
    let mut slave_data = None;
    for (attr, payload) in nl::attrs(info) {
        match attr {
            IFLA_INFO_KIND => link.kind = Some(nl::str_of(payload)),
            IFLA_INFO_SLAVE_KIND => link.slave_kind = Some(nl::str_of(payload)),
            IFLA_INFO_DATA => data = Some(payload),
            IFLA_INFO_SLAVE_DATA => slave_data = Some(payload),
            _ => {}
        }
    }
    if let (Some("bridge"), Some(data)) = (link.kind.as_deref(), data) {
        for (attr, payload) in nl::attrs(data) {
            if attr == IFLA_BR_VLAN_FILTERING {
                link.vlan_filtering = nl::u8_of(payload).map(|v| v != 0);
            }
        }
    }
    if let (Some("bridge"), Some(slave_data)) = (link.slave_kind.as_deref(), slave_data) {
        link.bridge_port = Some(parse_bridge_port(slave_data));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs_of(bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
        nl::attrs_after(&bytes[16..], IFINFOMSG_LEN).map(|(t, p)| (t, p.to_vec())).collect()
    }

    #[test]
    fn get_by_name_uses_index_zero_and_ifname() {
        let bytes = get(&LinkRef::Name("eth0".into())).finish(1);
        assert_eq!(nl::i32_at(&bytes, 16 + 4), Some(0));
        let attrs = attrs_of(&bytes);
        assert_eq!(attrs[0], (IFLA_IFNAME, b"eth0\0".to_vec()));
        assert_eq!(attrs[1], (IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS.to_ne_bytes().to_vec()));
    }

    #[test]
    fn set_up_sets_flag_and_change_mask() {
        let bytes = set(&LinkRef::Index(7), &LinkChange::Up).finish(1);
        assert_eq!(nl::u16_at(&bytes, 4), Some(RTM_SETLINK));
        assert_eq!(nl::i32_at(&bytes, 20), Some(7));
        assert_eq!(nl::u32_at(&bytes, 24), Some(IFF_UP));
        assert_eq!(nl::u32_at(&bytes, 28), Some(IFF_UP));
        let down = set(&LinkRef::Index(7), &LinkChange::Down).finish(1);
        assert_eq!((nl::u32_at(&down, 24), nl::u32_at(&down, 28)), (Some(0), Some(IFF_UP)));
    }

    #[test]
    fn veth_peer_carries_its_own_ifinfomsg_name_and_netns_fd() {
        let peer = CommonAttrs { mtu: Some(1400), ..Default::default() };
        let bytes = add_veth("h0", &CommonAttrs::default(), "c0", &peer, Some(9)).finish(1);
        assert_eq!(nl::u16_at(&bytes, 6), Some(nl::NLM_F_CREATE | nl::NLM_F_EXCL));
        let attrs = attrs_of(&bytes);
        let info = &attrs.iter().find(|(t, _)| *t == IFLA_LINKINFO).unwrap().1;
        let info: Vec<_> = nl::attrs(info).collect();
        assert_eq!(nl::str_of(info[0].1), "veth");
        let (t, peer_nest) = nl::attrs(info[1].1).next().unwrap();
        assert_eq!(t, VETH_INFO_PEER);
        let peer_attrs: Vec<_> = nl::attrs_after(peer_nest, IFINFOMSG_LEN).collect();
        assert_eq!(nl::str_of(peer_attrs[0].1), "c0");
        assert_eq!((peer_attrs[1].0, nl::u32_at(peer_attrs[1].1, 0)), (IFLA_MTU, Some(1400)));
        assert_eq!((peer_attrs[2].0, nl::u32_at(peer_attrs[2].1, 0)), (IFLA_NET_NS_FD, Some(9)));
    }

    #[test]
    fn parses_a_bridge_port_reply() {
        // Build a reply the way the kernel lays it out, with our own builder.
        let mut msg = MsgBuilder::new(RTM_NEWLINK, 0);
        msg.header(&ifinfomsg(AF_UNSPEC, 5, IFF_UP | 0x1000, 0))
            .attr_str(IFLA_IFNAME, "veth1")
            .attr_u32(IFLA_MTU, 1500)
            .attr(IFLA_ADDRESS, &[2, 0, 0, 0, 0, 1])
            .attr_u8(IFLA_OPERSTATE, 6)
            .attr_u32(IFLA_MASTER, 3)
            .attr_u32(IFLA_LINK, 4)
            .attr(IFLA_LINK_NETNSID, &1i32.to_ne_bytes())
            .nest_start(IFLA_LINKINFO)
            .attr_str(IFLA_INFO_KIND, "veth")
            .attr_str(IFLA_INFO_SLAVE_KIND, "bridge")
            .nest_start(IFLA_INFO_SLAVE_DATA)
            .attr_u8(IFLA_BRPORT_MODE, 1)
            .attr_u8(IFLA_BRPORT_ISOLATED, 0)
            .nest_end()
            .nest_end();
        let bytes = msg.finish(1);
        let link = parse(&bytes[16..]).unwrap();
        assert_eq!(link.index, 5);
        assert_eq!(link.name, "veth1");
        assert_eq!(link.mtu, 1500);
        assert_eq!(link.mac.as_deref(), Some("02:00:00:00:00:01"));
        assert_eq!(operstate_name(link.operstate), "up");
        assert_eq!((link.master, link.peer_index, link.netns_id), (Some(3), Some(4), Some(1)));
        assert_eq!(link.kind.as_deref(), Some("veth"));
        let port = link.bridge_port.unwrap();
        assert_eq!((port.hairpin, port.isolated), (Some(true), Some(false)));
    }

    #[test]
    fn bridge_port_set_uses_af_bridge_and_protinfo() {
        let port = BridgePort { hairpin: Some(true), isolated: Some(true), ..Default::default() };
        let bytes = bridge_port_set(4, &port).finish(1);
        assert_eq!(bytes[16], AF_BRIDGE);
        let attrs = attrs_of(&bytes);
        assert_eq!(attrs[0].0, IFLA_PROTINFO);
        let inner: Vec<_> = nl::attrs(&attrs[0].1).map(|(t, p)| (t, p.to_vec())).collect();
        assert_eq!(inner, vec![(IFLA_BRPORT_MODE, vec![1]), (IFLA_BRPORT_ISOLATED, vec![1])]);
    }
}
