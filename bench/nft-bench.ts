// Masquerade set-up for one container: the reference layout (table, two chains, the postrouting rules
// refilled, one commented rule per attachment) applied through @cni/netlink's Nftables.commit, against
// `nft -f` of the same ruleset (one nft process per set-up, as knftables runs it).
//
//   node_modules/.bin/bun bench/nft-bench.ts [--iterations N]     (root; after ./build.sh or a cargo build)
//
// The script re-runs itself inside a throwaway network namespace (never touching the machine's own), so
// neither side pays for `ip netns exec`. Each side starts from an empty ruleset and adds one attachment
// rule per iteration (container i), so both see the same growing chain. Prints median and p90 in ms.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Nftables, type NftExpr, type NftOp } from "@cni/netlink";

const TABLE = "cni_plugins_masquerade";
const TABLE_COMMENT = "Masquerading for plugins from github.com/containernetworking/plugins";
const CHECKS_COMMENT = "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet";

function comment(container: number): string {
  return `0123456789abcdef-${container.toString(16).padStart(16, "0")}, net: mynet, if: eth0, id: container${container}`;
}

/** 10.1.x.y for container i (i >= 1). */
function address(container: number): [number, number, number, number] {
  return [10, 1, (container >> 8) & 0xff, container & 0xff];
}

const reg = 1;
const ops = (container: number): NftOp[] => {
  const inet = { family: "inet", table: TABLE } as const;
  const [a, b, c, d] = address(container);
  const attachment: NftExpr[] = [
    { type: "meta", key: "nfproto", dreg: reg },
    { type: "cmp", op: "eq", sreg: reg, data: new Uint8Array([2]) },
    { type: "payload", base: "network", offset: 12, len: 4, dreg: reg },
    { type: "cmp", op: "eq", sreg: reg, data: new Uint8Array([a, b, c, d]) },
    { type: "payload", base: "network", offset: 16, len: 2, dreg: reg },
    { type: "cmp", op: "neq", sreg: reg, data: new Uint8Array([10, 1]) },
    { type: "masq" },
  ];
  return [
    { op: "addTable", family: "inet", name: TABLE, comment: TABLE_COMMENT },
    { op: "addChain", ...inet, name: "masq_checks", comment: CHECKS_COMMENT },
    { op: "addChain", ...inet, name: "postrouting", type: "nat", hook: "postrouting", priority: 100 },
    { op: "flushChain", ...inet, name: "postrouting" },
    {
      op: "addRule",
      ...inet,
      chain: "postrouting",
      exprs: [
        { type: "meta", key: "nfproto", dreg: reg },
        { type: "cmp", op: "eq", sreg: reg, data: new Uint8Array([2]) },
        { type: "payload", base: "network", offset: 16, len: 4, dreg: reg },
        { type: "bitwise", sreg: reg, dreg: reg, len: 4, mask: new Uint8Array([0xf0, 0, 0, 0]), xor: new Uint8Array(4) },
        { type: "cmp", op: "eq", sreg: reg, data: new Uint8Array([0xe0, 0, 0, 0]) },
        { type: "verdict", verdict: "return" },
      ],
    },
    {
      op: "addRule",
      ...inet,
      chain: "postrouting",
      exprs: [
        { type: "meta", key: "nfproto", dreg: reg },
        { type: "cmp", op: "eq", sreg: reg, data: new Uint8Array([10]) },
        { type: "payload", base: "network", offset: 24, len: 1, dreg: reg },
        { type: "cmp", op: "eq", sreg: reg, data: new Uint8Array([0xff]) },
        { type: "verdict", verdict: "return" },
      ],
    },
    { op: "addRule", ...inet, chain: "postrouting", exprs: [{ type: "verdict", verdict: "goto", chain: "masq_checks" }] },
    { op: "addRule", ...inet, chain: "masq_checks", exprs: attachment, comment: comment(container) },
  ];
};

const text = (container: number): string => `
add table inet ${TABLE} { comment "${TABLE_COMMENT}" ; }
add chain inet ${TABLE} masq_checks { comment "${CHECKS_COMMENT}" ; }
add chain inet ${TABLE} postrouting { type nat hook postrouting priority srcnat ; }
flush chain inet ${TABLE} postrouting
add rule inet ${TABLE} postrouting ip daddr 224.0.0.0/4 return
add rule inet ${TABLE} postrouting ip6 daddr ff00::/8 return
add rule inet ${TABLE} postrouting goto masq_checks
add rule inet ${TABLE} masq_checks ip saddr ${address(container).join(".")} ip daddr != 10.1.0.0/16 masquerade comment "${comment(container)}"
`;

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((x, y) => x - y);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return `${label.padEnd(52)} median ${at(0.5).toFixed(3).padStart(8)} ms   p90 ${at(0.9).toFixed(3).padStart(8)} ms`;
}

function inside(iterations: number): void {
  const results: string[] = [];
  const flush = (): void => {
    execFileSync("nft", ["flush", "ruleset"]);
  };

  // ours, on an open handle: the transaction alone
  flush();
  const handle = Nftables.current();
  handle.commit(ops(1)); // warm-up: loads the nat/masq modules' paths in the kernel, the addon in the process
  flush();
  const commitOnly: number[] = [];
  for (let i = 1; i <= iterations; i++) {
    const set = ops(i);
    const start = performance.now();
    handle.commit(set);
    commitOnly.push(performance.now() - start);
  }
  handle.close();
  results.push(summary("ours: commit (open handle)", commitOnly));

  // ours, as a plugin's ADD does it: open, drop stale rules of this attachment, commit, close
  flush();
  const addLike: number[] = [];
  for (let i = 1; i <= iterations; i++) {
    const set = ops(i);
    const start = performance.now();
    const nft = Nftables.current();
    nft.deleteRulesByCommentPrefix("inet", TABLE, "masq_checks", comment(i).slice(0, 33));
    nft.commit(set);
    nft.close();
    addLike.push(performance.now() - start);
  }
  results.push(summary("ours: open + deleteRulesByCommentPrefix + commit", addLike));

  // nft -f of the same ruleset, one process per set-up
  flush();
  const dir = mkdtempSync(join(tmpdir(), "nft-bench-"));
  try {
    const viaNft: number[] = [];
    for (let i = 1; i <= iterations; i++) {
      const file = join(dir, `${i}.nft`);
      writeFileSync(file, text(i));
      const start = performance.now();
      const run = spawnSync("nft", ["-f", file], { stdio: "inherit" });
      viaNft.push(performance.now() - start);
      if (run.status !== 0) throw new Error(`nft -f failed (${run.status})`);
    }
    results.push(summary("nft -f (one process)", viaNft));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rules = execFileSync("nft", ["list", "chain", "inet", TABLE, "masq_checks"], { encoding: "utf8" }).split("masquerade comment").length - 1;
  results.push(`(${iterations} iterations per row; masq_checks holds ${rules} rules at the end)`);
  console.log(results.join("\n"));
}

function main(): void {
  const at = process.argv.indexOf("--iterations");
  const iterations = at > 0 ? Number(process.argv[at + 1]) : 200;
  if (process.argv.includes("--inside")) {
    inside(iterations);
    return;
  }
  const name = `nftbench-${randomBytes(4).toString("hex")}`;
  execFileSync("ip", ["netns", "add", name]);
  try {
    const script = process.argv[1] ?? "bench/nft-bench.ts";
    execFileSync("ip", ["netns", "exec", name, process.execPath, script, "--inside", "--iterations", String(iterations)], { stdio: "inherit" });
  } finally {
    execFileSync("ip", ["netns", "del", name]);
  }
}

main();
