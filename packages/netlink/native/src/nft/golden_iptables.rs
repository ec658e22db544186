//! Golden bytes of iptables-nft: the firewall plugin's rules as iptables-nft 1.8.9 (Debian 12) sends them
//! (golden_iptables_nft.txt, captured with strace), against our encoding of the same rules: xtables
//! `match` expressions (comment, conntrack), counters sent with their zero starting values, NFTA_RULE_COMPAT,
//! and `-I <chain> 1` as a NEWRULE without NLM_F_APPEND. The kit's builders (plugin-kit/src/netfilter/
//! iptables-nft.ts) make these expressions; a kernel test compares what the kernel then holds with what
//! iptables wrote.

use super::expr::{CmpOp, Expr, MetaKey, PayloadBase, Verdict};
use super::msg::Family;
use super::ops::Op;
use super::rule::{self, Placement, RuleCompat};
use crate::nl::NLM_F_REQUEST;

const GOLDEN: &str = include_str!("golden_iptables_nft.txt");
const REG_1: u32 = 1;
/// XT_ALIGN(sizeof(struct xt_comment_info)): a 256-byte NUL-padded string
const COMMENT_INFO_BYTES: usize = 256;
/// XT_ALIGN(sizeof(struct xt_conntrack_mtinfo3)) and where its match_flags and state_mask sit
const CONNTRACK_INFO_BYTES: usize = 168;
const CONNTRACK_MATCH_FLAGS_AT: usize = 146;
const CONNTRACK_STATE_MASK_AT: usize = 150;
const XT_CONNTRACK_STATE: u16 = 1;
/// XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) | XT_CONNTRACK_STATE_BIT(IP_CT_RELATED)
const RELATED_ESTABLISHED: u16 = 2 | 4;

/// The captured commands with their NEWRULE message, in file order.
fn golden_rules() -> Vec<(String, Vec<u8>)> {
    let mut rules = Vec::new();
    let mut command = None;
    for line in GOLDEN.lines() {
        if let Some(text) = line.strip_prefix("> ") {
            command = Some(text.to_string());
        } else if !line.starts_with('#') && !line.is_empty() {
            let bytes = (0..line.len()).step_by(2).map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap()).collect();
            rules.push((command.take().expect("a message follows its command"), bytes));
        }
    }
    rules
}

fn comment(text: &str) -> Expr {
    let mut info = vec![0u8; COMMENT_INFO_BYTES];
    info[..text.len()].copy_from_slice(text.as_bytes());
    Expr::Match { name: "comment".into(), rev: 0, info }
}
fn ctstate_related_established() -> Expr {
    let mut info = vec![0u8; CONNTRACK_INFO_BYTES];
    info[CONNTRACK_MATCH_FLAGS_AT..CONNTRACK_MATCH_FLAGS_AT + 2].copy_from_slice(&XT_CONNTRACK_STATE.to_ne_bytes());
    info[CONNTRACK_STATE_MASK_AT..CONNTRACK_STATE_MASK_AT + 2].copy_from_slice(&RELATED_ESTABLISHED.to_ne_bytes());
    Expr::Match { name: "conntrack".into(), rev: 3, info }
}
/// `-i`/`-o <name>`: the name with its NUL, so that "cni0" does not also match "cni01"
fn interface(key: MetaKey, op: CmpOp, name: &str) -> Vec<Expr> {
    let mut data = name.as_bytes().to_vec();
    data.push(0);
    vec![Expr::Meta { key, dreg: REG_1 }, Expr::Cmp { op, sreg: REG_1, data }]
}
fn address(offset: u32, bytes: &[u8]) -> Vec<Expr> {
    vec![Expr::Payload { base: PayloadBase::Network, offset, len: bytes.len() as u32, dreg: REG_1 }, Expr::Cmp { op: CmpOp::Eq, sreg: REG_1, data: bytes.to_vec() }]
}
/// What every iptables-nft rule ends with: a counter from zero, then the verdict.
fn ending(verdict: Verdict) -> Vec<Expr> {
    vec![Expr::CounterFrom { bytes: 0, packets: 0 }, Expr::Verdict(verdict)]
}
fn rule(family: Family, chain: &str, placement: Placement, matches: Vec<Expr>, verdict: Verdict) -> Op {
    let mut exprs = matches;
    exprs.extend(ending(verdict));
    Op::AddRule { family, table: "filter".into(), chain: chain.into(), exprs, comment: None, placement, compat: Some(RuleCompat { proto: 0, flags: 0 }) }
}

