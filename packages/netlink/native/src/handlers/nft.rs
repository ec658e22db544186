//! nftables (NETLINK_NETFILTER sockets, opened with `open(nsPath, 12)`): one transaction per `nftCommit`,
//! the listings, and deletion by comment prefix. The JS side is packages/netlink/src/nftables.ts; the
//! object shapes are the ones nftables-types.ts declares (NftOp, NftExpr, NftTable, NftChain, NftRule).

use crate::error::{Error, Result};
use crate::js::args::{arg, arg_opt_string, arg_string, socket};
use crate::napi::{napi_value, Args, Env, Export, JsType};
use crate::nft::{self, BaseChain, ChainType, CmpOp, CtKey, Expr, Family, FibResult, Hook, MetaKey, NatFamily, NatType, Op, PayloadBase, Placement, Policy, RuleCompat, Verdict};
use std::ffi::{CStr, CString};

pub static EXPORTS: &[Export] = &[
    export!("nftCommit", nft_commit),
    export!("nftListTables", nft_list_tables),
    export!("nftListChains", nft_list_chains),
    export!("nftListRules", nft_list_rules),
    export!("nftDeleteRulesByCommentPrefix", nft_delete_rules_by_comment_prefix),
];

/// Number.MAX_SAFE_INTEGER: handles above it do not survive the trip through a JS number.
const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;

// ---- reading JS values -------------------------------------------------------------------------------------

/// The fields of one JS object (an op or an expression); `what` names it in errors ("op 2", "op 2 expr 1").
struct Fields<'a> {
    env: &'a Env,
    object: napi_value,
    what: String,
}

impl<'a> Fields<'a> {
    fn value(&self, name: &CStr) -> Option<napi_value> {
        self.env.get(self.object, name)
    }
    fn fail(&self, name: &CStr, problem: &str) -> Error {
        Error::invalid(format!("{}: {} {}", self.what, name.to_string_lossy(), problem))
    }
    fn opt_string(&self, name: &CStr) -> Result<Option<String>> {
        self.value(name).map(|v| self.env.to_string(v).map_err(|_| self.fail(name, "must be a string"))).transpose()
    }
    fn string(&self, name: &CStr) -> Result<String> {
        self.opt_string(name)?.ok_or_else(|| self.fail(name, "is missing"))
    }
    fn opt_number(&self, name: &CStr) -> Result<Option<f64>> {
        self.value(name).map(|v| self.env.to_number(v).map_err(|_| self.fail(name, "must be a number"))).transpose()
    }
    fn opt_u32(&self, name: &CStr) -> Result<Option<u32>> {
        match self.opt_number(name)? {
            Some(n) if n < 0.0 || n > u32::MAX as f64 || n.fract() != 0.0 => Err(self.fail(name, &format!("must be an unsigned 32-bit integer, got {}", n))),
            other => Ok(other.map(|n| n as u32)),
        }
    }
    fn u32(&self, name: &CStr) -> Result<u32> {
        self.opt_u32(name)?.ok_or_else(|| self.fail(name, "is missing"))
    }
    /// A non-negative integer a JS number holds exactly (up to 2^53 - 1).
    fn opt_u64(&self, name: &CStr) -> Result<Option<u64>> {
        match self.opt_number(name)? {
            Some(n) if !(0.0..=MAX_SAFE_INTEGER).contains(&n) || n.fract() != 0.0 => Err(self.fail(name, &format!("must be a non-negative safe integer, got {}", n))),
            other => Ok(other.map(|n| n as u64)),
        }
    }
    fn family(&self) -> Result<Family> {
        let name = self.string(c"family")?;
        Family::from_name(&name).ok_or_else(|| self.fail(c"family", &format!("{:?} is not inet, ip, ip6, bridge, arp or netdev", name)))
    }
    /// A Uint8Array (copied at once) or an array of byte values (read element by element).
    fn bytes(&self, name: &CStr) -> Result<Vec<u8>> {
        let value = self.value(name).ok_or_else(|| self.fail(name, "is missing"))?;
        if self.env.type_of(value) == JsType::Other {
            if let Ok(bytes) = self.env.to_bytes(value) {
                return Ok(bytes);
            }
        }
        let items = items(self.env, value).ok_or_else(|| self.fail(name, "must be a Uint8Array"))?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match self.env.to_number(item) {
                Ok(n) if (0.0..=255.0).contains(&n) && n.fract() == 0.0 => out.push(n as u8),
                _ => return Err(self.fail(name, "must hold bytes")),
            }
        }
        Ok(out)
    }
    fn parsed<T>(&self, name: &CStr, parse: fn(&str) -> Option<T>, allowed: &str) -> Result<T> {
        let text = self.string(name)?;
        parse(&text).ok_or_else(|| self.fail(name, &format!("{:?} is not one of {}", text, allowed)))
    }
}

