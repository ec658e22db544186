// A facade for runtimes in the spirit of containerd's go-cni: load networks (the default one, all of a
// directory, loopback), set a sandbox up on several networks at once (eth0..ethN, "lo" for loopback),
// remove, check, status; labels become CNI_ARGS; capability helpers accept camelCase and Go-style keys;
// the result groups interfaces and IPs per sandbox interface, as go-cni's Result does.
import type { DNS, JsonObject, Result, Route } from "@cni/skel";
import { CniConfig, MultiError, type CniConfigOptions, type RuntimeConf } from "./api";
import { confListFromConf, loadAllConfLists, type NetworkConfigList } from "./conf";

export const DEFAULT_INTERFACE_PREFIX = "eth";
export const LOOPBACK_INTERFACE = "lo";

/** One network of the facade, with the interface it attaches. */
export interface FacadeNetwork {
  readonly config: NetworkConfigList;
  readonly ifName: string;
}

/** Per-attachment options (go-cni's NamespaceOpts). */
export interface NamespaceOptions {
  /** CNI_ARGS; go-cni's WithLabels/WithArgs; "IgnoreUnknown=1" is always added first */
  readonly labels?: Readonly<Record<string, string>>;
  /** runtimeConfig values by capability name */
  readonly capabilities?: JsonObject;
}

/** A port mapping; Go-style keys (HostPort, ContainerPort, Protocol, HostIP) are accepted too. */
export type PortMapping = Readonly<Record<string, string | number>>;

const PORT_KEYS: Readonly<Record<string, string>> = {
  HostPort: "hostPort",
  ContainerPort: "containerPort",
  Protocol: "protocol",
  HostIP: "hostIP",
};

function camelKeys(obj: Readonly<Record<string, unknown>>, map: Readonly<Record<string, string>>): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(obj)) {
    const mapped = map[key] ?? (key.length > 0 ? key[0]!.toLowerCase() + key.slice(1) : key);
    out[mapped] = obj[key];
  }
  return out;
}

/** Capability helpers (go-cni's WithCapabilityPortMap, ...Bandwidth, ...DNS, ...IPRanges). */
export const capabilities = {
  portMappings(mappings: readonly PortMapping[]): JsonObject {
    return { portMappings: mappings.map((m) => camelKeys(m, PORT_KEYS)) };
  },
  bandwidth(limits: Readonly<Record<string, number>>): JsonObject {
    return { bandwidth: camelKeys(limits, {}) };
  },
  dns(dns: Readonly<Record<string, readonly string[]>>): JsonObject {
    return { dns: camelKeys(dns, {}) };
  },
  ipRanges(ranges: ReadonlyArray<ReadonlyArray<Readonly<Record<string, string>>>>): JsonObject {
    return { ipRanges: ranges.map((set) => set.map((r) => camelKeys(r, { Subnet: "subnet", RangeStart: "rangeStart", RangeEnd: "rangeEnd", Gateway: "gateway" }))) };
  },
};

/** One sandbox interface's share of the result (go-cni's Config). */
export interface InterfaceConfig {
  readonly ipConfigs: ReadonlyArray<{ readonly ip: string; readonly gateway?: string }>;
  readonly mac: string;
  readonly sandbox: string;
}

/** What setup returns (go-cni's Result): interfaces by name, with DNS and routes of all networks. */
export interface SetupResult {
  readonly interfaces: Readonly<Record<string, InterfaceConfig>>;
  readonly dns: readonly DNS[];
  readonly routes: readonly Route[];
  /** each network's result, in network order */
  readonly raw: readonly Result[];
}

/** Group results per sandbox interface (go-cni's createResult). */
export function groupResults(results: readonly Result[]): SetupResult {
  const interfaces: Record<string, { ipConfigs: Array<{ ip: string; gateway?: string }>; mac: string; sandbox: string }> = {};
  const dns: DNS[] = [];
  const routes: Route[] = [];
  for (const result of results) {
    const ifaces = result.interfaces ?? [];
    for (const iface of ifaces) {
      // host-side interfaces (no sandbox) are not the container's
      if (iface.sandbox === undefined || iface.sandbox === "") continue;
      interfaces[iface.name] = { ipConfigs: [], mac: iface.mac ?? "", sandbox: iface.sandbox };
    }
    for (const ip of result.ips ?? []) {
      if (ip.interface === undefined) continue;
      const iface = ifaces[ip.interface];
      const target = iface === undefined ? undefined : interfaces[iface.name];
      if (target === undefined) continue;
      target.ipConfigs.push({ ip: ip.address, ...(ip.gateway !== undefined ? { gateway: ip.gateway } : {}) });
    }
    if (result.dns !== undefined) dns.push(result.dns);
    routes.push(...(result.routes ?? []));
  }
  return { interfaces, dns, routes, raw: results };
}

