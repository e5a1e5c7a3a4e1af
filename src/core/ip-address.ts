import ipaddr from 'ipaddr.js';

/**
 * The one reading of an IP address or CIDR written in configuration or met on a request, shared by the client-IP
 * resolver (`trustProxy`) and the verifiers' IP lists, so that a spelling means the same range everywhere or is
 * refused everywhere. ipaddr.js alone also reads classful and octal IPv4 (`127.1`, `0x7f.0.0.1`, `2130706433`, and
 * `010.0.0.0/8` as 8.0.0.0/8), which no proxy writes and which would make a list entry cover another range than it
 * shows: IPv4 must be four decimal parts without leading zeros; IPv6 is read by ipaddr.js.
 */

/** A parsed address (ipaddr.js). */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** Longer input is not an address (45 characters is the longest textual IPv6; a zone id may add some). */
const MAX_ADDRESS_LENGTH = 64;

/**
 * `a.b.c.d` with decimal parts 0-255, no signs, no hex, no leading zeros; undefined for anything else. Parsed by hand:
 * IP lists run it on every request.
 */
export function parseDottedQuad(text: string): number[] | undefined {
  if (text.length > 15) return undefined;
  const out = [0, 0, 0, 0];
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 46 /* . */ : text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A leading zero (`010`) is octal to ipaddr.js and to inet_aton: refused rather than guessed.
      if (digits === 1 && value === 0) return undefined;
      digits++;
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

/** An IPv4 address in four-part decimal or any IPv6 address ipaddr.js reads; undefined for any other spelling. */
export function parseStrictAddress(text: string): IpAddress | undefined {
  if (text.length > MAX_ADDRESS_LENGTH) return undefined;
  if (!text.includes(':')) {
    const octets = parseDottedQuad(text);
    return octets === undefined ? undefined : new ipaddr.IPv4(octets);
  }
  return ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text) : undefined;
}

/**
 * `address/prefix` with a strict address (above) and a decimal prefix no wider than the family, as `[address,
 * prefix]`; undefined for anything else (`10.1/16`, `10.0.0.0/+8`, `10.0.0.0/33`).
 */
export function parseStrictCidr(text: string): [IpAddress, number] | undefined {
  const slash = text.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const address = parseStrictAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= (address.kind() === 'ipv4' ? 32 : 128) ? [address, prefix] : undefined;
}
