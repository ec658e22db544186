// Throwaway namespaces for the kernel tests of the netfilter kit, each with an nftables handle inside it;
// `useNftNamespaces` closes the handles and deletes the namespaces after each test.
import { randomBytes } from "node:crypto";
import { afterEach } from "vitest";
import { netns, Nftables } from "@cni/netlink";

export interface NftNamespace {
  name: string;
  nft: Nftables;
}

/** Registers the clean-up and returns the maker of namespaces named `<prefix>-<random>`. */
export function useNftNamespaces(prefix: string): () => NftNamespace {
  const made: NftNamespace[] = [];
  afterEach(() => {
    for (const { name, nft } of made.splice(0)) {
      nft.close();
      netns.delete(name);
    }
  });
  return () => {
    const name = `${prefix}-${randomBytes(4).toString("hex")}`;
    const entry = { name, nft: Nftables.at(netns.create(name)) };
    made.push(entry);
    return entry;
  };
}
