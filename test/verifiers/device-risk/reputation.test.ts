import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { CidrTrie, compileIpReputation, createCountryLookup } from '../../../src/verifiers/device-risk/index.js';
import type { ShieldRequest } from '../../../src/core/request.js';

describe('CidrTrie', () => {
  it('finds every covering prefix, IPv4 and IPv6, and nothing else', () => {
    const trie = new CidrTrie<string>();
    trie.insert('10.0.0.0/8', 'a');
    trie.insert('10.1.0.0/16', 'b');
    trie.insert('10.1.2.3', 'c');
    trie.insert('2001:db8::/32', 'd');
    trie.insert('0.0.0.0/0', 'all4');
    expect(trie.lookup('10.1.2.3')).toEqual(['all4', 'a', 'b', 'c']);
    expect(trie.lookup('10.1.2.4')).toEqual(['all4', 'a', 'b']);
    expect(trie.lookup('11.0.0.1')).toEqual(['all4']);
    expect(trie.lookup('2001:db8:ffff::1')).toEqual(['d']);
    expect(trie.lookup('2001:db9::1')).toEqual([]);
    expect(trie.size).toBe(5);
  });

  it('matches IPv4-mapped IPv6 client addresses against IPv4 ranges, and mapped prefixes as IPv4', () => {
    const trie = new CidrTrie<string>();
    trie.insert('192.0.2.0/24', 'v4');
    trie.insert('::ffff:198.51.100.0/120', 'mapped');
    expect(trie.lookup('::ffff:192.0.2.7')).toEqual(['v4']);
    expect(trie.lookup('198.51.100.9')).toEqual(['mapped']);
  });

  it('unparseable addresses match nothing and bad CIDRs throw at insert', () => {
    const trie = new CidrTrie<string>();
    trie.insert('0.0.0.0/0', 'all');
    for (const bad of ['', 'not-an-ip', '1.2.3', '999.1.1.1', '::g', '1.2.3.4/33', 'a'.repeat(10_000)]) {
      expect(trie.lookup(bad)).toEqual([]);
    }
    expect(() => trie.insert('10.0.0.0/33', 'x')).toThrow();
    expect(() => trie.insert('banana', 'x')).toThrow();
  });

  it('agrees with ipaddr.js match() on random IPv4 prefixes and addresses', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
    fc.assert(
      fc.property(fc.array(fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })), { minLength: 1, maxLength: 20 }), fc.array(ipv4, { maxLength: 20 }), (prefixes, probes) => {
        const trie = new CidrTrie<number>();
        prefixes.forEach(([addr, len], i) => trie.insert(`${addr}/${len}`, i));
        for (const probe of [...probes, ...prefixes.map(([a]) => a)]) {
          const expected = prefixes
            .map(([addr, len], i) => (ipaddr.IPv4.parse(probe).match(ipaddr.IPv4.parse(addr), len) ? i : -1))
            .filter((i) => i >= 0)
            .sort((a, b) => a - b);
          expect([...trie.lookup(probe)].sort((a, b) => a - b)).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with ipaddr.js match() on random IPv6 prefixes', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    const ipv6 = fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.join(':'));
    fc.assert(
      fc.property(fc.array(fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })), { minLength: 1, maxLength: 10 }), ipv6, (prefixes, probe) => {
        const trie = new CidrTrie<number>();
        prefixes.forEach(([addr, len], i) => trie.insert(`${addr}/${len}`, i));
        const parsedProbe = ipaddr.parse(probe);
        if (parsedProbe.kind() === 'ipv6' && (parsedProbe as ipaddr.IPv6).isIPv4MappedAddress()) return;
        const expected = prefixes
          .map(([addr, len], i) => {
            const a = ipaddr.IPv6.parse(addr);
            if (a.isIPv4MappedAddress() && len >= 96) return -1; // stored as IPv4; probe is not mapped
            return (parsedProbe as ipaddr.IPv6).match(a, len) ? i : -1;
          })
          .filter((i) => i >= 0)
          .sort((a, b) => a - b);
        expect([...trie.lookup(probe)].sort((a, b) => a - b)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});

describe('IP reputation lists', () => {
  it('reports the lists an address is on, from arrays and files, with the allowlist winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shield-ip-'));
    const file = join(dir, 'tor.txt');
    writeFileSync(file, '# tor exits\n185.220.100.0/22\n\n2a0b:f4c2::/32  # v6 exits\n185.220.101.7\n');
    const rep = compileIpReputation({
      allow: ['185.220.101.7'],
      lists: [
        { name: 'tor', file, action: 'deny', weight: 60 },
        { name: 'hosting', cidrs: ['185.220.0.0/16', '3.0.0.0/9'] },
      ],
    });
    expect(rep.lookup('185.220.100.1').sort()).toEqual(['hosting', 'tor']);
    expect(rep.lookup('2a0b:f4c2::5')).toEqual(['tor']);
    expect(rep.lookup('3.1.2.3')).toEqual(['hosting']);
    expect(rep.lookup('185.220.101.7')).toEqual([]);
    expect(rep.lookup('8.8.8.8')).toEqual([]);
    expect(rep.lists.get('tor')).toEqual({ action: 'deny', weight: 60 });
    expect(rep.lists.get('hosting')).toEqual({ action: 'monitor', weight: 25 });
  });

  it('a bad entry fails at construction naming the list and entry, not the value', () => {
    expect(() => compileIpReputation({ lists: [{ name: 'x', cidrs: ['10.0.0.0/8', 'oops'] }] })).toThrow(
      'IP list "x": entry 2 is not a CIDR or address',
    );
  });
});