/// The elements of an array-like value (`length` plus indexed elements): arrays and typed arrays.
fn items(env: &Env, value: napi_value) -> Option<Vec<napi_value>> {
    if env.type_of(value) != JsType::Other {
        return None;
    }
    let length = env.to_number(env.get(value, c"length")?).ok()?;
    if !(0.0..=1e6).contains(&length) || length.fract() != 0.0 {
        return None;
    }
    let mut out = Vec::with_capacity(length as usize);
    for i in 0..length as usize {
        let index = CString::new(i.to_string()).ok()?;
        out.push(env.get(value, &index)?);
    }
    Some(out)
}

fn read_expr(f: &Fields) -> Result<Expr> {
    let kind = f.string(c"type")?;
    Ok(match kind.as_str() {
        "meta" => Expr::Meta { key: f.parsed(c"key", MetaKey::from_name, "the meta keys nftables-types.ts lists")?, dreg: f.u32(c"dreg")? },
        "payload" => Expr::Payload {
            base: f.parsed(c"base", PayloadBase::from_name, "link, network, transport")?,
            offset: f.u32(c"offset")?,
            len: f.u32(c"len")?,
            dreg: f.u32(c"dreg")?,
        },
        "cmp" => Expr::Cmp { op: f.parsed(c"op", CmpOp::from_name, "eq, neq, lt, lte, gt, gte")?, sreg: f.u32(c"sreg")?, data: f.bytes(c"data")? },
        "bitwise" => Expr::Bitwise { sreg: f.u32(c"sreg")?, dreg: f.u32(c"dreg")?, len: f.u32(c"len")?, mask: f.bytes(c"mask")?, xor: f.bytes(c"xor")? },
        "verdict" => {
            let verdict = f.string(c"verdict")?;
            Expr::Verdict(Verdict::from_parts(&verdict, f.opt_string(c"chain")?).map_err(|problem| Error::invalid(format!("{}: {}", f.what, problem)))?)
        }
        "immediate" => Expr::Immediate { dreg: f.u32(c"dreg")?, data: f.bytes(c"data")? },
        "masq" => Expr::Masq { flags: f.opt_u32(c"flags")? },
        "nat" => Expr::Nat {
            nat_type: f.parsed(c"nat", NatType::from_name, "snat, dnat")?,
            family: f.parsed(c"family", NatFamily::from_name, "ipv4, ipv6")?,
            addr_reg: f.opt_u32(c"addrReg")?,
            proto_reg: f.opt_u32(c"protoReg")?,
            flags: f.opt_u32(c"flags")?.unwrap_or(0),
        },
        "fib" => Expr::Fib { dreg: f.u32(c"dreg")?, result: f.parsed(c"result", FibResult::from_name, "oif, oifname, type")?, flags: f.u32(c"flags")? },
        "ct" => Expr::Ct { key: f.parsed(c"key", CtKey::from_name, "state, direction, status, mark")?, dreg: f.u32(c"dreg")? },
        "counter" => match (f.opt_u64(c"bytes")?, f.opt_u64(c"packets")?) {
            (None, None) => Expr::Counter,
            (bytes, packets) => Expr::CounterFrom { bytes: bytes.unwrap_or(0), packets: packets.unwrap_or(0) },
        },
        "match" => Expr::Match { name: f.string(c"name")?, rev: f.u32(c"rev")?, info: f.bytes(c"info")? },
        other => return Err(Error::invalid(format!("{}: unknown expression type {:?}", f.what, other))),
    })
}

