/**
 * The one reading of IP spellings (core/ip-address.ts): IPv4 exactly when ipaddr.js calls it four-part decimal (no
 * leading zeros, no classful or hex forms) and then the same address; IPv6 as ipaddr.js reads it.
 */
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseDottedQuad, parseStrictAddress, parseStrictCidr } from '../../src/core/ip-address.js';

const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '010', '0x0a', '+1', '-1', '', '1e2', ' 1', '0255', '٣'));
const dotted = fc.array(part, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.'));

describe('parseStrictAddress', () => {
  it('reads IPv4 exactly when ipaddr.js calls it four-part decimal, as the same address', () => {
    fc.assert(
      fc.property(dotted, (text) => {
        const parsed = parseStrictAddress(text);
        expect(parsed !== undefined, text).toBe(ipaddr.IPv4.isValidFourPartDecimal(text));
        if (parsed) expect(parsed.toString()).toBe(ipaddr.parse(text).toString());
        expect(parseDottedQuad(text) !== undefined).toBe(parsed !== undefined);
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads IPv6 as ipaddr.js does and refuses over-long input', () => {
    for (const text of ['::1', '2001:db8::1', '::ffff:192.0.2.1', 'fe80::1%eth0']) expect(parseStrictAddress(text)?.toString()).toBe(ipaddr.IPv6.parse(text).toString());
    for (const text of ['::g', '1:2:3:4:5:6:7:8:9', '', '1'.repeat(65), `::${'0'.repeat(70)}1`]) expect(parseStrictAddress(text), text).toBeUndefined();
  });
});

describe('parseStrictCidr', () => {
  it('takes a strict address and a decimal prefix within the family', () => {
    expect(parseStrictCidr('10.0.0.0/8')?.map(String)).toEqual(['10.0.0.0', '8']);
    expect(parseStrictCidr('fd00::/128')?.map(String)).toEqual(['fd00::', '128']);
    for (const bad of ['010.0.0.0/8', '10.1/16', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/+8', '10.0.0.0/08a', '10.0.0.0/', '/8', '10.0.0.0', '10.0.0.0/1234']) {
      expect(parseStrictCidr(bad), bad).toBeUndefined();
    }
  });
});
