//! Connection tracking over ctnetlink (NETLINK_NETFILTER, subsystem NFNL_SUBSYS_CTNETLINK): deleting the
//! entries of one transport protocol whose original destination port is one of a set, what
//! `conntrack -D -p udp --dport N` does, without the binary. portmap needs it: a UDP flow tracked before a
//! port was published keeps its old translation until its entry goes.
//!
//! One dump of the table (IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC: every family, as conntrack asks), then
//! one IPCTNL_MSG_CT_DELETE per matching entry carrying its original tuple as dumped (and its zone): the
//! kernel finds the entry by that tuple (ctnetlink_del_conntrack). conntrack(8) sends the whole entry back;
//! the tuple is all the kernel reads to find it.

use crate::error::Result;
use crate::nl::{self, MsgBuilder, NLA_F_NESTED};
use crate::socket::Socket;
use crate::sys;

const NFNL_SUBSYS_CTNETLINK: u16 = 1;
const IPCTNL_MSG_CT_NEW: u16 = 0;
const IPCTNL_MSG_CT_GET: u16 = 1;
const IPCTNL_MSG_CT_DELETE: u16 = 2;
const NFNETLINK_V0: u8 = 0;
const AF_UNSPEC: u8 = 0;

// enum ctattr_type
const CTA_TUPLE_ORIG: u16 = 1;
const CTA_TUPLE_REPLY: u16 = 2;
const CTA_ZONE: u16 = 18;
// enum ctattr_tuple
const CTA_TUPLE_IP: u16 = 1;
const CTA_TUPLE_PROTO: u16 = 2;
// enum ctattr_ip
const CTA_IP_V4_SRC: u16 = 1;
const CTA_IP_V6_SRC: u16 = 3;
// enum ctattr_l4proto
const CTA_PROTO_NUM: u16 = 1;
const CTA_PROTO_DST_PORT: u16 = 3;

fn msg_type(msg: u16) -> u16 {
    (NFNL_SUBSYS_CTNETLINK << 8) | msg
}

fn start(msg: u16, flags: u16, family: u8) -> MsgBuilder {
    let mut builder = MsgBuilder::new(msg_type(msg), flags);
    // nfgenmsg: family, version, res_id (0)
    builder.header(&[family, NFNETLINK_V0, 0, 0]);
    builder
}

/// The dump request: every entry of every family.
pub fn dump_request() -> MsgBuilder {
    start(IPCTNL_MSG_CT_GET, 0, AF_UNSPEC)
}

/// One dumped entry: what deleting it needs, and what the filter looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub family: u8,
    /// the payload of CTA_TUPLE_ORIG, as the kernel sent it
    pub orig_tuple: Vec<u8>,
    /// CTA_ZONE (big-endian u16 payload), when set
    pub zone: Option<Vec<u8>>,
    pub protocol: Option<u8>,
    pub dst_port: Option<u16>,
    /// the reply tuple's source address: where a DNATed connection really goes
    pub reply_src: Option<Vec<u8>>,
}

/// A dumped IPCTNL_MSG_CT_NEW payload (nfgenmsg + attributes).
pub fn parse_entry(payload: &[u8]) -> Option<Entry> {
    let family = *payload.first()?;
    let mut entry = Entry { family, orig_tuple: Vec::new(), zone: None, protocol: None, dst_port: None, reply_src: None };
    let mut has_tuple = false;
    for (attr, value) in nl::attrs_after(payload, 4) {
        match attr {
            CTA_TUPLE_ORIG => {
                has_tuple = true;
                entry.orig_tuple = value.to_vec();
                for (tuple_attr, tuple_value) in nl::attrs(value) {
                    if tuple_attr != CTA_TUPLE_PROTO {
                        continue;
                    }
                    for (proto_attr, proto_value) in nl::attrs(tuple_value) {
                        match proto_attr {
                            CTA_PROTO_NUM => entry.protocol = proto_value.first().copied(),
                            CTA_PROTO_DST_PORT => entry.dst_port = proto_value.get(0..2).map(|b| u16::from_be_bytes([b[0], b[1]])),
                            _ => {}
                        }
                    }
                }
            }
            CTA_TUPLE_REPLY => {
                for (tuple_attr, tuple_value) in nl::attrs(value) {
                    if tuple_attr != CTA_TUPLE_IP {
                        continue;
                    }
                    for (ip_attr, ip_value) in nl::attrs(tuple_value) {
                        if ip_attr == CTA_IP_V4_SRC || ip_attr == CTA_IP_V6_SRC {
                            entry.reply_src = Some(ip_value.to_vec());
                        }
                    }
                }
            }
            CTA_ZONE => entry.zone = Some(value.to_vec()),
            _ => {}
        }
    }
    has_tuple.then_some(entry)
}

/// The delete request for one dumped entry.
pub fn delete_request(entry: &Entry) -> MsgBuilder {
    let mut msg = start(IPCTNL_MSG_CT_DELETE, 0, entry.family);
    msg.attr(CTA_TUPLE_ORIG | NLA_F_NESTED, &entry.orig_tuple);
    if let Some(zone) = &entry.zone {
        msg.attr(CTA_ZONE, zone);
    }
    msg
}

