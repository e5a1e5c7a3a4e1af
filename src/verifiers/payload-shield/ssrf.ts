/**
 * Server-side request forgery: URL-valued input whose host is loopback, private, link-local, unique-local, a cloud
 * metadata address (169.254.169.254, fd00:ec2::254, metadata.google.internal) or `localhost`, in any spelling
 * (decimal `2130706433`, hex `0x7f000001`, octal `0177.0.0.1`, short `127.1`, IPv4-mapped IPv6), and URLs with
 * schemes used only to reach internal services (gopher, dict, tftp, ldap, netdoc). All IP logic is ipaddr.js.
 */
import ipaddr from 'ipaddr.js';
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the SSRF detector. */
export const SSRF_RULES = {
  internalHost: 'ssrf-internal-host',
  metadata: 'ssrf-cloud-metadata',
  dangerousScheme: 'ssrf-dangerous-scheme',
} as const;

const INTERNAL_RANGES = new Set([
  'loopback',
  'private',
  'linkLocal',
  'uniqueLocal',
  'unspecified',
  'carrierGradeNat',
  'reserved',
  'broadcast',
]);

const METADATA_HOSTS = new Set([
  '169.254.169.254',
  'fd00:ec2::254',
  'metadata.google.internal',
  'metadata',
  'metadata.azure.com',
  '100.100.100.200',
  '169.254.170.2',
]);

const INTERNAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback', 'broadcasthost', '0']);

/** Schemes a server-side client fetches; an internal host behind `ssh://`, `git://` or `mailto:` is not SSRF. */
const FETCHED_SCHEMES = new Set([
  'http', 'https', 'ftp', 'ftps', 'gopher', 'dict', 'tftp', 'ldap', 'ldaps', 'netdoc', 'jar', 'sftp', 'smb', 'file',
  'ws', 'wss', 'telnet', 'php', 'phar', 'expect', 'ogg', 'rtsp',
]);

const DANGEROUS_SCHEMES = new Set(['gopher', 'dict', 'tftp', 'ldap', 'ldaps', 'netdoc', 'jar', 'sftp', 'smb', 'telnet', 'ftp', 'file']);

/** Keys whose URL values identify documents rather than resources an API fetches. */
const IDENTIFIER_KEY = /^(?:[$@][a-z]*|id|ids)$/;
/** Names of parameters that carry a URL or host to fetch; a bare host there (no scheme) is checked too. */
const URL_PARAM_NAME = /(?:^|[_-])(?:url|uri|host|hostname|callback|webhook|endpoint|redirect|redirect_uri|next|dest|destination|target|link|src|source|image|image_url|avatar|feed|proxy|domain|site|server|address|addr|return|return_url|continue|path|file|fetch|load|page)$|url$|uri$/;

/** `URL_PARAM_NAME` answers by name, across requests (an API's bodies repeat their keys); emptied when full. */
const URL_PARAM_NAMES = new Map<string, boolean>();
const URL_PARAM_NAMES_MAX = 1024;
/** Longer names are tested without being remembered (bounds the map's memory). */
const URL_PARAM_NAME_MAX_LENGTH = 64;

/** True when `name` (lower case) names a URL or host parameter. Asked of every plain value: remembered by name. */
function isUrlParamName(name: string): boolean {
  let answer = URL_PARAM_NAMES.get(name);
  if (answer === undefined) {
    answer = URL_PARAM_NAME.test(name);
    if (name.length <= URL_PARAM_NAME_MAX_LENGTH) {
      if (URL_PARAM_NAMES.size >= URL_PARAM_NAMES_MAX) URL_PARAM_NAMES.clear();
      URL_PARAM_NAMES.set(name, answer);
    }
  }
  return answer;
}

/**
 * A bare decimal below 2^24, other than `0`: a count (`per_page=20`, `page=3`), though an address parser reads it as
 * 0.0.0.20, in 0.0.0.0/8, where nothing can be reached but 0.0.0.0 itself (which `0` spells). Larger numbers are
 * dotless spellings of real addresses (`2130706433` is 127.0.0.1) and stay hosts.
 */
