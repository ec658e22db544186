// Pure parts of the benchmark harness: order statistics, the interleaved schedule, the runner's plan text,
// and the report -> README table round trip.
import { describe, expect, it } from "vitest";
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
