import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientIpOptionsSchema, createClientIpResolver } from '../../src/core/client-ip.js';

describe('createClientIpResolver: trustProxy false (default)', () => {
  const resolver = createClientIpResolver({});
  it('uses the socket address and ignores a spoofed X-Forwarded-For', () => {
    expect(resolver.resolve('203.0.113.9', { 'x-forwarded-for': '1.1.1.1' })).toEqual({
      ip: '203.0.113.9',
      fromTrustedProxy: false,
    });
  });
  it('normalises an IPv4-mapped socket address', () => {
    expect(resolver.resolve('::ffff:203.0.113.9', {}).ip).toBe('203.0.113.9');
    expect(resolver.resolve('::FFFF:cb00:7109', {}).ip).toBe('203.0.113.9');
  });
  it('unwraps NAT64 64:ff9b::/96', () => {
    expect(resolver.resolve('64:ff9b::c000:221', {}).ip).toBe('192.0.2.33');
    expect(resolver.resolve('64:ff9b::192.0.2.33', {}).ip).toBe('192.0.2.33');
  });
  it('does not unwrap 64:ff9b:1::/48 (local-use prefix, not the well-known /96)', () => {
    expect(resolver.resolve('64:ff9b:1::c000:221', {}).ip).toBe('64:ff9b:1::c000:221');
  });
  it('writes IPv6 in RFC 5952 form', () => {
    expect(resolver.resolve('2001:DB8:0:0:0:0:0:1', {}).ip).toBe('2001:db8::1');
  });
  it('returns an unparseable socket address as given rather than throwing', () => {
    expect(resolver.resolve('not-an-ip', {})).toEqual({ ip: 'not-an-ip', fromTrustedProxy: false });
    expect(resolver.resolve(undefined as unknown as string, {})).toEqual({ ip: '', fromTrustedProxy: false });
  });
});

describe('trusted CIDR lists and names', () => {
  const resolver = createClientIpResolver({ trustProxy: ['loopback', '10.0.0.0/8'] });
  it('takes the rightmost untrusted X-Forwarded-For entry', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' })).toEqual({
      ip: '198.51.100.7',
      fromTrustedProxy: true,
    });
  });
  it('a client cannot spoof its address by prepending entries', () => {
    // The client sent "X-Forwarded-For: 8.8.8.8"; our proxy appended the real peer.
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '8.8.8.8, 198.51.100.7' }).ip).toBe('198.51.100.7');
  });
  it('a client cannot spoof by prepending a trusted-looking address either', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '10.1.1.1, 198.51.100.7' }).ip).toBe('198.51.100.7');
  });
  it('skips a chain of trusted proxies', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '8.8.8.8, 198.51.100.7, 10.0.0.3, 10.0.0.2' }).ip).toBe(
      '198.51.100.7',
    );
  });
  it('returns the leftmost address when every hop is trusted', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '10.9.9.9, 10.0.0.2' })).toEqual({
      ip: '10.9.9.9',
      fromTrustedProxy: true,
    });
  });
  it('ignores the header when the socket peer is not trusted', () => {
    expect(resolver.resolve('198.51.100.50', { 'x-forwarded-for': '1.2.3.4' })).toEqual({
      ip: '198.51.100.50',
      fromTrustedProxy: false,
    });
  });
  it('matches an IPv4-mapped socket against IPv4 ranges', () => {
    expect(resolver.resolve('::ffff:127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }).ip).toBe('198.51.100.7');
  });
  it('reads repeated X-Forwarded-For headers in order', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': ['8.8.8.8', '198.51.100.7'] }).ip).toBe('198.51.100.7');
  });
  it('strips ports and brackets', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '198.51.100.7:4711' }).ip).toBe('198.51.100.7');
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '[2001:db8::5]:4711' }).ip).toBe('2001:db8::5');
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': ' 2001:db8::5 ' }).ip).toBe('2001:db8::5');
  });
  it('unwraps mapped and NAT64 addresses found in the header', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '::ffff:198.51.100.7' }).ip).toBe('198.51.100.7');
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '64:ff9b::c633:6407' }).ip).toBe('198.51.100.7');
  });
  it('a mapped trusted hop is trusted like its IPv4 form', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '198.51.100.7, ::ffff:10.0.0.2' }).ip).toBe(
      '198.51.100.7',
    );
  });
  it.each([
    ['garbage', 'not-an-ip'],
    ['unknown', 'unknown'],
    ['empty element', '198.51.100.7, '],
    ['classful shorthand', '127.1'],
    ['hex', '0x7f.0.0.1'],
    ['decimal integer', '2130706433'],
    ['overlong', 'a'.repeat(10_000)],
    ['control characters', '\u0000\u0001'],
  ])('falls back to the socket address on %s', (_label, header) => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': header })).toEqual({
      ip: '127.0.0.1',
      fromTrustedProxy: false,
    });
  });
  it('garbage to the left of the client is never reached', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': 'garbage, 198.51.100.7' }).ip).toBe('198.51.100.7');
  });
  it('empty header falls back to the socket', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '' }).ip).toBe('127.0.0.1');
  });
});

