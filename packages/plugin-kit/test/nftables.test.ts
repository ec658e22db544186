// The nftables transaction helpers' retry logic, against a stand-in handle (the kernel side is covered by
// masquerade.kernel.test.ts and the bridge's spoof-check tests).
import { describe, expect, it } from "vitest";
import { NetlinkError, type Nftables, type NftOp } from "@cni/netlink";
import { commitFresh, listIfPresent } from "../src/netfilter/index";

function nftError(code: string): NetlinkError {
  return new NetlinkError(`nftCommit: ${code}`, { errno: 1, code, request: "nftCommit" });
}

/** A handle whose commits fail with the given codes in turn, then succeed; records what was committed. */
function fakeNftables(failures: string[]): { nft: Nftables; committed: NftOp[][] } {
  const committed: NftOp[][] = [];
  const handle = {
    commit(ops: readonly NftOp[]): void {
      const code = failures.shift();
      if (code !== undefined) throw nftError(code);
      committed.push([...ops]);
    },
  };
  return { nft: handle as unknown as Nftables, committed };
}

const op = (name: string): NftOp => ({ op: "addTable", family: "inet", name });

describe("commitFresh", () => {
  it("builds again from a fresh listing and commits once more after ENOENT", () => {
    const { nft, committed } = fakeNftables(["ENOENT"]);
    let builds = 0;
    commitFresh(nft, () => [op(`t${++builds}`)]);
    expect(builds).toBe(2);
    expect(committed).toEqual([[op("t2")]]);
  });

  it("builds again after EEXIST (a concurrent call created a chain we create)", () => {
    const { nft, committed } = fakeNftables(["EEXIST", "ENOENT"]);
    let builds = 0;
    commitFresh(nft, () => [op(`t${++builds}`)]);
    expect(committed).toEqual([[op("t3")]]);
  });

  it("throws the third concurrent failure, and any other failure at once", () => {
    const thrice = fakeNftables(["ENOENT", "EEXIST", "ENOENT"]);
    expect(() => commitFresh(thrice.nft, () => [op("t")])).toThrow("nftCommit: ENOENT");
    let builds = 0;
    const other = fakeNftables(["EPERM"]);
    expect(() => commitFresh(other.nft, () => (builds++, [op("t")]))).toThrow("nftCommit: EPERM");
    expect(builds).toBe(1);
  });

  it("commits nothing when there is nothing to do", () => {
    const { nft, committed } = fakeNftables(["EPERM"]);
    commitFresh(nft, () => []);
    expect(committed).toEqual([]);
  });
});

describe("listIfPresent", () => {
  it("a missing table or chain (ENOENT) is an empty list; other failures are thrown", () => {
    expect(listIfPresent(() => [1, 2])).toEqual([1, 2]);
    expect(listIfPresent((): number[] => { throw nftError("ENOENT"); })).toEqual([]);
    expect(() => listIfPresent((): number[] => { throw nftError("EPERM"); })).toThrow("EPERM");
  });
});
