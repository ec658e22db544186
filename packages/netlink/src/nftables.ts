// A handle on one network namespace's nftables (a NETLINK_NETFILTER socket): transactions of table, chain
// and rule changes, and listings with handles and comments. Encoding and decoding happen in the Rust addon
// (native/src/nft); this file turns the addon's byte buffers into Uint8Arrays. Opening, closing and the
// closed-handle check are the socket handle's it shares with Netlink (netlink.ts).
import { NetlinkProtocol } from "./native";
import { NetlinkSocketHandle } from "./netlink";
import type { NftChain, NftExpr, NftFamily, NftOp, NftRule, NftTable } from "./nftables-types";

export class Nftables extends NetlinkSocketHandle {
  private constructor(nsPath: string | null) {
    super(nsPath, NetlinkProtocol.netfilter, "nftables");
  }

  /**
   * A handle inside the namespace at `nsPath` (/var/run/netns/x, /proc/<pid>/ns/net); its socket is opened
   * there once. A missing path throws code 'ENOENT', a file that is not a network namespace 'ENOTNS'.
   */
  static at(nsPath: string): Nftables {
    return new Nftables(nsPath);
  }

  /** A handle on the calling process's own network namespace. */
  static current(): Nftables {
    return new Nftables(null);
  }

  /** The tables of one family, or of all. */
  listTables(family?: NftFamily): NftTable[] {
    return this.run("nftListTables", (n, fd) => n.nftListTables(fd, family ?? null));
  }

  /** The chains of one family (or all), optionally of one table only. */
  listChains(family?: NftFamily, table?: string): NftChain[] {
    return this.run("nftListChains", (n, fd) => n.nftListChains(fd, family ?? null, table ?? null));
  }

  /**
   * The rules of a table (or one chain), with handles, comments and decoded exprs; code ENOENT if the
   * table/chain is missing. `commentPrefix`: only rules whose comment starts with it, filtered in the addon
   * (no object for the others: an ADD's listing stays small with thousands of attachments in the chain).
   */
  listRules(family: NftFamily, table: string, chain?: string, options: { commentPrefix?: string } = {}): NftRule[] {
    const rules = this.run("nftListRules", (n, fd) =>
      n.nftListRules(fd, family, table, chain ?? null, options.commentPrefix ?? null),
    );
    for (const rule of rules) {
      for (const expr of rule.exprs) plainBytes(expr);
    }
    return rules;
  }

  /**
   * One transaction (NFNL_MSG_BATCH_BEGIN ... END): all ops or none, one ack. A failure throws a
   * NetlinkError whose `subject` names the first op the kernel refused (e.g. `addRule inet t/masq_checks`).
   */
  commit(ops: readonly NftOp[]): void {
    this.run("nftCommit", (n, fd) => n.nftCommit(fd, ops));
  }

  /**
   * List the chain and delete, in one transaction, every rule whose comment starts with `prefix`; returns
   * the count. A missing table or chain is 0.
   */
  deleteRulesByCommentPrefix(family: NftFamily, table: string, chain: string, prefix: string): number {
    return this.run("nftDeleteRulesByCommentPrefix", (n, fd) => n.nftDeleteRulesByCommentPrefix(fd, family, table, chain, prefix));
  }
}

/** The addon returns byte fields as Node Buffers; callers compare them with plain Uint8Arrays. */
function plainBytes(expr: NftExpr): void {
  switch (expr.type) {
    case "cmp":
    case "immediate":
      expr.data = new Uint8Array(expr.data);
      break;
    case "match":
      expr.info = new Uint8Array(expr.info);
      break;
    case "bitwise":
      expr.mask = new Uint8Array(expr.mask);
      expr.xor = new Uint8Array(expr.xor);
      break;
    default:
      break;
  }
}
