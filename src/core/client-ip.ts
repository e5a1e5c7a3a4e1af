import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';
import * as z from 'zod/mini';
import { parseStrictAddress, parseStrictCidr, type IpAddress as IPAddress } from './ip-address.js';
import type { ShieldRequest } from './request.js';

/**
 * Which forwarding header the trusted proxies write. Only one is read: when a proxy appends to `X-Forwarded-For`, a
 * client-supplied `Forwarded` header reaches the app untouched (and vice versa), so reading "whichever is present"
 * would let any client choose its own IP.
 */
export type ProxyHeader = 'x-forwarded-for' | 'forwarded';

/** How the shield resolves the client IP (top-level shield config keys). */
export interface ClientIpOptions {
  /**
   * Which peers may tell us who the client is. `'framework'` (recommended): the client is the IP the framework
   * computed with its own trust settings (`req.ip` in Express, `ctx.ip` in Koa, `request.ip` in Fastify), so the
   * proxy trust is configured in one place. `false` (default): the socket address is the client. A number: that
   * many proxies sit in front of the app (1 = the socket peer is a proxy, the rightmost forwarded address is the
   * client). A list of CIDRs, single addresses and the names `loopback`, `private`, `linklocal`, `uniquelocal`:
   * forwarded addresses are read right to left, skipping every hop inside the list.
   */
  trustProxy?: false | 'framework' | number | readonly string[];
  /** Prefix length that groups IPv4 clients into one counter key. Default 32 (one address). */
  ipv4Prefix?: number;
  /** Prefix length that groups IPv6 clients into one counter key. Default 64: one host usually owns a whole /64. */
  ipv6Prefix?: number;
  /** The header the trusted proxies write. Default `x-forwarded-for`. */
  proxyHeader?: ProxyHeader;
}

/** The client IP of one request. */
export interface ResolvedClientIp {
  /** Normalised address: dotted IPv4 (IPv4-mapped and NAT64 unwrapped) or RFC 5952 IPv6. */
  ip: string;
  /** True when the address came from a forwarding header written by a trusted proxy. */
  fromTrustedProxy: boolean;
}

/** Resolves client IPs and their aggregation keys; built once per shield by {@link createClientIpResolver}. */
export interface ClientIpResolver {
  /**
   * The client IP for a request reaching us from `socketIp` with these headers; under `trustProxy: 'framework'`,
   * `frameworkIp` (the framework's own answer) when it is an address. Never throws.
   */
  resolve(socketIp: string, headers: ShieldRequest['headers'], frameworkIp?: string): ResolvedClientIp;
  /** The counter key for an IP: its /32 (IPv4) or /64 (IPv6) network by default, e.g. `2001:db8:1:2::/64`. */
  aggregationKey(ip: string): string;
}

/** Named trust ranges, as CIDRs (`uniquelocal` matches proxy-addr's meaning, so Express users keep their config). */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** Upper bound on forwarded hops examined per request: keeps a hostile 16 KiB header from costing more than that. */
const MAX_HOPS = 64;

function isTrustEntry(entry: string): boolean {
  if (Object.hasOwn(NAMED_RANGES, entry)) return true;
  return parseStrictCidr(entry) !== undefined || parseStrictAddress(entry) !== undefined;
}

/** Zod schema for the client-IP keys of the shield config. */
export const clientIpOptionsSchema = z.object({
  trustProxy: z.optional(
    z.union([
      z.literal(false),
      z.literal('framework'),
      z.number().check(z.int(), z.minimum(0), z.maximum(MAX_HOPS)),
      z.array(
        z.string().check(z.refine(isTrustEntry, {
          message: 'must be a CIDR, an IP address, or one of loopback, private, linklocal, uniquelocal',
        })),
      ),
    ])),
  ipv4Prefix: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(32))),
  ipv6Prefix: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(128))),
  proxyHeader: z.optional(z.enum(['x-forwarded-for', 'forwarded'])),
});

/** Unwraps IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses to the IPv4 client behind them. */
function unwrap(address: IPAddress): IPAddress {
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    const p = v6.parts;
    const mapped = p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0xffff;
    const nat64 = p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0;
    if (mapped || nat64) {
      const hi = p[6] ?? 0;
      const lo = p[7] ?? 0;
      return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
    }
  }
  return address;
}

/**
 * Strips what proxies put around an address in forwarding headers: `[v6]:port`, `v4:port`, RFC 7239 quotes,
 * and whitespace. Returns the bare address text (not yet validated).
 */
function bareAddress(raw: string): string {
  let text = raw.trim();
  if (text.length >= 2 && text.charCodeAt(0) === 34 /* " */ && text.charCodeAt(text.length - 1) === 34) {
    text = text.slice(1, -1).trim();
  }
  if (text.charCodeAt(0) === 91 /* [ */) {
    const close = text.indexOf(']');
    return close > 0 ? text.slice(1, close) : text;
  }
  const colon = text.indexOf(':');
  // Exactly one colon: IPv4 with a port (Azure and some CDNs write `1.2.3.4:5678`). Two or more: bare IPv6.
  if (colon > 0 && text.indexOf(':', colon + 1) === -1) return text.slice(0, colon);
  return text;
}

