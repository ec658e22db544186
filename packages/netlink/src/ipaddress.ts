// Addresses as ip-address values. Kept apart from the Netlink class on purpose: a bundle that never calls
// these functions leaves ip-address out (bundlers drop it), and merely parsing ip-address costs a compiled
// plugin ~0.75 ms per start (measured). Loaded on first use: literal require for esbuild/bun,
// createRequire under ESM (vitest).
import type * as IpAddressModule from "ip-address";
import type { Address4, Address6 } from "ip-address";

let loaded: typeof IpAddressModule | undefined;

function ipAddressModule(): typeof IpAddressModule {
  if (loaded === undefined) {
    try {
      loaded = require("ip-address") as typeof IpAddressModule;
    } catch (failure) {
      // Under ESM the bare name `require` is a ReferenceError (see addon.ts for why no `typeof require`).
      if (!(failure instanceof ReferenceError)) throw failure;
      loaded = esmRequire()("ip-address") as typeof IpAddressModule;
    }
  }
  return loaded;
}

/** An address from addrList (or anything with family/address/prefixLength) as an ip-address value. */
export function addressToIp(address: { family: 4 | 6; address: string; prefixLength: number }): Address4 | Address6 {
  const { Address4: V4, Address6: V6 } = ipAddressModule();
  const cidr = `${address.address}/${address.prefixLength}`;
  return address.family === 4 ? new V4(cidr) : new V6(cidr);
}

/** `require` for ESM callers (vitest): node:module fetched on use, since importing it slows start-up. */
function esmRequire(): NodeJS.Require {
  return process.getBuiltinModule("node:module").createRequire(import.meta.url);
}
