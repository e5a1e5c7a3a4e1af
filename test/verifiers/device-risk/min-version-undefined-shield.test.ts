import { describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import { createTestAttester } from '../../../src/testing/index.js';
import { approov } from '../../../src/attestation/approov.js';

const attester = createTestAttester({ header: 'approov-token' });

describe('minAppVersion: a platform left undefined in a market layer (through createShield)', () => {
  it('keeps the base android minimum in the FR market', async () => {
    const minAndroidFr = process.env.REVIEW_UNSET_MIN_ANDROID_FR; // unset: undefined ("no FR-specific minimum")
    const shield = createShield({
      token: { ...approov({ secret: attester.secret as string }), binding: false },
      trustProxy: ['loopback'],
      device: {
        tokenClaims: { platform: 'os', appVersion: 'ver', level: 'MEETS_DEVICE_INTEGRITY' },
        country: { headers: ['cf-ipcountry'] },
        policy: {
          minAppVersion: { android: 420 },
          markets: { FR: { minAppVersion: { ios: '6.0.0', android: minAndroidFr } } },
        },
      },
    });
    const headers = { 'approov-token': await attester.mint({ claims: { os: 'android', ver: 100 } }) };
    const base = await shield.check({ method: 'GET', path: '/feed', headers, ip: '127.0.0.1' });
    expect(base.code).toBe('device_untrusted'); // versionCode 100 < 420
    const fr = await shield.check({ method: 'GET', path: '/feed', headers: { ...headers, 'cf-ipcountry': 'FR', 'x-forwarded-for': '198.51.100.7' }, ip: '127.0.0.1' });
    expect(fr.allowed).toBe(false); // observed: allowed, the base minimum is gone in FR
    expect(fr.code).toBe('device_untrusted');
  });
});
