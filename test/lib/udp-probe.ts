// Who does the receiver see? A UDP "source echo" for many namespaces at once: one python3 process binds a
// socket in each namespace (setns, then socket: a socket stays in the namespace it was made in) and
// answers every datagram with the sender's address as the receiver saw it; one probe process sends from
// a socket in each sending namespace and reads the answer. Two processes for any number of pods, so a
// node pool of 150 pods costs no more processes than one of 15. IPv4 and IPv6 alike: the echo listens on
// both families where the namespace has IPv6, a probe to an IPv6 address sends from an IPv6 socket.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";

const PYTHON = "/usr/bin/python3";

/** setns(2) for the network namespace at a path; `home()` goes back to where the process started. */
const SETNS = `
import ctypes, os, select, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
HOME = os.open("/proc/self/ns/net", os.O_RDONLY)
def setns(fd, what):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + what)
def socket_in(path, family=socket.AF_INET):
    fd = os.open(path, os.O_RDONLY)
    try:
        setns(fd, path)
        return socket.socket(family, socket.SOCK_DGRAM)
    finally:
        os.close(fd)
        setns(HOME, "home")
`;

/** argv: port, netns paths. Binds 0.0.0.0:port and [::]:port (where IPv6 is on) in each, prints "ready", answers until stdin closes. */
const SERVER = `${SETNS}
port = int(sys.argv[1])
sockets = []
for path in sys.argv[2:]:
    s = socket_in(path)
    s.bind(("0.0.0.0", port))
    sockets.append(s)
    try:
        s6 = socket_in(path, socket.AF_INET6)
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s6.bind(("::", port))
        sockets.append(s6)
    except OSError:  # no IPv6 in this namespace
        pass
print("ready", flush=True)
while True:
    readable, _, _ = select.select(sockets + [sys.stdin], [], [])
    for s in readable:
        if s is sys.stdin:
            sys.exit(0)
        data, peer = s.recvfrom(256)
        try:
            s.sendto(peer[0].encode(), peer)
        except OSError:  # no neighbour entry for the answer (see PROBE): the prober sends again
            pass
`;

/** argv: port, then netns path and destination pairs. Prints "<index> <seen source or ->" per pair. */
const PROBE = `${SETNS}
port = int(sys.argv[1])
pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
for index, (path, destination) in enumerate(pairs):
    s = socket_in(path, socket.AF_INET6 if ":" in destination else socket.AF_INET)
    s.settimeout(0.2)
    seen = "-"
    for attempt in range(50):  # the first datagram may wait for ARP or a server socket: bounded retries
        try:
            s.sendto(b"who am i", (destination, port))
        except OSError:
            # the machine's neighbour table (one for all namespaces, 1,024 entries by default) is full: IPv6
            # refuses the send (IPv4 drops it quietly); entries older than 5 s go when it is, so wait and retry
            time.sleep(0.2)
            continue
        try:
            seen = s.recv(256).decode()
            break
        except socket.timeout:
            pass
    s.close()
    print(index, seen, flush=True)
`;

export interface EchoServer {
  stop(): void;
}

/** A source echo on UDP `port` in every namespace of `netnsPaths`; resolves once all are bound. */
export function startSourceEcho(netnsPaths: readonly string[], port: number): Promise<EchoServer> {
  const child: ChildProcess = spawn(PYTHON, ["-c", SERVER, String(port), ...netnsPaths], { stdio: ["pipe", "pipe", "pipe"] });
  const stop = (): void => {
    child.stdin?.end();
    if (child.exitCode === null) child.kill();
  };
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      if (chunk.includes("ready")) resolve({ stop });
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`source echo exited (${code}): ${stderr}`)));
  });
}

export interface Probe {
  /** the namespace the datagram is sent from */
  from: string;
  /** where to: an address with a source echo on the port */
  to: string;
}

/** For each probe, the source address the receiver saw ("-" when no answer came). */
export function probeSources(probes: readonly Probe[], port: number): string[] {
  const args = probes.flatMap((p) => [p.from, p.to]);
  const r = spawnSync(PYTHON, ["-c", PROBE, String(port), ...args], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`udp probe failed (${r.status}): ${r.stderr}`);
  const seen: string[] = Array(probes.length).fill("-");
  for (const line of r.stdout.trim().split("\n")) {
    const [index, source] = line.split(" ");
    if (index !== undefined && source !== undefined) seen[Number(index)] = source;
  }
  return seen;
}