const SMALL_COUNT = /^(?:[1-9]\d{0,7}|0[0-7]{1,8})$/;
function isCount(host: string): boolean {
  // Number() reads `0177` as 177: still below 2^24, as every octal of eight digits is.
  return SMALL_COUNT.test(host) && Number(host) < 16777216;
}

/** Public DNS names that resolve to loopback by design (development conveniences, and SSRF filter bypasses). */
const LOOPBACK_DNS = /(?:^|\.)(?:localtest\.me|lvh\.me|vcap\.me|fuf\.me|localhost\.run|lacolhost\.com|readme\.localtest\.me|yoogle\.com|spoofed\.burpcollaborator\.net|127-0-0-1\.(?:nip|sslip)\.io|localh\.st|1ocalhost\.\w+|ulh\.us|127\.0\.0\.1\.(?:nip|sslip|xip)\.io)$/;
// Ideographic and fullwidth full stops act as dots in hostnames (IDNA), and enclosed or fullwidth digits fold to
// ASCII under NFKC, the normalisation URL parsers apply to hosts: `①②⑦。⓪。⓪。①` is 127.0.0.1.
const IDNA_DOTS = /[\u3002\uff0e\uff61]/g;
// A dotless IPv4 written as a number too large for 32 bits: parsers that wrap it modulo 2^32 reach the low bits.
const OVERFLOW_DECIMAL = /^\d{10,20}$/;

// Patterns used on every URL, compiled once (a regex literal in a function body is a new object per evaluation).
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;
const ADDRESS_CHARS = /^[0-9a-fx.:]+$/;
const DIGIT_DOT_DIGIT = /\d\.\d/;
const EMBEDDED_QUAD = /(?:^|\.)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?:\.|$)/;
const SCHEME = /^[a-z][a-z0-9+.-]*$/;

/** The host as a URL parser would see it: NFKC-folded, IDNA dots, overflowed dotless numbers wrapped. */
function canonicalHost(host: string): string {
  let h = host;
  if (NON_ASCII.test(h)) h = h.normalize('NFKC').replace(IDNA_DOTS, '.').toLowerCase();
  if (OVERFLOW_DECIMAL.test(h) && BigInt(h) > 4294967295n) h = String(Number(BigInt(h) % 4294967296n));
  return h;
}

/**
 * The host `classifyHost` answered last and its answer: the URLs of one document repeat their host (a webhook's
 * dozen `*_url` fields on `api.github.com`), and the answer is a function of the host alone. One entry, so it holds
 * at most one value's string alive.
 */
let lastHost = '';
let lastHostRule: string | undefined;

/** Classifies one host string; returns a rule id when it points inside the network. */
export function classifyHost(hostInput: string): string | undefined {
  if (hostInput === lastHost) return lastHostRule;
  const rule = classifyHostNow(hostInput);
  lastHost = hostInput;
  lastHostRule = rule;
  return rule;
}

function classifyHostNow(hostInput: string): string | undefined {
  let host = canonicalHost(hostInput.trim().toLowerCase());
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const zone = host.indexOf('%');
  if (zone !== -1) host = host.slice(0, zone);
  if (host.length === 0) return undefined;
  if (METADATA_HOSTS.has(host)) return SSRF_RULES.metadata;
  if (INTERNAL_NAMES.has(host) || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local') || LOOPBACK_DNS.test(host)) {
    return SSRF_RULES.internalHost;
  }
  // ipaddr.js is only asked about strings that can be an address (digits, hex, dots, colons, 0x): cheap for names.
  if (ADDRESS_CHARS.test(host) && ipaddr.isValid(host)) {
    let addr = ipaddr.parse(host);
    if (addr.kind() === 'ipv6') {
      const v6 = addr as ipaddr.IPv6;
      if (v6.isIPv4MappedAddress()) addr = v6.toIPv4Address();
      else {
        // `::127.0.0.1` (IPv4-compatible, deprecated but still parsed) and `64:ff9b::7f00:1` (NAT64) embed an IPv4
        // address in the low 32 bits; some stacks route them there.
        const p = v6.parts;
        const compatible = p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 && (p[6] !== 0 || p[7]! > 1);
        const nat64 = p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0;
        if (compatible || nat64) addr = ipaddr.IPv4.parse(`${p[6]! >> 8}.${p[6]! & 255}.${p[7]! >> 8}.${p[7]! & 255}`);
      }
    }
    const text = addr.toString();
    if (METADATA_HOSTS.has(text)) return SSRF_RULES.metadata;
    if (INTERNAL_RANGES.has(addr.range())) return SSRF_RULES.internalHost;
    return undefined;
  }
  // A hostname that embeds an internal dotted quad (`example.com.127.0.0.1`, `127.0.0.1.nip.io`) resolves there.
  const quad = !DIGIT_DOT_DIGIT.test(host) ? null : EMBEDDED_QUAD.exec(host);
  if (quad && ipaddr.IPv4.isValidFourPartDecimal(quad[1]!)) {
    const range = ipaddr.IPv4.parse(quad[1]!).range();
    if (INTERNAL_RANGES.has(range)) return SSRF_RULES.internalHost;
  }
  return undefined;
}

