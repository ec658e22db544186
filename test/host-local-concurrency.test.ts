// Concurrency of host-local: many processes on one store at once (the flock on `<net>/lock` must
// serialise them). All processes are spawned before any is awaited.
import { afterEach, describe, expect, it } from "vitest";
import {
  IMPL,
  hostLocalAsync,
  hostLocalBinary,
  isGoCompatibleEntry,
  leaseTable,
  listNetDir,
  makeTempDir,
  netConf,
  removeTempDirs,
  resultAddresses,
  writeLease,
  type HostLocalCall,
} from "./host-local-helpers";
import type { PluginOutput } from "./lib/plugin";

const NET = "hlbnet";
afterEach(() => removeTempDirs());

function runAll(calls: HostLocalCall[]): Promise<PluginOutput[]> {
  const binary = hostLocalBinary();
  return Promise.all(calls.map((c) => hostLocalAsync(binary, c)));
}
function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
function describeFailure(out: PluginOutput): string {
  return `code=${out.code} stdout=${out.stdout} stderr=${out.stderr}`;
}

describe("concurrent ADDs", () => {
  it("50 ADDs at once: all succeed with 50 distinct addresses and 50 lease files", async () => {
    const dataDir = makeTempDir();
    const config = netConf({ dataDir, ipam: { subnet: "10.1.0.0/24" } });
    const ids = Array.from({ length: 50 }, (_, i) => `par${i}`);
    const outs = await runAll(ids.map((id) => ({ command: "ADD", config, containerId: id })));
    for (const out of outs) expect(out.code, describeFailure(out)).toBe(0);
    const addresses = outs.flatMap(resultAddresses);
    expect(addresses).toHaveLength(50);
    expect(new Set(addresses).size).toBe(50);
    const leases = leaseTable(dataDir, NET);
    expect(leases.size).toBe(50);
    // each container's result names the file that holds its id
    outs.forEach((out, i) => expect(leases.get(resultAddresses(out)[0]!)).toBe(`${ids[i]}\r\neth0`));
    for (const name of listNetDir(dataDir, NET)) expect(isGoCompatibleEntry(name), name).toBe(true);
  });

  it("30 dual-stack ADDs at once: distinct addresses per family", async () => {
    const dataDir = makeTempDir();
    const config = netConf({ dataDir, ipam: { ranges: [[{ subnet: "10.1.0.0/24" }], [{ subnet: "fd00:1::/64" }]] } });
    const outs = await runAll(Array.from({ length: 30 }, (_, i) => ({ command: "ADD", config, containerId: `d${i}` })));
    for (const out of outs) expect(out.code, describeFailure(out)).toBe(0);
    const addresses = outs.flatMap(resultAddresses);
    expect(new Set(addresses).size).toBe(60);
    expect(leaseTable(dataDir, NET).size).toBe(60);
  });

  it("more concurrent ADDs than addresses: exactly the free ones succeed, the rest fail cleanly", async () => {
    const dataDir = makeTempDir();
    const config = netConf({ dataDir, ipam: { subnet: "10.1.0.0/28" } }); // .2-.14: 13 addresses
    const outs = await runAll(Array.from({ length: 20 }, (_, i) => ({ command: "ADD", config, containerId: `x${i}` })));
    const succeeded = outs.filter((o) => o.code === 0);
    const failed = outs.filter((o) => o.code !== 0);
    expect(succeeded).toHaveLength(13);
    for (const out of failed) {
      expect(out.code).toBe(1);
      expect(out.json?.msg, describeFailure(out)).toMatch(/no IP addresses available/);
    }
    expect(new Set(succeeded.flatMap(resultAddresses)).size).toBe(13);
    expect(leaseTable(dataDir, NET).size).toBe(13);
  });
});

