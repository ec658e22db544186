// Run by bench/masquerade.sh inside a throwaway network namespace (the "host" here is that namespace).
// Per iteration: set up one attachment's masquerade (one IPv4 address), then tear it down; prints the
// median and p90 of each, per way of doing it, and the processes each way starts.
import { spawnSync } from "node:child_process";
import { createMasquerade } from "../packages/plugin-kit/src/masquerade/index";
import {
  iptablesChainName,
  iptablesComment,
  nftAttachmentComment,
  nftAttachmentHash,
} from "../packages/plugin-kit/src/masquerade/names";
import { parseCIDR, type CIDR } from "../packages/skel/src/ip";

const iterations = Number(process.argv[2] ?? "50");
/** other attachments already masqueraded (nftables rows): the per-call listing grows with them */
const background = Number(process.argv[3] ?? "0");
const NETWORK = "benchnet";
const IFNAME = "eth0";
const address = parseCIDR("10.97.0.2/24") as CIDR;

interface Row {
  way: string;
  processes: string;
  setUpMs: number[];
  teardownMs: number[];
}

function run(command: string, args: readonly string[], input = "", okToFail = false): void {
  const result = spawnSync(command, args, { input, encoding: "utf8" });
  if (result.status !== 0 && !okToFail) throw new Error(`${command} ${args.join(" ")}: ${result.stderr}`);
}

function time(work: () => void): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

