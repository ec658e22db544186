//! Addresses (RTM_*ADDR): encoders and the decoder of `ifaddrmsg` replies.

use crate::nl::{self, MsgBuilder};
use std::net::{IpAddr, Ipv4Addr};

pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;
const IFADDRMSG_LEN: usize = 8;

pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_LABEL: u16 = 3;
const IFA_BROADCAST: u16 = 4;
const IFA_CACHEINFO: u16 = 6;
const IFA_FLAGS: u16 = 8;

pub const IFA_F_NODAD: u32 = 0x02;
pub const IFA_F_DADFAILED: u32 = 0x08;
pub const IFA_F_DEPRECATED: u32 = 0x20;
pub const IFA_F_TENTATIVE: u32 = 0x40;
pub const IFA_F_PERMANENT: u32 = 0x80;
pub const IFA_F_NOPREFIXROUTE: u32 = 0x200;

pub fn family_of(ip: &IpAddr) -> u8 {
    if ip.is_ipv4() {
        AF_INET
    } else {
        AF_INET6
    }
}

pub fn ip_bytes(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// An address from 4 or 16 payload bytes.
pub fn ip_of(payload: &[u8]) -> Option<IpAddr> {
    match payload.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(payload).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(payload).ok()?)),
        _ => None,
    }
}

fn ifaddrmsg(family: u8, prefix_len: u8, flags: u8, scope: u8, index: u32) -> [u8; IFADDRMSG_LEN] {
    let mut out = [0u8; IFADDRMSG_LEN];
    out[0] = family;
    out[1] = prefix_len;
    out[2] = flags;
    out[3] = scope;
    out[4..8].copy_from_slice(&index.to_ne_bytes());
    out
}

/// What addrAdd/addrDel send.
#[derive(Debug, Clone)]
pub struct AddrSpec {
    pub index: u32,
    pub ip: IpAddr,
    pub prefix_len: u8,
    pub peer: Option<IpAddr>,
    /// None: computed for IPv4 prefixes shorter than /31 (as vishvananda/netlink does); Some(None): none.
    pub broadcast: Option<Option<Ipv4Addr>>,
    pub label: Option<String>,
    pub flags: u32,
    pub scope: u8,
    pub valid_lft: Option<u32>,
    pub preferred_lft: Option<u32>,
}

/// The broadcast address of an IPv4 network (all host bits set).
pub fn ipv4_broadcast(ip: Ipv4Addr, prefix_len: u8) -> Ipv4Addr {
    let host_mask = if prefix_len >= 32 { 0 } else { u32::MAX >> prefix_len };
    Ipv4Addr::from(u32::from(ip) | host_mask)
}

/// `flags`: NLM_F_CREATE|NLM_F_EXCL to add, NLM_F_CREATE|NLM_F_REPLACE to replace.
pub fn add(spec: &AddrSpec, flags: u16) -> MsgBuilder {
    encode(RTM_NEWADDR, flags, spec)
}
pub fn delete(spec: &AddrSpec) -> MsgBuilder {
    encode(RTM_DELADDR, 0, spec)
}

fn encode(msg_type: u16, flags: u16, spec: &AddrSpec) -> MsgBuilder {
    let family = family_of(&spec.ip);
    let mut msg = MsgBuilder::new(msg_type, flags);
    msg.header(&ifaddrmsg(family, spec.prefix_len, (spec.flags & 0xff) as u8, spec.scope, spec.index));
    let local = ip_bytes(&spec.ip);
    // IFA_LOCAL is the interface's own address, IFA_ADDRESS the peer (the same unless point-to-point).
    msg.attr(IFA_LOCAL, &local);
    msg.attr(IFA_ADDRESS, &spec.peer.as_ref().map_or(local.clone(), ip_bytes));
    if let IpAddr::V4(v4) = spec.ip {
        if msg_type == RTM_NEWADDR {
            let broadcast = match spec.broadcast {
                Some(explicit) => explicit,
                None if spec.prefix_len < 31 && spec.peer.is_none() => Some(ipv4_broadcast(v4, spec.prefix_len)),
                None => None,
            };
            if let Some(brd) = broadcast {
                msg.attr(IFA_BROADCAST, &brd.octets());
            }
        }
    }
    if let Some(label) = &spec.label {
        msg.attr_str(IFA_LABEL, label);
    }
    if spec.flags > 0xff {
        msg.attr_u32(IFA_FLAGS, spec.flags);
    }
    if spec.valid_lft.is_some() || spec.preferred_lft.is_some() {
        let valid = spec.valid_lft.unwrap_or(u32::MAX);
        let preferred = spec.preferred_lft.unwrap_or(valid);
        let mut cache = Vec::with_capacity(16);
        cache.extend_from_slice(&preferred.to_ne_bytes());
        cache.extend_from_slice(&valid.to_ne_bytes());
        cache.extend_from_slice(&[0u8; 8]);
        msg.attr(IFA_CACHEINFO, &cache);
    }
    msg
}

