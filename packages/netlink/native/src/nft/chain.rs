//! Chains: NFT_MSG_NEWCHAIN / DELCHAIN / GETCHAIN, flushing (a DELRULE naming only the chain), and the
//! decoder for what GETCHAIN returns. A base chain has a type and a hook nest (hook number, priority).

use super::msg::{self, be32, be64, Family, NFT_MSG_DELCHAIN, NFT_MSG_DELRULE, NFT_MSG_GETCHAIN, NFT_MSG_NEWCHAIN};
use super::udata;
use crate::error::Result;
use crate::nl::{self, MsgBuilder, NLM_F_CREATE, NLM_F_EXCL};

const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_HANDLE: u16 = 2;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_CHAIN_TYPE: u16 = 7;
const NFTA_CHAIN_USERDATA: u16 = 12;
const NFTA_HOOK_HOOKNUM: u16 = 1;
const NFTA_HOOK_PRIORITY: u16 = 2;
// In a DELRULE without a handle (a flush), the chain is named by the rule attributes.
const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
    Ingress,
}

impl Hook {
    /// NF_INET_* (bridge and arp use the same numbers); ingress is NF_NETDEV_INGRESS in netdev tables.
    pub fn number(self, family: Family) -> u32 {
        match self {
            Hook::Prerouting => 0,
            Hook::Input => 1,
            Hook::Forward => 2,
            Hook::Output => 3,
            Hook::Postrouting => 4,
            Hook::Ingress if family == Family::Netdev => 0,
            Hook::Ingress => 5,
        }
    }
    pub fn from_number(number: u32, family: Family) -> Option<Hook> {
        if family == Family::Netdev {
            return (number == 0).then_some(Hook::Ingress);
        }
        Some(match number {
            0 => Hook::Prerouting,
            1 => Hook::Input,
            2 => Hook::Forward,
            3 => Hook::Output,
            4 => Hook::Postrouting,
            5 => Hook::Ingress,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Hook::Prerouting => "prerouting",
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
            Hook::Postrouting => "postrouting",
            Hook::Ingress => "ingress",
        }
    }
    pub fn from_name(name: &str) -> Option<Hook> {
        const ALL: [Hook; 6] = [Hook::Prerouting, Hook::Input, Hook::Forward, Hook::Output, Hook::Postrouting, Hook::Ingress];
        ALL.into_iter().find(|h| h.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainType {
    Filter,
    Nat,
    Route,
}

impl ChainType {
    pub fn name(self) -> &'static str {
        match self {
            ChainType::Filter => "filter",
            ChainType::Nat => "nat",
            ChainType::Route => "route",
        }
    }
    pub fn from_name(name: &str) -> Option<ChainType> {
        Some(match name {
            "filter" => ChainType::Filter,
            "nat" => ChainType::Nat,
            "route" => ChainType::Route,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Accept,
    Drop,
}

impl Policy {
    fn number(self) -> u32 {
        match self {
            Policy::Drop => 0,
            Policy::Accept => 1,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Policy::Accept => "accept",
            Policy::Drop => "drop",
        }
    }
    pub fn from_name(name: &str) -> Option<Policy> {
        Some(match name {
            "accept" => Policy::Accept,
            "drop" => Policy::Drop,
            _ => return None,
        })
    }
}

/// What makes a chain a base chain: where it hooks in and with which type and priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseChain {
    pub hook: Hook,
    pub chain_type: ChainType,
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub family: Family,
    pub table: String,
    pub name: String,
    pub handle: u64,
    pub base: Option<BaseChain>,
    pub policy: Option<Policy>,
    pub comment: Option<String>,
}

/// `nft add chain`: NLM_F_CREATE without NLM_F_EXCL, so an existing chain is kept; `exclusive` is
/// `nft create chain` (NLM_F_EXCL: EEXIST when it exists).
pub fn add(family: Family, table: &str, name: &str, base: Option<BaseChain>, policy: Option<Policy>, comment: Option<&str>, exclusive: bool) -> Result<MsgBuilder> {
    let mut m = msg::start(NFT_MSG_NEWCHAIN, NLM_F_CREATE | if exclusive { NLM_F_EXCL } else { 0 }, family.number());
    m.attr_str(NFTA_CHAIN_TABLE, table).attr_str(NFTA_CHAIN_NAME, name);
    if let Some(base) = base {
        m.attr_str(NFTA_CHAIN_TYPE, base.chain_type.name());
        if let Some(policy) = policy {
            m.attr(NFTA_CHAIN_POLICY, &policy.number().to_be_bytes());
        }
        m.nest_start(NFTA_CHAIN_HOOK)
            .attr(NFTA_HOOK_HOOKNUM, &base.hook.number(family).to_be_bytes())
            .attr(NFTA_HOOK_PRIORITY, &base.priority.to_be_bytes())
            .nest_end();
    }
    if let Some(comment) = comment {
        m.attr(NFTA_CHAIN_USERDATA, &udata::comment(comment)?);
    }
    Ok(m)
}

pub fn delete(family: Family, table: &str, name: &str) -> MsgBuilder {
    let mut m = msg::start(NFT_MSG_DELCHAIN, 0, family.number());
    m.attr_str(NFTA_CHAIN_TABLE, table).attr_str(NFTA_CHAIN_NAME, name);
    m
}

/// Delete every rule of the chain (`nft flush chain`).
pub fn flush(family: Family, table: &str, name: &str) -> MsgBuilder {
    let mut m = msg::start(NFT_MSG_DELRULE, 0, family.number());
    m.attr_str(NFTA_RULE_TABLE, table).attr_str(NFTA_RULE_CHAIN, name);
    m
}

/// A get of one chain (ENOENT when it or its table is missing).
pub fn get(family: Family, table: &str, name: &str) -> MsgBuilder {
    let mut m = msg::start(NFT_MSG_GETCHAIN, 0, family.number());
    m.attr_str(NFTA_CHAIN_TABLE, table).attr_str(NFTA_CHAIN_NAME, name);
    m
}

/// A dump request for the chains of `family` (None = all).
pub fn dump(family: Option<Family>) -> MsgBuilder {
    msg::start(NFT_MSG_GETCHAIN, 0, family.map_or(0, Family::number))
}

pub fn parse(payload: &[u8]) -> Option<Chain> {
    let family = msg::family_of(payload)?;
    let mut chain = Chain { family, table: String::new(), name: String::new(), handle: 0, base: None, policy: None, comment: None };
    let mut hook = None;
    let mut priority = 0i32;
    let mut chain_type = None;
    for (kind, value) in msg::attrs(payload) {
        match kind {
            NFTA_CHAIN_TABLE => chain.table = nl::str_of(value),
            NFTA_CHAIN_NAME => chain.name = nl::str_of(value),
            NFTA_CHAIN_HANDLE => chain.handle = be64(value)?,
            NFTA_CHAIN_TYPE => chain_type = ChainType::from_name(&nl::str_of(value)),
            NFTA_CHAIN_POLICY => chain.policy = Some(if be32(value)? == Policy::Accept.number() { Policy::Accept } else { Policy::Drop }),
            NFTA_CHAIN_USERDATA => chain.comment = udata::parse_comment(value),
            NFTA_CHAIN_HOOK => {
                for (hook_kind, hook_value) in nl::attrs(value) {
                    match hook_kind {
                        NFTA_HOOK_HOOKNUM => hook = Hook::from_number(be32(hook_value)?, family),
                        NFTA_HOOK_PRIORITY => priority = be32(hook_value)? as i32,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(hook) = hook {
        chain.base = Some(BaseChain { hook, chain_type: chain_type.unwrap_or(ChainType::Filter), priority });
    }
    Some(chain)
}
