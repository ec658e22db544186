// Names and comments spelled as the Go reference plugins spell them (pkg/utils: FormatChainName,
// MustFormatChainNameWithPrefix, FormatComment), so either implementation finds the other's rules.

/** Go's iptables chain names are exactly this long (utils.maxChainLength). */
const GO_CHAIN_NAME_LENGTH = 28;
const GO_CHAIN_PREFIX = "CNI-";

/** The Bun global, when running under Bun (its hasher needs no module load). */
interface BunCryptoHasher {
  update(data: string): BunCryptoHasher;
  digest(encoding: "hex"): string;
}
interface BunGlobal {
  CryptoHasher: new (algorithm: string) => BunCryptoHasher;
}

/** Lowercase hex sha512 of the UTF-8 bytes of `text`. */
export function sha512Hex(text: string): string {
  // Bun's built-in hasher avoids loading node:crypto (milliseconds of start-up in a compiled plugin).
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (bun !== undefined) return new bun.CryptoHasher("sha512").update(text).digest("hex");
  return process.getBuiltinModule("node:crypto").createHash("sha512").update(text).digest("hex");
}

/**
 * `CNI-<prefix><hex of sha512(name + id)>`, cut to 28 characters: Go's MustFormatChainNameWithPrefix
 * (portmap's `CNI-DN-…` is prefix "DN-"). A prefix that leaves no room for the hash is a programming error.
 */
export function goChainNameWithPrefix(name: string, id: string, prefix: string): string {
  const start = GO_CHAIN_PREFIX + prefix;
  if (start.length >= GO_CHAIN_NAME_LENGTH) throw new Error(`chain prefix ${JSON.stringify(prefix)} is too long`);
  return (start + sha512Hex(name + id)).slice(0, GO_CHAIN_NAME_LENGTH);
}

/** `CNI-` + 24 hex digits of sha512(name + id): Go's utils.FormatChainName (the bridge's masquerade chain). */
export function goChainName(name: string, id: string): string {
  return goChainNameWithPrefix(name, id, "");
}

/** `name: "<net>" id: "<cid>"`, quoted as Go's %q does: utils.FormatComment. */
export function goComment(name: string, id: string): string {
  return "name: " + goQuote(name) + " id: " + goQuote(id);
}

/** Go's %q for a string: double quotes, with `"`, `\` and non-printable characters escaped. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code === 0x07) out += "\\a";
    else if (code === 0x08) out += "\\b";
    else if (code === 0x0c) out += "\\f";
    else if (code === 0x0a) out += "\\n";
    else if (code === 0x0d) out += "\\r";
    else if (code === 0x09) out += "\\t";
    else if (code === 0x0b) out += "\\v";
    else if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).padStart(2, "0");
    // printable non-ASCII stays as is (strconv.IsPrint); the rare unprintable ones are escaped as Go does
    else if (code >= 0x80 && code < 0xa0) out += "\\u" + code.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

/**
 * At most `maxBytes` UTF-8 bytes (knftables cuts rule comments to 128). Go cuts at a byte offset; names
 * here are ASCII in practice (network names and container ids are validated), and for other text we cut
 * at the last whole character instead.
 */
export function cutToBytes(text: string, maxBytes: number): string {
  if (text.length <= maxBytes && isAscii(text)) return text;
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // step back over continuation bytes (10xxxxxx) so no character is split
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}