describe('named ranges', () => {
  it.each([
    ['loopback', '::1', true],
    ['loopback', '127.8.9.1', true],
    ['private', '172.16.5.4', true],
    ['private', '172.32.0.1', false],
    ['private', '192.168.1.1', true],
    ['private', 'fd00::1', false],
    ['linklocal', '169.254.3.3', true],
    ['linklocal', 'fe80::1', true],
    ['uniquelocal', 'fd12:3456::1', true],
    ['uniquelocal', '10.2.3.4', true],
    ['uniquelocal', '100.64.0.1', false],
  ])('%s trusts %s: %s', (name, socket, trusted) => {
    const resolver = createClientIpResolver({ trustProxy: [name] });
    const result = resolver.resolve(socket, { 'x-forwarded-for': '198.51.100.7' });
    expect(result.fromTrustedProxy).toBe(trusted);
  });
  it('single addresses (IPv4 and IPv6) are /32 and /128', () => {
    const resolver = createClientIpResolver({ trustProxy: ['192.0.2.1', '2001:db8::1'] });
    expect(resolver.resolve('192.0.2.1', { 'x-forwarded-for': '198.51.100.7' }).ip).toBe('198.51.100.7');
    expect(resolver.resolve('192.0.2.2', { 'x-forwarded-for': '198.51.100.7' }).ip).toBe('192.0.2.2');
    expect(resolver.resolve('2001:db8::1', { 'x-forwarded-for': '198.51.100.7' }).ip).toBe('198.51.100.7');
    expect(resolver.resolve('2001:db8::2', { 'x-forwarded-for': '198.51.100.7' }).ip).toBe('2001:db8::2');
  });
  it('IPv6 CIDRs', () => {
    const resolver = createClientIpResolver({ trustProxy: ['2001:db8:aa::/48'] });
    expect(resolver.resolve('2001:db8:aa:1::9', { 'x-forwarded-for': '2001:db8:bb::1' }).ip).toBe('2001:db8:bb::1');
  });
  it('rejects bad entries at construction', () => {
    expect(() => createClientIpResolver({ trustProxy: ['10.0.0.0/33'] })).toThrow(TypeError);
    expect(() => createClientIpResolver({ trustProxy: ['everyone'] })).toThrow(/everyone/);
    expect(() => createClientIpResolver({ trustProxy: -1 })).toThrow(TypeError);
    expect(() => createClientIpResolver({ ipv6Prefix: 0 })).toThrow(TypeError);
  });
});

describe('hop counts', () => {
  it('trustProxy 1: the rightmost entry is the client', () => {
    const resolver = createClientIpResolver({ trustProxy: 1 });
    expect(resolver.resolve('203.0.113.1', { 'x-forwarded-for': '8.8.8.8, 198.51.100.7' })).toEqual({
      ip: '198.51.100.7',
      fromTrustedProxy: true,
    });
  });
  it('trustProxy 2 skips one more hop', () => {
    const resolver = createClientIpResolver({ trustProxy: 2 });
    expect(resolver.resolve('203.0.113.1', { 'x-forwarded-for': '8.8.8.8, 198.51.100.7, 203.0.113.2' }).ip).toBe(
      '198.51.100.7',
    );
  });
  it('a shorter header than the hop count yields the leftmost address', () => {
    const resolver = createClientIpResolver({ trustProxy: 3 });
    expect(resolver.resolve('203.0.113.1', { 'x-forwarded-for': '198.51.100.7' }).ip).toBe('198.51.100.7');
  });
  it('no header: the socket address', () => {
    const resolver = createClientIpResolver({ trustProxy: 1 });
    expect(resolver.resolve('203.0.113.1', {})).toEqual({ ip: '203.0.113.1', fromTrustedProxy: false });
  });
  it('trustProxy 0 is the same as false', () => {
    const resolver = createClientIpResolver({ trustProxy: 0 });
    expect(resolver.resolve('203.0.113.1', { 'x-forwarded-for': '198.51.100.7' }).ip).toBe('203.0.113.1');
  });
});