/** Extracts the `for=` value of one RFC 7239 forwarded-element (`for=1.2.3.4;proto=https`), or undefined. */
function forwardedFor(element: string): string | undefined {
  let start = 0;
  while (start <= element.length) {
    let end = element.indexOf(';', start);
    if (end === -1) end = element.length;
    const pair = element.slice(start, end).trim();
    const eq = pair.indexOf('=');
    if (eq === 3 && pair.slice(0, 3).toLowerCase() === 'for') return pair.slice(4);
    start = end + 1;
  }
  return undefined;
}

/**
 * Walks a comma-separated header from the right, one element at a time, never splitting the whole (possibly
 * attacker-padded) header. Quotes are honoured so a quoted `Forwarded` value cannot hide a comma; scanning from
 * the right also means an unbalanced quote in the client-written left part cannot swallow the elements our proxies
 * appended after it.
 */
class RightToLeft {
  private end: number;
  constructor(private readonly text: string) {
    this.end = text.length;
  }
  next(): string | undefined {
    if (this.end <= 0) return undefined;
    let inQuote = false;
    let i = this.end - 1;
    for (; i >= 0; i--) {
      const c = this.text.charCodeAt(i);
      if (c === 34) inQuote = !inQuote;
      else if (c === 44 /* , */ && !inQuote) break;
    }
    const element = this.text.slice(i + 1, this.end);
    this.end = i;
    return element;
  }
}

interface ParsedAddress {
  address: IPAddress;
  /** Normalised text form. */
  text: string;
}

function joinHeader(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(',');
}

/**
 * Builds the one client-IP resolver every adapter goes through. Trust lists are parsed here, once; `resolve` does
 * cached parses and a few range matches per hop.
 */