describe("Go and ours at once on one store", () => {
  it.skipIf(IMPL === "go")("25 Go ADDs and 25 of ours at once: 50 distinct addresses, then concurrent DELs empty the store", async () => {
    const dataDir = makeTempDir();
    // 1.0.0: the newest version Go 1.1.1 speaks
    const config = netConf({ cniVersion: "1.0.0", dataDir, ipam: { subnet: "10.1.0.0/24" } });
    const calls = Array.from({ length: 50 }, (_, i) => ({
      binary: hostLocalBinary(i % 2 === 0 ? "go" : "ours"),
      call: { command: "ADD", config, containerId: `mix${i}` } as HostLocalCall,
    }));
    const outs = await Promise.all(calls.map((c) => hostLocalAsync(c.binary, c.call)));
    for (const out of outs) expect(out.code, describeFailure(out)).toBe(0);
    expect(new Set(outs.flatMap(resultAddresses)).size).toBe(50);
    expect(leaseTable(dataDir, NET).size).toBe(50);
    // each deletes the other's leases
    const dels = await Promise.all(
      calls.map((c, i) =>
        hostLocalAsync(hostLocalBinary(i % 2 === 0 ? "ours" : "go"), { ...c.call, command: "DEL" }),
      ),
    );
    for (const out of dels) expect(out.code, describeFailure(out)).toBe(0);
    expect(leaseTable(dataDir, NET).size).toBe(0);
    for (const name of listNetDir(dataDir, NET)) expect(isGoCompatibleEntry(name), name).toBe(true);
  });
});

describe("concurrent ADD / DEL / GC mix", () => {
  it.skipIf(IMPL === "go")("the store is consistent afterwards", async () => {
    const dataDir = makeTempDir();
    const ipam = { subnet: "10.1.0.0/24" };
    const config = netConf({ dataDir, ipam });
    // Before: 20 kept (K), 20 to be deleted (D), 10 stale that only GC removes (S), one legacy stale lease.
    const kept = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const deleted = Array.from({ length: 20 }, (_, i) => `d${i}`);
    const stale = Array.from({ length: 10 }, (_, i) => `s${i}`);
    const added = Array.from({ length: 30 }, (_, i) => `n${i}`);
    let host = 2;
    for (const id of [...kept, ...deleted, ...stale]) writeLease(dataDir, NET, `10.1.0.${host++}`, id, "eth0");
    writeLease(dataDir, NET, `10.1.0.${host++}`, "legacy-stale");
    // The runtime's view: kept and newly added attachments are valid; deleted ones are being torn down anyway.
    const valid = [...kept, ...added, ...deleted].map((id) => ({ containerID: id, ifname: "eth0" }));
    const gcConfig = netConf({ dataDir, ipam, extra: { "cni.dev/valid-attachments": valid } });

    const calls: HostLocalCall[] = [
      ...added.map((id) => ({ command: "ADD", config, containerId: id })),
      ...deleted.map((id) => ({ command: "DEL", config, containerId: id })),
      { command: "GC", config: gcConfig },
      { command: "GC", config: gcConfig },
    ];
    // interleave so that the kinds really overlap in time
    shuffle(calls);
    const outs = await runAll(calls);
    outs.forEach((out, i) => expect(out.code, `${calls[i]!.command} ${calls[i]!.containerId}: ${describeFailure(out)}`).toBe(0));

    const leases = leaseTable(dataDir, NET);
    const owners = [...leases.values()];
    // every lease belongs to a live attachment, and each live attachment has exactly one lease
    const live = new Set([...kept, ...added].map((id) => `${id}\r\neth0`));
    for (const owner of owners) expect(live.has(owner), JSON.stringify(owner)).toBe(true);
    expect(owners.length).toBe(live.size);
    expect(new Set(owners).size).toBe(owners.length);
    // the ADD results agree with the files
    outs.forEach((out, i) => {
      const c = calls[i]!;
      if (c.command !== "ADD") return;
      const [address] = resultAddresses(out);
      expect(leases.get(address!)).toBe(`${c.containerId}\r\neth0`);
    });
    for (const name of listNetDir(dataDir, NET)) expect(isGoCompatibleEntry(name), name).toBe(true);
  });
});