function hostEnd(s: string, from: number): number {
  let i = from;
  if (s.charCodeAt(i) === 91 /* [ */) {
    const close = s.indexOf(']', i);
    return close === -1 ? s.length : close + 1;
  }
  while (i < s.length) {
    const c = s.charCodeAt(i);
    // Host ends at a port, a path, a query, a fragment, a backslash (browsers and some parsers), or junk.
    if (c === 58 || c === 47 || c === 63 || c === 35 || c === 92 || c <= 32 || c === 33 || c === 0 || c === 64 || c === 38) break;
    i++;
  }
  return i;
}

/** The host of an authority (`user:pw@host:port`): everything after the first `@` run, before the port or path. */
function authorityHost(s: string, start: number): string {
  // The authority ends at the first `/`, `?` or `#`; a `\\` also ends it for WHATWG parsers, but attackers put
  // `@` after it to confuse the others, so both readings are checked by the caller.
  let end = start;
  while (end < s.length) {
    const c = s.charCodeAt(end);
    if (c === 47 || c === 63 || c === 35 || c <= 32) break;
    end++;
  }
  const authority = s.slice(start, end);
  const at = authority.lastIndexOf('@');
  const hostPart = at === -1 ? authority : authority.slice(at + 1);
  return hostPart.slice(0, hostEnd(hostPart, 0));
}

const PLAIN_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\]|(?:10|192\.168|172\.(?:1[6-9]|2\d|3[01]))(?:\.\d{1,3}){2,3}|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:local|internal|localhost))$/;

/** True when the internal host is spelled to evade filters (decimal, hex, octal, short, mapped) or hidden by `@`/`\\`. */
function isObfuscated(first: string, second: string, s: string, start: number): boolean {
  if (first !== second) return true;
  const authorityEnd = s.indexOf('/', start);
  const authority = s.slice(start, authorityEnd === -1 ? s.length : authorityEnd);
  if (authority.indexOf('@') !== -1 || authority.indexOf('\\') !== -1 || authority.indexOf('\0') !== -1) return true;
  return !PLAIN_HOST.test(first);
}

/**
 * The special schemes whose host a WHATWG parser reads without `//` (`http:127.0.0.1`): one list for the bare-URL
 * rule, the plain-value hint that sends such a value to this detector, and that hint's starts, so none of the three
 * can miss a scheme the others know.
 */
const BARE_URL_SCHEMES = ['http', 'https', 'ftp', 'gopher', 'dict', 'file', 'ws', 'wss'];
const BARE_URL_SCHEME = BARE_URL_SCHEMES.join('|');
/** `http:127.0.0.1`, `http:/127.0.0.1`, `http:\\127.0.0.1`: the scheme and the host part. */
const BARE_URL = new RegExp(`^(${BARE_URL_SCHEME}):(?:\\/?(?!\\/)|\\\\{1,2})([^\\/\\\\?#]{1,260})`);
/** The plain-value hint (a `PlainValueReading`) and its starts: the schemes' first two letters. */
const BARE_URL_HINT = new RegExp(`^\\s*(?:${BARE_URL_SCHEME}):`);
const BARE_URL_STARTS = [...new Set(BARE_URL_SCHEMES.map((scheme) => scheme.slice(0, 2)))];