const PLUGIN_RULES: &str = "CNI firewall plugin rules";
const SHARED_ISOLATION: &str = "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)";

fn ours() -> Vec<Op> {
    let ip4 = [10, 88, 0, 2];
    let mut ip6 = [0u8; 16];
    ip6[0] = 0xfd;
    ip6[15] = 2;
    let mut isolation = interface(MetaKey::Iifname, CmpOp::Eq, "cni0");
    isolation.extend(interface(MetaKey::Oifname, CmpOp::Neq, "cni0"));
    isolation.push(comment("CNI firewall plugin rules (ingressPolicy: same-bridge)"));
    let mut stage2 = interface(MetaKey::Oifname, CmpOp::Eq, "cni0");
    stage2.push(comment(SHARED_ISOLATION));
    let with = |mut exprs: Vec<Expr>, more: Expr| {
        exprs.push(more);
        exprs
    };
    vec![
        rule(Family::Ip, "FORWARD", Placement::First, vec![comment(PLUGIN_RULES)], Verdict::Jump("CNI-FORWARD".into())),
        rule(Family::Ip, "CNI-FORWARD", Placement::First, vec![comment("CNI firewall plugin admin overrides")], Verdict::Jump("CNI-ADMIN".into())),
        rule(Family::Ip, "CNI-FORWARD", Placement::Last, with(address(16, &ip4), ctstate_related_established()), Verdict::Accept),
        rule(Family::Ip, "CNI-FORWARD", Placement::Last, address(12, &ip4), Verdict::Accept),
        rule(Family::Ip, "CNI-ISOLATION-STAGE-1", Placement::First, isolation, Verdict::Jump("CNI-ISOLATION-STAGE-2".into())),
        rule(Family::Ip, "CNI-ISOLATION-STAGE-1", Placement::Last, vec![comment(SHARED_ISOLATION)], Verdict::Return),
        rule(Family::Ip, "CNI-ISOLATION-STAGE-2", Placement::First, stage2, Verdict::Drop),
        rule(Family::Ip6, "CNI-FORWARD", Placement::Last, with(address(24, &ip6), ctstate_related_established()), Verdict::Accept),
        rule(Family::Ip6, "CNI-FORWARD", Placement::Last, address(8, &ip6), Verdict::Accept),
    ]
}

#[test]
fn firewall_rules_match_iptables_nft_byte_for_byte() {
    let golden = golden_rules();
    let ours = ours();
    assert_eq!(golden.len(), ours.len());
    for ((command, golden), op) in golden.iter().zip(&ours) {
        // the sequence number is iptables' own (its place in that batch)
        let seq = u32::from_ne_bytes(golden[8..12].try_into().unwrap());
        let mut m = op.message().unwrap();
        m.add_flags(NLM_F_REQUEST);
        let bytes = m.finish(seq);
        let hex = |b: &[u8]| b.iter().map(|x| format!("{:02x}", x)).collect::<String>();
        assert_eq!(hex(&bytes), hex(golden), "{}", command);
    }
}

#[test]
fn match_expressions_and_zeroed_counters_read_back_as_sent() {
    // A match's info comes back as it was given (XT_ALIGN'ed, as the kernel dumps it), a counter as a plain
    // `Counter` (its values are the traffic's, not the rule's).
    let sent = rule(Family::Ip, "CNI-FORWARD", Placement::Last, vec![ctstate_related_established(), comment(PLUGIN_RULES)], Verdict::Accept);
    let mut m = sent.message().unwrap();
    m.add_flags(NLM_F_REQUEST);
    let decoded = rule::parse(&m.finish(1)[16..]).unwrap();
    assert_eq!(decoded.exprs, vec![ctstate_related_established(), comment(PLUGIN_RULES), Expr::Counter, Expr::Verdict(Verdict::Accept)]);
}