fn read_op(f: &Fields) -> Result<Op> {
    let kind = f.string(c"op")?;
    let family = f.family()?;
    Ok(match kind.as_str() {
        "addTable" | "createTable" => Op::AddTable { family, name: f.string(c"name")?, comment: f.opt_string(c"comment")?, exclusive: kind == "createTable" },
        "deleteTable" => Op::DeleteTable { family, name: f.string(c"name")? },
        "addChain" | "createChain" => {
            let hook = f.opt_string(c"hook")?;
            let chain_type = f.opt_string(c"type")?;
            let priority = f.opt_number(c"priority")?;
            let base = match hook {
                None if chain_type.is_some() || priority.is_some() => {
                    return Err(Error::invalid(format!("{}: type and priority need a hook (a base chain)", f.what)));
                }
                None => None,
                Some(hook) => {
                    let priority = priority.unwrap_or(0.0);
                    if priority.fract() != 0.0 || priority < i32::MIN as f64 || priority > i32::MAX as f64 {
                        return Err(f.fail(c"priority", "must be a 32-bit integer"));
                    }
                    Some(BaseChain {
                        hook: Hook::from_name(&hook).ok_or_else(|| f.fail(c"hook", &format!("{:?} is not a hook", hook)))?,
                        chain_type: match chain_type {
                            None => ChainType::Filter,
                            Some(t) => ChainType::from_name(&t).ok_or_else(|| f.fail(c"type", &format!("{:?} is not filter, nat or route", t)))?,
                        },
                        priority: priority as i32,
                    })
                }
            };
            let policy = f.opt_string(c"policy")?.map(|p| Policy::from_name(&p).ok_or_else(|| f.fail(c"policy", &format!("{:?} is not accept or drop", p)))).transpose()?;
            Op::AddChain { family, table: f.string(c"table")?, name: f.string(c"name")?, base, policy, comment: f.opt_string(c"comment")?, exclusive: kind == "createChain" }
        }
        "flushChain" => Op::FlushChain { family, table: f.string(c"table")?, name: f.string(c"name")? },
        "deleteChain" => Op::DeleteChain { family, table: f.string(c"table")?, name: f.string(c"name")? },
        "addRule" | "insertRule" => {
            let list = f.value(c"exprs").and_then(|v| items(f.env, v)).ok_or_else(|| f.fail(c"exprs", "must be an array"))?;
            let mut exprs = Vec::with_capacity(list.len());
            for (i, object) in list.into_iter().enumerate() {
                exprs.push(read_expr(&Fields { env: f.env, object, what: format!("{} expr {}", f.what, i + 1) })?);
            }
            let compat = match f.value(c"compat") {
                None => None,
                Some(object) => {
                    let c = Fields { env: f.env, object, what: format!("{} compat", f.what) };
                    Some(RuleCompat { proto: c.u32(c"proto")?, flags: c.u32(c"flags")? })
                }
            };
            let placement = if kind == "insertRule" { Placement::First } else { Placement::Last };
            Op::AddRule { family, table: f.string(c"table")?, chain: f.string(c"chain")?, exprs, comment: f.opt_string(c"comment")?, placement, compat }
        }
        "deleteRule" => {
            let handle = f.opt_number(c"handle")?.ok_or_else(|| f.fail(c"handle", "is missing"))?;
            if !(1.0..=MAX_SAFE_INTEGER).contains(&handle) || handle.fract() != 0.0 {
                return Err(f.fail(c"handle", &format!("must be a positive integer, got {}", handle)));
            }
            Op::DeleteRule { family, table: f.string(c"table")?, chain: f.string(c"chain")?, handle: handle as u64 }
        }
        other => return Err(Error::invalid(format!("{}: unknown op {:?}", f.what, other))),
    })
}

fn arg_family(env: &Env, args: &Args, i: usize) -> Result<Family> {
    let name = arg_string(env, args, i, "family")?;
    Family::from_name(&name).ok_or_else(|| Error::invalid(format!("family {:?} is not inet, ip, ip6, bridge, arp or netdev", name)))
}
fn arg_opt_family(env: &Env, args: &Args, i: usize) -> Result<Option<Family>> {
    match arg_opt_string(env, args, i, "family")? {
        None => Ok(None),
        Some(name) => Family::from_name(&name).map(Some).ok_or_else(|| Error::invalid(format!("family {:?} is not inet, ip, ip6, bridge, arp or netdev", name))),
    }
}

