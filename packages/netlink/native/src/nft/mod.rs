//! nftables over NETLINK_NETFILTER: tables, chains and rules as the kernel sees them, encoded and decoded as
//! `nft` does (the same attributes in the same order, checked against bytes nft 1.0.6 sends in `golden.rs`).
//!
//! - `msg.rs`    message types, the nfgenmsg header, families, batch framing (begin/end, one ack)
//! - `udata.rs`  the comment TLV nft keeps in NFTA_*_USERDATA
//! - `expr.rs`   the expressions (meta, payload, cmp, bitwise, immediate/verdict, masq, nat, fib, ct, counter,
//!               xtables match)
//! - `table.rs`, `chain.rs`, `rule.rs`  one message per change, and the decoders for dumps
//! - `ops.rs`    a change (`Op`), its message and its name in errors; `commit` and the listings over a socket

pub mod chain;
pub mod expr;
pub mod msg;
pub mod ops;
pub mod rule;
pub mod table;
pub mod udata;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod golden_iptables;

pub use chain::{BaseChain, Chain, ChainType, Hook, Policy};
pub use expr::{CmpOp, CtKey, Expr, FibResult, MetaKey, NatFamily, NatType, PayloadBase, Verdict};
pub use msg::Family;
pub use ops::{commit, delete_rules_by_comment_prefix, list_chains, list_rules, list_tables, Op};
pub use rule::{Placement, Rule, RuleCompat};
pub use table::Table;