export const LOOPBACK_CONFIG = JSON.stringify({ cniVersion: "1.1.0", name: "cni-loopback", type: "loopback" });

/** go-cni's libcni wrapper: networks in order, each with its interface name. */
export class Cni {
  private networks: FacadeNetwork[] = [];
  private readonly cni: CniConfig;
  constructor(options: CniConfigOptions) {
    this.cni = new CniConfig(options);
  }

  /** go-cni's WithLoNetwork: loopback, attached as "lo". */
  loadLoopback(): this {
    this.networks.push({ config: confListFromConf(LOOPBACK_CONFIG), ifName: LOOPBACK_INTERFACE });
    return this;
  }
  /** go-cni's WithDefaultConf: the first network of `dir`. */
  loadDefault(dir: string): this {
    const first = loadAllConfLists(dir)[0]!;
    return this.add(first);
  }
  /** go-cni's WithAllConf: every network of `dir`, in load order. */
  loadAll(dir: string): this {
    for (const list of loadAllConfLists(dir)) this.add(list);
    return this;
  }
  /** A network from its config; the next ethN (loopback networks always get "lo"). */
  add(config: NetworkConfigList): this {
    const isLoopback = config.plugins.length === 1 && config.plugins[0]!.type === "loopback";
    const ifName = isLoopback ? LOOPBACK_INTERFACE : `${DEFAULT_INTERFACE_PREFIX}${this.networks.filter((n) => n.ifName !== LOOPBACK_INTERFACE).length}`;
    this.networks.push({ config, ifName });
    return this;
  }
  get loaded(): readonly FacadeNetwork[] {
    return this.networks;
  }

  private runtime(id: string, path: string, ifName: string, options: NamespaceOptions): RuntimeConf {
    const args: Array<[string, string]> = [["IgnoreUnknown", "1"]];
    for (const [k, v] of Object.entries(options.labels ?? {})) args.push([k, v]);
    return { containerId: id, netns: path, ifName, args, capabilityArgs: options.capabilities ?? {} };
  }

  /** ADD every network; on failure the ones already attached are removed again. */
  async setup(id: string, path: string, options: NamespaceOptions = {}): Promise<SetupResult> {
    if (this.networks.length === 0) throw new Error("no networks loaded");
    const results: Result[] = [];
    const done: FacadeNetwork[] = [];
    try {
      for (const network of this.networks) {
        const result = await this.cni.addNetworkList(network.config, this.runtime(id, path, network.ifName, options));
        done.push(network);
        results.push(result ?? { cniVersion: network.config.cniVersion });
      }
    } catch (thrown) {
      for (const network of done.reverse()) {
        await this.cni.delNetworkList(network.config, this.runtime(id, path, network.ifName, options)).catch(() => undefined);
      }
      throw thrown;
    }
    return groupResults(results);
  }

  /** DEL every network in reverse (netns may be "": the sandbox is gone); goes on past errors. */
  async remove(id: string, path: string, options: NamespaceOptions = {}): Promise<void> {
    const errors: Error[] = [];
    for (const network of [...this.networks].reverse()) {
      await this.cni.delNetworkList(network.config, this.runtime(id, path, network.ifName, options)).catch((e: Error) => errors.push(e));
    }
    if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new MultiError(errors);
  }

  async check(id: string, path: string, options: NamespaceOptions = {}): Promise<void> {
    for (const network of this.networks) await this.cni.checkNetworkList(network.config, this.runtime(id, path, network.ifName, options));
  }

  /** STATUS of every network: resolves when all are ready. */
  async status(): Promise<void> {
    for (const network of this.networks) await this.cni.getStatusNetworkList(network.config);
  }
}
