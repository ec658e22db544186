// The native runner (bench/runner) against real processes: the rusage fields it reports must be the
// kernel's (a wrong struct layout would put maxrss or faults in the wrong place), calls must run in the
// plan's namespace (one test makes one: root), and failures must stop it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRunner, RUNNER } from "./runner-build";

const PATH_ENV = "PATH=/usr/local/bin:/usr/bin:/bin";

let work = "";

beforeAll(() => {
  buildRunner();
  work = mkdtempSync(join(tmpdir(), "bench-runner-test-"));
}, 120_000);

afterAll(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

function runPlan(plan: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(RUNNER, [], { input: `capture\t${work}\n${plan}`, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("bench runner", () => {
  it("reports the child's own peak RSS and page faults", () => {
    // 64 MiB touched: at least 16,384 minor faults of 4 KiB pages and a peak RSS above 64 MiB
    const r = runPlan(`call\tbig\narg\t/usr/bin/python3\narg\t-c\narg\tb = bytearray(64 << 20)\nenv\t${PATH_ENV}\nend\n`);
    expect(r.status, r.stderr).toBe(0);
    const sample = JSON.parse(r.stdout) as { tag: string; wallNs: number; minflt: number; maxrssKb: number };
    expect(sample.tag).toBe("big");
    expect(sample.maxrssKb).toBeGreaterThan(64 * 1024);
    expect(sample.minflt).toBeGreaterThan(16 * 1024);
    expect(sample.wallNs).toBeGreaterThan(0);
  });

  it("passes only the plan's environment and adds the earlier call's stdout as prevResult", () => {
    const config = join(work, "conf.json");
    writeFileSync(config, '{"cniVersion":"1.0.0","name":"n"}\n');
    const r = runPlan(
      [
        "call\tadd",
        "key\tk:add",
        "arg\t/bin/sh",
        "arg\t-c",
        'arg\tprintf \'{"ips":["%s"]}\' "$ONLY${HOME:-}"',
        "env\tONLY=10.0.0.2",
        "end",
        "call\tcheck",
        "arg\t/bin/cat",
        `stdin\t${config}`,
        "prev\tk:add",
        "end",
        "",
      ].join("\n"),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(work, "out.0"), "utf8")).toBe('{"cniVersion":"1.0.0","name":"n","prevResult":{"ips":["10.0.0.2"]}}');
  });

  it("starts parallel copies with their number in {i}", () => {
    const r = runPlan(`call\tp\narg\t/bin/sh\narg\t-c\narg\techo copy-{i}\nparallel\t3\nend\n`);
    expect(r.status, r.stderr).toBe(0);
    for (let i = 0; i < 3; i++) expect(readFileSync(join(work, `out.${i}`), "utf8")).toBe(`copy-${i}\n`);
  });

  it("stops at a call that ends with another status than expected, naming it and its output", () => {
    const r = runPlan(
      `call\tfirst\narg\t/bin/sh\narg\t-c\narg\techo oops; exit 3\nend\ncall\tnever\narg\t/bin/true\nend\n`,
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/first copy 0: .*exit status: 3 \(expected 0\); stdout: oops/);
    const expected = runPlan(`call\tthree\narg\t/bin/sh\narg\t-c\narg\texit 3\nexpect\t3\nend\n`);
    expect(expected.status, expected.stderr).toBe(0);
  });

  it("runs the calls inside the plan's network namespace, with that namespace's /sys", () => {
    const netns = `bench-runner-test-${process.pid}`;
    try {
      for (const args of [["netns", "add", netns], ["-n", netns, "link", "add", "brt0", "type", "veth", "peer", "name", "brt1"]]) {
        const r = spawnSync("ip", args, { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
      }
      const r = runPlan(`netns\t/var/run/netns/${netns}\ncall\tls\narg\t/bin/ls\narg\t/sys/class/net\nend\n`);
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(work, "out.0"), "utf8").split("\n").filter((l) => l !== "").sort()).toEqual(["brt0", "brt1", "lo"]);
    } finally {
      spawnSync("ip", ["netns", "del", netns]);
    }
  });

  it("moves between network namespaces when the plan names another one between calls", () => {
    const names = [`bench-runner-a-${process.pid}`, `bench-runner-b-${process.pid}`];
    try {
      for (const [i, netns] of names.entries()) {
        for (const args of [["netns", "add", netns], ["-n", netns, "link", "add", `only${i}a`, "type", "veth", "peer", "name", `only${i}b`]]) {
          const r = spawnSync("ip", args, { encoding: "utf8" });
          if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
        }
      }
      // a, b, then a again: each call lists its namespace's links (via /sys) and the kernel's (via ip) into its own file
      const order = [0, 1, 0];
      const plan = order
        .map((n, step) =>
          [
            `netns\t/var/run/netns/${names[n]}`,
            `call\tstep${step}`,
            "arg\t/bin/sh",
            "arg\t-c",
            `arg\tls /sys/class/net > ${work}/sys.${step}; ip -o link show | cut -d: -f2 > ${work}/ip.${step}`,
            `env\t${PATH_ENV}:/usr/sbin:/sbin`,
            "end",
          ].join("\n"),
        )
        .join("\n");
      const r = runPlan(`${plan}\n`);
      expect(r.status, r.stderr).toBe(0);
      const lines = (file: string): string[] =>
        readFileSync(join(work, file), "utf8")
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => l !== "")
          .sort();
      for (const [step, n] of order.entries()) {
        expect(lines(`sys.${step}`)).toEqual(["lo", `only${n}a`, `only${n}b`]);
        expect(lines(`ip.${step}`)).toEqual(["lo", `only${n}a@only${n}b`, `only${n}b@only${n}a`]);
      }
    } finally {
      for (const netns of names) spawnSync("ip", ["netns", "del", netns]);
    }
  });

  it("rejects a malformed plan", () => {
    const r = runPlan("arg\t/bin/true\n");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/plan line 2: unexpected directive/);
  });
});
