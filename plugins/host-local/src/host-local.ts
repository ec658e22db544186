// host-local IPAM: hands out addresses from configured ranges and remembers them in files under
// dataDir, in the Go plugin's format (see lease-files.ts), so either implementation can run on a node.
import {
  type CmdArgs,
  CniError,
  ErrorCode,
  type IPAddr,
  type IPConfig,
  type Result,
  definePlugin,
  formatIP,
  validAttachments,
} from "@cni/skel";
import { AllocationError, AllocationFailure, type Allocation, allocate, hasFreeAddress, toIPConfig } from "./allocator";
import { type IpamConfig, loadIpamConfig } from "./config";
import { parseResolvConf } from "./dns";
import { lockNetworkDir } from "./lock";
import { type RangeSet, rangeSetToString, setContains } from "./range";
import { staleLeases } from "./gc";
import { DiskStore } from "./store";

const VERSION = "0.1.0";

export const plugin = definePlugin({
  about: `CNI host-local plugin v${VERSION}`,

  add(args: CmdArgs): Result {
    const conf = loadIpamConfig(args.config, args.args);
    const dns = conf.resolvConf ? parseResolvConf(conf.resolvConf) : undefined;
    const store = openStore(conf);
    const ips = store.withLock(() => allocateEverySet(conf, store, args.containerId, args.ifName));
    const result: Result = { cniVersion: conf.cniVersion, ips };
    if (conf.routes.length > 0) result.routes = conf.routes;
    if (dns) result.dns = dns;
    return result;
  },

  del(args: CmdArgs): void {
    const conf = loadIpamConfig(args.config, args.args);
    const store = openStore(conf);
    store.withLock(() => store.releaseAttachment(args.containerId, args.ifName));
  },

  check(args: CmdArgs): void {
    const conf = loadIpamConfig(args.config, args.args);
    const store = openStore(conf);
    if (!store.withLock(() => store.hasLease(args.containerId, args.ifName))) {
      throw new CniError(
        ErrorCode.UnknownContainer,
        `host-local: Failed to find address added by container ${args.containerId}`,
      );
    }
  },

  status(args: CmdArgs): void {
    const conf = loadIpamConfig(args.config, args.args);
    const store = unavailableOnIOFailure(() => openStore(conf));
    unavailableOnIOFailure(() =>
      store.withLock(() => {
        store.checkWritable();
        // ADD takes one address from every range set, so one full set is enough to refuse it.
        const full = conf.rangeSets.filter((set, i) => !hasFreeAddress(set, store, i));
        if (full.length > 0) {
          throw new CniError(
            ErrorCode.PluginNotAvailable,
            `no IP addresses available in range set: ${full.map(rangeSetToString).join("; ")}`,
          );
        }
      }),
    );
  },

  gc(args: CmdArgs): void {
    const conf = loadIpamConfig(args.config, args.args);
    const valid = validAttachments(args.config);
    const store = openStore(conf);
    store.withLock(() => store.removeLeases(staleLeases(store.listLeases(), valid)));
  },
});

function openStore(conf: IpamConfig): DiskStore {
  return DiskStore.open(conf.dataDir, conf.name, lockNetworkDir);
}

/**
 * One address per range set (a requested one when the set contains it). If a set fails, the
 * addresses taken from the earlier sets are released again; requested addresses no set took are an error.
 */
function allocateEverySet(conf: IpamConfig, store: DiskStore, containerId: string, ifName: string): IPConfig[] {
  const unclaimed = conf.requestedIPs.slice();
  const taken: Allocation[] = [];
  try {
    for (let index = 0; index < conf.rangeSets.length; index++) {
      const set = conf.rangeSets[index]!;
      const requested = claimRequested(set, unclaimed);
      try {
        taken.push(allocate(set, index, store, containerId, ifName, requested));
      } catch (err) {
        throw withPrefix(`failed to allocate for range ${index}: `, err);
      }
    }
    if (unclaimed.length > 0) {
      throw new CniError(
        AllocationFailure.RequestedUnavailable,
        `failed to allocate all requested IPs: ${unclaimed.map(formatIP).join(" ")}`,
      );
    }
  } catch (err) {
    for (const allocation of taken) store.releaseAddress(allocation.ip, containerId, ifName);
    throw err;
  }
  const ips: IPConfig[] = [];
  for (const allocation of taken) ips.push(toIPConfig(allocation));
  return ips;
}

/** Remove and return the first requested address inside `set`. */
function claimRequested(set: RangeSet, unclaimed: IPAddr[]): IPAddr | undefined {
  for (let i = 0; i < unclaimed.length; i++) {
    if (setContains(set, unclaimed[i]!)) return unclaimed.splice(i, 1)[0];
  }
  return undefined;
}

function withPrefix(prefix: string, err: unknown): CniError {
  if (err instanceof CniError) return new CniError(err.code, prefix + err.message, err.details);
  if (err instanceof AllocationError) return new CniError(err.code, prefix + err.message);
  throw err;
}

/** STATUS reports storage trouble as "plugin not available" (code 50). */
function unavailableOnIOFailure<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CniError && err.code === ErrorCode.IOFailure) {
      throw new CniError(ErrorCode.PluginNotAvailable, err.message, err.details);
    }
    throw err;
  }
}
