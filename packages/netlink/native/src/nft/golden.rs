//! Golden bytes: every message kind checked against what nft 1.0.6 sends (captured with
//! `strace -e trace=sendmsg -e write=3 nft -f ...` inside a throwaway network namespace), and the decoders
//! checked against what the kernel (6.18) returned to `nft list ruleset` for the masquerade layout.
//! The layouts are the reference plugins' (ipmasq_nftables_linux.go, pkg/link/spoofcheck.go).

#![allow(dead_code)]

use super::chain::{self, BaseChain, ChainType, Hook, Policy};
use super::expr::{CmpOp, CtKey, Expr, FibResult, MetaKey, NatFamily, NatType, PayloadBase, Verdict};
use super::msg::{self, Family};
use super::ops::Op;
use super::rule::Placement;
use super::{rule, table};
use crate::nl::{MsgBuilder, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// An op's message as nft puts it in a batch (NLM_F_REQUEST, no ack).
fn bytes(op: &Op, seq: u32) -> Vec<u8> {
    let mut m = op.message().unwrap();
    m.add_flags(NLM_F_REQUEST);
    m.finish(seq)
}

fn assert_bytes(ours: &[u8], golden: &str) {
    let golden = hex(golden);
    if ours != golden.as_slice() {
        panic!("bytes differ\n ours:   {}\n golden: {}", to_hex(ours), to_hex(&golden));
    }
}
fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{:02x}", b)).collect()
}

// ---- the expressions the masquerade and spoof-check rules are made of ---------------------------------

const REG_1: u32 = 1;
const NFPROTO_IPV4: u8 = 2;
const NFPROTO_IPV6: u8 = 10;

fn meta(key: MetaKey) -> Expr {
    Expr::Meta { key, dreg: REG_1 }
}
fn payload(base: PayloadBase, offset: u32, len: u32) -> Expr {
    Expr::Payload { base, offset, len, dreg: REG_1 }
}
fn cmp(op: CmpOp, data: &[u8]) -> Expr {
    Expr::Cmp { op, sreg: REG_1, data: data.to_vec() }
}

fn masq_multicast4() -> Vec<Expr> {
    vec![
        meta(MetaKey::Nfproto),
        cmp(CmpOp::Eq, &[NFPROTO_IPV4]),
        payload(PayloadBase::Network, 16, 4),
        Expr::Bitwise { sreg: REG_1, dreg: REG_1, len: 4, mask: vec![0xf0, 0, 0, 0], xor: vec![0; 4] },
        cmp(CmpOp::Eq, &[0xe0, 0, 0, 0]),
        Expr::Verdict(Verdict::Return),
    ]
}
fn masq_multicast6() -> Vec<Expr> {
    vec![meta(MetaKey::Nfproto), cmp(CmpOp::Eq, &[NFPROTO_IPV6]), payload(PayloadBase::Network, 24, 1), cmp(CmpOp::Eq, &[0xff]), Expr::Verdict(Verdict::Return)]
}
fn masq_attachment() -> Vec<Expr> {
    vec![
        meta(MetaKey::Nfproto),
        cmp(CmpOp::Eq, &[NFPROTO_IPV4]),
        payload(PayloadBase::Network, 12, 4),
        cmp(CmpOp::Eq, &[10, 1, 0, 2]),
        payload(PayloadBase::Network, 16, 3),
        cmp(CmpOp::Neq, &[10, 1, 0]),
        Expr::Masq { flags: None },
    ]
}

const MASQ_TABLE: &str = "cni_plugins_masquerade";
const MASQ_TABLE_COMMENT: &str = "Masquerading for plugins from github.com/containernetworking/plugins";
const MASQ_CHECKS_COMMENT: &str = "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet";

fn masq_ops() -> Vec<Op> {
    let t = || MASQ_TABLE.to_string();
    let rule = |chain: &str, exprs: Vec<Expr>, comment: Option<&str>| Op::AddRule { family: Family::Inet, table: t(), chain: chain.into(), exprs, comment: comment.map(String::from), placement: Placement::Last, compat: None };
    vec![
        Op::AddTable { family: Family::Inet, name: t(), comment: Some(MASQ_TABLE_COMMENT.into()), exclusive: false },
        Op::AddChain { family: Family::Inet, table: t(), name: "masq_checks".into(), base: None, policy: None, comment: Some(MASQ_CHECKS_COMMENT.into()), exclusive: false },
        Op::AddChain {
            family: Family::Inet,
            table: t(),
            name: "postrouting".into(),
            base: Some(BaseChain { hook: Hook::Postrouting, chain_type: ChainType::Nat, priority: 100 }),
            policy: None,
            comment: None,
            exclusive: false,
        },
        Op::FlushChain { family: Family::Inet, table: t(), name: "postrouting".into() },
        rule("postrouting", masq_multicast4(), None),
        rule("postrouting", masq_multicast6(), None),
        rule("postrouting", vec![Expr::Verdict(Verdict::Goto("masq_checks".into()))], None),
        rule("masq_checks", masq_attachment(), Some("x")),
    ]
}

const IFACE_CHAIN: &str = "cni-br-iface-cid1-eth0";
const MAC_CHAIN: &str = "cni-br-iface-cid1-eth0-mac";
const SPOOF_COMMENT: &str = "macspoofchk-cid1-eth0";

fn spoof_ops() -> Vec<Op> {
    let t = || "nat".to_string();
    let rule = |chain: &str, exprs: Vec<Expr>| Op::AddRule { family: Family::Bridge, table: t(), chain: chain.into(), exprs, comment: Some(SPOOF_COMMENT.into()), placement: Placement::Last, compat: None };
    let mut ifname = [0u8; 16];
    ifname[..8].copy_from_slice(b"veth1234");
    vec![
        Op::AddTable { family: Family::Bridge, name: t(), comment: None, exclusive: false },
        Op::AddChain {
            family: Family::Bridge,
            table: t(),
            name: "PREROUTING".into(),
            base: Some(BaseChain { hook: Hook::Prerouting, chain_type: ChainType::Filter, priority: -300 }),
            policy: Some(Policy::Accept),
            comment: None,
            exclusive: false,
        },
        Op::AddChain { family: Family::Bridge, table: t(), name: IFACE_CHAIN.into(), base: None, policy: None, comment: None, exclusive: false },
        Op::AddChain { family: Family::Bridge, table: t(), name: MAC_CHAIN.into(), base: None, policy: None, comment: None, exclusive: false },
        Op::FlushChain { family: Family::Bridge, table: t(), name: IFACE_CHAIN.into() },
        Op::FlushChain { family: Family::Bridge, table: t(), name: MAC_CHAIN.into() },
        rule("PREROUTING", vec![meta(MetaKey::Iifname), cmp(CmpOp::Eq, &ifname), Expr::Verdict(Verdict::Jump(IFACE_CHAIN.into()))]),
        rule(IFACE_CHAIN, vec![Expr::Verdict(Verdict::Jump(MAC_CHAIN.into()))]),
        rule(MAC_CHAIN, vec![payload(PayloadBase::Link, 6, 6), cmp(CmpOp::Eq, &[0x0a, 0x58, 0x0a, 0x01, 0x00, 0x02]), Expr::Verdict(Verdict::Return)]),
        rule(MAC_CHAIN, vec![Expr::Verdict(Verdict::Drop)]),
    ]
}

