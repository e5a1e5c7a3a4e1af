/**
 * `trustProxy` CIDR entries are read as they show: ipaddr.js reads IPv4 parts with leading zeros as octal and
 * short forms as classful numbers (`010.0.0.0/8` is 8.0.0.0/8, `172.016.0.0/12` public 172.0.0.0/12), so such an
 * entry silently trusted another range, whose peers could then name their own client IP. They are refused at
 * `createShield`, as the same spellings of single addresses already were.
 */
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../src/core/errors.js';
import { createShield } from '../../src/shield.js';

const spoofing = (ip: string) => ({ method: 'GET', path: '/', headers: { 'x-forwarded-for': '198.51.100.77' }, ip });

describe('trustProxy CIDR spellings', () => {
  it.each(['010.0.0.0/8', '172.016.0.0/12', '192.168.010.0/24', '10.1/16', '0x0a.0.0.0/8', '10.0.0.0/+8', '167772160/8'])(
    'refuses %s at createShield',
    (entry) => {
      expect(() => createShield({ trustProxy: [entry] })).toThrow(ShieldConfigError);
    },
  );

  it('reads four-part decimal and IPv6 CIDRs as before: a trusted peer names the client, another one does not', async () => {
    const shield = createShield({ trustProxy: ['10.0.0.0/8', '172.16.0.0/12', 'fd00::/8', '::ffff:192.0.2.0/120'] });
    expect((await shield.check(spoofing('10.1.2.3'))).ip).toBe('198.51.100.77');
    expect((await shield.check(spoofing('172.20.0.1'))).ip).toBe('198.51.100.77');
    expect((await shield.check(spoofing('fd00::1'))).ip).toBe('198.51.100.77');
    expect((await shield.check(spoofing('192.0.2.9'))).ip).toBe('198.51.100.77');
    expect((await shield.check(spoofing('8.8.4.4'))).ip).toBe('8.8.4.4');
    expect((await shield.check(spoofing('172.1.2.3'))).ip).toBe('172.1.2.3');
  });
});