function measure(way: string, processes: string, setUp: (i: number) => void, tearDown: (i: number) => void): Row {
  const row: Row = { way, processes, setUpMs: [], teardownMs: [] };
  for (let i = -3; i < iterations; i++) {
    const s = time(() => setUp(i));
    const t = time(() => tearDown(i));
    if (i >= 0) {
      row.setUpMs.push(s);
      row.teardownMs.push(t);
    }
  }
  return row;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

const rows: Row[] = [];

// 1. ours, nftables over netlink: one transaction each way, no process
const nftMasq = createMasquerade("nftables");
for (let i = 0; i < background; i++) {
  nftMasq.setup(NETWORK, `bg${i}`, IFNAME, [parseCIDR(`10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/16`) as CIDR]);
}
rows.push(
  measure(
    "ours: nftables over netlink",
    "0 + 0",
    (i) => nftMasq.setup(NETWORK, `c${i}`, IFNAME, [address]),
    (i) => nftMasq.teardown(NETWORK, `c${i}`, IFNAME),
  ),
);

// 2. the same ruleset through one `nft -f` process each way (knftables runs `nft` and lists the chain
// first, so the reference's nftables backend starts at least two per call)
const table = "inet cni_plugins_masquerade";
function nftSetupText(containerId: string): string {
  return [
    `add table ${table} { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }`,
    `add chain ${table} masq_checks { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }`,
    `add chain ${table} postrouting { type nat hook postrouting priority srcnat ; }`,
    `flush chain ${table} postrouting`,
    `add rule ${table} postrouting ip daddr == 224.0.0.0/4  return`,
    `add rule ${table} postrouting ip6 daddr == ff00::/8  return`,
    `add rule ${table} postrouting goto masq_checks`,
    `add rule ${table} masq_checks ip saddr == 10.97.0.2 ip daddr != 10.97.0.0/24 masquerade comment "${nftAttachmentComment(NETWORK, IFNAME, containerId)}"`,
    "",
  ].join("\n");
}
function masqRuleHandle(containerId: string): number {
  const listed = spawnSync("nft", ["-a", "list", "chain", "inet", "cni_plugins_masquerade", "masq_checks"], { encoding: "utf8" });
  const comment = `comment "${nftAttachmentComment(NETWORK, IFNAME, containerId)}" # handle `;
  for (const line of listed.stdout.split("\n")) {
    const at = line.indexOf(comment);
    if (at >= 0) return Number(line.slice(at + comment.length));
  }
  throw new Error(`no masquerade rule of ${containerId} listed`);
}
{
  // the rule's handle is read between the timed parts, so the teardown is one process
  const row: Row = { way: "nft -f, same ruleset", processes: "1 + 1", setUpMs: [], teardownMs: [] };
  for (let i = -3; i < iterations; i++) {
    const s = time(() => run("nft", ["-f", "-"], nftSetupText(`c${i}`)));
    const handle = masqRuleHandle(`c${i}`);
    const t = time(() => run("nft", ["-f", "-"], `delete rule ${table} masq_checks handle ${handle}\n`));
    if (i >= 0) {
      row.setUpMs.push(s);
      row.teardownMs.push(t);
    }
  }
  rows.push(row);
}

// 2b. the reference's nftables backend (ipmasq_nftables_linux.go through knftables, which runs `nft`):
// knftables.New probes `nft --version` and `nft --check` (a table with a comment), then findRules lists
// the chain as JSON, then the transaction runs through `nft -f -`; teardown the same, deleting by handle.
function knftablesNew(): void {
  run("nft", ["--version"]);
  run("nft", ["--check", "-f", "-"], `add table ${table} { comment "test" ; }\n`);
}
function listMasqChain(): string {
  return spawnSync("nft", ["--json", "list", "chain", "inet", "cni_plugins_masquerade", "masq_checks"], { encoding: "utf8" }).stdout;
}
rows.push(
  measure(
    "reference nftables backend (knftables, nft CLI)",
    "4 + 4",
    (i) => {
      knftablesNew();
      listMasqChain();
      run("nft", ["-f", "-"], nftSetupText(`c${i}`));
    },
    (i) => {
      knftablesNew();
      const listed = JSON.parse(listMasqChain()) as { nftables: { rule?: { handle: number; comment?: string } }[] };
      const prefix = nftAttachmentHash(NETWORK, IFNAME, `c${i}`);
      const deletes: string[] = [];
      for (const entry of listed.nftables) {
        if (entry.rule?.comment?.startsWith(prefix)) deletes.push(`delete rule ${table} masq_checks handle ${entry.rule.handle}`);
      }
      run("nft", ["-f", "-"], deletes.join("\n") + "\n");
    },
  ),
);
run("nft", ["delete", "table", "inet", "cni_plugins_masquerade"]);

// 3. ours, iptables backend: one listing + one iptables-restore each way
const iptMasq = createMasquerade("iptables");
rows.push(
  measure(
    "ours: iptables backend (iptables-restore)",
    "2 + 2",
    (i) => iptMasq.setup(NETWORK, `c${i}`, IFNAME, [address]),
    (i) => iptMasq.teardown(NETWORK, `c${i}`, IFNAME),
  ),
);

// 4. the Go bridge 1.1.1's iptables processes for one IPv4 address (seen through a PATH wrapper),
// replayed with the same arguments: go-iptables' version probe, ListChains, NewChain, then
// AppendUnique = check + append for each of the three rules; teardown: version probe, two deletes of
// the POSTROUTING jump (/32 and the legacy /24 form), ClearChain (= -N, fails, then -F), DeleteChain.
function goSetup(containerId: string): void {
  const chain = iptablesChainName(NETWORK, containerId);
  const comment = ["-m", "comment", "--comment", iptablesComment(NETWORK, containerId), "--wait"];
  run("iptables", ["--version"]);
  run("iptables", ["-t", "nat", "-S", "--wait"]);
  run("iptables", ["-t", "nat", "-N", chain, "--wait"]);
  const rules = [
    [chain, "-d", "10.97.0.2/24", "-j", "ACCEPT"],
    [chain, "!", "-d", "224.0.0.0/4", "-j", "MASQUERADE"],
    ["POSTROUTING", "-s", "10.97.0.2", "-j", chain],
  ];
  for (const rule of rules) {
    run("iptables", ["-t", "nat", "-C", ...rule, ...comment], "", true);
    run("iptables", ["-t", "nat", "-A", ...rule, ...comment]);
  }
}
function goTeardown(containerId: string): void {
  const chain = iptablesChainName(NETWORK, containerId);
  const comment = ["-m", "comment", "--comment", iptablesComment(NETWORK, containerId), "--wait"];
  run("iptables", ["--version"]);
  run("iptables", ["-t", "nat", "-D", "POSTROUTING", "-s", "10.97.0.2", "-j", chain, ...comment]);
  run("iptables", ["-t", "nat", "-D", "POSTROUTING", "-s", "10.97.0.2/24", "-j", chain, ...comment], "", true);
  run("iptables", ["-t", "nat", "-N", chain, "--wait"], "", true);
  run("iptables", ["-t", "nat", "-F", chain, "--wait"]);
  run("iptables", ["-t", "nat", "-X", chain, "--wait"]);
}
rows.push(
  measure("Go bridge 1.1.1's iptables calls", "9 + 6", (i) => goSetup(`c${i}`), (i) => goTeardown(`c${i}`)),
);

const fmt = (n: number): string => n.toFixed(2);
console.log(`masquerade set-up / teardown of one IPv4 attachment, ${iterations} iterations, ${background} other attachments in nftables (ms, median and p90)\n`);
console.log("| way | processes (set-up + teardown) | set-up median | set-up p90 | teardown median | teardown p90 |");
console.log("|---|---|---|---|---|---|");
for (const row of rows) {
  console.log(
    `| ${row.way} | ${row.processes} | ${fmt(percentile(row.setUpMs, 0.5))} | ${fmt(percentile(row.setUpMs, 0.9))} | ` +
      `${fmt(percentile(row.teardownMs, 0.5))} | ${fmt(percentile(row.teardownMs, 0.9))} |`,
  );
}
