// netns.list against real named namespaces this test creates; what `ip netns` sees is the reference.
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { netns } from "../src/index";

const names: string[] = [];
function fresh(prefix: string): string {
  const name = `${prefix}-${process.pid}-${names.length}`;
  netns.create(name);
  names.push(name);
  return name;
}
afterAll(() => {
  for (const name of names) {
    try {
      netns.delete(name);
    } catch {
      // already deleted by the test
    }
  }
});

describe("netns.list", () => {
  it("names what `ip netns list` names, sorted", () => {
    const a = fresh("nsl-b");
    const b = fresh("nsl-a");
    const listed = netns.list();
    expect(listed).toEqual(expect.arrayContaining([a, b]));
    expect(listed.indexOf(b)).toBeLessThan(listed.indexOf(a));
    const ip = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.split("\n").map((l) => l.split(" ")[0]!).filter((n) => n !== "");
    expect([...listed].sort()).toEqual([...ip].sort());
    netns.delete(a);
    expect(netns.list()).not.toContain(a);
  });
});