// ---- encoders -----------------------------------------------------------------------------------------

#[test]
fn masquerade_layout_ops_match_nft_byte_for_byte() {
    let golden = [
        MASQ_ADD_TABLE,
        MASQ_ADD_CHAIN_MASQ_CHECKS,
        MASQ_ADD_CHAIN_POSTROUTING,
        MASQ_FLUSH_POSTROUTING,
        MASQ_RULE_MULTICAST4,
        MASQ_RULE_MULTICAST6,
        MASQ_RULE_GOTO,
        MASQ_RULE_ATTACHMENT,
    ];
    for (i, (op, golden)) in masq_ops().iter().zip(golden).enumerate() {
        assert_bytes(&bytes(op, i as u32 + 1), golden);
    }
}

#[test]
fn spoof_check_layout_ops_match_nft_byte_for_byte() {
    let golden = [
        SPOOF_ADD_TABLE,
        SPOOF_ADD_CHAIN_PREROUTING,
        SPOOF_ADD_CHAIN_IFACE,
        SPOOF_ADD_CHAIN_MAC,
        SPOOF_FLUSH_IFACE,
        SPOOF_FLUSH_MAC,
        SPOOF_RULE_IIFNAME_JUMP,
        SPOOF_RULE_JUMP_MAC,
        SPOOF_RULE_ETHER_SADDR_RETURN,
        SPOOF_RULE_DROP,
    ];
    for (i, (op, golden)) in spoof_ops().iter().zip(golden).enumerate() {
        assert_bytes(&bytes(op, i as u32 + 1), golden);
    }
}

#[test]
fn batch_is_framed_as_nft_frames_it_with_one_ack_on_the_last_op() {
    let mut seq = 0u32;
    let messages: Vec<MsgBuilder> = masq_ops().iter().map(|op| op.message().unwrap()).collect();
    let batch = msg::batch(messages, || {
        seq += 1;
        seq - 1
    });
    assert_eq!(batch.begin_seq, 0);
    assert_eq!(batch.seqs, (1..=8).collect::<Vec<u32>>());
    // nft asks for no ack at all; ours differs only in NLM_F_ACK on the last op (seq 8).
    let mut golden = hex(MASQ_BATCH);
    let last_op_at = golden.len() - 20 - hex(MASQ_RULE_ATTACHMENT).len();
    golden[last_op_at + 6] |= NLM_F_ACK as u8;
    assert_eq!(to_hex(&batch.bytes), to_hex(&golden));
}

#[test]
fn deletions_match_nft() {
    let del_rule = Op::DeleteRule { family: Family::Bridge, table: "nat".into(), chain: "PREROUTING".into(), handle: 8 };
    assert_bytes(&bytes(&del_rule, 1), DELETE_RULE_HANDLE_8);
    let del_chain = Op::DeleteChain { family: Family::Bridge, table: "nat".into(), name: MAC_CHAIN.into() };
    assert_bytes(&bytes(&del_chain, 1), DELETE_CHAIN);
    assert_bytes(&bytes(&Op::DeleteTable { family: Family::Ip, name: "t".into() }, 1), DELETE_TABLE);
}

#[test]
fn counter_prefix_bitwise_and_base_chain_comment_match_nft() {
    let counter = Op::AddRule { family: Family::Ip, table: "t".into(), chain: "c".into(), exprs: vec![Expr::Counter], comment: None, placement: Placement::Last, compat: None };
    assert_bytes(&bytes(&counter, 1), RULE_COUNTER);
    // ip6 saddr fd00:1::/60 accept: a 16-byte load, masked, compared
    let mut mask = vec![0xffu8; 7];
    mask.push(0xf0);
    mask.extend([0u8; 8]);
    let mut network = vec![0xfd, 0x00, 0x00, 0x01];
    network.extend([0u8; 12]);
    let v6 = Op::AddRule {
        family: Family::Inet,
        table: "t6".into(),
        chain: "c".into(),
        exprs: vec![
            meta(MetaKey::Nfproto),
            cmp(CmpOp::Eq, &[NFPROTO_IPV6]),
            payload(PayloadBase::Network, 8, 16),
            Expr::Bitwise { sreg: REG_1, dreg: REG_1, len: 16, mask, xor: vec![0; 16] },
            cmp(CmpOp::Eq, &network),
            Expr::Verdict(Verdict::Accept),
        ],
        comment: None,
        placement: Placement::Last,
        compat: None,
    };
    assert_bytes(&bytes(&v6, 1), RULE_IP6_SADDR_PREFIX60_ACCEPT);
    let base = Op::AddChain {
        family: Family::Inet,
        table: "x".into(),
        name: "c".into(),
        base: Some(BaseChain { hook: Hook::Input, chain_type: ChainType::Filter, priority: 0 }),
        policy: Some(Policy::Drop),
        comment: Some("hi".into()),
        exclusive: false,
    };
    assert_bytes(&bytes(&base, 1), ADD_BASE_CHAIN_WITH_COMMENT);
}

#[test]
fn immediate_data_matches_nft() {
    // `meta mark set 0x2a` starts with `immediate reg 1 0x0000002a` (the meta set that follows is not ours)
    let mut m = MsgBuilder::new(0, 0);
    Expr::Immediate { dreg: REG_1, data: vec![0x2a, 0, 0, 0] }.encode(&mut m);
    let encoded = m.finish(0);
    let golden = "2c0001800e000100696d6d6564696174650000001800028008000100000000010c000280080001002a000000";
    assert_eq!(to_hex(&encoded[16..]), golden);
    assert!(RULE_META_MARK_SET.contains(golden));
}

#[test]
fn list_requests_match_nft() {
    // nft also asks for an ack on its gets; the rest is the same
    let mut get_table = table::get(Some(Family::Inet), Some(MASQ_TABLE));
    get_table.add_flags(NLM_F_REQUEST | NLM_F_ACK);
    assert_bytes(&get_table.finish(0), GET_TABLE);
    let mut get_chain = chain::get(Family::Inet, MASQ_TABLE, "masq_checks");
    get_chain.add_flags(NLM_F_REQUEST | NLM_F_ACK);
    assert_bytes(&get_chain.finish(0), GET_CHAIN);
    let mut dump = rule::dump(Family::Inet, MASQ_TABLE, Some("masq_checks"));
    dump.add_flags(NLM_F_REQUEST | NLM_F_DUMP);
    assert_bytes(&dump.finish(0), DUMP_RULES_OF_CHAIN);
}

// ---- decoders, on what the kernel returned ---------------------------------------------------------------

/// The payload (nfgenmsg + attributes) of a captured message.
fn payload_of(message: &str) -> Vec<u8> {
    hex(message)[16..].to_vec()
}

