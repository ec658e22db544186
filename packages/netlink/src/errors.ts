/**
 * errno values by name (Linux, asm-generic), for code that compares `NetlinkError.errno` or builds errors;
 * prefer comparing `code` ('EEXIST') where there is one.
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  EFBIG: 27,
  EPROTO: 71,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ETIMEDOUT: 110,
} as const satisfies Record<string, number>;

/**
 * The error every @cni/netlink call throws: the kernel's (or the addon's) errno, its symbolic code
 * ('EEXIST', 'ENODEV', 'ENOENT', 'EBUSY', ...; 'ENOTNS' for "not a network namespace", errno EINVAL),
 * the request that failed and the object it was about.
 */
export class NetlinkError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly request: string;
  readonly subject?: string;

  constructor(message: string, fields: { errno: number; code: string; request: string; subject?: string }) {
    super(message);
    this.name = "NetlinkError";
    this.errno = fields.errno;
    this.code = fields.code;
    this.request = fields.request;
    if (fields.subject !== undefined) this.subject = fields.subject;
  }

  /** Wrap what the addon threw (an Error carrying errno/code/request/subject). */
  static from(thrown: unknown): NetlinkError {
    if (thrown instanceof NetlinkError) return thrown;
    if (thrown instanceof Error) {
      const fields = thrown as Error & { errno?: unknown; code?: unknown; request?: unknown; subject?: unknown };
      const wrapped = new NetlinkError(thrown.message, {
        errno: typeof fields.errno === "number" ? fields.errno : 0,
        code: typeof fields.code === "string" ? fields.code : "EUNKNOWN",
        request: typeof fields.request === "string" ? fields.request : "netlink",
        ...(typeof fields.subject === "string" ? { subject: fields.subject } : {}),
      });
      wrapped.stack = thrown.stack?.replace(/^Error/, "NetlinkError");
      return wrapped;
    }
    return new NetlinkError(String(thrown), { errno: 0, code: "EUNKNOWN", request: "netlink" });
  }
}

/** Run an addon call, turning what it throws into a NetlinkError. */
export function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (thrown) {
    throw NetlinkError.from(thrown);
  }
}
