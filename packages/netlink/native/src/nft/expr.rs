//! Rule expressions (meta, payload, cmp, bitwise, immediate/verdict, masq, nat, fib, ct, counter, and the
//! xtables `match` iptables-nft writes), as the kernel knows them (`nft --debug=netlink` prints the same list). Each is a
//! NFTA_LIST_ELEM nest holding NFTA_EXPR_NAME and an NFTA_EXPR_DATA nest; integers are big endian, data
//! values sit in an NFTA_DATA_VALUE nest, verdicts in NFTA_DATA_VERDICT. Attribute order follows nft's.

use super::msg::be32;
use crate::nl::{self, MsgBuilder};

const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;

const NFTA_DATA_VALUE: u16 = 1;
const NFTA_DATA_VERDICT: u16 = 2;
const NFTA_VERDICT_CODE: u16 = 1;
const NFTA_VERDICT_CHAIN: u16 = 2;

const NFTA_META_DREG: u16 = 1;
const NFTA_META_KEY: u16 = 2;
const NFTA_META_SREG: u16 = 3;

const NFTA_PAYLOAD_DREG: u16 = 1;
const NFTA_PAYLOAD_BASE: u16 = 2;
const NFTA_PAYLOAD_OFFSET: u16 = 3;
const NFTA_PAYLOAD_LEN: u16 = 4;
const NFTA_PAYLOAD_SREG: u16 = 5;

const NFTA_CMP_SREG: u16 = 1;
const NFTA_CMP_OP: u16 = 2;
const NFTA_CMP_DATA: u16 = 3;

const NFTA_BITWISE_SREG: u16 = 1;
const NFTA_BITWISE_DREG: u16 = 2;
const NFTA_BITWISE_LEN: u16 = 3;
const NFTA_BITWISE_MASK: u16 = 4;
const NFTA_BITWISE_XOR: u16 = 5;
const NFTA_BITWISE_OP: u16 = 6;
const NFT_BITWISE_BOOL: u32 = 0;

const NFTA_IMMEDIATE_DREG: u16 = 1;
const NFTA_IMMEDIATE_DATA: u16 = 2;

const NFTA_MASQ_FLAGS: u16 = 1;

const NFTA_NAT_TYPE: u16 = 1;
const NFTA_NAT_FAMILY: u16 = 2;
const NFTA_NAT_REG_ADDR_MIN: u16 = 3;
const NFTA_NAT_REG_ADDR_MAX: u16 = 4;
const NFTA_NAT_REG_PROTO_MIN: u16 = 5;
const NFTA_NAT_REG_PROTO_MAX: u16 = 6;
const NFTA_NAT_FLAGS: u16 = 7;
/// nf_nat range flags: the kernel sets MAP_IPS itself when an address register is given; nft sends
/// PROTO_SPECIFIED with a port register.
const NF_NAT_RANGE_MAP_IPS: u32 = 1;
const NF_NAT_RANGE_PROTO_SPECIFIED: u32 = 2;

const NFTA_FIB_DREG: u16 = 1;
const NFTA_FIB_RESULT: u16 = 2;
const NFTA_FIB_FLAGS: u16 = 3;

const NFTA_CT_DREG: u16 = 1;
const NFTA_CT_KEY: u16 = 2;
const NFTA_CT_DIRECTION: u16 = 3;
const NFTA_CT_SREG: u16 = 4;

const NFTA_COUNTER_BYTES: u16 = 1;
const NFTA_COUNTER_PACKETS: u16 = 2;

const NFTA_MATCH_NAME: u16 = 1;
const NFTA_MATCH_REV: u16 = 2;
const NFTA_MATCH_INFO: u16 = 3;

/// The register verdicts are written to.
pub const NFT_REG_VERDICT: u32 = 0;

// Verdict codes: netfilter's NF_DROP/NF_ACCEPT and nf_tables' own negative ones.
const NF_DROP: i32 = 0;
const NF_ACCEPT: i32 = 1;
const NFT_CONTINUE: i32 = -1;
const NFT_JUMP: i32 = -3;
const NFT_GOTO: i32 = -4;
const NFT_RETURN: i32 = -5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKey {
    Protocol,
    Mark,
    Iif,
    Oif,
    Iifname,
    Oifname,
    Nfproto,
    L4proto,
}