#[test]
fn kernel_rules_decode_to_the_expressions_that_made_them() {
    let attachment = rule::parse(&payload_of(KERNEL_RULE_0)).unwrap();
    assert_eq!(
        attachment,
        rule::Rule { family: Family::Inet, table: MASQ_TABLE.into(), chain: "masq_checks".into(), handle: 6, comment: Some("x".into()), exprs: masq_attachment() }
    );
    let multicast4 = rule::parse(&payload_of(KERNEL_RULE_1)).unwrap();
    assert_eq!((multicast4.chain.as_str(), multicast4.handle, multicast4.comment.as_deref()), ("postrouting", 3, None));
    assert_eq!(multicast4.exprs, masq_multicast4());
    assert_eq!(rule::parse(&payload_of(KERNEL_RULE_2)).unwrap().exprs, masq_multicast6());
    let goto = rule::parse(&payload_of(KERNEL_RULE_3)).unwrap();
    assert_eq!((goto.handle, goto.exprs), (5, vec![Expr::Verdict(Verdict::Goto("masq_checks".into()))]));
}

#[test]
fn kernel_tables_and_chains_decode_with_comments_and_hooks() {
    let t = table::parse(&payload_of(KERNEL_TABLE)).unwrap();
    assert_eq!((t.family, t.name.as_str(), t.flags, t.comment.as_deref()), (Family::Inet, MASQ_TABLE, 0, Some(MASQ_TABLE_COMMENT)));
    assert!(t.handle > 0);
    let checks = chain::parse(&payload_of(KERNEL_CHAIN_MASQ_CHECKS)).unwrap();
    assert_eq!((checks.name.as_str(), checks.base, checks.policy, checks.comment.as_deref()), ("masq_checks", None, None, Some(MASQ_CHECKS_COMMENT)));
    let post = chain::parse(&payload_of(KERNEL_CHAIN_POSTROUTING)).unwrap();
    assert_eq!(post.base, Some(BaseChain { hook: Hook::Postrouting, chain_type: ChainType::Nat, priority: 100 }));
    assert_eq!((post.table.as_str(), post.policy, post.comment), (MASQ_TABLE, Some(Policy::Accept), None));
}

#[test]
fn round_trip_of_every_expression_kind_through_the_decoder() {
    let exprs = vec![
        meta(MetaKey::L4proto),
        payload(PayloadBase::Transport, 2, 2),
        cmp(CmpOp::Gte, &[0, 80]),
        Expr::Bitwise { sreg: 1, dreg: 2, len: 2, mask: vec![0xff, 0], xor: vec![0, 1] },
        Expr::Immediate { dreg: 3, data: vec![1, 2, 3, 4] },
        Expr::Masq { flags: Some(4) },
        Expr::Counter,
        Expr::Verdict(Verdict::Continue),
    ];
    let op = Op::AddRule { family: Family::Ip, table: "t".into(), chain: "c".into(), exprs: exprs.clone(), comment: Some("c".into()), placement: Placement::Last, compat: None };
    let decoded = rule::parse(&bytes(&op, 1)[16..]).unwrap();
    assert_eq!((decoded.exprs, decoded.comment.as_deref()), (exprs, Some("c")));
}

#[test]
fn bad_names_and_lone_policies_are_rejected_before_sending() {
    let empty = Op::AddTable { family: Family::Inet, name: String::new(), comment: None, exclusive: false };
    assert_eq!(empty.message().err().unwrap().errno, crate::sys::EINVAL);
    let policy = Op::AddChain { family: Family::Inet, table: "t".into(), name: "c".into(), base: None, policy: Some(Policy::Drop), comment: None, exclusive: false };
    assert!(policy.message().err().unwrap().detail.unwrap().contains("base chain"));
    let unknown = Op::AddRule { family: Family::Inet, table: "t".into(), chain: "c".into(), exprs: vec![Expr::Unknown { name: "lookup".into() }], comment: None, placement: Placement::Last, compat: None };
    assert!(unknown.message().is_err());
}

// ---- what portmap and firewall are made of: ports, nat, fib, ct, and create (NLM_F_EXCL) ----------------

const NFPROTO_TCP: u8 = 6;
const NFPROTO_UDP: u8 = 17;
/// `fib daddr`: NFTA_FIB_F_DADDR
const FIB_F_DADDR: u32 = 2;
/// RTN_LOCAL, the address type `fib ... type local` compares with
const RTN_LOCAL: u32 = 2;
const REG_2: u32 = 2;

fn rule_of(family: Family, table: &str, chain: &str, exprs: Vec<Expr>, comment: Option<&str>) -> Op {
    Op::AddRule { family, table: table.into(), chain: chain.into(), exprs, comment: comment.map(String::from), placement: Placement::Last, compat: None }
}
/// `<l4proto> dport <port>`
fn dport(protocol: u8, port: u16) -> Vec<Expr> {
    vec![meta(MetaKey::L4proto), cmp(CmpOp::Eq, &[protocol]), payload(PayloadBase::Transport, 2, 2), cmp(CmpOp::Eq, &port.to_be_bytes())]
}
/// `dnat to <addr>:<port>`: address into reg 1, port into reg 2, then nat
fn dnat_to(family: NatFamily, addr: &[u8], port: u16) -> Vec<Expr> {
    vec![
        Expr::Immediate { dreg: REG_1, data: addr.to_vec() },
        Expr::Immediate { dreg: REG_2, data: port.to_be_bytes().to_vec() },
        Expr::Nat { nat_type: NatType::Dnat, family, addr_reg: Some(REG_1), proto_reg: Some(REG_2), flags: 0 },
    ]
}
/// `ct <key> <bits>` (state, status): load, mask, compare with zero
fn ct_bits(key: CtKey, bits: u32) -> Vec<Expr> {
    vec![
        Expr::Ct { key, dreg: REG_1 },
        Expr::Bitwise { sreg: REG_1, dreg: REG_1, len: 4, mask: bits.to_ne_bytes().to_vec(), xor: vec![0; 4] },
        cmp(CmpOp::Neq, &[0; 4]),
    ]
}
fn fib_daddr_local() -> Vec<Expr> {
    vec![Expr::Fib { dreg: REG_1, result: FibResult::Addrtype, flags: FIB_F_DADDR }, cmp(CmpOp::Eq, &RTN_LOCAL.to_ne_bytes())]
}
fn with(mut exprs: Vec<Expr>, more: Vec<Expr>) -> Vec<Expr> {
    exprs.extend(more);
    exprs
}

