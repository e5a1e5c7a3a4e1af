import { describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import { createTestAttester } from '../../../src/testing/index.js';
import { approov } from '../../../src/attestation/approov.js';

const attester = createTestAttester({ header: 'approov-token' });

describe('country.resolver answering null (GeoIP libraries do, for an address they do not know)', () => {
  it('is "no country": the policy still judges the device (no error that failOpen passes)', async () => {
    const errors: unknown[] = [];
    // geoip-lite's lookup() and maxmind's reader.get() return null for addresses they do not know.
    const lookup = (_ip: string): { country: string } | null => null;
    const shield = createShield({
      token: { ...approov({ secret: attester.secret as string }), binding: false },
      device: {
        failOpen: true,
        tokenClaims: { signals: { rooted: 'rooted' }, level: 'MEETS_DEVICE_INTEGRITY' },
        country: { resolver: (ip) => lookup(ip) && lookup(ip)!.country },
        policy: { actions: { rooted: 'deny' } },
      },
      onError: (e) => void errors.push(e),
    });
    const headers = { 'approov-token': await attester.mint({ claims: { rooted: true } }) };
    const d = await shield.check({ method: 'GET', path: '/feed', headers, ip: '203.0.113.5' });
    expect(errors.map(String)).toEqual([]); // observed: TypeError: Cannot read properties of null (reading 'length')
    expect(d.allowed).toBe(false); // observed: allowed (failOpen passed the rooted device)
    expect(d.code).toBe('device_untrusted');
  });
});
