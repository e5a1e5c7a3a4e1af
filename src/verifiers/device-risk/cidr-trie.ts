import ipaddr from 'ipaddr.js';
import { parseDottedQuad, parseStrictAddress, parseStrictCidr } from '../../core/ip-address.js';

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
    // Dotted quads skip ipaddr.js entirely: this runs on every request. Anything else without a `:` is no address.
    const v6 = ip.includes(':');
    let bytes: number[] | undefined = v6 ? undefined : parseDottedQuad(ip);
    if (bytes === undefined && !v6) return EMPTY;
    let v4 = !v6;
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

/** Strict address parsing (see core `parseStrictAddress`), IPv4-mapped IPv6 unwrapped. */
function parseAddress(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const address = parseStrictAddress(ip);
  return address?.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
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

/**
 * Parses a CIDR or a bare address as the client-IP resolver does (one reading of every spelling: `010.0.0.0/8` is
 * refused, not read as 8.0.0.0/8); IPv4-mapped IPv6 prefixes are stored as their IPv4 range.
 */
function parseCidr(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const trimmed = text.trim();
  if (!trimmed.includes('/')) {
    const address = parseAddress(trimmed);
    if (address === undefined) throw new TypeError('not an IP address');
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  }
  const range = parseStrictCidr(trimmed);
  if (range === undefined) throw new TypeError('not a CIDR');
  const [address, prefix] = range;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), prefix - 96];
  }
  return [address, prefix];
}
