/**
 * Device-risk IP lists read addresses and CIDRs as `trustProxy` does (core `parseStrictCidr`): ipaddr.js's parseCIDR
 * read `010.0.0.0/8` as 8.0.0.0/8 (octal), so a denylisted range matched other addresses than it showed and missed its
 * own. Zero-padded and classful spellings are refused in the configuration, in both places alike.
 */
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { createShield } from '../../../src/shield.js';
import { CidrTrie, isCidrOrAddress } from '../../../src/verifiers/device-risk/cidr-trie.js';

const PADDED = ['010.0.0.0/8', '010.0.0.1', '192.168.010.0/24', '172.016.0.0/12'];

describe('device-risk IP list spellings', () => {
  it('refuses prefixes and addresses it cannot read as shown, zero-padded ones included', () => {
    for (const bad of ['10.1/16', '0x0a.0.0.0/8', '10.0.0.0/33', '10.0.0.0/+8', 'fd00::/129', '10.0.0.0/', '/8', ...PADDED]) expect(isCidrOrAddress(bad), bad).toBe(false);
    for (const good of ['10.0.0.0/8', '203.0.113.7', 'fd00::/8', '::ffff:192.0.2.0/120', '2001:db8::1', ' 10.0.0.0/8 ', '0.0.0.0/0']) expect(isCidrOrAddress(good), good).toBe(true);
    expect(() => new CidrTrie<string>().insert('010.0.0.0/8', 'padded')).toThrow(TypeError);
    expect(() => createShield({ device: { ipReputation: { lists: [{ name: 'bad', cidrs: ['10.1/16'] }] } } })).toThrow(ShieldConfigError);
    expect(() => createShield({ device: { ipReputation: { lists: [{ name: 'ok', cidrs: ['10.0.0.0/8', '10.0.0.1'] }] } } })).not.toThrow();
  });

  it('refuses every spelling trustProxy refuses, and accepts every one it accepts', () => {
    for (const entry of [...PADDED, '10.1/16', '10.0.0.0/8', 'fd00::/8', '10.0.0.1']) {
      let trusted = true;
      try {
        createShield({ trustProxy: [entry] });
      } catch {
        trusted = false;
      }
      expect(isCidrOrAddress(entry), entry).toBe(trusted);
    }
  });

  it('a list entry covers the range it shows, and a zero-padded request address matches nothing', () => {
    const trie = new CidrTrie<string>();
    trie.insert('10.0.0.0/8', 'ten');
    trie.insert('::ffff:192.0.2.0/120', 'mapped');
    expect(trie.lookup('10.1.2.3')).toEqual(['ten']);
    expect(trie.lookup('8.1.2.3')).toEqual([]);
    expect(trie.lookup('192.0.2.9')).toEqual(['mapped']);
    expect(trie.lookup('::ffff:10.0.0.1')).toEqual(['ten']);
    expect(trie.lookup('010.1.2.3')).toEqual([]);
  });
});
