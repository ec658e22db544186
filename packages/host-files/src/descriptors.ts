// Whole reads and writes of an open file descriptor (stdin, stdout) through the addon: what every plugin
// call does first and last, without loading node:fs.
import { call } from "@cni/netlink/addon";
import { native } from "./native";

/**
 * The whole content of file descriptor `fd` (0 = stdin), read until end of file. A non-blocking fd (stdin
 * handed over by a runtime as O_NONBLOCK) is waited on with poll(2) rather than failing with EAGAIN. More
 * than `maxBytes` throws code 'EFBIG'; a closed fd 'EBADF'.
 */
export function readFd(fd: number, maxBytes: number): Buffer {
  return call(() => native().readFd(fd, maxBytes));
}

/**
 * Write all of `data` (a string as UTF-8) to file descriptor `fd` (1 = stdout), synchronously. A
 * non-blocking fd that is full (a pipe whose reader is slow) is waited on with poll(2) rather than failing
 * with EAGAIN. A closed pipe throws code 'EPIPE', a closed fd 'EBADF'.
 */
export function writeFd(fd: number, data: string | Uint8Array): void {
  call(() => native().writeFd(fd, data));
}
