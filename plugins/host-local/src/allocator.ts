// Handing out one address from one range set, as the Go plugin's IPAllocator.Get does: a requested
// address if there is one, otherwise round robin starting after `last_reserved_ip.<n>`.
// The allocator knows nothing of files: it talks to a LeaseBook (the disk store implements it).
import { type Family, type IPAddr, type IPConfig, formatCIDR, formatIP } from "@cni/skel";
import { type Range, type RangeSet, familyOfSet, isReservedAddress, rangeFor, rangeSetToString } from "./range";

/** What the allocator needs from a lease store. Called with the store's lock held. */
export interface LeaseBook {
  /** Create the lease for `ip` unless it exists; true if created. Records it as the set's last reserved. */
  reserve(ip: IPAddr, containerId: string, ifName: string, setIndex: number): boolean;
  /** The set's `last_reserved_ip`, if readable. */
  lastReserved(setIndex: number): IPAddr | undefined;
  /** Addresses leased to (containerId, ifName), or to containerId alone in the old file format. */
  addressesOf(containerId: string, ifName: string): IPAddr[];
  /**
   * The first address in [from, to] that is not known to be leased, or undefined. A store that
   * knows nothing returns `from`; the allocator's `reserve` is the final word either way.
   */
  nextMaybeFree(family: Family, from: bigint, to: bigint): bigint | undefined;
}

/** Allocation failed; the message is the Go plugin's. */
/**
 * Why an allocation failed. The spec leaves these to the plugin (codes 100+); the Go plugin reports all
 * of them as 999 "internal error", which tells a runtime or a person nothing about what to do.
 */
export const AllocationFailure = {
  /** every address of a range set is leased */
  Exhausted: 100,
  /** this (container, ifname) already holds an address in the range set: ADD is not idempotent */
  DuplicateAttachment: 101,
  /** a requested address is outside the set, the gateway, the network/broadcast address, or taken */
  RequestedUnavailable: 102,
} as const;
export type AllocationFailureCode = (typeof AllocationFailure)[keyof typeof AllocationFailure];

export class AllocationError extends Error {
  constructor(
    readonly code: AllocationFailureCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Allocation {
  ip: IPAddr;
  range: Range;
}

export function toIPConfig(allocation: Allocation): IPConfig {
  return {
    address: formatCIDR({ ip: allocation.ip, prefix: allocation.range.subnet.prefix }),
    gateway: formatIP(allocation.range.gateway),
  };
}

/** Reserve one address of `set` for (containerId, ifName). */
export function allocate(
  set: RangeSet,
  setIndex: number,
  book: LeaseBook,
  containerId: string,
  ifName: string,
  requested?: IPAddr,
): Allocation {
  if (requested) return reserveRequested(set, setIndex, book, containerId, ifName, requested);

  // ADD is not idempotent (SPEC): a second address in the same set for one attachment is refused
  for (const leased of book.addressesOf(containerId, ifName)) {
    if (rangeFor(set, leased)) {
      throw new AllocationError(
        AllocationFailure.DuplicateAttachment,
        `${formatIP(leased)} has been allocated to ${containerId.trim()}, duplicate allocation is not allowed`,
      );
    }
  }
  for (const candidate of candidates(set, book.lastReserved(setIndex), book)) {
    if (book.reserve(candidate.ip, containerId, ifName, setIndex)) return candidate;
  }
  throw new AllocationError(AllocationFailure.Exhausted, `no IP addresses available in range set: ${rangeSetToString(set)}`);
}

function reserveRequested(
  set: RangeSet,
  setIndex: number,
  book: LeaseBook,
  containerId: string,
  ifName: string,
  ip: IPAddr,
): Allocation {
  const range = rangeFor(set, ip);
  const text = formatIP(ip);
  if (!range) throw new AllocationError(AllocationFailure.RequestedUnavailable, `${text} not in range set ${rangeSetToString(set)}`);
  if (isReservedAddress(range, ip)) {
    const what = ip.value === range.gateway.value ? "subnet's gateway" : "not usable (network or broadcast address)";
    throw new AllocationError(AllocationFailure.RequestedUnavailable, `requested ip ${text} is ${what}`);
  }
  if (!book.reserve(ip, containerId, ifName, setIndex)) {
    throw new AllocationError(AllocationFailure.RequestedUnavailable, `requested IP address ${text} is not available in range set ${rangeSetToString(set)}`);
  }
  return { ip, range };
}

/** Whether some address of the set could still be handed out (STATUS). */
export function hasFreeAddress(set: RangeSet, book: LeaseBook, setIndex: number): boolean {
  return !candidates(set, book.lastReserved(setIndex), book).next().done;
}

/**
 * Every address of the set once, in round-robin order: from the one after `last` (wrapping from a
 * range's end to the next range's start, and from the last range to the first), or from the first
 * range's start when `last` is not in the set. Gateways, IPv4 network/broadcast addresses and
 * addresses the book knows are leased are left out.
 */
export function* candidates(set: RangeSet, last: IPAddr | undefined, book: LeaseBook): Generator<Allocation> {
  const family = familyOfSet(set);
  for (const segment of segmentsFrom(set, last)) {
    let value = segment.from;
    while (value <= segment.to) {
      const next = book.nextMaybeFree(family, value, segment.to);
      if (next === undefined) break;
      const ip: IPAddr = { family, value: next };
      if (!isReservedAddress(segment.range, ip)) yield { ip, range: segment.range };
      value = next + 1n;
    }
  }
}

interface Segment {
  range: Range;
  from: bigint;
  to: bigint;
}

/** The set's ranges cut into contiguous pieces, in the order the round robin visits them. */
function segmentsFrom(set: RangeSet, last: IPAddr | undefined): Segment[] {
  const lastRange = last ? set.findIndex((r) => r === rangeFor(set, last)) : -1;
  let k = 0;
  let start = set[0]!.rangeStart.value;
  if (last && lastRange >= 0) {
    const r = set[lastRange]!;
    if (last.value < r.rangeEnd.value) {
      k = lastRange;
      start = last.value + 1n;
    } else {
      k = (lastRange + 1) % set.length;
      start = set[k]!.rangeStart.value;
    }
  }
  const first = set[k]!;
  const segments: Segment[] = [{ range: first, from: start, to: first.rangeEnd.value }];
  for (let step = 1; step < set.length; step++) {
    const r = set[(k + step) % set.length]!;
    segments.push({ range: r, from: r.rangeStart.value, to: r.rangeEnd.value });
  }
  if (start > first.rangeStart.value) segments.push({ range: first, from: first.rangeStart.value, to: start - 1n });
  return segments;
}
