//! A change (`Op`) and the calls the JS handle makes: `commit` (one batch, all or nothing, one ack),
//! the listings, and deletion by comment prefix.

use super::chain::{self, BaseChain, Chain, Policy};
use super::expr::Expr;
use super::msg::{self, msg_type, Family, NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE, NFT_MSG_NEWTABLE};
use super::rule::{self, Placement, Rule, RuleCompat};
use super::table::{self, Table};
use crate::error::{Error, Result};
use crate::nl::{self, MsgBuilder, NLMSG_ERROR};
use crate::socket::{next_seq, Socket};
use crate::sys;

/// The kernel's limit for table, chain and set names, with the NUL (NFT_NAME_MAXLEN).
const NAME_MAX_BYTES: usize = 255;
/// Batches larger than this get a send buffer of their size: the default (net.core.wmem_default, ~200 KB,
/// about 550 masquerade rules) refuses a larger datagram with EMSGSIZE.
const SEND_BUFFER_GROW_ABOVE_BYTES: usize = 128 * 1024;
/// Receive-buffer room per op: a failing batch answers every failed op with its own error message, each
/// charged at its socket-buffer truesize (under 1 KB); past the buffer the kernel drops them (ENOBUFS).
const ANSWER_ROOM_PER_OP_BYTES: usize = 1024;
/// Below this many ops the default receive buffer (~200 KB) holds every possible answer.
const RECEIVE_BUFFER_GROW_ABOVE_OPS: usize = 100;
/// A rule list that changes under deleteRulesByCommentPrefix (a handle gone) is read again this often.
const DELETE_RETRIES: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `exclusive`: fail with EEXIST when the table exists (`nft create`), so a concurrent creator is noticed
    AddTable { family: Family, name: String, comment: Option<String>, exclusive: bool },
    DeleteTable { family: Family, name: String },
    AddChain { family: Family, table: String, name: String, base: Option<BaseChain>, policy: Option<Policy>, comment: Option<String>, exclusive: bool },
    FlushChain { family: Family, table: String, name: String },
    DeleteChain { family: Family, table: String, name: String },
    /// `placement`: appended (`addRule`) or inserted first (`insertRule`); `compat` as iptables-nft sends it
    AddRule { family: Family, table: String, chain: String, exprs: Vec<Expr>, comment: Option<String>, placement: Placement, compat: Option<RuleCompat> },
    DeleteRule { family: Family, table: String, chain: String, handle: u64 },
}

fn check_name(what: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > NAME_MAX_BYTES || name.as_bytes().contains(&0) {
        return Err(Error::invalid(format!("invalid {} name {:?}: 1 to {} bytes, no NUL", what, name, NAME_MAX_BYTES)));
    }
    Ok(())
}

impl Op {
    /// How errors name the op: "addRule inet cni_plugins_masquerade/masq_checks".
    pub fn describe(&self) -> String {
        match self {
            Op::AddTable { family, name, exclusive, .. } => format!("{} {} {}", if *exclusive { "createTable" } else { "addTable" }, family.name(), name),
            Op::DeleteTable { family, name } => format!("deleteTable {} {}", family.name(), name),
            Op::AddChain { family, table, name, exclusive, .. } => format!("{} {} {}/{}", if *exclusive { "createChain" } else { "addChain" }, family.name(), table, name),
            Op::FlushChain { family, table, name } => format!("flushChain {} {}/{}", family.name(), table, name),
            Op::DeleteChain { family, table, name } => format!("deleteChain {} {}/{}", family.name(), table, name),
            Op::AddRule { family, table, chain, placement, .. } => {
                format!("{} {} {}/{}", if *placement == Placement::First { "insertRule" } else { "addRule" }, family.name(), table, chain)
            }
            Op::DeleteRule { family, table, chain, handle } => format!("deleteRule {} {}/{} handle {}", family.name(), table, chain, handle),
        }
    }

