/**
 * Device-risk IP lists read a CIDR's address as they read a bare one (four-part decimal): ipaddr.js's parseCIDR
 * read `010.0.0.0/8` as 8.0.0.0/8 (octal), so a denylisted range matched other addresses than it showed and missed its
 * own. Spellings that are not a CIDR or an address are refused in the configuration.
 */
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { createShield } from '../../../src/shield.js';
import { CidrTrie, isCidrOrAddress } from '../../../src/verifiers/device-risk/cidr-trie.js';

describe('device-risk IP list spellings', () => {
  it('a zero-padded CIDR covers the range its digits show, as a zero-padded address does', () => {
    const trie = new CidrTrie<string>();
    trie.insert('010.0.0.0/8', 'padded');
    expect(trie.lookup('10.1.2.3')).toEqual(['padded']);
    expect(trie.lookup('8.1.2.3')).toEqual([]);
  });

  it('refuses prefixes and addresses it cannot read as shown', () => {
    for (const bad of ['10.1/16', '0x0a.0.0.0/8', '10.0.0.0/33', '10.0.0.0/+8', 'fd00::/129', '10.0.0.0/', '/8']) expect(isCidrOrAddress(bad), bad).toBe(false);
    for (const good of ['10.0.0.0/8', '203.0.113.7', 'fd00::/8', '::ffff:192.0.2.0/120', '2001:db8::1']) expect(isCidrOrAddress(good), good).toBe(true);
    expect(() => createShield({ device: { ipReputation: { lists: [{ name: 'bad', cidrs: ['10.1/16'] }] } } })).toThrow(ShieldConfigError);
    expect(() => createShield({ device: { ipReputation: { lists: [{ name: 'ok', cidrs: ['010.0.0.0/8', '10.0.0.1'] }] } } })).not.toThrow();
  });
});
