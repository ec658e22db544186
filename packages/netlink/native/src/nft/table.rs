//! Tables: NFT_MSG_NEWTABLE / DELTABLE / GETTABLE and the decoder for what GETTABLE returns.

use super::msg::{self, be32, be64, Family, NFT_MSG_DELTABLE, NFT_MSG_GETTABLE, NFT_MSG_NEWTABLE};
use super::udata;
use crate::error::Result;
use crate::nl::{self, MsgBuilder, NLM_F_EXCL};

const NFTA_TABLE_NAME: u16 = 1;
const NFTA_TABLE_FLAGS: u16 = 2;
const NFTA_TABLE_HANDLE: u16 = 4;
const NFTA_TABLE_USERDATA: u16 = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub family: Family,
    pub name: String,
    pub handle: u64,
    pub flags: u32,
    pub comment: Option<String>,
}

/// `nft add table`: no NLM_F_EXCL, so an existing table is kept (its comment updated); `exclusive` is
/// `nft create table` (NLM_F_EXCL: EEXIST when it exists).
pub fn add(family: Family, name: &str, comment: Option<&str>, exclusive: bool) -> Result<MsgBuilder> {
    let mut m = msg::start(NFT_MSG_NEWTABLE, if exclusive { NLM_F_EXCL } else { 0 }, family.number());
    m.attr_str(NFTA_TABLE_NAME, name).attr(NFTA_TABLE_FLAGS, &0u32.to_be_bytes());
    if let Some(comment) = comment {
        m.attr(NFTA_TABLE_USERDATA, &udata::comment(comment)?);
    }
    Ok(m)
}

pub fn delete(family: Family, name: &str) -> MsgBuilder {
    let mut m = msg::start(NFT_MSG_DELTABLE, 0, family.number());
    m.attr_str(NFTA_TABLE_NAME, name);
    m
}

/// A get of one table (ENOENT when missing), or with `name` None a dump request of `family` (None = all).
pub fn get(family: Option<Family>, name: Option<&str>) -> MsgBuilder {
    let mut m = msg::start(NFT_MSG_GETTABLE, 0, family.map_or(0, Family::number));
    if let Some(name) = name {
        m.attr_str(NFTA_TABLE_NAME, name);
    }
    m
}

pub fn parse(payload: &[u8]) -> Option<Table> {
    let mut table = Table { family: msg::family_of(payload)?, name: String::new(), handle: 0, flags: 0, comment: None };
    for (kind, value) in msg::attrs(payload) {
        match kind {
            NFTA_TABLE_NAME => table.name = nl::str_of(value),
            NFTA_TABLE_FLAGS => table.flags = be32(value)?,
            NFTA_TABLE_HANDLE => table.handle = be64(value)?,
            NFTA_TABLE_USERDATA => table.comment = udata::parse_comment(value),
            _ => {}
        }
    }
    Some(table)
}
