// How the store reads a failed file operation, in one place: the addon throws a NetlinkError whose `code`
// is the errno's name ('ENOENT', 'EEXIST', 'EACCES', ...); messages name what was being done and that code.
import { NetlinkError } from "@cni/netlink";
import { CniError, ErrorCode } from "@cni/skel";

/** The errno name of what a file operation threw, or undefined when it is not an errno failure. */
export function errnoOf(err: unknown): string | undefined {
  return err instanceof NetlinkError ? err.code : undefined;
}

/** An I/O failure (code 5): "<what>: <errno name>". */
export function ioError(what: string, err: unknown): CniError {
  return new CniError(ErrorCode.IOFailure, `${what}: ${errnoOf(err) ?? String(err)}`);
}
