// Pure parts of the benchmark harness: order statistics, the interleaved schedule, the runner's plan text,
// the report -> README table round trip, and the quiet-machine gate.
import { describe, expect, it } from "vitest";
import { defaultMaxLoad, keepWaiting, loadVerdict } from "../lib/load";
import { type Implementation, interleave, type PlanCall, planText } from "../lib/plan";
import {
  barChartSvg,
  README_BEGIN,
  README_END,
  type ReportData,
  replaceReadmeBlock,
  reportMarkdown,
  speedTableFromReport,
  type Summary,
} from "../lib/render";
import { maximum, median, percentile } from "../lib/stats";

describe("stats", () => {
  it("median of odd and even counts, unsorted input", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("p95 is nearest-rank: 95 of 100 samples at or below it", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
  });

  it("maximum", () => {
    expect(maximum([3, 9, 2])).toBe(9);
    expect(maximum([])).toBeNaN();
  });
});

describe("interleave", () => {
  const build = (implementation: Implementation, round: number): PlanCall[] => [
    { row: "r", argv: [`/${implementation}`], env: { ROUND: String(round) } },
  ];

  it("alternates which side goes first and marks warm-up rounds", () => {
    const calls = interleave(build, ["ours", "go"], 1, 2);
    expect(calls.map((c) => [c.round, c.implementation, c.warmup])).toEqual([
      [0, "ours", true],
      [0, "go", true],
      [1, "go", false],
      [1, "ours", false],
      [2, "ours", false],
      [2, "go", false],
    ]);
  });
});

describe("planText", () => {
  it("writes every directive the runner reads, one call per block", () => {
    const [call] = interleave(
      () => [{ row: "r", argv: ["/bin/x", "a b"], env: { A: "1" }, stdinPath: "/tmp/c.json", key: "k1", expectStatus: 3, parallel: 2 }],
      ["ours"],
      0,
      1,
    );
    expect(planText("/var/run/netns/h", "/tmp/cap", [call!])).toBe(
      "netns\t/var/run/netns/h\ncapture\t/tmp/cap\ncall\t#0 ours round 0: r\nkey\tk1\narg\t/bin/x\narg\ta b\nenv\tA=1\nstdin\t/tmp/c.json\nexpect\t3\nparallel\t2\nend\n",
    );
  });

  it("moves the runner to a call's own host namespace only when it changes, and back", () => {
    const calls = interleave(
      (implementation) => [
        { argv: ["/a"], env: {}, hostNetns: `/n/${implementation}` },
        { argv: ["/b"], env: {}, hostNetns: `/n/${implementation}` },
      ],
      ["ours", "go"],
      0,
      1,
    );
    calls.push({ argv: ["/c"], env: {}, round: 1, implementation: "go", warmup: false });
    const netnsLines = planText("/n/shared", "/tmp/cap", calls)
      .split("\n")
      .filter((l) => l.startsWith("netns\t") || l.startsWith("arg\t"));
    expect(netnsLines).toEqual([
      "netns\t/n/shared",
      "netns\t/n/ours",
      "arg\t/a",
      "arg\t/b",
      "netns\t/n/go",
      "arg\t/a",
      "arg\t/b",
      "netns\t/n/shared",
      "arg\t/c",
    ]);
  });

  it("refuses a value holding a newline (it would split a directive)", () => {
    const calls = interleave(() => [{ argv: ["/bin/x"], env: { A: "1\n2" } }], ["ours"], 0, 1);
    expect(() => planText("/n", "/c", calls)).toThrow(/newline/);
  });
});