// eslint-disable-next-line no-control-regex
const PARSER_FOLDED = /[\x00-\x1f\x7f\\]|[^\x00-\x7f]/;
/** An authority that starts with a digit but is not a plain dotted quad (`017700000001`, `0x7f.1`, `2130706433`). */
const NUMERIC_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?(?!\d{1,3}(?:\.\d{1,3}){3}(?:[:/?#]|$))\d[0-9a-fx.]*(?:[:/?#]|$)/;

/**
 * The reading of Node's own URL parser (what `fetch` and `new URL` connect to), for the spellings the reading above
 * cannot follow: it drops tabs and newlines anywhere and controls around the value, ignores soft hyphens and
 * zero-width characters in hosts, reads `http:/\\host`, and octal, hex and dotless numbers. Asked only for values
 * with such characters or numbers, and counts only when it finds another host than the reading above.
 */
function parserReading(s: string): RuleHit | undefined {
  if (!PARSER_FOLDED.test(s) && !NUMERIC_AUTHORITY.test(s)) return undefined;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return undefined;
  }
  const scheme = url.protocol.slice(0, -1);
  if (!FETCHED_SCHEMES.has(scheme)) return undefined;
  const host = url.hostname;
  // The reading above saw this scheme and host already (and answered, with its exemptions).
  const sep = s.indexOf('://');
  if (sep > 0 && s.slice(0, sep) === scheme && s.slice(sep + 3, hostEnd(s, sep + 3)) === host) return undefined;
  const rule = classifyHost(host);
  return rule ? hit(rule) : undefined;
}

/** A critical ssrf hit (module-level: no closure allocated per value). */
function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'ssrf', severity: SEVERITY.critical };
}

/** Creates the SSRF detector. */
export function createSsrfDetector(): Detector {
  return {
    category: 'ssrf',
    // A bare host under a URL-named parameter (`{"callback": "169.254.169.254"}`), or `http:127.0.0.1`.
    readsPlainValues: { names: isUrlParamName, hint: BARE_URL_HINT, hintStarts: BARE_URL_STARTS },
    detect(value: InspectedValue): RuleHit | undefined {
      if (value.role === 'key' || value.kind === 'path') return undefined;
      if ((value.mask & (CH.colon | CH.slash)) === 0 && !isUrlParamName(value.name)) return undefined;
      let s = value.lower.trim();
      if (s.length < 3) return undefined;
      // The host is at the start: a URL padded past 4 KB (a long fragment `fetch` drops) is read by its first 4 KB.
      if (s.length > 4096) s = s.slice(0, 4096);
      return readUrl(value, s) ?? parserReading(s) ?? rawReading(value);
    },
  };
}

/**
 * The value as sent, when decoding changed a value with a backslash: `fetch` gets the value undecoded, and an octal
 * escape the normaliser undid may have been a host's digits (`http:/\127.0.0.1/` is not `http:/W.0.0.1/`).
 */
function rawReading(value: InspectedValue): RuleHit | undefined {
  if (value.raw === value.decoded || value.raw.indexOf('\\') === -1) return undefined;
  let s = value.raw.trim();
  if (s.length > 4096) s = s.slice(0, 4096);
  s = s.toLowerCase();
  return readUrl(value, s) ?? parserReading(s);
}

/** The special schemes (but `file`) whose authority a WHATWG parser reads after any run of `/` and `\`. */
const SLASH_RUN_SCHEMES = new Set(['http', 'https', 'ftp', 'ws', 'wss']);

