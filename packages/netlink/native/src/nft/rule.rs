//! Rules: NFT_MSG_NEWRULE (appended, or inserted first) / DELRULE (by handle) / GETRULE (dump of one table or chain) and the
//! decoder for what the dump returns: handle, expressions, comment.

use super::expr::Expr;
use super::msg::{self, be64, Family, NFT_MSG_DELRULE, NFT_MSG_GETRULE, NFT_MSG_NEWRULE};
use super::udata;
use crate::error::Result;
use crate::nl::{self, MsgBuilder, NLM_F_APPEND, NLM_F_CREATE};

const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_HANDLE: u16 = 3;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
const NFTA_RULE_COMPAT: u16 = 5;
const NFTA_RULE_USERDATA: u16 = 7;
const NFTA_RULE_COMPAT_PROTO: u16 = 1;
const NFTA_RULE_COMPAT_FLAGS: u16 = 2;

/// Where a new rule goes: the end of the chain (`nft add rule`, `iptables -A`) or its start (`nft insert
/// rule`, `iptables -I <chain> 1`: a NEWRULE without NLM_F_APPEND and without a position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Last,
    First,
}

/// NFTA_RULE_COMPAT: the layer-4 protocol (and its inversion flag) xtables matches are checked against;
/// iptables-nft sends it with every rule (0, 0 without `-p`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleCompat {
    pub proto: u32,
    pub flags: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub family: Family,
    pub table: String,
    pub chain: String,
    pub handle: u64,
    pub comment: Option<String>,
    pub exprs: Vec<Expr>,
}

/// `nft add rule` (appended at the end of the chain) or `nft insert rule` (at its start).
pub fn add(family: Family, table: &str, chain: &str, exprs: &[Expr], comment: Option<&str>, placement: Placement, compat: Option<RuleCompat>) -> Result<MsgBuilder> {
    let flags = match placement {
        Placement::Last => NLM_F_CREATE | NLM_F_APPEND,
        Placement::First => NLM_F_CREATE,
    };
    let mut m = msg::start(NFT_MSG_NEWRULE, flags, family.number());
    m.attr_str(NFTA_RULE_TABLE, table).attr_str(NFTA_RULE_CHAIN, chain);
    m.nest_start(NFTA_RULE_EXPRESSIONS);
    for expr in exprs {
        expr.encode(&mut m);
    }
    m.nest_end();
    if let Some(compat) = compat {
        m.nest_start(NFTA_RULE_COMPAT);
        m.attr(NFTA_RULE_COMPAT_PROTO, &compat.proto.to_be_bytes()).attr(NFTA_RULE_COMPAT_FLAGS, &compat.flags.to_be_bytes());
        m.nest_end();
    }
    if let Some(comment) = comment {
        m.attr(NFTA_RULE_USERDATA, &udata::comment(comment)?);
    }
    Ok(m)
}

pub fn delete(family: Family, table: &str, chain: &str, handle: u64) -> MsgBuilder {
    let mut m = msg::start(NFT_MSG_DELRULE, 0, family.number());
    m.attr_str(NFTA_RULE_TABLE, table).attr_str(NFTA_RULE_CHAIN, chain).attr(NFTA_RULE_HANDLE, &handle.to_be_bytes());
    m
}

/// A dump request for the rules of one table, or of one chain in it.
pub fn dump(family: Family, table: &str, chain: Option<&str>) -> MsgBuilder {
    let mut m = msg::start(NFT_MSG_GETRULE, 0, family.number());
    m.attr_str(NFTA_RULE_TABLE, table);
    if let Some(chain) = chain {
        m.attr_str(NFTA_RULE_CHAIN, chain);
    }
    m
}

pub fn parse(payload: &[u8]) -> Option<Rule> {
    let mut rule = Rule { family: msg::family_of(payload)?, table: String::new(), chain: String::new(), handle: 0, comment: None, exprs: Vec::new() };
    for (kind, value) in msg::attrs(payload) {
        match kind {
            NFTA_RULE_TABLE => rule.table = nl::str_of(value),
            NFTA_RULE_CHAIN => rule.chain = nl::str_of(value),
            NFTA_RULE_HANDLE => rule.handle = be64(value)?,
            NFTA_RULE_EXPRESSIONS => rule.exprs = nl::attrs(value).map(|(_, elem)| Expr::decode(elem)).collect(),
            NFTA_RULE_USERDATA => rule.comment = udata::parse_comment(value),
            _ => {}
        }
    }
    Some(rule)
}
