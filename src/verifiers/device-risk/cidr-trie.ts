import ipaddr from 'ipaddr.js';

/**
 * A binary trie over address bits, one per family: inserting a /n prefix walks n bits, and a lookup walks at most
 * 32 (IPv4) or 128 (IPv6) bits collecting every prefix that covers the address. Lookup cost is bounded by the
 * address length whatever the list size (hundreds of thousands of Tor exits or hosting ranges cost the same).
 */
export class CidrTrie<T> {
  private readonly v4 = new TrieNode<T>();
  private readonly v6 = new TrieNode<T>();
  private count = 0;

  /** Number of prefixes inserted. */
  get size(): number {
    return this.count;
  }

  /** Adds a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a single address. Throws on anything else. */
  insert(cidr: string, value: T): void {
    const [address, prefix] = parseCidr(cidr);
    let node = address.kind() === 'ipv4' ? this.v4 : this.v6;
    const bytes = address.toByteArray();
    for (let bit = 0; bit < prefix; bit++) {
      const b = (bytes[bit >> 3]! >> (7 - (bit & 7))) & 1;
      node = b === 0 ? (node.zero ??= new TrieNode<T>()) : (node.one ??= new TrieNode<T>());
    }
    (node.values ??= []).push(value);
    this.count++;
  }

  /**
   * Every value whose prefix covers `ip` (shortest prefix first). Unparseable input matches nothing. The returned
   * array must not be modified.
   */
  lookup(ip: string): T[] {
    // Dotted quads skip ipaddr.js entirely: this runs on every request.
    let bytes: number[] | undefined = ip.includes(':') ? undefined : parseDottedQuad(ip);
    let v4 = bytes !== undefined;
    if (bytes === undefined) {
      const address = parseAddress(ip);
      if (address === undefined) return EMPTY;
      bytes = address.toByteArray();
      v4 = address.kind() === 'ipv4';
    }
    const bits = bytes.length * 8;
    let node: TrieNode<T> | undefined = v4 ? this.v4 : this.v6;
    let out: T[] | undefined;
    for (let bit = 0; node !== undefined; bit++) {
      if (node.values) (out ??= []).push(...node.values);
      if (bit === bits) break;
      node = ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) === 0 ? node.zero : node.one;
    }
    return out ?? EMPTY;
  }
}

const EMPTY: never[] = [];

class TrieNode<T> {
  zero: TrieNode<T> | undefined;
  one: TrieNode<T> | undefined;
  values: T[] | undefined;
}

/**
 * Strict address parsing: ipaddr.js also accepts classful IPv4 forms (`1.2.3`, `0x7f.1`), which no client IP should
 * ever be, so IPv4 must be four decimal parts (parsed by hand: this is the per-request path). IPv6 goes through
 * ipaddr.js, IPv4-mapped IPv6 is unwrapped.
 */
function parseAddress(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ip.length > 64) return undefined;
  if (!ip.includes(':')) {
    const octets = parseDottedQuad(ip);
    return octets === undefined ? undefined : new ipaddr.IPv4(octets);
  }
  try {
    return ipaddr.process(ip);
  } catch {
    return undefined;
  }
}

/** `a.b.c.d` with decimal parts 0-255 (no signs, no hex, at most three digits each), or undefined. */
function parseDottedQuad(ip: string): number[] | undefined {
  const out = [0, 0, 0, 0];
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= ip.length; i++) {
    const c = i === ip.length ? 46 /* . */ : ip.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      value = value * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || value > 255 || part > 3) return undefined;
      out[part++] = value;
      digits = 0;
      value = 0;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

/** True when `text` is a CIDR or a bare address the list reads (see `parseCidr`). */
export function isCidrOrAddress(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

/** Parses a CIDR or a bare address; IPv4-mapped IPv6 prefixes are stored as their IPv4 range. */
function parseCidr(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const trimmed = text.trim();
  if (!trimmed.includes('/')) {
    const address = parseAddress(trimmed);
    if (address === undefined) throw new TypeError('not an IP address');
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  }
  // The address read as bare ones are (ipaddr.parseCIDR reads `010.0.0.0/8` as 8.0.0.0/8: leading zeros are octal),
  // the prefix in decimal.
  const slash = trimmed.lastIndexOf('/');
  const written = trimmed.slice(0, slash);
  const quad = written.includes(':') ? undefined : parseDottedQuad(written);
  const address = quad !== undefined ? new ipaddr.IPv4(quad) : ipaddr.IPv6.isValid(written) ? ipaddr.IPv6.parse(written) : undefined;
  const prefixText = trimmed.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (address === undefined || !(prefix <= (address.kind() === 'ipv4' ? 32 : 128))) throw new TypeError('not a CIDR');
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), prefix - 96];
  }
  return [address, prefix];
}
