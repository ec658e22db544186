// Names and comments that identify one attachment's masquerade rules, exactly as the Go reference
// plugins spell them, so either implementation finds (and removes) the other's rules.

/** The reference's nftables table (family inet), its per-attachment chain and its base chain. */
export const NFT_TABLE = "cni_plugins_masquerade";
export const NFT_MASQ_CHAIN = "masq_checks";
export const NFT_POSTROUTING_CHAIN = "postrouting";
export const NFT_TABLE_COMMENT = "Masquerading for plugins from github.com/containernetworking/plugins";
export const NFT_MASQ_CHAIN_COMMENT =
  "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet";
/** knftables' CommentLengthMax: the reference cuts rule comments to this many bytes. */
export const NFT_COMMENT_MAX_BYTES = 128;

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

/** iptables chain of an attachment: `CNI-` + 24 hex digits of sha512(network + containerId) (utils.FormatChainName). */
export function iptablesChainName(network: string, containerId: string): string {
  return "CNI-" + sha512Hex(network + containerId).slice(0, 24);
}

/** iptables rule comment: `name: "<net>" id: "<cid>"`, quoted as Go's %q does (utils.FormatComment). */
export function iptablesComment(network: string, containerId: string): string {
  return "name: " + goQuote(network) + " id: " + goQuote(containerId);
}

/** First 16 hex digits of sha512(network): the prefix of every nftables comment of this network. */
export function nftNetworkHash(network: string): string {
  return sha512Hex(network).slice(0, 16);
}

/** `<H(net)>-<H(ifname:cid)>`: the prefix of one attachment's nftables rule comments. */
export function nftAttachmentHash(network: string, ifName: string, containerId: string): string {
  return nftNetworkHash(network) + "-" + sha512Hex(ifName + ":" + containerId).slice(0, 16);
}

/** The nftables rule comment of one attachment (commentForInstance in ipmasq_nftables_linux.go). */
export function nftAttachmentComment(network: string, ifName: string, containerId: string): string {
  const comment =
    nftAttachmentHash(network, ifName, containerId) +
    ", net: " + withoutQuotes(network) +
    ", if: " + withoutQuotes(ifName) +
    ", id: " + withoutQuotes(containerId);
  return cutToBytes(comment, NFT_COMMENT_MAX_BYTES);
}

function withoutQuotes(text: string): string {
  return text.split('"').join("");
}

/**
 * At most `maxBytes` UTF-8 bytes. Go cuts at a byte offset; names here are ASCII in practice (network names
 * and container ids are validated), and for other text we cut at the last whole character instead.
 */
function cutToBytes(text: string, maxBytes: number): string {
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