export function createClientIpResolver(options: ClientIpOptions = {}): ClientIpResolver {
  const trustProxy = options.trustProxy ?? false;
  const ipv4Prefix = options.ipv4Prefix ?? 32;
  const ipv6Prefix = options.ipv6Prefix ?? 64;
  const headerName: ProxyHeader = options.proxyHeader ?? 'x-forwarded-for';
  if (!Number.isInteger(ipv4Prefix) || ipv4Prefix < 1 || ipv4Prefix > 32) {
    throw new TypeError('ipv4Prefix must be an integer from 1 to 32');
  }
  if (!Number.isInteger(ipv6Prefix) || ipv6Prefix < 1 || ipv6Prefix > 128) {
    throw new TypeError('ipv6Prefix must be an integer from 1 to 128');
  }
  if (typeof trustProxy === 'number' && (!Number.isInteger(trustProxy) || trustProxy < 0 || trustProxy > MAX_HOPS)) {
    throw new TypeError(`trustProxy hop count must be an integer from 0 to ${MAX_HOPS}`);
  }

  const v4Ranges: [ipaddr.IPv4, number][] = [];
  const v6Ranges: [ipaddr.IPv6, number][] = [];
  if (Array.isArray(trustProxy)) {
    for (const entry of trustProxy as readonly string[]) {
      const cidrs = Object.hasOwn(NAMED_RANGES, entry) ? (NAMED_RANGES[entry] as readonly string[]) : [entry];
      for (const cidr of cidrs) {
        const single = parseStrictAddress(cidr);
        const range = parseStrictCidr(cidr) ?? (single && [single, single.kind() === 'ipv4' ? 32 : 128]);
        if (range === undefined) throw new TypeError(`trustProxy entry ${JSON.stringify(entry)} is not a CIDR, an address or a known name`);
        // A trusted ::ffff:10.0.0.0/104 means the IPv4 range: addresses are unwrapped before matching.
        const [addr, bits] = range;
        const unwrapped = unwrap(addr);
        if (unwrapped !== addr) v4Ranges.push([unwrapped as ipaddr.IPv4, Math.max(0, bits - 96)]);
        else if (addr.kind() === 'ipv4') v4Ranges.push([addr as ipaddr.IPv4, bits]);
        else v6Ranges.push([addr as ipaddr.IPv6, bits]);
      }
    }
  }
  const hopCount = typeof trustProxy === 'number' ? trustProxy : 0;
  const fromFramework = trustProxy === 'framework';
  const readsHeader = hopCount > 0 || v4Ranges.length > 0 || v6Ranges.length > 0;

  // Parse results for address text as it appears on the wire. Bounded: a hostile client can only churn it.
  const parseCache = new LRUCache<string, ParsedAddress | false>({ max: 4096 });
  const keyCache = new LRUCache<string, string>({ max: 4096 });

  // The last socket address, in front of the cache: behind a load balancer every request has the same peer. Only
  // the peer: forwarded addresses, parsed right after it, would take turns with it and never hit.
  let lastSocketRaw: string | undefined;
  let lastSocket: ParsedAddress | undefined;

  function parseSocket(raw: string): ParsedAddress | undefined {
    if (raw !== lastSocketRaw) {
      lastSocket = parse(raw);
      lastSocketRaw = raw;
    }
    return lastSocket;
  }

  function parse(raw: string): ParsedAddress | undefined {
    const cached = parseCache.get(raw);
    if (cached !== undefined) return cached === false ? undefined : cached;
    let result: ParsedAddress | false = false;
    const text = bareAddress(raw);
    const strict = parseStrictAddress(text);
    if (strict !== undefined) {
      const address = unwrap(strict);
      const normal =
        address.kind() === 'ipv4' ? address.toString() : (address as ipaddr.IPv6).toRFC5952String().split('%')[0]!;
      result = { address, text: normal };
    }
    if (raw.length <= 128) parseCache.set(raw, result);
    return result === false ? undefined : result;
  }

  function isTrusted(address: IPAddress, hop: number): boolean {
    if (hopCount > 0) return hop < hopCount;
    if (address.kind() === 'ipv4') {
      const v4 = address as ipaddr.IPv4;
      for (const range of v4Ranges) if (v4.match(range)) return true;
      return false;
    }
    const v6 = address as ipaddr.IPv6;
    for (const range of v6Ranges) if (v6.match(range)) return true;
    return false;
  }

  function resolve(socketIp: string, headers: ShieldRequest['headers'], frameworkIp?: string): ResolvedClientIp {
    const socket = typeof socketIp === 'string' ? parseSocket(socketIp) : undefined;
    // An unparseable socket address (unix socket, test harness) is used as given: there is nothing better.
    if (fromFramework && typeof frameworkIp === 'string') {
      const framework = parse(frameworkIp);
      // The framework read a forwarding header only when it trusts the peer: a different address came from a proxy.
      if (framework !== undefined) return { ip: framework.text, fromTrustedProxy: socket !== undefined && framework.text !== socket.text };
    }
    if (socket === undefined) return { ip: typeof socketIp === 'string' ? socketIp : '', fromTrustedProxy: false };
    const fallback: ResolvedClientIp = { ip: socket.text, fromTrustedProxy: false };
    if (!readsHeader || !isTrusted(socket.address, 0)) return fallback;

    const header = joinHeader(headers[headerName]);
    if (header === undefined || header.length === 0) return fallback;
    const walker = new RightToLeft(header);
    let client: ParsedAddress = socket;
    for (let hop = 1; hop <= MAX_HOPS; hop++) {
      const element = walker.next();
      // Every hop was trusted: the leftmost address is the client.
      if (element === undefined) return { ip: client.text, fromTrustedProxy: true };
      const raw = headerName === 'forwarded' ? forwardedFor(element) : element;
      const parsed = raw === undefined ? undefined : parse(raw);
      // A trusted proxy handed us something that is not an address (`unknown`, `_hidden`, garbage): we cannot
      // know the client, and must not guess from what lies further left (the client wrote that part).
      if (parsed === undefined) return fallback;
      client = parsed;
      if (!isTrusted(parsed.address, hop)) return { ip: parsed.text, fromTrustedProxy: true };
    }
    return fallback;
  }

  function aggregationKey(ip: string): string {
    const cached = keyCache.get(ip);
    if (cached !== undefined) return cached;
    const parsed = parse(ip);
    let key: string;
    if (parsed === undefined) key = ip;
    else if (parsed.address.kind() === 'ipv4') {
      key = ipv4Prefix === 32 ? parsed.text : `${maskedV4(parsed.address as ipaddr.IPv4, ipv4Prefix)}/${ipv4Prefix}`;
    } else {
      key = ipv6Prefix === 128 ? parsed.text : `${maskedV6(parsed.address as ipaddr.IPv6, ipv6Prefix)}/${ipv6Prefix}`;
    }
    if (ip.length <= 128) keyCache.set(ip, key);
    return key;
  }

  return { resolve, aggregationKey };
}

function maskedV4(address: ipaddr.IPv4, bits: number): string {
  const octets = address.octets.map((octet, i) => {
    const keep = Math.min(8, Math.max(0, bits - i * 8));
    return octet & ((0xff << (8 - keep)) & 0xff);
  });
  return new ipaddr.IPv4(octets).toString();
}

function maskedV6(address: ipaddr.IPv6, bits: number): string {
  const parts = address.parts.map((part, i) => {
    const keep = Math.min(16, Math.max(0, bits - i * 16));
    return part & ((0xffff << (16 - keep)) & 0xffff);
  });
  return new ipaddr.IPv6(parts).toRFC5952String();
}