#[test]
fn port_nat_fib_and_ct_rules_match_nft_byte_for_byte() {
    let v4 = [10, 88, 7, 2];
    let mut v6 = [0u8; 16];
    v6[..6].copy_from_slice(&[0xfd, 0x00, 0x00, 0x88, 0x00, 0x07]);
    v6[15] = 2;
    let cases: Vec<(Op, &str)> = vec![
        (rule_of(Family::Ip, "t", "pre", with(dport(NFPROTO_TCP, 8080), dnat_to(NatFamily::Ipv4, &v4, 80)), None), RULE_TCP_DPORT_DNAT4),
        (
            rule_of(
                Family::Ip,
                "t",
                "pre",
                with(with(vec![payload(PayloadBase::Network, 16, 4), cmp(CmpOp::Eq, &[192, 0, 2, 10])], dport(NFPROTO_TCP, 8443)), dnat_to(NatFamily::Ipv4, &v4, 443)),
                Some("ctr1"),
            ),
            RULE_DADDR_TCP_DPORT_DNAT4_COMMENT,
        ),
        (rule_of(Family::Ip6, "t6", "pre", with(dport(NFPROTO_UDP, 5353), dnat_to(NatFamily::Ipv6, &v6, 53)), None), RULE_UDP_DPORT_DNAT6),
        (
            rule_of(
                Family::Ip,
                "t",
                "post",
                vec![payload(PayloadBase::Network, 12, 4), cmp(CmpOp::Eq, &v4), payload(PayloadBase::Network, 16, 4), cmp(CmpOp::Eq, &v4), Expr::Masq { flags: None }],
                Some("ctr1"),
            ),
            RULE_HAIRPIN_MASQ,
        ),
        (
            rule_of(
                Family::Ip,
                "t",
                "post",
                vec![
                    Expr::Immediate { dreg: REG_1, data: vec![192, 0, 2, 1] },
                    Expr::Nat { nat_type: NatType::Snat, family: NatFamily::Ipv4, addr_reg: Some(REG_1), proto_reg: None, flags: 0 },
                ],
                None,
            ),
            RULE_SNAT4,
        ),
        (rule_of(Family::Ip, "t", "pre", with(fib_daddr_local(), vec![Expr::Verdict(Verdict::Jump("x".into()))]), None), RULE_FIB_DADDR_LOCAL_JUMP),
        // ct state established,related (IP_CT_ESTABLISHED 2 | IP_CT_RELATED 4, as nft's bit values)
        (rule_of(Family::Inet, "f", "c", with(ct_bits(CtKey::State, 0x06), vec![Expr::Verdict(Verdict::Accept)]), None), RULE_CT_STATE_ACCEPT),
        // ct status dnat (IPS_DST_NAT 0x20)
        (rule_of(Family::Inet, "f", "c", with(ct_bits(CtKey::Status, 0x20), vec![Expr::Verdict(Verdict::Accept)]), None), RULE_CT_STATUS_DNAT_ACCEPT),
        (rule_of(Family::Inet, "f", "c", with(ct_bits(CtKey::State, 0x01), vec![Expr::Verdict(Verdict::Drop)]), None), RULE_CT_STATE_INVALID_DROP),
        (
            rule_of(
                Family::Inet,
                "f",
                "c",
                vec![Expr::Ct { key: CtKey::Mark, dreg: REG_1 }, cmp(CmpOp::Eq, &0x10u32.to_ne_bytes()), Expr::Counter, Expr::Verdict(Verdict::Accept)],
                None,
            ),
            RULE_CT_MARK_COUNTER_ACCEPT,
        ),
    ];
    for (op, golden) in &cases {
        assert_bytes(&bytes(op, 1), golden);
    }
}

#[test]
fn create_table_and_chain_carry_nlm_f_excl_as_nft_create_does() {
    let table = Op::AddTable { family: Family::Ip, name: "t2".into(), comment: None, exclusive: true };
    assert_bytes(&bytes(&table, 1), CREATE_TABLE);
    let chain = Op::AddChain { family: Family::Ip, table: "t".into(), name: "y".into(), base: None, policy: None, comment: None, exclusive: true };
    assert_bytes(&bytes(&chain, 1), CREATE_CHAIN);
    assert!(chain.describe().starts_with("createChain "));
}

#[test]
fn kernel_nat_fib_and_ct_rules_decode_to_the_expressions_that_made_them() {
    let dnat = rule::parse(&payload_of(KERNEL_RULE_DNAT)).unwrap();
    assert_eq!(dnat.exprs, with(dport(NFPROTO_TCP, 8080), dnat_to(NatFamily::Ipv4, &[10, 88, 7, 2], 80)));
    let fib_ct = rule::parse(&payload_of(KERNEL_RULE_FIB_CT)).unwrap();
    let mut expected = fib_daddr_local();
    expected.extend(ct_bits(CtKey::Status, 0x20));
    expected.extend([Expr::Ct { key: CtKey::Mark, dreg: REG_1 }, cmp(CmpOp::Eq, &0x10u32.to_ne_bytes()), Expr::Verdict(Verdict::Accept)]);
    assert_eq!(fib_ct.exprs, expected);
}

#[test]
fn nat_ranges_and_ct_with_a_direction_read_back_as_unknown() {
    // a nat whose max register differs from its min (a range) is not a form we write
    let mut m = MsgBuilder::new(0, 0);
    m.nest_start(1).attr_str(1, "nat").nest_start(2);
    for (kind, value) in [(1u16, 1u32), (2, 2), (3, 1), (4, 3)] {
        m.attr(kind, &value.to_be_bytes());
    }
    m.nest_end().nest_end();
    let encoded = m.finish(0);
    assert_eq!(Expr::decode(&encoded[16 + 4..]), Expr::Unknown { name: "nat".into() });
}

// ---- captured bytes ----------------------------------------------------------------------------------------