// ---- building JS values ------------------------------------------------------------------------------------

fn js_expr(env: &Env, expr: &Expr) -> Result<napi_value> {
    let o = env.object();
    match expr {
        Expr::Meta { key, dreg } => {
            env.set_str(o, c"type", "meta");
            env.set_str(o, c"key", key.name());
            env.set_num(o, c"dreg", *dreg as f64);
        }
        Expr::Payload { base, offset, len, dreg } => {
            env.set_str(o, c"type", "payload");
            env.set_str(o, c"base", base.name());
            env.set_num(o, c"offset", *offset as f64);
            env.set_num(o, c"len", *len as f64);
            env.set_num(o, c"dreg", *dreg as f64);
        }
        Expr::Cmp { op, sreg, data } => {
            env.set_str(o, c"type", "cmp");
            env.set_str(o, c"op", op.name());
            env.set_num(o, c"sreg", *sreg as f64);
            env.set(o, c"data", env.buffer(data)?);
        }
        Expr::Bitwise { sreg, dreg, len, mask, xor } => {
            env.set_str(o, c"type", "bitwise");
            env.set_num(o, c"sreg", *sreg as f64);
            env.set_num(o, c"dreg", *dreg as f64);
            env.set_num(o, c"len", *len as f64);
            env.set(o, c"mask", env.buffer(mask)?);
            env.set(o, c"xor", env.buffer(xor)?);
        }
        Expr::Verdict(verdict) => {
            env.set_str(o, c"type", "verdict");
            env.set_str(o, c"verdict", verdict.name());
            if let Some(chain) = verdict.chain() {
                env.set_str(o, c"chain", chain);
            }
        }
        Expr::Immediate { dreg, data } => {
            env.set_str(o, c"type", "immediate");
            env.set_num(o, c"dreg", *dreg as f64);
            env.set(o, c"data", env.buffer(data)?);
        }
        Expr::Masq { flags } => {
            env.set_str(o, c"type", "masq");
            if let Some(flags) = flags {
                env.set_num(o, c"flags", *flags as f64);
            }
        }
        Expr::Nat { nat_type, family, addr_reg, proto_reg, flags } => {
            env.set_str(o, c"type", "nat");
            env.set_str(o, c"nat", nat_type.name());
            env.set_str(o, c"family", family.name());
            if let Some(reg) = addr_reg {
                env.set_num(o, c"addrReg", *reg as f64);
            }
            if let Some(reg) = proto_reg {
                env.set_num(o, c"protoReg", *reg as f64);
            }
            if *flags != 0 {
                env.set_num(o, c"flags", *flags as f64);
            }
        }
        Expr::Fib { dreg, result, flags } => {
            env.set_str(o, c"type", "fib");
            env.set_num(o, c"dreg", *dreg as f64);
            env.set_str(o, c"result", result.name());
            env.set_num(o, c"flags", *flags as f64);
        }
        Expr::Ct { key, dreg } => {
            env.set_str(o, c"type", "ct");
            env.set_str(o, c"key", key.name());
            env.set_num(o, c"dreg", *dreg as f64);
        }
        Expr::Counter => env.set_str(o, c"type", "counter"),
        Expr::CounterFrom { bytes, packets } => {
            env.set_str(o, c"type", "counter");
            env.set_num(o, c"bytes", *bytes as f64);
            env.set_num(o, c"packets", *packets as f64);
        }
        Expr::Match { name, rev, info } => {
            env.set_str(o, c"type", "match");
            env.set_str(o, c"name", name);
            env.set_num(o, c"rev", *rev as f64);
            env.set(o, c"info", env.buffer(info)?);
        }
        Expr::Unknown { name } => {
            env.set_str(o, c"type", "unknown");
            env.set_str(o, c"name", name);
        }
    }
    Ok(o)
}

fn js_table(env: &Env, t: &nft::Table) -> napi_value {
    let o = env.object();
    env.set_str(o, c"family", t.family.name());
    env.set_str(o, c"name", &t.name);
    env.set_num(o, c"handle", t.handle as f64);
    env.set_num(o, c"flags", t.flags as f64);
    if let Some(comment) = &t.comment {
        env.set_str(o, c"comment", comment);
    }
    o
}