    /// The op's message, its names checked first.
    pub fn message(&self) -> Result<MsgBuilder> {
        match self {
            Op::AddTable { family, name, comment, exclusive } => {
                check_name("table", name)?;
                table::add(*family, name, comment.as_deref(), *exclusive)
            }
            Op::DeleteTable { family, name } => {
                check_name("table", name)?;
                Ok(table::delete(*family, name))
            }
            Op::AddChain { family, table, name, base, policy, comment, exclusive } => {
                check_name("table", table)?;
                check_name("chain", name)?;
                if base.is_none() && policy.is_some() {
                    return Err(Error::invalid("a policy needs a base chain (hook, type, priority)"));
                }
                chain::add(*family, table, name, *base, *policy, comment.as_deref(), *exclusive)
            }
            Op::FlushChain { family, table, name } => {
                check_name("table", table)?;
                check_name("chain", name)?;
                Ok(chain::flush(*family, table, name))
            }
            Op::DeleteChain { family, table, name } => {
                check_name("table", table)?;
                check_name("chain", name)?;
                Ok(chain::delete(*family, table, name))
            }
            Op::AddRule { family, table, chain, exprs, comment, placement, compat } => {
                check_name("table", table)?;
                check_name("chain", chain)?;
                for expr in exprs {
                    match expr {
                        Expr::Unknown { name } => return Err(Error::invalid(format!("expression {:?} cannot be written", name))),
                        Expr::Verdict(verdict) => {
                            if let Some(target) = verdict.chain() {
                                check_name("chain", target)?;
                            }
                        }
                        _ => {}
                    }
                }
                rule::add(*family, table, chain, exprs, comment.as_deref(), *placement, *compat)
            }
            Op::DeleteRule { family, table, chain, handle } => {
                check_name("table", table)?;
                check_name("chain", chain)?;
                Ok(rule::delete(*family, table, chain, *handle))
            }
        }
    }
}

/// Apply `ops` in one transaction: the kernel applies all of them or none. A failure names the first op the
/// kernel refused (later ones often fail only because of it).
pub fn commit(sock: Socket, ops: &[Op]) -> Result<()> {
    if ops.is_empty() {
        return Ok(());
    }
    let mut messages = Vec::with_capacity(ops.len());
    for op in ops {
        messages.push(op.message().map_err(|e| e.about("nftCommit", op.describe()))?);
    }
    let batch = msg::batch(messages, next_seq);
    grow_buffers_for(sock, batch.bytes.len(), ops.len()).map_err(|e| e.about("nftCommit", format!("batch of {} ops", ops.len())))?;
    sock.send_bytes(&batch.bytes).map_err(|e| e.about("nftCommit", format!("batch of {} ops", ops.len())))?;
    let outcome = await_batch(sock, &batch).map_err(|e| {
        let e = if e.errno == sys::ENOBUFS { e.with_detail("the kernel dropped answers to the batch: more failed ops than the receive buffer holds") } else { e };
        e.about("nftCommit", format!("batch of {} ops", ops.len()))
    })?;
    match outcome {
        BatchOutcome::Done => Ok(()),
        BatchOutcome::Refused { error } => Err(error.about("nftCommit", format!("batch of {} ops", ops.len()))),
        BatchOutcome::OpFailed { index, mut error } => {
            let position = format!("op {} of {}", index + 1, ops.len());
            error.detail = Some(match error.detail.take() {
                Some(kernel) => format!("{}; {}", position, kernel),
                None => position,
            });
            Err(error.about("nftCommit", ops[index].describe()))
        }
    }
}

/// Make room for a big batch and for its answers (one error per op at worst). Only ever grows: the kernel
/// doubles what it is given, and small batches (the usual plugin call) cost no extra syscall.
fn grow_buffers_for(sock: Socket, batch_bytes: usize, op_count: usize) -> Result<()> {
    if batch_bytes > SEND_BUFFER_GROW_ABOVE_BYTES {
        sys::grow_send_buffer(sock.fd, batch_bytes)?;
    }
    if op_count > RECEIVE_BUFFER_GROW_ABOVE_OPS {
        sys::grow_receive_buffer(sock.fd, op_count * ANSWER_ROOM_PER_OP_BYTES)?;
    }
    Ok(())
}

enum BatchOutcome {
    Done,
    /// The batch as a whole was refused (permissions, the commit itself): the error names its begin message.
    Refused { error: Error },
    /// The first op the kernel refused (then nothing was applied).
    OpFailed { index: usize, error: Error },
}

