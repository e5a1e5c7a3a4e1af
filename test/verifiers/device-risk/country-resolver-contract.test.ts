/**
 * `country.resolver` is user code (often a GeoIP lookup): a two-letter string is the country; `undefined`, `null`
 * (GeoIP libraries' answer for an unknown address) or anything else is no country, never an error that `failOpen`
 * would turn into an unjudged pass. A resolver that throws stays the verifier's error: 503, or `failOpen`'s choice.
 */
import { describe, expect, it } from 'vitest';
import { approov } from '../../../src/attestation/approov.js';
import { createShield } from '../../../src/shield.js';
import { createTestAttester } from '../../../src/testing/index.js';
import { createCountryLookup } from '../../../src/verifiers/device-risk/index.js';

const REQUEST = { method: 'GET', path: '/feed', headers: {}, ip: '203.0.113.5' };
const attester = createTestAttester({ header: 'approov-token' });

describe('createCountryLookup: what a resolver answers', () => {
  it('a two-letter code (any case) is the country; anything else is no country', () => {
    const lookup = (answer: unknown) => createCountryLookup({ resolver: () => answer as string })(REQUEST, REQUEST.ip, false);
    expect(lookup('fr')).toBe('FR');
    expect(lookup('DE')).toBe('DE');
    for (const none of [undefined, null, '', 'XX', 'FRA', 42, { country: 'FR' }, ['FR'], Promise.resolve('FR'), true]) {
      expect(lookup(none)).toBeUndefined();
    }
  });

  it('a resolver that throws throws (the verifier cannot decide)', () => {
    const lookup = createCountryLookup({
      resolver: () => {
        throw new Error('geoip database unreadable');
      },
    });
    expect(() => lookup(REQUEST, REQUEST.ip, false)).toThrow('geoip database unreadable');
  });
});

describe('country.resolver through the shield', () => {
  const options = (resolver: (ip: string) => string | null | undefined, failOpen?: boolean) => ({
    token: { ...approov({ secret: attester.secret as string }), binding: false as const },
    device: {
      ...(failOpen !== undefined ? { failOpen } : {}),
      tokenClaims: { signals: { rooted: 'rooted' as const }, level: 'MEETS_DEVICE_INTEGRITY' as const },
      country: { resolver },
      policy: { actions: { rooted: 'deny' as const }, markets: { IN: { actions: { rooted: 'allow' as const } } } },
    },
  });
  const check = async (shield: ReturnType<typeof createShield>) =>
    shield.check({ ...REQUEST, headers: { 'approov-token': await attester.mint({ claims: { rooted: true } }) } });

  it('null judges the device under the base policy, with or without failOpen; a code selects its market', async () => {
    for (const failOpen of [undefined, true]) {
      const errors: unknown[] = [];
      const shield = createShield({ ...options(() => null, failOpen), onError: (e) => void errors.push(e) });
      expect(await check(shield)).toMatchObject({ allowed: false, code: 'device_untrusted' });
      expect(errors).toEqual([]);
    }
    expect(await check(createShield(options(() => 'in')))).toMatchObject({ allowed: true });
  });

  it('a throwing resolver is an error: 503 without failOpen', async () => {
    const errors: unknown[] = [];
    const shield = createShield({
      ...options(() => {
        throw new Error('geoip down');
      }),
      onError: (e) => void errors.push(e),
    });
    expect(await check(shield)).toMatchObject({ allowed: false, code: 'shield_unavailable' });
    expect(errors.map(String).join()).toContain('geoip down');
  });
});