describe('RFC 7239 Forwarded', () => {
  const resolver = createClientIpResolver({ trustProxy: ['loopback'], proxyHeader: 'forwarded' });
  it('reads for= right to left', () => {
    expect(
      resolver.resolve('127.0.0.1', { forwarded: 'for=8.8.8.8, for=198.51.100.7;proto=https;by=127.0.0.1' }).ip,
    ).toBe('198.51.100.7');
  });
  it('reads quoted, bracketed IPv6 with a port and mixed-case parameter names', () => {
    expect(resolver.resolve('127.0.0.1', { forwarded: 'proto=https;For="[2001:db8:cafe::17]:4711"' }).ip).toBe(
      '2001:db8:cafe::17',
    );
  });
  it('a quoted comma in the client part cannot hide the proxy element', () => {
    expect(resolver.resolve('127.0.0.1', { forwarded: 'for="8.8.8.8, for=1.1.1.1", for=198.51.100.7' }).ip).toBe(
      '198.51.100.7',
    );
    expect(resolver.resolve('127.0.0.1', { forwarded: 'for="8.8.8.8, for=198.51.100.7' }).ip).toBe('198.51.100.7');
  });
  it('obfuscated and unknown identifiers fall back to the socket', () => {
    expect(resolver.resolve('127.0.0.1', { forwarded: 'for=_hidden' }).ip).toBe('127.0.0.1');
    expect(resolver.resolve('127.0.0.1', { forwarded: 'for=unknown' }).ip).toBe('127.0.0.1');
    expect(resolver.resolve('127.0.0.1', { forwarded: 'proto=https' }).ip).toBe('127.0.0.1');
  });
  it('ignores X-Forwarded-For when configured for Forwarded (so a client cannot pick the header)', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '8.8.8.8', forwarded: 'for=198.51.100.7' }).ip).toBe(
      '198.51.100.7',
    );
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '8.8.8.8' }).ip).toBe('127.0.0.1');
  });
  it('the default X-Forwarded-For resolver ignores Forwarded', () => {
    const xff = createClientIpResolver({ trustProxy: ['loopback'] });
    expect(xff.resolve('127.0.0.1', { forwarded: 'for=8.8.8.8', 'x-forwarded-for': '198.51.100.7' }).ip).toBe(
      '198.51.100.7',
    );
  });
});

