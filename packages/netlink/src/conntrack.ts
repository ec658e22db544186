// A handle on one network namespace's connection tracking table (ctnetlink, a NETLINK_NETFILTER socket):
// what `conntrack -D -p udp --dport N` does, without the binary. Encoding and decoding happen in the Rust
// addon (native/src/conntrack.rs).
import { NetlinkProtocol } from "./native";
import { NetlinkSocketHandle } from "./netlink";

export type ConntrackProtocol = "tcp" | "udp" | "sctp";

const IPPROTO: Record<ConntrackProtocol, number> = { tcp: 6, udp: 17, sctp: 132 };
const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 10;

export class Conntrack extends NetlinkSocketHandle {
  private constructor(nsPath: string | null) {
    super(nsPath, NetlinkProtocol.netfilter, "conntrack");
  }

  /** A handle inside the namespace at `nsPath`. */
  static at(nsPath: string): Conntrack {
    return new Conntrack(nsPath);
  }

  /** A handle on the calling process's own network namespace. */
  static current(): Conntrack {
    return new Conntrack(null);
  }

  /**
   * Delete the entries of `protocol` whose original destination port is one of `ports`, of one address
   * family (4, 6) or both (undefined), and, with `replySource` (4 or 16 bytes), only those whose replies
   * come from that address (connections DNATed to it): one dump, one delete per entry. Returns the count.
   */
  deleteByDestinationPort(protocol: ConntrackProtocol, ports: readonly number[], family?: 4 | 6, replySource?: Uint8Array): number {
    const af = family === undefined ? AF_UNSPEC : family === 4 ? AF_INET : AF_INET6;
    return this.run("conntrackDeleteByDstPort", (n, fd) => n.conntrackDeleteByDstPort(fd, af, IPPROTO[protocol], ports, replySource));
  }
}