/// nft -f of the masquerade layout (seq 0 = batch begin, 1..8 the ops, 9 = end), as sent
pub const MASQ_BATCH: &str = concat!(
    "140000001000010000000000000000000000000a84000000000a01000100000000000000010000001b000100636e695f",
    "706c7567696e735f6d617371756572616465000008000200000000004b00060000454d6173717565726164696e672066",
    "6f7220706c7567696e732066726f6d206769746875622e636f6d2f636f6e7461696e65726e6574776f726b696e672f70",
    "6c7567696e7300009c000000030a01040200000000000000010000001b000100636e695f706c7567696e735f6d617371",
    "7565726164650000100003006d6173715f636865636b730059000c0000534d6173717565726164652074726166666963",
    "2066726f6d206365727461696e2049507320746f20616e7920286e6f6e2d6d756c74696361737429204950206f757473",
    "696465207468656972207375626e6574000000005c000000030a01040300000000000000010000001b000100636e695f",
    "706c7567696e735f6d617371756572616465000010000300706f7374726f7574696e6700080007006e61740014000480",
    "0800010000000004080002000000006440000000080a01000400000000000000010000001b000100636e695f706c7567",
    "696e735f6d617371756572616465000010000200706f7374726f7574696e670068010000060a010c0500000000000000",
    "010000001b000100636e695f706c7567696e735f6d617371756572616465000010000200706f7374726f7574696e6700",
    "2801048024000180090001006d6574610000000014000280080002000000000f08000100000000012c00018008000100",
    "636d700020000280080001000000000108000200000000000c0003800500010002000000340001800c0001007061796c",
    "6f616400240002800800010000000001080002000000000108000300000000100800040000000004440001800c000100",
    "6269747769736500340002800800010000000001080002000000000108000300000000040c00048008000100f0000000",
    "0c00058008000100000000002c00018008000100636d700020000280080001000000000108000200000000000c000380",
    "08000100e0000000300001800e000100696d6d6564696174650000001c0002800800010000000000100002800c000280",
    "08000100fffffffb24010000060a010c0600000000000000010000001b000100636e695f706c7567696e735f6d617371",
    "756572616465000010000200706f7374726f7574696e6700e400048024000180090001006d6574610000000014000280",
    "080002000000000f08000100000000012c00018008000100636d70002000028008000100000000010800020000000000",
    "0c000380050001000a000000340001800c0001007061796c6f6164002400028008000100000000010800020000000001",
    "080003000000001808000400000000012c00018008000100636d70002000028008000100000000010800020000000000",
    "0c00038005000100ff000000300001800e000100696d6d6564696174650000001c000280080001000000000010000280",
    "0c00028008000100fffffffb84000000060a010c0700000000000000010000001b000100636e695f706c7567696e735f",
    "6d617371756572616465000010000200706f7374726f7574696e670044000480400001800e000100696d6d6564696174",
    "650000002c0002800800010000000000200002801c00028008000100fffffffc100002006d6173715f636865636b7300",
    "70010000060a010c0800000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "100002006d6173715f636865636b73002801048024000180090001006d6574610000000014000280080002000000000f",
    "08000100000000012c00018008000100636d700020000280080001000000000108000200000000000c00038005000100",
    "02000000340001800c0001007061796c6f6164002400028008000100000000010800020000000001080003000000000c",
    "08000400000000042c00018008000100636d700020000280080001000000000108000200000000000c00038008000100",
    "0a010002340001800c0001007061796c6f61640024000280080001000000000108000200000000010800030000000010",
    "08000400000000032c00018008000100636d700020000280080001000000000108000200000000010c00038007000100",
    "0a01000014000180090001006d6173710000000004000280080007000002780014000000110001000900000000000000",
    "0000000a",
);
/// buf1 type=0x0a00 flags=0x0001 seq=1 len=132
pub const MASQ_ADD_TABLE: &str = concat!(
    "84000000000a01000100000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "08000200000000004b00060000454d6173717565726164696e6720666f7220706c7567696e732066726f6d2067697468",
    "75622e636f6d2f636f6e7461696e65726e6574776f726b696e672f706c7567696e730000",
);
/// buf1 type=0x0a03 flags=0x0401 seq=2 len=156
pub const MASQ_ADD_CHAIN_MASQ_CHECKS: &str = concat!(
    "9c000000030a01040200000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "100003006d6173715f636865636b730059000c0000534d61737175657261646520747261666669632066726f6d206365",
    "727461696e2049507320746f20616e7920286e6f6e2d6d756c74696361737429204950206f7574736964652074686569",
    "72207375626e657400000000",
);
/// buf1 type=0x0a03 flags=0x0401 seq=3 len=92
pub const MASQ_ADD_CHAIN_POSTROUTING: &str = concat!(
    "5c000000030a01040300000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "10000300706f7374726f7574696e6700080007006e6174001400048008000100000000040800020000000064",
);
/// buf1 type=0x0a08 flags=0x0001 seq=4 len=64
pub const MASQ_FLUSH_POSTROUTING: &str = concat!(
    "40000000080a01000400000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "10000200706f7374726f7574696e6700",
);
/// buf1 type=0x0a06 flags=0x0c01 seq=5 len=360
pub const MASQ_RULE_MULTICAST4: &str = concat!(
    "68010000060a010c0500000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "10000200706f7374726f7574696e67002801048024000180090001006d6574610000000014000280080002000000000f",
    "08000100000000012c00018008000100636d700020000280080001000000000108000200000000000c00038005000100",
    "02000000340001800c0001007061796c6f61640024000280080001000000000108000200000000010800030000000010",
    "0800040000000004440001800c0001006269747769736500340002800800010000000001080002000000000108000300",
    "000000040c00048008000100f00000000c00058008000100000000002c00018008000100636d70002000028008000100",
    "0000000108000200000000000c00038008000100e0000000300001800e000100696d6d6564696174650000001c000280",
    "0800010000000000100002800c00028008000100fffffffb",
);
/// buf1 type=0x0a06 flags=0x0c01 seq=6 len=292
pub const MASQ_RULE_MULTICAST6: &str = concat!(
    "24010000060a010c0600000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "10000200706f7374726f7574696e6700e400048024000180090001006d6574610000000014000280080002000000000f",
    "08000100000000012c00018008000100636d700020000280080001000000000108000200000000000c00038005000100",
    "0a000000340001800c0001007061796c6f61640024000280080001000000000108000200000000010800030000000018",
    "08000400000000012c00018008000100636d700020000280080001000000000108000200000000000c00038005000100",
    "ff000000300001800e000100696d6d6564696174650000001c0002800800010000000000100002800c00028008000100",
    "fffffffb",
);
/// buf1 type=0x0a06 flags=0x0c01 seq=7 len=132
pub const MASQ_RULE_GOTO: &str = concat!(
    "84000000060a010c0700000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "10000200706f7374726f7574696e670044000480400001800e000100696d6d6564696174650000002c00028008000100",
    "00000000200002801c00028008000100fffffffc100002006d6173715f636865636b7300",
);
/// buf1 type=0x0a06 flags=0x0c01 seq=8 len=368
pub const MASQ_RULE_ATTACHMENT: &str = concat!(
    "70010000060a010c0800000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "100002006d6173715f636865636b73002801048024000180090001006d6574610000000014000280080002000000000f",
    "08000100000000012c00018008000100636d700020000280080001000000000108000200000000000c00038005000100",
    "02000000340001800c0001007061796c6f6164002400028008000100000000010800020000000001080003000000000c",
    "08000400000000042c00018008000100636d700020000280080001000000000108000200000000000c00038008000100",
    "0a010002340001800c0001007061796c6f61640024000280080001000000000108000200000000010800030000000010",
    "08000400000000032c00018008000100636d700020000280080001000000000108000200000000010c00038007000100",
    "0a01000014000180090001006d61737100000000040002800800070000027800",
);
/// buf1 type=0x0a00 flags=0x0001 seq=1 len=36
pub const SPOOF_ADD_TABLE: &str = "24000000000a0100010000000000000007000000080001006e6174000800020000000000";
/// buf1 type=0x0a03 flags=0x0401 seq=2 len=84
pub const SPOOF_ADD_CHAIN_PREROUTING: &str = concat!(
    "54000000030a0104020000000000000007000000080001006e6174000f000300505245524f5554494e4700000b000700",
    "66696c7465720000080005000000000114000480080001000000000008000200fffffed4",
);
/// buf1 type=0x0a03 flags=0x0401 seq=3 len=56
pub const SPOOF_ADD_CHAIN_IFACE: &str = concat!(
    "38000000030a0104030000000000000007000000080001006e6174001b000300636e692d62722d69666163652d636964",
    "312d657468300000",
);
/// buf1 type=0x0a03 flags=0x0401 seq=4 len=60
pub const SPOOF_ADD_CHAIN_MAC: &str = concat!(
    "3c000000030a0104040000000000000007000000080001006e6174001f000300636e692d62722d69666163652d636964",
    "312d657468302d6d61630000",
);
/// buf1 type=0x0a08 flags=0x0001 seq=5 len=56
pub const SPOOF_FLUSH_IFACE: &str = concat!(
    "38000000080a0100050000000000000007000000080001006e6174001b000200636e692d62722d69666163652d636964",
    "312d657468300000",
);
/// buf1 type=0x0a08 flags=0x0001 seq=6 len=60
pub const SPOOF_FLUSH_MAC: &str = concat!(
    "3c000000080a0100060000000000000007000000080001006e6174001f000200636e692d62722d69666163652d636964",
    "312d657468302d6d61630000",
);
/// buf1 type=0x0a06 flags=0x0c01 seq=7 len=244
pub const SPOOF_RULE_IIFNAME_JUMP: &str = concat!(
    "f4000000060a010c070000000000000007000000080001006e6174000f000200505245524f5554494e470000ac000480",
    "24000180090001006d6574610000000014000280080002000000000608000100000000013800018008000100636d7000",
    "2c000280080001000000000108000200000000001800038014000100766574683132333400000000000000004c000180",
    "0e000100696d6d6564696174650000003800028008000100000000002c0002802800028008000100fffffffd1b000200",
    "636e692d62722d69666163652d636964312d6574683000001c00070000166d616373706f6f6663686b2d636964312d65",
    "74683000",
);
/// buf1 type=0x0a06 flags=0x0c01 seq=8 len=168
pub const SPOOF_RULE_JUMP_MAC: &str = concat!(
    "a8000000060a010c080000000000000007000000080001006e6174001b000200636e692d62722d69666163652d636964",
    "312d65746830000054000480500001800e000100696d6d6564696174650000003c000280080001000000000030000280",
    "2c00028008000100fffffffd1f000200636e692d62722d69666163652d636964312d657468302d6d616300001c000700",
    "00166d616373706f6f6663686b2d636964312d6574683000",
);
/// buf1 type=0x0a06 flags=0x0c01 seq=9 len=240
pub const SPOOF_RULE_ETHER_SADDR_RETURN: &str = concat!(
    "f0000000060a010c090000000000000007000000080001006e6174001f000200636e692d62722d69666163652d636964",
    "312d657468302d6d6163000098000480340001800c0001007061796c6f61640024000280080001000000000108000200",
    "00000000080003000000000608000400000000063000018008000100636d700024000280080001000000000108000200",
    "00000000100003800a0001000a580a0100020000300001800e000100696d6d6564696174650000001c00028008000100",
    "00000000100002800c00028008000100fffffffb1c00070000166d616373706f6f6663686b2d636964312d6574683000",
);
/// buf1 type=0x0a06 flags=0x0c01 seq=10 len=140
pub const SPOOF_RULE_DROP: &str = concat!(
    "8c000000060a010c0a0000000000000007000000080001006e6174001f000200636e692d62722d69666163652d636964",
    "312d657468302d6d6163000034000480300001800e000100696d6d6564696174650000001c0002800800010000000000",
    "100002800c00028008000100000000001c00070000166d616373706f6f6663686b2d636964312d6574683000",
);
/// delrule: buf1 type=0x0a08 flags=0x0001 seq=1 len=56
pub const DELETE_RULE_HANDLE_8: &str = concat!(
    "38000000080a0100010000000000000007000000080001006e6174000f000200505245524f5554494e4700000c000300",
    "0000000000000008",
);
/// delchain: buf1 type=0x0a05 flags=0x0001 seq=1 len=60
pub const DELETE_CHAIN: &str = concat!(
    "3c000000050a0100010000000000000007000000080001006e6174001f000300636e692d62722d69666163652d636964",
    "312d657468302d6d61630000",
);
/// deltable: buf1 type=0x0a02 flags=0x0001 seq=1 len=28
pub const DELETE_TABLE: &str = "1c000000020a01000100000000000000020000000600010074000000";
/// counter: buf1 type=0x0a06 flags=0x0c01 seq=1 len=60
pub const RULE_COUNTER: &str = concat!(
    "3c000000060a010c0100000000000000020000000600010074000000060002006300000018000480140001800c000100",
    "636f756e7465720004000280",
);
/// v6net: buf1 type=0x0a06 flags=0x0c01 seq=1 len=368
pub const RULE_IP6_SADDR_PREFIX60_ACCEPT: &str = concat!(
    "70010000060a010c010000000000000001000000070001007436000006000200630000004c0104802400018009000100",
    "6d6574610000000014000280080002000000000f08000100000000012c00018008000100636d70002000028008000100",
    "0000000108000200000000000c000380050001000a000000340001800c0001007061796c6f6164002400028008000100",
    "000000010800020000000001080003000000000808000400000000105c0001800c00010062697477697365004c000280",
    "0800010000000001080002000000000108000300000000101800048014000100fffffffffffffff00000000000000000",
    "1800058014000100000000000000000000000000000000003800018008000100636d70002c0002800800010000000001",
    "08000200000000001800038014000100fd000001000000000000000000000000300001800e000100696d6d6564696174",
    "650000001c0002800800010000000000100002800c0002800800010000000001",
);
/// basecomment: buf1 type=0x0a03 flags=0x0401 seq=1 len=88
pub const ADD_BASE_CHAIN_WITH_COMMENT: &str = concat!(
    "58000000030a0104010000000000000001000000060001007800000006000300630000000b00070066696c7465720000",
    "0800050000000000140004800800010000000001080002000000000009000c000003686900000000",
);
/// nft list chain: get table (flags REQUEST|ACK) buf1 type=0x0a01 flags=0x0005 seq=0 len=48
pub const GET_TABLE: &str = "30000000010a05000000000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000";
/// nft list chain: get chain (flags REQUEST|ACK) buf2 type=0x0a04 flags=0x0005 seq=0 len=64
pub const GET_CHAIN: &str = concat!(
    "40000000040a05000000000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "100003006d6173715f636865636b7300",
);
/// nft list chain: rule dump filtered by table and chain buf6 type=0x0a07 flags=0x0301 seq=0 len=64
pub const DUMP_RULES_OF_CHAIN: &str = concat!(
    "40000000070a01030000000000000000010000001b000100636e695f706c7567696e735f6d6173717565726164650000",
    "100002006d6173715f636865636b7300",
);
/// kernel dump reply: the masquerade table
pub const KERNEL_TABLE: &str = concat!(
    "98000000000a0200000000001d310000010000161b000100636e695f706c7567696e735f6d6173717565726164650000",
    "08000300000000020c000400000000000000000608000200000000004b00060000454d6173717565726164696e672066",
    "6f7220706c7567696e732066726f6d206769746875622e636f6d2f636f6e7461696e65726e6574776f726b696e672f70",
    "6c7567696e730000",
);
/// kernel dump reply: chain masq_checks
pub const KERNEL_CHAIN_MASQ_CHECKS: &str = concat!(
    "b0000000030a0200000000001d310000010000161b000100636e695f706c7567696e735f6d6173717565726164650000",
    "100003006d6173715f636865636b73000c0002000000000000000001080006000000000259000c0000534d6173717565",
    "7261646520747261666669632066726f6d206365727461696e2049507320746f20616e7920286e6f6e2d6d756c746963",
    "61737429204950206f757473696465207468656972207375626e657400000000",
);
/// kernel dump reply: chain postrouting
pub const KERNEL_CHAIN_POSTROUTING: &str = concat!(
    "80000000030a0200000000001d310000010000161b000100636e695f706c7567696e735f6d6173717565726164650000",
    "10000300706f7374726f7574696e67000c00020000000000000000021400040008000100000000040800020000000064",
    "0800050000000001080007006e61740008000a00000000010800060000000003",
);
/// kernel dump reply: rule 0
pub const KERNEL_RULE_0: &str = concat!(
    "7c010000060a0208000000001d310000010000161b000100636e695f706c7567696e735f6d6173717565726164650000",
    "100002006d6173715f636865636b73000c00030000000000000000062801040024000100090001006d65746100000000",
    "14000200080002000000000f08000100000000012c00010008000100636d700020000200080001000000000108000200",
    "000000000c0003000500010002000000340001000c0001007061796c6f61640024000200080001000000000108000200",
    "00000001080003000000000c08000400000000042c00010008000100636d700020000200080001000000000108000200",
    "000000000c000300080001000a010002340001000c0001007061796c6f61640024000200080001000000000108000200",
    "00000001080003000000001008000400000000032c00010008000100636d700020000200080001000000000108000200",
    "000000010c000300070001000a01000014000100090001006d61737100000000040002000800070000027800",
);
/// kernel dump reply: rule 1
pub const KERNEL_RULE_1: &str = concat!(
    "7c010000060a0208000000001d310000010000161b000100636e695f706c7567696e735f6d6173717565726164650000",
    "10000200706f7374726f7574696e67000c00030000000000000000033001040024000100090001006d65746100000000",
    "14000200080002000000000f08000100000000012c00010008000100636d700020000200080001000000000108000200",
    "000000000c0003000500010002000000340001000c0001007061796c6f61640024000200080001000000000108000200",
    "00000001080003000000001008000400000000044c0001000c00010062697477697365003c0002000800010000000001",
    "0800020000000001080003000000000408000600000000000c00040008000100f00000000c0005000800010000000000",
    "2c00010008000100636d700020000200080001000000000108000200000000000c00030008000100e000000030000100",
    "0e000100696d6d6564696174650000001c0002000800010000000000100002000c00020008000100fffffffb",
);
/// kernel dump reply: rule 2
pub const KERNEL_RULE_2: &str = concat!(
    "3c010000060a0208000000001d310000010000161b000100636e695f706c7567696e735f6d6173717565726164650000",
    "10000200706f7374726f7574696e67000c00030000000000000000040c0006000000000000000003e400040024000100",
    "090001006d6574610000000014000200080002000000000f08000100000000012c00010008000100636d700020000200",
    "080001000000000108000200000000000c000300050001000a000000340001000c0001007061796c6f61640024000200",
    "08000100000000010800020000000001080003000000001808000400000000012c00010008000100636d700020000200",
    "080001000000000108000200000000000c00030005000100ff000000300001000e000100696d6d656469617465000000",
    "1c0002000800010000000000100002000c00020008000100fffffffb",
);
/// kernel dump reply: rule 3
pub const KERNEL_RULE_3: &str = concat!(
    "9c000000060a0208000000001d310000010000161b000100636e695f706c7567696e735f6d6173717565726164650000",
    "10000200706f7374726f7574696e67000c00030000000000000000050c00060000000000000000044400040040000100",
    "0e000100696d6d6564696174650000002c0002000800010000000000200002001c00020008000100fffffffc10000200",
    "6d6173715f636865636b7300",
);
/// mark: add rule ip t c meta mark set 0x2a
pub const RULE_META_MARK_SET: &str = "78000000060a010c01000000000000000200000006000100740000000600020063000000540004802c0001800e000100696d6d6564696174650000001800028008000100000000010c000280080001002a00000024000180090001006d657461000000001400028008000200000000030800030000000001";
/// nft --debug=mnl add rule ip t pre tcp dport 8080 dnat to 10.88.7.2:80 (type=0x0a06 flags=0x0c01 seq=1 len=360)
pub const RULE_TCP_DPORT_DNAT4: &str = concat!(
    "68010000060a010c01000000000000000200000006000100740000000800020070726500440104802400018009000100",
    "6d6574610000000014000280080002000000001008000100000000012c00018008000100636d70002000028008000100",
    "0000000108000200000000000c0003800500010006000000340001800c0001007061796c6f6164002400028008000100",
    "000000010800020000000002080003000000000208000400000000022c00018008000100636d70002000028008000100",
    "0000000108000200000000000c000380060001001f9000002c0001800e000100696d6d65646961746500000018000280",
    "08000100000000010c000280080001000a5807022c0001800e000100696d6d6564696174650000001800028008000100",
    "000000020c000280060001000050000038000180080001006e6174002c00028008000100000000010800020000000002",
    "080003000000000108000500000000020800070000000002",
);
/// nft --debug=mnl add rule ip t pre ip daddr 192.0.2.10 tcp dport 8443 dnat to 10.88.7.2:443 comment "ctr1" (type=0x0a06 flags=0x0c01 seq=1 len=468)
pub const RULE_DADDR_TCP_DPORT_DNAT4_COMMENT: &str = concat!(
    "d4010000060a010c01000000000000000200000006000100740000000800020070726500a4010480340001800c000100",
    "7061796c6f6164002400028008000100000000010800020000000001080003000000001008000400000000042c000180",
    "08000100636d700020000280080001000000000108000200000000000c00038008000100c000020a2400018009000100",
    "6d6574610000000014000280080002000000001008000100000000012c00018008000100636d70002000028008000100",
    "0000000108000200000000000c0003800500010006000000340001800c0001007061796c6f6164002400028008000100",
    "000000010800020000000002080003000000000208000400000000022c00018008000100636d70002000028008000100",
    "0000000108000200000000000c0003800600010020fb00002c0001800e000100696d6d65646961746500000018000280",
    "08000100000000010c000280080001000a5807022c0001800e000100696d6d6564696174650000001800028008000100",
    "000000020c0002800600010001bb000038000180080001006e6174002c00028008000100000000010800020000000002",
    "0800030000000001080005000000000208000700000000020b0007000005637472310000",
);
/// nft --debug=mnl add rule ip6 t6 pre udp dport 5353 dnat to [fd00:88:7::2]:53 (type=0x0a06 flags=0x0c01 seq=1 len=372)
pub const RULE_UDP_DPORT_DNAT6: &str = concat!(
    "74010000060a010c01000000000000000a00000007000100743600000800020070726500500104802400018009000100",
    "6d6574610000000014000280080002000000001008000100000000012c00018008000100636d70002000028008000100",
    "0000000108000200000000000c0003800500010011000000340001800c0001007061796c6f6164002400028008000100",
    "000000010800020000000002080003000000000208000400000000022c00018008000100636d70002000028008000100",
    "0000000108000200000000000c0003800600010014e90000380001800e000100696d6d65646961746500000024000280",
    "08000100000000011800028014000100fd0000880007000000000000000000022c0001800e000100696d6d6564696174",
    "650000001800028008000100000000020c000280060001000035000038000180080001006e6174002c00028008000100",
    "00000001080002000000000a080003000000000108000500000000020800070000000002",
);
/// nft --debug=mnl add rule ip t post ip saddr 10.88.7.2 ip daddr 10.88.7.2 masquerade comment "ctr1" (type=0x0a06 flags=0x0c01 seq=1 len=268)
pub const RULE_HAIRPIN_MASQ: &str = concat!(
    "0c010000060a010c010000000000000002000000060001007400000009000200706f737400000000d800048034000180",
    "0c0001007061796c6f6164002400028008000100000000010800020000000001080003000000000c0800040000000004",
    "2c00018008000100636d700020000280080001000000000108000200000000000c000380080001000a58070234000180",
    "0c0001007061796c6f616400240002800800010000000001080002000000000108000300000000100800040000000004",
    "2c00018008000100636d700020000280080001000000000108000200000000000c000380080001000a58070214000180",
    "090001006d61737100000000040002800b0007000005637472310000",
);
/// nft --debug=mnl add rule ip t post snat to 192.0.2.1 (type=0x0a06 flags=0x0c01 seq=1 len=128)
pub const RULE_SNAT4: &str = concat!(
    "80000000060a010c010000000000000002000000060001007400000009000200706f737400000000580004802c000180",
    "0e000100696d6d6564696174650000001800028008000100000000010c00028008000100c00002012800018008000100",
    "6e6174001c000280080001000000000008000200000000020800030000000001",
);
/// nft --debug=mnl add rule ip t pre fib daddr type local jump x (type=0x0a06 flags=0x0c01 seq=1 len=180)
pub const RULE_FIB_DADDR_LOCAL_JUMP: &str = concat!(
    "b4000000060a010c01000000000000000200000006000100740000000800020070726500900004802800018008000100",
    "666962001c0002800800030000000002080002000000000308000100000000012c00018008000100636d700020000280",
    "080001000000000108000200000000000c0003800800010002000000380001800e000100696d6d656469617465000000",
    "240002800800010000000000180002801400028008000100fffffffd0600020078000000",
);
/// nft --debug=mnl create chain ip t y (type=0x0a03 flags=0x0601 seq=1 len=36)
pub const CREATE_CHAIN: &str = "24000000030a010601000000000000000200000006000100740000000600030079000000";
/// nft --debug=mnl create table ip t2 (type=0x0a00 flags=0x0201 seq=1 len=36)
pub const CREATE_TABLE: &str = "24000000000a010201000000000000000200000007000100743200000800020000000000";
/// nft --debug=mnl add rule inet f c ct state established,related accept (type=0x0a06 flags=0x0c01 seq=1 len=232)
pub const RULE_CT_STATE_ACCEPT: &str = concat!(
    "e8000000060a010c01000000000000000100000006000100660000000600020063000000c40004802000018007000100",
    "637400001400028008000200000000000800010000000001440001800c00010062697477697365003400028008000100",
    "00000001080002000000000108000300000000040c00048008000100060000000c00058008000100000000002c000180",
    "08000100636d700020000280080001000000000108000200000000010c0003800800010000000000300001800e000100",
    "696d6d6564696174650000001c0002800800010000000000100002800c0002800800010000000001",
);
/// nft --debug=mnl add rule inet f c ct status dnat accept (type=0x0a06 flags=0x0c01 seq=1 len=232)
pub const RULE_CT_STATUS_DNAT_ACCEPT: &str = concat!(
    "e8000000060a010c01000000000000000100000006000100660000000600020063000000c40004802000018007000100",
    "637400001400028008000200000000020800010000000001440001800c00010062697477697365003400028008000100",
    "00000001080002000000000108000300000000040c00048008000100200000000c00058008000100000000002c000180",
    "08000100636d700020000280080001000000000108000200000000010c0003800800010000000000300001800e000100",
    "696d6d6564696174650000001c0002800800010000000000100002800c0002800800010000000001",
);
/// nft --debug=mnl add rule inet f c ct mark 0x10 counter accept (type=0x0a06 flags=0x0c01 seq=1 len=184)
pub const RULE_CT_MARK_COUNTER_ACCEPT: &str = concat!(
    "b8000000060a010c01000000000000000100000006000100660000000600020063000000940004802000018007000100",
    "6374000014000280080002000000000308000100000000012c00018008000100636d7000200002800800010000000001",
    "08000200000000000c0003800800010010000000140001800c000100636f756e7465720004000280300001800e000100",
    "696d6d6564696174650000001c0002800800010000000000100002800c0002800800010000000001",
);
/// nft --debug=mnl add rule inet f c ct state invalid drop (type=0x0a06 flags=0x0c01 seq=1 len=232)
pub const RULE_CT_STATE_INVALID_DROP: &str = concat!(
    "e8000000060a010c01000000000000000100000006000100660000000600020063000000c40004802000018007000100",
    "637400001400028008000200000000000800010000000001440001800c00010062697477697365003400028008000100",
    "00000001080002000000000108000300000000040c00048008000100010000000c00058008000100000000002c000180",
    "08000100636d700020000280080001000000000108000200000000010c0003800800010000000000300001800e000100",
    "696d6d6564696174650000001c0002800800010000000000100002800c0002800800010000000000",
);
/// kernel dump reply: ip k pre `tcp dport 8080 dnat to 10.88.7.2:80` (max registers and implied flags added)
pub const KERNEL_RULE_DNAT: &str = concat!(
    "84010000060a020800000000d75500000200001b060001006b00000008000200707265000c0003000000000000000002",
    "5401040024000100090001006d6574610000000014000200080002000000001008000100000000012c00010008000100",
    "636d700020000200080001000000000108000200000000000c0003000500010006000000340001000c0001007061796c",
    "6f6164002400020008000100000000010800020000000002080003000000000208000400000000022c00010008000100",
    "636d700020000200080001000000000108000200000000000c000300060001001f9000002c0001000e000100696d6d65",
    "64696174650000001800020008000100000000010c000200080001000a5807022c0001000e000100696d6d6564696174",
    "650000001800020008000100000000020c000200060001000050000048000100080001006e6174003c00020008000100",
    "000000010800020000000002080003000000000108000400000000010800050000000002080006000000000208000700",
    "00000003",
);
/// kernel dump reply: ip k pre `fib daddr type local ct status dnat ct mark 0x10 accept`
pub const KERNEL_RULE_FIB_CT: &str = concat!(
    "a8010000060a020800000000d75500000200001b060001006b00000008000200707265000c0003000000000000000003",
    "0c00060000000000000000026c0104002800010008000100666962001c00020008000100000000010800020000000003",
    "08000300000000022c00010008000100636d700020000200080001000000000108000200000000000c00030008000100",
    "0200000020000100070001006374000014000200080001000000000108000200000000024c0001000c00010062697477",
    "697365003c00020008000100000000010800020000000001080003000000000408000600000000000c00040008000100",
    "200000000c00050008000100000000002c00010008000100636d70002000020008000100000000010800020000000001",
    "0c000300080001000000000020000100070001006374000014000200080001000000000108000200000000032c000100",
    "08000100636d700020000200080001000000000108000200000000000c0003000800010010000000300001000e000100",
    "696d6d6564696174650000001c0002000800010000000000100002000c0002000800010000000001",
);