describe("report and README", () => {
  const summary = (medianMs: number): Summary => ({ count: 10, medianMs, p95Ms: medianMs * 1.5, minflt: 300, majflt: 0, cpuMs: medianMs / 2 });
  const data: ReportData = {
    machine: [
      ["date", "2026-11-30T01:00:00Z"],
      ["machine", "2 cores, Test CPU, 24 GiB"],
      ["Go plugins", "containernetworking-plugins 1.1.1"],
    ],
    rows: [
      { name: "loopback ADD", startupBound: true, ours: summary(8), go: summary(4) },
      { name: "VERSION, floor", startupBound: true, ours: summary(6) },
      { name: "host-local ADD, 60,000 leases", startupBound: false, ours: summary(9), go: summary(700) },
    ],
    peakRss: [{ plugin: "loopback", oursKb: 30000, goKb: 4000, calls: 10 }],
    sizes: [["bin/", "1 MiB"]],
    pending: ["bridge rows — waits for bin/bridge"],
    failed: [],
    setup: [{ bench: "pods-400-masq", what: "400 pods per side, one bridge ADD each", oursS: 14.25, goS: 20.5 }],
    scale: [
      {
        title: "Full node (1,000 pods)",
        about: "1,000 pods on one bridge.",
        rows: [{ name: "pod ADD, 1,000 pods attached", ours: { count: 20, p50Ms: 150, p99Ms: 240 }, go: { count: 20, p50Ms: 600, p99Ms: 1200 } }],
        facts: [{ what: "host-local's store", go: "2,003 files", ours: "2,005 files" }],
      },
    ],
    scaleNotRun: [{ title: "Node pool", how: "`bench/run --full` measures it" }],
    chartFile: "report.svg",
    command: "bench/run",
  };

  it("the README table carries the report's medians and ratios", () => {
    const table = speedTableFromReport(reportMarkdown(data));
    expect(table).toContain("| loopback ADD | 4.00 ms | 8.00 ms | 2.00× |");
    expect(table).toContain("| VERSION, floor | — | 6.00 ms | — |");
    expect(table).toContain("| host-local ADD, 60,000 leases | 700 ms | 9.00 ms | 0.01× |");
    expect(table).toContain("2026-11-30T01:00:00Z; 2 cores, Test CPU, 24 GiB");
  });

  it("lists each side's set-up time, and marks a noisy report at the top", () => {
    const quiet = reportMarkdown(data);
    expect(quiet).toContain("| pods-400-masq | 400 pods per side, one bridge ADD each | 20.5 s | 14.3 s |");
    expect(quiet).not.toContain("noisy");
    const noisy = reportMarkdown({ ...data, noisy: "noisy: load average 1.53 > 1.00 before the run" });
    expect(noisy.split("\n").slice(0, 6).join("\n")).toContain("**noisy: load average 1.53 > 1.00 before the run.**");
    // the README table still reads back from a noisy report (kept in bench/results/ only)
    expect(speedTableFromReport(noisy)).toContain("| loopback ADD | 4.00 ms | 8.00 ms | 2.00× |");
  });

  it("gives each whole-node benchmark a section of its own, and names those not run; none of it in the README table", () => {
    const report = reportMarkdown(data);
    expect(report).toContain("## Full node (1,000 pods)\n\n1,000 pods on one bridge.\n");
    expect(report).toContain("| pod ADD, 1,000 pods attached | 600 | 1200 | 150 | 240 | 0.25× | 20 |");
    expect(report).toContain("| host-local's store | 2,003 files | 2,005 files |");
    expect(report).toContain("## Node pool\n\nNot measured in this run: `bench/run --full` measures it.");
    // after the per-call sections, before the sizes
    expect(report.indexOf("## Full node")).toBeGreaterThan(report.indexOf("## Set-up"));
    expect(report.indexOf("## Node pool")).toBeLessThan(report.indexOf("## Size on disk"));
    expect(speedTableFromReport(report)).not.toContain("pod ADD");
  });

  it("replaces only the text between the markers", () => {
    const readme = `# x\n\n## Speed\n\nintro\n\n${README_BEGIN}\nold table\n${README_END}\n\nafter\n`;
    const updated = replaceReadmeBlock(readme, "new table");
    expect(updated).toBe(`# x\n\n## Speed\n\nintro\n\n${README_BEGIN}\nnew table\n${README_END}\n\nafter\n`);
    expect(() => replaceReadmeBlock("no markers", "t")).toThrow(/markers/);
  });

  it("the chart has one bar per measured side, longer for the slower", () => {
    const svg = barChartSvg(data.rows, "t");
    const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="([\d.]+)" height="11"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(5); // 2 + 1 (floor: ours only) + 2
    // loopback: Go 4 ms < ours 8 ms; 60,000 leases: Go 700 ms > ours 9 ms
    expect(widths[0]!).toBeLessThan(widths[1]!);
    expect(widths[3]!).toBeGreaterThan(widths[4]!);
    expect(svg).not.toContain("NaN");
  });
});

describe("quiet-machine gate", () => {
  it("the ceiling is half the cores: 1.0 on a 2-core machine", () => {
    expect(defaultMaxLoad(2)).toBe(1);
    expect(defaultMaxLoad(8)).toBe(4);
  });

  it("passes at or under the ceiling before, and under ceiling + 1 (the run's own calls) during", () => {
    expect(loadVerdict({ before: 1.0, during: [1.4, 2.0, 1.1] }, 1)).toEqual({ quiet: true });
    expect(loadVerdict({ before: 0.1, during: [] }, 1)).toEqual({ quiet: true });
  });

  it("refuses a run that started above the ceiling, naming the load and the ceiling", () => {
    expect(loadVerdict({ before: 1.53, during: [1.2] }, 1)).toEqual({ quiet: false, reason: "noisy: load average 1.53 > 1.00 before the run" });
  });

  it("refuses a run whose load rose above ceiling + 1 while it measured", () => {
    expect(loadVerdict({ before: 0.4, during: [1.3, 2.61, 1.8] }, 1)).toEqual({
      quiet: false,
      reason: "noisy: load average 2.61 > 2.00 during the run (1.00 + 1 for the run's own calls)",
    });
    // a higher ceiling (--max-load) lets the same run through
    expect(loadVerdict({ before: 0.4, during: [1.3, 2.61, 1.8] }, 2)).toEqual({ quiet: true });
  });

  it("waits while the load is above the ceiling and time is left", () => {
    expect(keepWaiting(1.5, 1, 0, 180_000)).toBe(true);
    expect(keepWaiting(1.5, 1, 180_000, 180_000)).toBe(false);
    expect(keepWaiting(0.9, 1, 0, 180_000)).toBe(false);
    expect(keepWaiting(1.5, 1, 0, 0)).toBe(false);
  });
});