/// Dump request; `family` 0 = both.
pub fn list(family: u8) -> MsgBuilder {
    let mut msg = MsgBuilder::new(RTM_GETADDR, 0);
    msg.header(&ifaddrmsg(family, 0, 0, 0, 0));
    msg
}

#[derive(Debug, Clone, PartialEq)]
pub struct Addr {
    pub index: u32,
    pub family: u8,
    pub prefix_len: u8,
    pub scope: u8,
    pub flags: u32,
    pub ip: IpAddr,
    pub peer: Option<IpAddr>,
    pub broadcast: Option<IpAddr>,
    pub label: Option<String>,
    pub valid_lft: Option<u32>,
    pub preferred_lft: Option<u32>,
}

pub fn parse(payload: &[u8]) -> Option<Addr> {
    if payload.len() < IFADDRMSG_LEN {
        return None;
    }
    let mut local = None;
    let mut address = None;
    let mut addr = Addr {
        family: payload[0],
        prefix_len: payload[1],
        flags: payload[2] as u32,
        scope: payload[3],
        index: nl::u32_at(payload, 4)?,
        ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        peer: None,
        broadcast: None,
        label: None,
        valid_lft: None,
        preferred_lft: None,
    };
    for (attr, data) in nl::attrs_after(payload, IFADDRMSG_LEN) {
        match attr {
            IFA_LOCAL => local = ip_of(data),
            IFA_ADDRESS => address = ip_of(data),
            IFA_BROADCAST => addr.broadcast = ip_of(data),
            IFA_LABEL => addr.label = Some(nl::str_of(data)),
            IFA_FLAGS => addr.flags = nl::u32_at(data, 0).unwrap_or(addr.flags),
            IFA_CACHEINFO => {
                addr.preferred_lft = nl::u32_at(data, 0);
                addr.valid_lft = nl::u32_at(data, 4);
            }
            _ => {}
        }
    }
    addr.ip = local.or(address)?;
    if local.is_some() && address.is_some() && address != local {
        addr.peer = address;
    }
    Some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_add_has_local_address_and_computed_broadcast() {
        let spec = AddrSpec {
            index: 3,
            ip: "10.1.2.3".parse().unwrap(),
            prefix_len: 24,
            peer: None,
            broadcast: None,
            label: None,
            flags: 0,
            scope: 0,
            valid_lft: None,
            preferred_lft: None,
        };
        let bytes = add(&spec, nl::NLM_F_CREATE | nl::NLM_F_EXCL).finish(1);
        assert_eq!(&bytes[16..24], &[AF_INET, 24, 0, 0, 3, 0, 0, 0]);
        let attrs: Vec<_> = nl::attrs_after(&bytes[16..], IFADDRMSG_LEN).map(|(t, p)| (t, p.to_vec())).collect();
        assert_eq!(attrs[0], (IFA_LOCAL, vec![10, 1, 2, 3]));
        assert_eq!(attrs[1], (IFA_ADDRESS, vec![10, 1, 2, 3]));
        assert_eq!(attrs[2], (IFA_BROADCAST, vec![10, 1, 2, 255]));
        // and the decoder reads back what the encoder wrote
        let parsed = parse(&bytes[16..]).unwrap();
        assert_eq!(parsed.ip, spec.ip);
        assert_eq!(parsed.broadcast, Some("10.1.2.255".parse().unwrap()));
        assert_eq!(parsed.peer, None);
    }

    #[test]
    fn ipv6_nodad_and_large_flags_use_ifa_flags() {
        let spec = AddrSpec {
            index: 1,
            ip: "fd00::1".parse().unwrap(),
            prefix_len: 64,
            peer: None,
            broadcast: None,
            label: None,
            flags: IFA_F_NODAD | IFA_F_NOPREFIXROUTE,
            scope: 0,
            valid_lft: None,
            preferred_lft: None,
        };
        let bytes = add(&spec, 0).finish(1);
        assert_eq!(bytes[18], IFA_F_NODAD as u8);
        let parsed = parse(&bytes[16..]).unwrap();
        assert_eq!(parsed.flags, IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
        assert_eq!(parsed.family, AF_INET6);
        assert!(parsed.broadcast.is_none());
    }

    #[test]
    fn broadcast_math() {
        assert_eq!(ipv4_broadcast("10.0.0.1".parse().unwrap(), 8), "10.255.255.255".parse::<Ipv4Addr>().unwrap());
        assert_eq!(ipv4_broadcast("10.0.0.1".parse().unwrap(), 32), "10.0.0.1".parse::<Ipv4Addr>().unwrap());
        assert_eq!(ipv4_broadcast("10.0.0.1".parse().unwrap(), 0), Ipv4Addr::BROADCAST);
    }
}
