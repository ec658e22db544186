//! Bridge VLANs: AF_BRIDGE RTM_SETLINK/RTM_DELLINK with IFLA_AF_SPEC, and the AF_BRIDGE link dump that
//! lists them (IFLA_EXT_MASK = RTEXT_FILTER_BRVLAN).

use crate::link::{ifinfomsg, AF_BRIDGE, IFINFOMSG_LEN, IFLA_AF_SPEC, IFLA_EXT_MASK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK};
use crate::nl::{self, MsgBuilder};

const IFLA_BRIDGE_FLAGS: u16 = 0;
const IFLA_BRIDGE_VLAN_INFO: u16 = 2;
const BRIDGE_FLAGS_MASTER: u16 = 1;
const BRIDGE_FLAGS_SELF: u16 = 2;
pub const BRIDGE_VLAN_INFO_PVID: u16 = 1 << 1;
pub const BRIDGE_VLAN_INFO_UNTAGGED: u16 = 1 << 2;
const BRIDGE_VLAN_INFO_RANGE_BEGIN: u16 = 1 << 3;
const BRIDGE_VLAN_INFO_RANGE_END: u16 = 1 << 4;
const RTEXT_FILTER_BRVLAN: u32 = 1 << 1;

#[derive(Debug, Clone, PartialEq)]
pub struct Vlan {
    pub index: i32,
    pub vid: u16,
    pub pvid: bool,
    pub untagged: bool,
}

/// Add (or with `delete`, remove) VLAN `vid` on a port; `on_self` targets the bridge device itself.
pub fn modify(delete: bool, index: i32, vid: u16, pvid: bool, untagged: bool, on_self: bool) -> MsgBuilder {
    let mut msg = MsgBuilder::new(if delete { RTM_DELLINK } else { RTM_SETLINK }, 0);
    let mut flags = 0u16;
    if pvid {
        flags |= BRIDGE_VLAN_INFO_PVID;
    }
    if untagged {
        flags |= BRIDGE_VLAN_INFO_UNTAGGED;
    }
    let mut info = [0u8; 4];
    info[0..2].copy_from_slice(&flags.to_ne_bytes());
    info[2..4].copy_from_slice(&vid.to_ne_bytes());
    msg.header(&ifinfomsg(AF_BRIDGE, index, 0, 0)).nest_start(IFLA_AF_SPEC);
    msg.attr_u16(IFLA_BRIDGE_FLAGS, if on_self { BRIDGE_FLAGS_SELF } else { BRIDGE_FLAGS_MASTER });
    msg.attr(IFLA_BRIDGE_VLAN_INFO, &info).nest_end();
    msg
}

pub fn list() -> MsgBuilder {
    let mut msg = MsgBuilder::new(RTM_GETLINK, 0);
    msg.header(&ifinfomsg(AF_BRIDGE, 0, 0, 0)).attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN);
    msg
}

/// The VLANs of one AF_BRIDGE link message (ranges expanded).
pub fn parse(payload: &[u8]) -> Vec<Vlan> {
    let index = nl::i32_at(payload, 4).unwrap_or(0);
    let mut vlans = Vec::new();
    let mut range_start: Option<u16> = None;
    for (attr, data) in nl::attrs_after(payload, IFINFOMSG_LEN) {
        if attr != IFLA_AF_SPEC {
            continue;
        }
        for (inner, info) in nl::attrs(data) {
            if inner != IFLA_BRIDGE_VLAN_INFO {
                continue;
            }
            let (Some(flags), Some(vid)) = (nl::u16_at(info, 0), nl::u16_at(info, 2)) else { continue };
            let entry = |vid| Vlan { index, vid, pvid: flags & BRIDGE_VLAN_INFO_PVID != 0, untagged: flags & BRIDGE_VLAN_INFO_UNTAGGED != 0 };
            if flags & BRIDGE_VLAN_INFO_RANGE_BEGIN != 0 {
                range_start = Some(vid);
            } else if flags & BRIDGE_VLAN_INFO_RANGE_END != 0 {
                for v in range_start.take().unwrap_or(vid)..=vid {
                    vlans.push(entry(v));
                }
            } else {
                vlans.push(entry(vid));
            }
        }
    }
    vlans
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn vlan_add_round_trips_through_the_list_decoder() {
        let bytes = modify(false, 6, 100, true, true, false).finish(1);
        assert_eq!(nl::u16_at(&bytes, 4), Some(RTM_SETLINK));
        assert_eq!(bytes[16], AF_BRIDGE);
        let vlans = parse(&bytes[16..]);
        assert_eq!(vlans, vec![Vlan { index: 6, vid: 100, pvid: true, untagged: true }]);
        let del = modify(true, 6, 100, false, false, true).finish(1);
        assert_eq!(nl::u16_at(&del, 4), Some(RTM_DELLINK));
    }
}