describe('country lookup', () => {
  const req = (headers: Record<string, string>): ShieldRequest => ({ method: 'GET', path: '/', headers, ip: '1.2.3.4' });
  const lookup = createCountryLookup({
    headers: ['cf-ipcountry', 'cloudfront-viewer-country'],
    resolver: (ip) => (ip === '1.2.3.4' ? 'fr' : undefined),
  });

  it.each([
    ['trusted proxy header', { 'cf-ipcountry': 'in' }, true, 'IN'],
    ['second configured header', { 'cloudfront-viewer-country': 'DE' }, true, 'DE'],
    ['header from an untrusted peer is ignored (resolver used)', { 'cf-ipcountry': 'IN' }, false, 'FR'],
    ['unknown XX falls back to the resolver', { 'cf-ipcountry': 'XX' }, true, 'FR'],
    ['Tor T1 kept', { 'cf-ipcountry': 'T1' }, true, 'T1'],
    ['garbage header falls back', { 'cf-ipcountry': 'India' }, true, 'FR'],
  ] as const)('%s', (_n, headers, trusted, expected) => {
    expect(lookup(req(headers), '1.2.3.4', trusted)).toBe(expected);
  });

  it('no header and no resolver: unknown', () => {
    expect(createCountryLookup()(req({}), '1.2.3.4', true)).toBeUndefined();
  });

  it('reads no header unless told which: a CDN header the proxy passes through is written by the client', () => {
    // Behind CloudFront (or nginx) a client sends `cf-ipcountry` itself; behind Cloudflare, `cloudfront-viewer-country`.
    const headers = { 'cf-ipcountry': 'IN', 'cloudfront-viewer-country': 'IN' };
    expect(createCountryLookup()(req(headers), '1.2.3.4', true)).toBeUndefined();
    expect(createCountryLookup({ resolver: () => 'de' })(req(headers), '1.2.3.4', true)).toBe('DE');
    expect(createCountryLookup({ headers: ['cloudfront-viewer-country'] })(req({ 'cf-ipcountry': 'IN' }), '1.2.3.4', true)).toBeUndefined();
  });
});