describe('aggregationKey', () => {
  it('IPv4 /32 and IPv6 /64 by default', () => {
    const resolver = createClientIpResolver({});
    expect(resolver.aggregationKey('198.51.100.7')).toBe('198.51.100.7');
    expect(resolver.aggregationKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(resolver.aggregationKey('2001:db8:1:2::1')).toBe(resolver.aggregationKey('2001:db8:1:2:ffff::9'));
    expect(resolver.aggregationKey('2001:db8:1:3::1')).not.toBe(resolver.aggregationKey('2001:db8:1:2::1'));
  });
  it('mapped addresses aggregate with their IPv4 form', () => {
    const resolver = createClientIpResolver({});
    expect(resolver.aggregationKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });
  it('configurable prefixes', () => {
    const resolver = createClientIpResolver({ ipv4Prefix: 24, ipv6Prefix: 48 });
    expect(resolver.aggregationKey('198.51.100.7')).toBe('198.51.100.0/24');
    expect(resolver.aggregationKey('2001:db8:1:2::1')).toBe('2001:db8:1::/48');
    const odd = createClientIpResolver({ ipv4Prefix: 20, ipv6Prefix: 56 });
    expect(odd.aggregationKey('198.51.100.7')).toBe('198.51.96.0/20');
    expect(odd.aggregationKey('2001:db8:1:2ff::1')).toBe('2001:db8:1:200::/56');
  });
  it('passes unparseable input through', () => {
    expect(createClientIpResolver({}).aggregationKey('weird')).toBe('weird');
  });
});

describe('clientIpOptionsSchema', () => {
  it('accepts the documented shapes', () => {
    for (const value of [{}, { trustProxy: false }, { trustProxy: 2 }, { trustProxy: ['loopback', '10.0.0.0/8'] }]) {
      expect(clientIpOptionsSchema.safeParse(value).success).toBe(true);
    }
  });
  it('names the bad path', () => {
    const result = clientIpOptionsSchema.safeParse({ trustProxy: ['loopback', 'nope'], ipv6Prefix: 200 });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => issue.path.join('.'));
    expect(paths).toContain('trustProxy.1');
    expect(paths).toContain('ipv6Prefix');
    expect(clientIpOptionsSchema.safeParse({ trustProxy: true }).success).toBe(false);
  });
});

describe('properties', () => {
  const resolver = createClientIpResolver({ trustProxy: ['loopback', 'private'] });
  it('never throws and always returns either the socket or a header address', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 300 }), (xff, fwd) => {
        const result = resolver.resolve('127.0.0.1', { 'x-forwarded-for': xff, forwarded: fwd });
        expect(typeof result.ip).toBe('string');
        if (!result.fromTrustedProxy) expect(result.ip).toBe('127.0.0.1');
      }),
      { numRuns: 2000 },
    );
  });
  it('an untrusted peer can never choose its IP', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.array(fc.oneof(fc.ipV4(), fc.ipV6()), { maxLength: 8 }), (peer, chain) => {
        fc.pre(!peer.startsWith('127.') && !peer.startsWith('10.') && !peer.startsWith('192.168.'));
        fc.pre(!/^172\.(1[6-9]|2\d|3[01])\./.test(peer));
        const result = resolver.resolve(peer, { 'x-forwarded-for': chain.join(', ') });
        expect(result.fromTrustedProxy).toBe(false);
      }),
    );
  });
});

describe("trustProxy: 'framework'", () => {
  const resolver = createClientIpResolver({ trustProxy: 'framework' });
  it('takes the address the framework computed, normalised, and marks it as from a proxy when it is not the peer', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }, '203.0.113.7')).toEqual({ ip: '203.0.113.7', fromTrustedProxy: true });
    expect(resolver.resolve('::ffff:127.0.0.1', {}, '::ffff:127.0.0.1')).toEqual({ ip: '127.0.0.1', fromTrustedProxy: false });
  });
  it('never reads forwarding headers itself: without the framework answer the socket peer is the client', () => {
    expect(resolver.resolve('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' })).toEqual({ ip: '127.0.0.1', fromTrustedProxy: false });
  });
  it('falls back to the socket peer when the framework answer is not an address', () => {
    expect(resolver.resolve('10.0.0.2', {}, 'garbage')).toEqual({ ip: '10.0.0.2', fromTrustedProxy: false });
  });
  it('is accepted by the config schema', () => {
    expect(clientIpOptionsSchema.safeParse({ trustProxy: 'framework' }).success).toBe(true);
    expect(clientIpOptionsSchema.safeParse({ trustProxy: 'frameworks' }).success).toBe(false);
  });
});

describe('createClientIpResolver: the last parsed address is remembered', () => {
  it('answers each address as a fresh resolver would, whatever came before it', () => {
    const inputs = ['10.0.0.1', '10.0.0.1', '::ffff:10.0.0.2', 'garbage', '10.0.0.1', '2001:DB8::1', '2001:db8::1', '', '10.0.0.1'];
    const warm = createClientIpResolver({ trustProxy: ['10.0.0.0/8'] });
    const headers = { 'x-forwarded-for': '203.0.113.7' };
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...inputs), { maxLength: 30 }), (sequence) => {
        for (const ip of sequence) {
          const cold = createClientIpResolver({ trustProxy: ['10.0.0.0/8'] });
          expect(warm.resolve(ip, headers)).toEqual(cold.resolve(ip, headers));
          expect(warm.resolve(ip, {})).toEqual(cold.resolve(ip, {}));
          expect(warm.aggregationKey(ip)).toBe(cold.aggregationKey(ip));
        }
      }),
      { numRuns: 200 },
    );
    expect(warm.resolve('10.0.0.1', headers)).toEqual({ ip: '203.0.113.7', fromTrustedProxy: true });
    expect(warm.resolve('::ffff:10.0.0.2', {})).toEqual({ ip: '10.0.0.2', fromTrustedProxy: false });
    expect(warm.resolve('garbage', headers)).toEqual({ ip: 'garbage', fromTrustedProxy: false });
  });
});
