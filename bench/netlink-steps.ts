// bench/netlink-bench.sh: a veth pair created, moved, addressed, brought up and routed through @cni/netlink,
// then deleted, between namespaces A and B (paths in argv). Prints per-iteration timings as JSON.
//   netlink-steps <nsA> <nsB> [iterations=1]
import { Netlink } from "@cni/netlink";

const [aPath, bPath, iterationsText] = process.argv.slice(2);
if (aPath === undefined || bPath === undefined) throw new Error("usage: netlink-steps <nsA> <nsB> [iterations]");
const iterations = Number(iterationsText ?? "1");

const a = Netlink.at(aPath);
const b = Netlink.at(bPath);

function setUp(): void {
  a.linkAddVeth({ name: "nltb0", peerName: "nltb1" });
  a.linkSetNetns("nltb1", b);
  a.addrAdd("nltb0", "10.50.0.1/24");
  b.addrAdd("nltb1", "10.50.0.2/24");
  a.linkSetUp("nltb0");
  b.linkSetUp("nltb1");
  b.routeAdd({ dst: "10.51.0.0/24", gateway: "10.50.0.1" });
}

/** The way a plugin should do it: the peer is created inside B, so there is no move (no RCU wait). */
function setUpDirect(): void {
  a.linkAddVeth({ name: "nltb0", peerName: "nltb1", peerNetns: bPath! });
  a.addrAdd("nltb0", "10.50.0.1/24");
  b.addrAdd("nltb1", "10.50.0.2/24");
  a.linkSetUp("nltb0");
  b.linkSetUp("nltb1");
  b.routeAdd({ dst: "10.51.0.0/24", gateway: "10.50.0.1" });
}

function measure(build: () => void): { setUpMs: number[]; totalMs: number[] } {
  const setUpMs: number[] = [];
  const totalMs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    build();
    const built = performance.now();
    a.linkDel("nltb0");
    const end = performance.now();
    setUpMs.push(built - start);
    totalMs.push(end - start);
  }
  return { setUpMs, totalMs };
}

const moved = measure(setUp);

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
if (iterations > 1) {
  const direct = measure(setUpDirect);
  console.log(
    JSON.stringify({
      iterations,
      setUpMedianMs: median(moved.setUpMs),
      withDeleteMedianMs: median(moved.totalMs),
      directSetUpMedianMs: median(direct.setUpMs),
      directWithDeleteMedianMs: median(direct.totalMs),
    }),
  );
}
