//! nfnetlink framing for nf_tables: message types, the 4-byte nfgenmsg after nlmsghdr, address families,
//! and the batch (NFNL_MSG_BATCH_BEGIN ... END) every change travels in.

use crate::nl::{MsgBuilder, NLM_F_ACK, NLM_F_REQUEST};

/// The nf_tables subsystem id: the high byte of every nf_tables message type.
pub const NFNL_SUBSYS_NFTABLES: u16 = 10;
pub const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
pub const NFNL_MSG_BATCH_END: u16 = 0x11;
const NFNETLINK_V0: u8 = 0;

// enum nf_tables_msg_types (linux/netfilter/nf_tables.h)
pub const NFT_MSG_NEWTABLE: u16 = 0;
pub const NFT_MSG_GETTABLE: u16 = 1;
pub const NFT_MSG_DELTABLE: u16 = 2;
pub const NFT_MSG_NEWCHAIN: u16 = 3;
pub const NFT_MSG_GETCHAIN: u16 = 4;
pub const NFT_MSG_DELCHAIN: u16 = 5;
pub const NFT_MSG_NEWRULE: u16 = 6;
pub const NFT_MSG_GETRULE: u16 = 7;
pub const NFT_MSG_DELRULE: u16 = 8;

/// The nlmsghdr type of an nf_tables message.
pub const fn msg_type(nft_msg: u16) -> u16 {
    (NFNL_SUBSYS_NFTABLES << 8) | nft_msg
}

/// The NFPROTO_* family a table lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Inet,
    Ip,
    Ip6,
    Bridge,
    Arp,
    Netdev,
}

impl Family {
    pub fn number(self) -> u8 {
        match self {
            Family::Inet => 1,
            Family::Ip => 2,
            Family::Arp => 3,
            Family::Netdev => 5,
            Family::Bridge => 7,
            Family::Ip6 => 10,
        }
    }
    pub fn from_number(number: u8) -> Option<Family> {
        Some(match number {
            1 => Family::Inet,
            2 => Family::Ip,
            3 => Family::Arp,
            5 => Family::Netdev,
            7 => Family::Bridge,
            10 => Family::Ip6,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Ip => "ip",
            Family::Ip6 => "ip6",
            Family::Bridge => "bridge",
            Family::Arp => "arp",
            Family::Netdev => "netdev",
        }
    }
    pub fn from_name(name: &str) -> Option<Family> {
        Some(match name {
            "inet" => Family::Inet,
            "ip" => Family::Ip,
            "ip6" => Family::Ip6,
            "bridge" => Family::Bridge,
            "arp" => Family::Arp,
            "netdev" => Family::Netdev,
            _ => return None,
        })
    }
}

/// nlmsghdr + nfgenmsg for an nf_tables message; `family` 0 (AF_UNSPEC) means every family in a dump.
pub fn start(nft_msg: u16, flags: u16, family: u8) -> MsgBuilder {
    let mut msg = MsgBuilder::new(msg_type(nft_msg), flags);
    // nfgenmsg: family, version, res_id (big endian; 0 for nf_tables requests)
    msg.header(&[family, NFNETLINK_V0, 0, 0]);
    msg
}

/// A batch delimiter: res_id names the subsystem the batch is for.
fn delimiter(msg_type: u16, seq: u32) -> Vec<u8> {
    let mut msg = MsgBuilder::new(msg_type, NLM_F_REQUEST);
    let subsystem = NFNL_SUBSYS_NFTABLES.to_be_bytes();
    msg.header(&[0, NFNETLINK_V0, subsystem[0], subsystem[1]]);
    msg.finish(seq)
}

/// One datagram: BATCH_BEGIN, the messages, BATCH_END. Only the last message asks for an ack: the kernel
/// reports every failing message anyway, so that ack (or error) marks the end of the answer.
pub struct Batch {
    pub bytes: Vec<u8>,
    pub begin_seq: u32,
    /// the sequence number of each message, in order
    pub seqs: Vec<u32>,
}

pub fn batch(messages: Vec<MsgBuilder>, mut next_seq: impl FnMut() -> u32) -> Batch {
    let begin_seq = next_seq();
    let mut bytes = delimiter(NFNL_MSG_BATCH_BEGIN, begin_seq);
    let count = messages.len();
    let mut seqs = Vec::with_capacity(count);
    for (i, mut msg) in messages.into_iter().enumerate() {
        msg.add_flags(NLM_F_REQUEST);
        if i + 1 == count {
            msg.add_flags(NLM_F_ACK);
        }
        let seq = next_seq();
        seqs.push(seq);
        bytes.extend_from_slice(&msg.finish(seq));
    }
    bytes.extend_from_slice(&delimiter(NFNL_MSG_BATCH_END, next_seq()));
    Batch { bytes, begin_seq, seqs }
}

/// The family byte of a reply's nfgenmsg.
pub fn family_of(payload: &[u8]) -> Option<Family> {
    payload.first().and_then(|&f| Family::from_number(f))
}

/// Attributes after the 4-byte nfgenmsg.
pub fn attrs(payload: &[u8]) -> crate::nl::Attrs<'_> {
    crate::nl::attrs_after(payload, 4)
}

pub fn be32(payload: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(payload.get(0..4)?.try_into().ok()?))
}
pub fn be64(payload: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(payload.get(0..8)?.try_into().ok()?))
}