/// Read the kernel's answer to a batch: an error for every op that failed, then the ack (or error) of the
/// last op, which asked for one; or a single error for the batch begin message.
fn await_batch(sock: Socket, batch: &msg::Batch) -> Result<BatchOutcome> {
    let last_seq = *batch.seqs.last().expect("a batch has at least one op");
    let mut first_failure: Option<(usize, Error)> = None;
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let n = sys::recv_datagram(sock.fd, &mut buf)?;
        for m in nl::messages(&buf[..n]) {
            if m.msg_type != NLMSG_ERROR {
                continue;
            }
            let answer = nl::parse_error(&m);
            if m.seq == batch.begin_seq && answer.errno != 0 {
                let mut error = Error::os(answer.errno);
                error.detail = answer.ext_msg;
                return Ok(BatchOutcome::Refused { error });
            }
            if let Some(index) = batch.seqs.iter().position(|&s| s == m.seq) {
                if answer.errno != 0 && first_failure.as_ref().is_none_or(|(first, _)| index < *first) {
                    let mut error = Error::os(answer.errno);
                    error.detail = answer.ext_msg;
                    first_failure = Some((index, error));
                }
            }
            if m.seq == last_seq {
                return Ok(match first_failure {
                    Some((index, error)) => BatchOutcome::OpFailed { index, error },
                    None => BatchOutcome::Done,
                });
            }
        }
    }
}

pub fn list_tables(sock: Socket, family: Option<Family>) -> Result<Vec<Table>> {
    let replies = sock.dump(|| table::get(family, None)).map_err(|e| e.about("nftListTables", family.map_or("", Family::name)))?;
    Ok(replies.iter().filter(|r| r.msg_type == msg_type(NFT_MSG_NEWTABLE)).filter_map(|r| table::parse(&r.payload)).collect())
}

pub fn list_chains(sock: Socket, family: Option<Family>, table: Option<&str>) -> Result<Vec<Chain>> {
    let replies = sock.dump(|| chain::dump(family)).map_err(|e| e.about("nftListChains", family.map_or("", Family::name)))?;
    Ok(replies
        .iter()
        .filter(|r| r.msg_type == msg_type(NFT_MSG_NEWCHAIN))
        .filter_map(|r| chain::parse(&r.payload))
        .filter(|c| table.is_none_or(|t| c.table == t))
        .collect())
}

fn place(family: Family, table: &str, chain: Option<&str>) -> String {
    match chain {
        Some(chain) => format!("{} {}/{}", family.name(), table, chain),
        None => format!("{} {}", family.name(), table),
    }
}

/// The rules of a table (or one chain of it), only those whose comment starts with `comment_prefix` when
/// given (filtered here: the caller gets no object for the others); ENOENT when the table or chain does not exist.
pub fn list_rules(sock: Socket, family: Family, table: &str, chain: Option<&str>, comment_prefix: Option<&str>) -> Result<Vec<Rule>> {
    let run = || -> Result<Vec<Rule>> {
        check_name("table", table)?;
        // A dump of a missing table or chain is just empty: ask for the object itself first.
        match chain {
            Some(chain) => {
                check_name("chain", chain)?;
                sock.request_one(chain::get(family, table, chain))?;
            }
            None => {
                sock.request_one(table::get(Some(family), Some(table)))?;
            }
        }
        let mut rules = dump_rules(sock, family, table, chain)?;
        if let Some(prefix) = comment_prefix {
            rules.retain(|r| r.comment.as_deref().is_some_and(|c| c.starts_with(prefix)));
        }
        Ok(rules)
    };
    run().map_err(|e| e.about("nftListRules", place(family, table, chain)))
}

fn dump_rules(sock: Socket, family: Family, table: &str, chain: Option<&str>) -> Result<Vec<Rule>> {
    let replies = sock.dump(|| rule::dump(family, table, chain))?;
    Ok(replies.iter().filter(|r| r.msg_type == msg_type(NFT_MSG_NEWRULE)).filter_map(|r| rule::parse(&r.payload)).collect())
}

/// Delete, in one transaction, every rule of the chain whose comment starts with `prefix`; the number
/// deleted. A missing table or chain has none.
pub fn delete_rules_by_comment_prefix(sock: Socket, family: Family, table: &str, chain: &str, prefix: &str) -> Result<usize> {
    let run = || -> Result<usize> {
        check_name("table", table)?;
        check_name("chain", chain)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let ops: Vec<Op> = dump_rules(sock, family, table, Some(chain))?
                .into_iter()
                .filter(|r| r.chain == chain && r.comment.as_deref().is_some_and(|c| c.starts_with(prefix)))
                .map(|r| Op::DeleteRule { family, table: table.to_string(), chain: chain.to_string(), handle: r.handle })
                .collect();
            match commit(sock, &ops) {
                Ok(()) => return Ok(ops.len()),
                // A rule (or the chain) went away since the listing: list again.
                Err(e) if e.errno == sys::ENOENT && attempt < DELETE_RETRIES => continue,
                Err(e) => return Err(e),
            }
        }
    };
    run().map_err(|e| e.about("nftDeleteRulesByCommentPrefix", place(family, table, Some(chain))))
}