fn js_chain(env: &Env, c: &nft::Chain) -> napi_value {
    let o = env.object();
    env.set_str(o, c"family", c.family.name());
    env.set_str(o, c"table", &c.table);
    env.set_str(o, c"name", &c.name);
    env.set_num(o, c"handle", c.handle as f64);
    if let Some(base) = &c.base {
        env.set_str(o, c"hook", base.hook.name());
        env.set_num(o, c"priority", base.priority as f64);
        env.set_str(o, c"type", base.chain_type.name());
    }
    if let Some(policy) = c.policy {
        env.set_str(o, c"policy", policy.name());
    }
    if let Some(comment) = &c.comment {
        env.set_str(o, c"comment", comment);
    }
    o
}

fn js_rule(env: &Env, r: &nft::Rule) -> Result<napi_value> {
    let o = env.object();
    env.set_str(o, c"family", r.family.name());
    env.set_str(o, c"table", &r.table);
    env.set_str(o, c"chain", &r.chain);
    env.set_num(o, c"handle", r.handle as f64);
    if let Some(comment) = &r.comment {
        env.set_str(o, c"comment", comment);
    }
    let mut exprs = Vec::with_capacity(r.exprs.len());
    for expr in &r.exprs {
        exprs.push(js_expr(env, expr)?);
    }
    env.set(o, c"exprs", env.array(exprs));
    Ok(o)
}

// ---- the exports -------------------------------------------------------------------------------------------

/// nftCommit(fd, ops: NftOp[]): one transaction.
fn nft_commit(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let list = items(env, arg(env, args, 1, "ops")?).ok_or_else(|| Error::invalid("ops must be an array").about("nftCommit", ""))?;
    let mut ops = Vec::with_capacity(list.len());
    for (i, object) in list.into_iter().enumerate() {
        let what = format!("op {}", i + 1);
        let op = read_op(&Fields { env, object, what: what.clone() }).map_err(|e| e.about("nftCommit", what))?;
        ops.push(op);
    }
    nft::commit(sock, &ops)?;
    Ok(env.undefined())
}

/// nftListTables(fd, family?: string) -> NftTable[]
fn nft_list_tables(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let family = arg_opt_family(env, args, 1)?;
    let tables = nft::list_tables(sock, family)?;
    Ok(env.array(tables.iter().map(|t| js_table(env, t)).collect()))
}

/// nftListChains(fd, family?: string, table?: string) -> NftChain[]
fn nft_list_chains(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let family = arg_opt_family(env, args, 1)?;
    let table = arg_opt_string(env, args, 2, "table")?;
    let chains = nft::list_chains(sock, family, table.as_deref())?;
    Ok(env.array(chains.iter().map(|c| js_chain(env, c)).collect()))
}

/// nftListRules(fd, family, table, chain?, commentPrefix?) -> NftRule[]
fn nft_list_rules(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let family = arg_family(env, args, 1)?;
    let table = arg_string(env, args, 2, "table")?;
    let chain = arg_opt_string(env, args, 3, "chain")?;
    let comment_prefix = arg_opt_string(env, args, 4, "commentPrefix")?;
    let rules = nft::list_rules(sock, family, &table, chain.as_deref(), comment_prefix.as_deref())?;
    let mut out = Vec::with_capacity(rules.len());
    for rule in &rules {
        out.push(js_rule(env, rule)?);
    }
    Ok(env.array(out))
}

/// nftDeleteRulesByCommentPrefix(fd, family, table, chain, prefix) -> number deleted
fn nft_delete_rules_by_comment_prefix(env: &Env, args: &Args) -> Result<napi_value> {
    let sock = socket(env, args)?;
    let family = arg_family(env, args, 1)?;
    let table = arg_string(env, args, 2, "table")?;
    let chain = arg_string(env, args, 3, "chain")?;
    let prefix = arg_string(env, args, 4, "prefix")?;
    let count = nft::delete_rules_by_comment_prefix(sock, family, &table, &chain, &prefix)?;
    Ok(env.number(count as f64))
}