/** The reading of a value as a URL (or a bare host under a URL-like name), by its characters. */
function readUrl(value: InspectedValue, s: string): RuleHit | undefined {
  const sep = s.indexOf('://');
  const scheme = sep > 0 && sep < 16 ? s.slice(0, sep) : '';
  if (scheme !== '' && SCHEME.test(scheme)) {
    let start = sep + 3;
    // `http:///169.254.169.254/`, `http:////10.0.0.5/`: WHATWG parsers (`fetch`, `new URL`) skip the extra slashes.
    if (SLASH_RUN_SCHEMES.has(scheme)) while (s.charCodeAt(start) === 47 || s.charCodeAt(start) === 92) start++;
    // Both readings of an ambiguous authority: up to the first `\\` or `@`-less host, and after the last `@`.
    const authorityEnd = hostEnd(s, start);
    const first = s.slice(start, authorityEnd);
    // Without `@` or `\\` right after the host, both readings of the authority agree: parse it once.
    const tricky = s.charCodeAt(authorityEnd) === 64 || s.charCodeAt(authorityEnd) === 92 || s.indexOf('@') !== -1;
    const second = tricky ? authorityHost(s, start) : first;
    // classifyHost is a function of its input: the second reading is only classified when it differs.
    const rule = FETCHED_SCHEMES.has(scheme) ? (classifyHost(first) ?? (second === first ? undefined : classifyHost(second))) : undefined;
    const obfuscated = rule !== undefined && (start > sep + 3 || isObfuscated(first, second, s, start));
    // Resource documents (webhook bodies, OpenAPI `servers`, API representations) carry URLs of the host that
    // sent them, often an internal one: below the top level of a body, a plainly spelled internal http(s) URL
    // describes a resource, it is not a parameter the API fetches. Only object levels count (`depth`): an array
    // is no document (`{"url": ["http://..."]}` and a batch `[{"url": ...}]` are fetched: `fetch([url])` reads
    // the array as its one URL). A loopback `redirect_uri` is how native apps receive OAuth redirects (RFC 8252),
    // and the browser, not the server, follows it.
    if (rule === SSRF_RULES.internalHost && !obfuscated && (scheme === 'http' || scheme === 'https')) {
      if (value.kind === 'body' && value.depth >= 2) return undefined;
      // `Origin` and `Referer` say where the client came from (a dev server on localhost, a LAN host); nothing fetches them.
      if (value.kind === 'header' && (value.name === 'origin' || value.name === 'referer')) return undefined;
      if (value.name === 'redirect_uri' && /^(?:localhost|127\.0\.0\.1|\[::1\])$/.test(first)) return undefined;
    }
    // A value that is a URL to an internal host is what an SSRF payload looks like, whatever the parameter is
    // called; identifier keywords of JSON-Schema and JSON-LD (`$id`, `$ref`, `@id`, `id`) name documents,
    // they are never fetched by an API (`http://localhost:1234/schema.json` as a `$id`). Metadata addresses,
    // obfuscated spellings, `@`/`\` authority tricks and internal-only schemes count there too, and so does a
    // `file:` URL (`file://localhost:80/etc/passwd` is a file of this machine, and `$ref` resolvers read them).
    if (
      rule &&
      (rule === SSRF_RULES.metadata ||
        !IDENTIFIER_KEY.test(value.name) ||
        isUrlParamName(value.name) ||
        obfuscated ||
        scheme === 'file')
    ) {
      return hit(rule);
    }
    if (DANGEROUS_SCHEMES.has(scheme) && scheme !== 'ftp' && scheme !== 'file') return hit(SSRF_RULES.dangerousScheme);
    return undefined;
  }
  // `http:127.0.0.1`, `http:/127.0.0.1`, `http:\\127.0.0.1`: WHATWG parsers read a special scheme's host even
  // without (or with a wrong number of) slashes.
  const bare = BARE_URL.exec(s);
  if (bare) {
    const rule = classifyHost(authorityHost(bare[2]!, 0));
    if (rule) return hit(rule);
  }
  if (s.startsWith('//')) {
    const rule = classifyHost(s.slice(2, hostEnd(s, 2)));
    return rule ? hit(rule) : undefined;
  }
  // A bare host or host:port in a parameter that names a URL/host. (Not in headers: `Host: localhost:3000`
  // and `X-Forwarded-Host: 10.0.0.5` name the server itself.)
  if (value.kind !== 'header' && isUrlParamName(value.name)) {
    const host = s.slice(0, hostEnd(s, 0));
    const rule = isCount(host) ? undefined : classifyHost(host);
    if (rule) return hit(rule);
  }
  return undefined;
}