impl MetaKey {
    pub fn number(self) -> u32 {
        match self {
            MetaKey::Protocol => 1,
            MetaKey::Mark => 3,
            MetaKey::Iif => 4,
            MetaKey::Oif => 5,
            MetaKey::Iifname => 6,
            MetaKey::Oifname => 7,
            MetaKey::Nfproto => 15,
            MetaKey::L4proto => 16,
        }
    }
    pub fn from_number(number: u32) -> Option<MetaKey> {
        const ALL: [MetaKey; 8] = [MetaKey::Protocol, MetaKey::Mark, MetaKey::Iif, MetaKey::Oif, MetaKey::Iifname, MetaKey::Oifname, MetaKey::Nfproto, MetaKey::L4proto];
        ALL.into_iter().find(|k| k.number() == number)
    }
    pub fn name(self) -> &'static str {
        match self {
            MetaKey::Protocol => "protocol",
            MetaKey::Mark => "mark",
            MetaKey::Iif => "iif",
            MetaKey::Oif => "oif",
            MetaKey::Iifname => "iifname",
            MetaKey::Oifname => "oifname",
            MetaKey::Nfproto => "nfproto",
            MetaKey::L4proto => "l4proto",
        }
    }
    pub fn from_name(name: &str) -> Option<MetaKey> {
        const ALL: [MetaKey; 8] = [MetaKey::Protocol, MetaKey::Mark, MetaKey::Iif, MetaKey::Oif, MetaKey::Iifname, MetaKey::Oifname, MetaKey::Nfproto, MetaKey::L4proto];
        ALL.into_iter().find(|k| k.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadBase {
    Link,
    Network,
    Transport,
}

impl PayloadBase {
    pub fn number(self) -> u32 {
        match self {
            PayloadBase::Link => 0,
            PayloadBase::Network => 1,
            PayloadBase::Transport => 2,
        }
    }
    pub fn from_number(number: u32) -> Option<PayloadBase> {
        Some(match number {
            0 => PayloadBase::Link,
            1 => PayloadBase::Network,
            2 => PayloadBase::Transport,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            PayloadBase::Link => "link",
            PayloadBase::Network => "network",
            PayloadBase::Transport => "transport",
        }
    }
    pub fn from_name(name: &str) -> Option<PayloadBase> {
        Some(match name {
            "link" => PayloadBase::Link,
            "network" => PayloadBase::Network,
            "transport" => PayloadBase::Transport,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl CmpOp {
    const ALL: [CmpOp; 6] = [CmpOp::Eq, CmpOp::Neq, CmpOp::Lt, CmpOp::Lte, CmpOp::Gt, CmpOp::Gte];
    pub fn number(self) -> u32 {
        self as u32
    }
    pub fn from_number(number: u32) -> Option<CmpOp> {
        Self::ALL.into_iter().find(|op| op.number() == number)
    }
    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Neq => "neq",
            CmpOp::Lt => "lt",
            CmpOp::Lte => "lte",
            CmpOp::Gt => "gt",
            CmpOp::Gte => "gte",
        }
    }
    pub fn from_name(name: &str) -> Option<CmpOp> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// What a nat expression rewrites: the source (snat) or the destination (dnat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatType {
    Snat,
    Dnat,
}

impl NatType {
    pub fn number(self) -> u32 {
        match self {
            NatType::Snat => 0,
            NatType::Dnat => 1,
        }
    }
    pub fn from_number(number: u32) -> Option<NatType> {
        Some(match number {
            0 => NatType::Snat,
            1 => NatType::Dnat,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            NatType::Snat => "snat",
            NatType::Dnat => "dnat",
        }
    }
    pub fn from_name(name: &str) -> Option<NatType> {
        Some(match name {
            "snat" => NatType::Snat,
            "dnat" => NatType::Dnat,
            _ => return None,
        })
    }
}

/// The address family a nat expression's address register holds (NFPROTO_IPV4 / NFPROTO_IPV6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatFamily {
    Ipv4,
    Ipv6,
}

impl NatFamily {
    pub fn number(self) -> u32 {
        match self {
            NatFamily::Ipv4 => 2,
            NatFamily::Ipv6 => 10,
        }
    }
    pub fn from_number(number: u32) -> Option<NatFamily> {
        Some(match number {
            2 => NatFamily::Ipv4,
            10 => NatFamily::Ipv6,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            NatFamily::Ipv4 => "ipv4",
            NatFamily::Ipv6 => "ipv6",
        }
    }
    pub fn from_name(name: &str) -> Option<NatFamily> {
        Some(match name {
            "ipv4" => NatFamily::Ipv4,
            "ipv6" => NatFamily::Ipv6,
            _ => return None,
        })
    }
}

/// What a fib lookup yields: the output interface (index or name) or the address type (RTN_LOCAL, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FibResult {
    Oif,
    Oifname,
    Addrtype,
}

impl FibResult {
    const ALL: [FibResult; 3] = [FibResult::Oif, FibResult::Oifname, FibResult::Addrtype];
    pub fn number(self) -> u32 {
        match self {
            FibResult::Oif => 1,
            FibResult::Oifname => 2,
            FibResult::Addrtype => 3,
        }
    }
    pub fn from_number(number: u32) -> Option<FibResult> {
        Self::ALL.into_iter().find(|r| r.number() == number)
    }
    pub fn name(self) -> &'static str {
        match self {
            FibResult::Oif => "oif",
            FibResult::Oifname => "oifname",
            FibResult::Addrtype => "type",
        }
    }
    pub fn from_name(name: &str) -> Option<FibResult> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// The conntrack fields a ct expression loads (NFT_CT_*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtKey {
    State,
    Direction,
    Status,
    Mark,
}

impl CtKey {
    const ALL: [CtKey; 4] = [CtKey::State, CtKey::Direction, CtKey::Status, CtKey::Mark];
    pub fn number(self) -> u32 {
        match self {
            CtKey::State => 0,
            CtKey::Direction => 1,
            CtKey::Status => 2,
            CtKey::Mark => 3,
        }
    }
    pub fn from_number(number: u32) -> Option<CtKey> {
        Self::ALL.into_iter().find(|k| k.number() == number)
    }
    pub fn name(self) -> &'static str {
        match self {
            CtKey::State => "state",
            CtKey::Direction => "direction",
            CtKey::Status => "status",
            CtKey::Mark => "mark",
        }
    }
    pub fn from_name(name: &str) -> Option<CtKey> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Drop,
    Return,
    Continue,
    Jump(String),
    Goto(String),
}

impl Verdict {
    fn code(&self) -> i32 {
        match self {
            Verdict::Accept => NF_ACCEPT,
            Verdict::Drop => NF_DROP,
            Verdict::Return => NFT_RETURN,
            Verdict::Continue => NFT_CONTINUE,
            Verdict::Jump(_) => NFT_JUMP,
            Verdict::Goto(_) => NFT_GOTO,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Drop => "drop",
            Verdict::Return => "return",
            Verdict::Continue => "continue",
            Verdict::Jump(_) => "jump",
            Verdict::Goto(_) => "goto",
        }
    }
    pub fn chain(&self) -> Option<&str> {
        match self {
            Verdict::Jump(chain) | Verdict::Goto(chain) => Some(chain),
            _ => None,
        }
    }
    /// From the JS form: a code name, and a chain for jump/goto (and only for them).
    pub fn from_parts(name: &str, chain: Option<String>) -> Result<Verdict, String> {
        let verdict = match (name, chain) {
            ("jump", Some(chain)) => Verdict::Jump(chain),
            ("goto", Some(chain)) => Verdict::Goto(chain),
            ("jump" | "goto", None) => return Err(format!("verdict {} needs a chain", name)),
            (_, Some(_)) => return Err(format!("verdict {} takes no chain", name)),
            ("accept", None) => Verdict::Accept,
            ("drop", None) => Verdict::Drop,
            ("return", None) => Verdict::Return,
            ("continue", None) => Verdict::Continue,
            (other, None) => return Err(format!("unknown verdict {:?}", other)),
        };
        Ok(verdict)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// register <- meta key
    Meta { key: MetaKey, dreg: u32 },
    /// register <- `len` bytes at `offset` from the start of a header
    Payload { base: PayloadBase, offset: u32, len: u32, dreg: u32 },
    Cmp { op: CmpOp, sreg: u32, data: Vec<u8> },
    /// dreg <- (sreg & mask) ^ xor, over `len` bytes
    Bitwise { sreg: u32, dreg: u32, len: u32, mask: Vec<u8>, xor: Vec<u8> },
    /// NFT_REG_VERDICT <- verdict (an immediate expression)
    Verdict(Verdict),
    /// register <- constant (an immediate expression)
    Immediate { dreg: u32, data: Vec<u8> },
    Masq { flags: Option<u32> },
    /// snat/dnat to the address in `addr_reg` (and port in `proto_reg`); `flags` are NF_NAT_RANGE_* beyond
    /// the ones the registers imply (the kernel adds MAP_IPS for an address, PROTO_SPECIFIED for a port)
    Nat { nat_type: NatType, family: NatFamily, addr_reg: Option<u32>, proto_reg: Option<u32>, flags: u32 },
    /// dreg <- a route lookup's `result`; `flags` (NFTA_FIB_F_*) say which address and interface to use
    Fib { dreg: u32, result: FibResult, flags: u32 },
    /// dreg <- a conntrack field
    Ct { key: CtKey, dreg: u32 },
    Counter,
    /// A counter sent with its starting values, as iptables-nft sends every counter (0 and 0; nft sends
    /// none). The kernel holds the same counter either way, so listings give `Counter`.
    CounterFrom { bytes: u64, packets: u64 },
    /// An xtables match run through nft_compat (`-m comment`, `-m conntrack` as iptables-nft writes
    /// them): the match's name, revision and its info struct, byte for byte as the xt module defines it.
    Match { name: String, rev: u32, info: Vec<u8> },
    /// Read back from the kernel but not one of the above (or a form of it we do not model).
    Unknown { name: String },
}

impl Expr {
    /// The kernel's name for the expression.
    pub fn kernel_name(&self) -> &str {
        match self {
            Expr::Meta { .. } => "meta",
            Expr::Payload { .. } => "payload",
            Expr::Cmp { .. } => "cmp",
            Expr::Bitwise { .. } => "bitwise",
            Expr::Verdict(_) | Expr::Immediate { .. } => "immediate",
            Expr::Masq { .. } => "masq",
            Expr::Nat { .. } => "nat",
            Expr::Fib { .. } => "fib",
            Expr::Ct { .. } => "ct",
            Expr::Counter | Expr::CounterFrom { .. } => "counter",
            Expr::Match { .. } => "match",
            Expr::Unknown { name } => name,
        }
    }

    /// Append this expression as one NFTA_LIST_ELEM.
    pub fn encode(&self, msg: &mut MsgBuilder) {
        msg.nest_start(NFTA_LIST_ELEM);
        msg.attr_str(NFTA_EXPR_NAME, self.kernel_name());
        msg.nest_start(NFTA_EXPR_DATA);
        match self {
            Expr::Meta { key, dreg } => {
                be(msg, NFTA_META_KEY, key.number());
                be(msg, NFTA_META_DREG, *dreg);
            }
            Expr::Payload { base, offset, len, dreg } => {
                be(msg, NFTA_PAYLOAD_DREG, *dreg);
                be(msg, NFTA_PAYLOAD_BASE, base.number());
                be(msg, NFTA_PAYLOAD_OFFSET, *offset);
                be(msg, NFTA_PAYLOAD_LEN, *len);
            }
            Expr::Cmp { op, sreg, data } => {
                be(msg, NFTA_CMP_SREG, *sreg);
                be(msg, NFTA_CMP_OP, op.number());
                value(msg, NFTA_CMP_DATA, data);
            }
            Expr::Bitwise { sreg, dreg, len, mask, xor } => {
                be(msg, NFTA_BITWISE_SREG, *sreg);
                be(msg, NFTA_BITWISE_DREG, *dreg);
                be(msg, NFTA_BITWISE_LEN, *len);
                value(msg, NFTA_BITWISE_MASK, mask);
                value(msg, NFTA_BITWISE_XOR, xor);
            }
            Expr::Verdict(verdict) => {
                be(msg, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
                msg.nest_start(NFTA_IMMEDIATE_DATA).nest_start(NFTA_DATA_VERDICT);
                be(msg, NFTA_VERDICT_CODE, verdict.code() as u32);
                if let Some(chain) = verdict.chain() {
                    msg.attr_str(NFTA_VERDICT_CHAIN, chain);
                }
                msg.nest_end().nest_end();
            }
            Expr::Immediate { dreg, data } => {
                be(msg, NFTA_IMMEDIATE_DREG, *dreg);
                value(msg, NFTA_IMMEDIATE_DATA, data);
            }
            Expr::Masq { flags } => {
                if let Some(flags) = flags {
                    be(msg, NFTA_MASQ_FLAGS, *flags);
                }
            }
            Expr::Nat { nat_type, family, addr_reg, proto_reg, flags } => {
                be(msg, NFTA_NAT_TYPE, nat_type.number());
                be(msg, NFTA_NAT_FAMILY, family.number());
                if let Some(reg) = addr_reg {
                    be(msg, NFTA_NAT_REG_ADDR_MIN, *reg);
                }
                if let Some(reg) = proto_reg {
                    be(msg, NFTA_NAT_REG_PROTO_MIN, *reg);
                }
                let sent = flags | if proto_reg.is_some() { NF_NAT_RANGE_PROTO_SPECIFIED } else { 0 };
                if sent != 0 {
                    be(msg, NFTA_NAT_FLAGS, sent);
                }
            }
            Expr::Fib { dreg, result, flags } => {
                be(msg, NFTA_FIB_FLAGS, *flags);
                be(msg, NFTA_FIB_RESULT, result.number());
                be(msg, NFTA_FIB_DREG, *dreg);
            }
            Expr::Ct { key, dreg } => {
                be(msg, NFTA_CT_KEY, key.number());
                be(msg, NFTA_CT_DREG, *dreg);
            }
            Expr::CounterFrom { bytes, packets } => {
                msg.attr(NFTA_COUNTER_BYTES, &bytes.to_be_bytes());
                msg.attr(NFTA_COUNTER_PACKETS, &packets.to_be_bytes());
            }
            Expr::Match { name, rev, info } => {
                msg.attr_str(NFTA_MATCH_NAME, name);
                be(msg, NFTA_MATCH_REV, *rev);
                msg.attr(NFTA_MATCH_INFO, info);
            }
            Expr::Counter | Expr::Unknown { .. } => {}
        }
        msg.nest_end().nest_end();
    }

    /// Decode one NFTA_LIST_ELEM payload.
    pub fn decode(elem: &[u8]) -> Expr {
        let mut name = String::new();
        let mut data: &[u8] = &[];
        for (kind, payload) in nl::attrs(elem) {
            match kind {
                NFTA_EXPR_NAME => name = nl::str_of(payload),
                NFTA_EXPR_DATA => data = payload,
                _ => {}
            }
        }
        decode_data(&name, data).unwrap_or(Expr::Unknown { name })
    }
}

fn be(msg: &mut MsgBuilder, kind: u16, v: u32) {
    msg.attr(kind, &v.to_be_bytes());
}

/// A data attribute: a nest holding NFTA_DATA_VALUE.
fn value(msg: &mut MsgBuilder, kind: u16, bytes: &[u8]) {
    msg.nest_start(kind).attr(NFTA_DATA_VALUE, bytes).nest_end();
}

/// The fields of an expression's data, by attribute type (the last wins; the kernel sends each once).
struct Fields<'a> {
    found: [Option<&'a [u8]>; 8],
}
impl<'a> Fields<'a> {
    fn of(data: &'a [u8]) -> Fields<'a> {
        let mut found = [None; 8];
        for (kind, payload) in nl::attrs(data) {
            if let Some(slot) = found.get_mut(kind as usize) {
                *slot = Some(payload);
            }
        }
        Fields { found }
    }
    fn raw(&self, kind: u16) -> Option<&'a [u8]> {
        self.found[kind as usize]
    }
    fn u32(&self, kind: u16) -> Option<u32> {
        be32(self.raw(kind)?)
    }
    /// The bytes inside an NFTA_DATA_VALUE nest.
    fn value(&self, kind: u16) -> Option<Vec<u8>> {
        nl::attrs(self.raw(kind)?).find(|(k, _)| *k == NFTA_DATA_VALUE).map(|(_, v)| v.to_vec())
    }
}

fn decode_data(name: &str, data: &[u8]) -> Option<Expr> {
    let f = Fields::of(data);
    Some(match name {
        "meta" if f.raw(NFTA_META_SREG).is_none() => Expr::Meta { key: MetaKey::from_number(f.u32(NFTA_META_KEY)?)?, dreg: f.u32(NFTA_META_DREG)? },
        "payload" if f.raw(NFTA_PAYLOAD_SREG).is_none() => Expr::Payload {
            base: PayloadBase::from_number(f.u32(NFTA_PAYLOAD_BASE)?)?,
            offset: f.u32(NFTA_PAYLOAD_OFFSET)?,
            len: f.u32(NFTA_PAYLOAD_LEN)?,
            dreg: f.u32(NFTA_PAYLOAD_DREG)?,
        },
        "cmp" => Expr::Cmp { op: CmpOp::from_number(f.u32(NFTA_CMP_OP)?)?, sreg: f.u32(NFTA_CMP_SREG)?, data: f.value(NFTA_CMP_DATA)? },
        // Only the mask-and-xor form (NFT_BITWISE_BOOL); shifts are another shape.
        "bitwise" if f.u32(NFTA_BITWISE_OP).unwrap_or(NFT_BITWISE_BOOL) == NFT_BITWISE_BOOL => Expr::Bitwise {
            sreg: f.u32(NFTA_BITWISE_SREG)?,
            dreg: f.u32(NFTA_BITWISE_DREG)?,
            len: f.u32(NFTA_BITWISE_LEN)?,
            mask: f.value(NFTA_BITWISE_MASK)?,
            xor: f.value(NFTA_BITWISE_XOR)?,
        },
        "immediate" => {
            let dreg = f.u32(NFTA_IMMEDIATE_DREG)?;
            let immediate = f.raw(NFTA_IMMEDIATE_DATA)?;
            if dreg == NFT_REG_VERDICT {
                let (_, verdict) = nl::attrs(immediate).find(|(k, _)| *k == NFTA_DATA_VERDICT)?;
                Expr::Verdict(decode_verdict(verdict)?)
            } else {
                Expr::Immediate { dreg, data: f.value(NFTA_IMMEDIATE_DATA)? }
            }
        }
        "masq" => Expr::Masq { flags: f.u32(NFTA_MASQ_FLAGS) },
        "nat" => decode_nat(&f)?,
        "fib" => Expr::Fib { dreg: f.u32(NFTA_FIB_DREG)?, result: FibResult::from_number(f.u32(NFTA_FIB_RESULT)?)?, flags: f.u32(NFTA_FIB_FLAGS).unwrap_or(0) },
        // Only loads (a ct set has a source register instead) of one direction-less key.
        "ct" if f.raw(NFTA_CT_SREG).is_none() && f.raw(NFTA_CT_DIRECTION).is_none() => {
            Expr::Ct { key: CtKey::from_number(f.u32(NFTA_CT_KEY)?)?, dreg: f.u32(NFTA_CT_DREG)? }
        }
        "counter" => Expr::Counter,
        "match" => Expr::Match { name: nl::str_of(f.raw(NFTA_MATCH_NAME)?), rev: f.u32(NFTA_MATCH_REV)?, info: f.raw(NFTA_MATCH_INFO)?.to_vec() },
        _ => return None,
    })
}

/// The kernel reports max registers equal to the min ones and the flags the registers imply; a range
/// (max != min) is not a form we model.
fn decode_nat(f: &Fields) -> Option<Expr> {
    let addr_reg = f.u32(NFTA_NAT_REG_ADDR_MIN);
    let proto_reg = f.u32(NFTA_NAT_REG_PROTO_MIN);
    if f.u32(NFTA_NAT_REG_ADDR_MAX).is_some_and(|max| Some(max) != addr_reg) || f.u32(NFTA_NAT_REG_PROTO_MAX).is_some_and(|max| Some(max) != proto_reg) {
        return None;
    }
    let mut flags = f.u32(NFTA_NAT_FLAGS).unwrap_or(0);
    if addr_reg.is_some() {
        flags &= !NF_NAT_RANGE_MAP_IPS;
    }
    if proto_reg.is_some() {
        flags &= !NF_NAT_RANGE_PROTO_SPECIFIED;
    }
    Some(Expr::Nat { nat_type: NatType::from_number(f.u32(NFTA_NAT_TYPE)?)?, family: NatFamily::from_number(f.u32(NFTA_NAT_FAMILY)?)?, addr_reg, proto_reg, flags })
}

fn decode_verdict(nest: &[u8]) -> Option<Verdict> {
    let mut code = None;
    let mut chain = None;
    for (kind, payload) in nl::attrs(nest) {
        match kind {
            NFTA_VERDICT_CODE => code = be32(payload).map(|c| c as i32),
            NFTA_VERDICT_CHAIN => chain = Some(nl::str_of(payload)),
            _ => {}
        }
    }
    Some(match code? {
        NF_ACCEPT => Verdict::Accept,
        NF_DROP => Verdict::Drop,
        NFT_RETURN => Verdict::Return,
        NFT_CONTINUE => Verdict::Continue,
        NFT_JUMP => Verdict::Jump(chain?),
        NFT_GOTO => Verdict::Goto(chain?),
        _ => return None,
    })
}
