// bench/netlink-bench.sh: load the addon, open a handle on the own namespace, get one link.
import { Netlink } from "@cni/netlink";

const handle = Netlink.current();
if (handle.linkGet("lo").index !== 1) process.exitCode = 1;
