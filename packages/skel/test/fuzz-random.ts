// A seeded generator for the fuzz tests (*.fuzz.test.ts): deterministic, so a failure names the seed and
// input that reproduce it. No dependency: a 32-bit xorshift is plenty for input generation.
// FUZZ_RUNS sets how many inputs each property gets (default small, for the normal test run);
// FUZZ_SEED picks the starting seed. The long run: `bench/fuzz.sh` (FUZZ_RUNS=100000).

export const FUZZ_RUNS: number = Number(process.env.FUZZ_RUNS ?? "") || 1500;
export const FUZZ_SEED: number = Number(process.env.FUZZ_SEED ?? "") || 0x5eed1234;

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** next 32-bit unsigned value (xorshift32) */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x;
  }

  /** integer in [0, n) */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  bool(): boolean {
    return (this.next() & 1) === 1;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** a string of up to `max` characters drawn from `alphabet` */
  stringFrom(alphabet: string, max: number): string {
    const length = this.int(max + 1);
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }

  /** any UTF-16 code units, lone surrogates and NUL included */
  anyString(max: number): string {
    const length = this.int(max + 1);
    let out = "";
    for (let i = 0; i < length; i++) {
      const kind = this.int(10);
      out += String.fromCharCode(kind < 6 ? 0x20 + this.int(0x5f) : kind < 8 ? this.int(0x20) : this.int(0x10000));
    }
    return out;
  }

  /** a number of the kinds JSON can carry, edge cases first */
  number(): number {
    switch (this.int(8)) {
      case 0:
        return this.int(10);
      case 1:
        return -this.int(100);
      case 2:
        return this.pick([0, -0, 1.5, 1e21, -1e-7, 2 ** 53, 2 ** 53 + 2, 4094, 4095, 65535, 2 ** 31, 2 ** 32]);
      case 3:
        return this.next();
      default:
        return this.int(5000);
    }
  }
}

/** `text` with up to a few random edits: a character replaced, dropped, duplicated or inserted. */
export function mutateString(random: Random, text: string, alphabet: string): string {
  let out = text;
  const edits = 1 + random.int(3);
  for (let e = 0; e < edits; e++) {
    const at = random.int(out.length + 1);
    const c = alphabet[random.int(alphabet.length)]!;
    switch (random.int(4)) {
      case 0:
        out = out.slice(0, at) + c + out.slice(at + 1);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + 1);
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at, at + 1) + out.slice(at);
        break;
      default:
        out = out.slice(0, at) + c + out.slice(at);
    }
  }
  return out;
}

/**
 * A random object or array inside `root` (root itself included), reached by at most `maxDepth` random steps
 * down: where a mutation edits a config. Undefined when root is neither.
 */
export function randomContainer(random: Random, root: unknown, maxDepth: number): Record<string, unknown> | undefined {
  let at: unknown = root;
  for (let depth = 0; depth < maxDepth; depth++) {
    const children = at !== null && typeof at === "object" ? Object.keys(at) : [];
    if (children.length === 0 || random.int(3) === 0) break;
    const next = (at as Record<string, unknown>)[random.pick(children)];
    if (next === null || typeof next !== "object") break;
    at = next;
  }
  return at !== null && typeof at === "object" ? (at as Record<string, unknown>) : undefined;
}

/** A random JSON value, up to `depth` levels deep; object keys drawn from `keys` (plus noise). */
export function randomJson(random: Random, depth: number, keys: readonly string[]): unknown {
  const kind = random.int(depth <= 0 ? 5 : 7);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random.bool();
    case 2:
      return random.number();
    case 3:
      return random.anyString(12);
    case 4:
      return random.pick(keys.length > 0 ? STRING_SEEDS : [""]);
    case 5: {
      const list: unknown[] = [];
      const n = random.int(4);
      for (let i = 0; i < n; i++) list.push(randomJson(random, depth - 1, keys));
      return list;
    }
    default: {
      const obj: Record<string, unknown> = {};
      const n = random.int(5);
      for (let i = 0; i < n; i++) {
        const key = random.int(5) === 0 ? random.anyString(6) : random.pick(keys);
        obj[random.int(6) === 0 ? key.toUpperCase() : key] = randomJson(random, depth - 1, keys);
      }
      return obj;
    }
  }
}

/** Strings that mean something somewhere in a CNI config or result. */
export const STRING_SEEDS: readonly string[] = [
  "", "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", "9.9.9",
  "10.1.2.3", "10.1.2.3/24", "10.1.2.0/24", "0.0.0.0/0", "::/0", "fd00::1", "fd00::1/64", "fd00::/64",
  "::ffff:10.1.2.3", "255.255.255.255/32", "4", "6", "eth0", "lo", "cni0", "host-local", "bridge",
  "0a:58:0a:f4:00:02", "01:00:5e:00:00:01", "nftables", "iptables", "/var/run/netns/x", "a/b", "-x",
];

/**
 * Run `property` on `runs` generated inputs; on the first failure throw an Error that names the run,
 * the seed and the input (JSON, shortened), so `FUZZ_SEED` reproduces it.
 */
export function forAll<T>(name: string, generate: (random: Random) => T, property: (input: T) => void, runs: number = FUZZ_RUNS): void {
  const random = new Random(FUZZ_SEED ^ hash(name));
  for (let run = 0; run < runs; run++) {
    const input = generate(random);
    try {
      property(input);
    } catch (thrown) {
      const shown = describeInput(input);
      const reason = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
      throw new Error(`${name}: run ${run} (FUZZ_SEED=${FUZZ_SEED}) failed on ${shown}\n${reason}`, { cause: thrown });
    }
  }
}

/** The async variant, for properties that await (a plugin run). */
export async function forAllAsync<T>(name: string, generate: (random: Random) => T, property: (input: T) => Promise<void>, runs: number = FUZZ_RUNS): Promise<void> {
  const random = new Random(FUZZ_SEED ^ hash(name));
  for (let run = 0; run < runs; run++) {
    const input = generate(random);
    try {
      await property(input);
    } catch (thrown) {
      const shown = describeInput(input);
      const reason = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
      throw new Error(`${name}: run ${run} (FUZZ_SEED=${FUZZ_SEED}) failed on ${shown}\n${reason}`, { cause: thrown });
    }
  }
}

function describeInput(input: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(input, (_key, value: unknown) => (Buffer.isBuffer(value) ? value.toString("latin1") : typeof value === "bigint" ? `${value}n` : value)) ?? String(input);
  } catch {
    text = String(input);
  }
  return text.length > 1500 ? `${text.slice(0, 1500)}...` : text;
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