/// Delete the entries of `family` (AF_INET/AF_INET6 number, 0 = any) and transport `protocol` whose original
/// destination port is in `dst_ports` and, when `reply_src` is given, whose reply comes from that address
/// (4 or 16 bytes: the connections DNATed to it). An entry gone between the dump and its delete (ENOENT)
/// is not an error. Returns how many were deleted.
pub fn delete_by_dst_port(sock: Socket, family: u8, protocol: u8, dst_ports: &[u16], reply_src: Option<&[u8]>) -> Result<u32> {
    let replies = sock.dump(dump_request).map_err(|e| e.about("conntrackDelete", "dump"))?;
    let mut deleted = 0;
    for reply in replies.iter().filter(|r| r.msg_type == msg_type(IPCTNL_MSG_CT_NEW)) {
        let Some(entry) = parse_entry(&reply.payload) else { continue };
        let wanted = (family == AF_UNSPEC || entry.family == family)
            && entry.protocol == Some(protocol)
            && entry.dst_port.is_some_and(|port| dst_ports.contains(&port))
            && reply_src.is_none_or(|address| entry.reply_src.as_deref() == Some(address));
        if !wanted {
            continue;
        }
        match sock.request_ack(delete_request(&entry)) {
            Ok(()) => deleted += 1,
            Err(e) if e.errno == sys::ENOENT => {}
            Err(e) => return Err(e.about("conntrackDelete", format!("dport {}", entry.dst_port.unwrap_or(0)))),
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    /// Bytes after the sequence number and port id (which differ per run): type, flags and the rest.
    fn canonical(bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes[0..8].to_vec();
        out.extend_from_slice(&bytes[16..]);
        out
    }

    // `conntrack -D -p udp --dport 5353` (conntrack-tools 1.4.7, Linux 6.18, x86_64), captured with
    // `strace -e trace=sendto -e write=all` in a namespace holding one entry made by
    // `conntrack -I -p udp -s 10.1.1.1 -d 10.2.2.2 --sport 4000 --dport 5353 --timeout 100`.
    /// its dump request
    const DUMP: &str = "1400000001010103" /* len, type CTNETLINK<<8|CT_GET, flags REQUEST|DUMP */;
    const DUMP_REST: &str = "00000000" /* nfgenmsg AF_UNSPEC, v0, res_id 0 */;
    /// its delete request, cut after CTA_TUPLE_ORIG (conntrack goes on with the reply tuple, status,
    /// timeout, mark and CTA_LABELS of the entry, none of which the kernel uses to find it)
    const DELETE_ORIG: &str = concat!(
        "b0000000", "0201", "0500",                     // len 176, type CTNETLINK<<8|CT_DELETE, flags REQUEST|ACK
        "0000000000000000",                             // sequence number and port id (not compared)
        "02000000",                                     // nfgenmsg AF_INET
        "34000180",                                     // CTA_TUPLE_ORIG (nested)
        "14000180", "080001000a010101", "080002000a020202", // CTA_TUPLE_IP: src, dst
        "1c000280", "0500010011000000", "060002000fa00000", "0600030014e90000", // CTA_TUPLE_PROTO: udp, 4000, 5353
    );

    #[test]
    fn dump_request_is_conntracks() {
        let ours = canonical(&{
            let mut msg = dump_request();
            msg.add_flags(nl::NLM_F_REQUEST | nl::NLM_F_DUMP);
            msg.finish(7)
        });
        let mut golden = hex(DUMP);
        golden.extend_from_slice(&hex(DUMP_REST));
        assert_eq!(ours, golden);
    }

    #[test]
    fn delete_request_is_conntracks_up_to_the_tuple() {
        let golden = hex(DELETE_ORIG);
        let entry = Entry { family: 2, orig_tuple: golden[24..].to_vec(), zone: None, protocol: Some(17), dst_port: Some(5353), reply_src: None };
        let mut msg = delete_request(&entry);
        msg.add_flags(nl::NLM_F_REQUEST | nl::NLM_F_ACK);
        let ours = msg.finish(7);
        // the same bytes but the length (ours ends after the tuple) and the sequence number/port id
        assert_eq!(ours.len(), golden.len());
        assert_eq!(u32::from_ne_bytes(ours[0..4].try_into().unwrap()) as usize, golden.len());
        assert_eq!(ours[4..8], golden[4..8]);
        assert_eq!(ours[16..], golden[16..]);
    }

    /// the reply tuple conntrack sent next for the same entry (from 10.2.2.2:5353 to 10.1.1.1:4000)
    const REPLY_TUPLE: &str = concat!(
        "34000280",
        "14000180", "080001000a020202", "080002000a010101",
        "1c000280", "0500010011000000", "0600020014e90000", "060003000fa00000",
    );

    #[test]
    fn parse_entry_reads_the_original_tuple() {
        // a dumped IPCTNL_MSG_CT_NEW payload: nfgenmsg, the original and reply tuples above, a zone
        let golden = hex(DELETE_ORIG);
        let mut payload = golden[16..].to_vec();
        payload.extend_from_slice(&hex(REPLY_TUPLE));
        payload.extend_from_slice(&hex("0600120000050000"));
        let entry = parse_entry(&payload).unwrap();
        assert_eq!(entry.family, 2);
        assert_eq!(entry.protocol, Some(17));
        assert_eq!(entry.dst_port, Some(5353));
        assert_eq!(entry.orig_tuple, golden[24..].to_vec());
        assert_eq!(entry.zone, Some(vec![0, 5]));
        assert_eq!(entry.reply_src, Some(vec![10, 2, 2, 2]));
    }
}
