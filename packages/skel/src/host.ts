// What the per-call path needs from the operating system beyond the environment: stdin's bytes and a
// file's identity (the own-netns guard). Injectable because loading node:fs costs a compiled plugin
// about 3 ms at start-up: a plugin that already loads a native addon installs a host backed by it
// (@cni/plugin-kit's process-host), and skel itself never imports one. The default here requires node:fs
// only when first asked.

/** A file's identity: st_dev and st_ino as decimal strings (exact beyond 2^53). */
export interface FileIdentity {
  readonly dev: string;
  readonly ino: string;
}

export interface ProcessHost {
  /** All of fd 0 up to end of file; a non-blocking stdin must be waited for, not fail with EAGAIN. */
  readStdin(): Uint8Array | Promise<Uint8Array>;
  /** The identity of the file `path` names (symlinks followed); undefined when it cannot be stat'ed. */
  fileIdentity(path: string): FileIdentity | undefined;
  /**
   * Optional: write all of `text` to fd 1 or 2 synchronously (a non-blocking pipe waited on). A host
   * backed by an addon the call has loaded anyway saves Bun's writer (~57 page faults per call).
   */
  writeOutput?(fd: 1 | 2, text: string): void;
  /**
   * True when `path` (symlinks followed) is a regular file this process may execute: how delegation finds
   * the IPAM plugin on CNI_PATH (through the addon, a delegation that then runs in-process loads no node:fs).
   */
  isExecutableFile(path: string): boolean;
}

/** A config is a few kilobytes; a runtime's prevResult with many interfaces stays far below this. */
export const MAX_STDIN_BYTES = 64 * 1024 * 1024;

/** Errno code of a read or write that would block on a non-blocking pipe. */
const EAGAIN = "EAGAIN";

let installed: ProcessHost | undefined;

/** Install (or, with undefined, remove) the host the process I/O and the own-netns guard use. */
export function setProcessHost(host: ProcessHost | undefined): void {
  installed = host;
}

/** The installed host, else the node:fs one. */
export function processHost(): ProcessHost {
  return installed ?? nodeFsHost;
}

/**
 * node:fs on first use. A literal `require` keeps the bundle lazy (esbuild leaves it in place, Bun resolves
 * it when called); under vitest's ESM `require` is not defined and getBuiltinModule stands in.
 */
export function nodeFs(): typeof import("node:fs") {
  try {
    return require("node:fs") as typeof import("node:fs");
  } catch (failure) {
    if (!(failure instanceof ReferenceError)) throw failure;
    return process.getBuiltinModule("node:fs");
  }
}

const nodeFsHost: ProcessHost = {
  readStdin: readStdinWithNodeFs,
  isExecutableFile(path: string): boolean {
    const fs = nodeFs();
    try {
      if (!fs.statSync(path).isFile()) return false;
      fs.accessSync(path, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  fileIdentity(path: string): FileIdentity | undefined {
    try {
      const st = nodeFs().statSync(path, { bigint: true });
      return { dev: st.dev.toString(), ino: st.ino.toString() };
    } catch {
      return undefined;
    }
  },
};

/** Synchronous read is cheapest; a non-blocking fd 0 (EAGAIN) is read as a stream instead. */
async function readStdinWithNodeFs(): Promise<Uint8Array> {
  try {
    return nodeFs().readFileSync(0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== EAGAIN) throw err;
  }
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin
      .on("data", (chunk: Buffer) => chunks.push(chunk))
      .on("end", () => resolve(Buffer.concat(chunks)))
      .on("error", reject);
  });
}

// ---------------------------------------------------------------- output

/** The part of Bun's API the writer uses (present only in a Bun process). */
interface BunOutput {
  write(destination: BunFile, data: string): Promise<number>;
  readonly stdout: BunFile;
  readonly stderr: BunFile;
}
type BunFile = object;

let pendingOutput: Promise<void> | undefined;
let outputLost = false;

/**
 * Write `text` to fd 1 or 2, in order with the writes before it. Under Bun through `Bun.write` (node:fs
 * or process.stdout would cost a compiled plugin 3 to 20 ms of start-up), which copes with a
 * non-blocking pipe and finishes before the process exits; elsewhere synchronously through node:fs.
 * A write that fails (stdout closed) makes the process exit 1, as a call whose answer was lost.
 * `useHost` false keeps the installed host's writer out of it (VERSION must not load the addon).
 */
export function writeProcessOutput(fd: 1 | 2, text: string, useHost = true): void {
  const hostWrite = useHost ? installed?.writeOutput : undefined;
  if (hostWrite !== undefined && pendingOutput === undefined) {
    try {
      hostWrite(fd, text);
      return;
    } catch {
      // e.g. the addon itself failed to load: the answer (often the error saying so) goes the other way
    }
  }
  const bun = (globalThis as { Bun?: BunOutput }).Bun;
  if (bun === undefined) {
    writeAllSync(fd, text);
    return;
  }
  const destination = fd === 1 ? bun.stdout : bun.stderr;
  const write = (): Promise<void> => bun.write(destination, text).then(undefined, outputFailed);
  pendingOutput = pendingOutput === undefined ? write() : pendingOutput.then(write);
}

function outputFailed(): void {
  outputLost = true;
  process.exitCode = 1;
}

/** Resolves once every write so far is done; false when one of them failed. */
export async function processOutputDone(): Promise<boolean> {
  if (pendingOutput !== undefined) await pendingOutput;
  return !outputLost;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** All of `text`, synchronously; a non-blocking pipe that says EAGAIN is waited on and retried. */
function writeAllSync(fd: number, text: string): void {
  const fs = nodeFs();
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== EAGAIN) throw err;
      sleepSync(1);
    }
  }
}
