/**
 * Review: Play Integrity options that would switch a check off. Every freshness and minimum check compares with an
 * option, and any comparison with NaN is false: `maxAgeMs: Number(process.env.UNSET)` accepted verdicts of any age,
 * `minVersionCode: NaN` any build, and an activity level Google never sends (`LEVEL_5`) any activity. Such options
 * are refused when the verifier is built, as bad keys already were.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createPlayIntegrityVerifier, type PlayIntegrityOptions } from '../../../src/attestation/play-integrity/verifier.js';
import { createPlayIntegritySimulator } from '../../../src/testing/index.js';

const play = createPlayIntegritySimulator('com.example.bank');
const hash = createHash('sha256').update('client data').digest('base64url');

describe('Play Integrity options out of range are refused when the verifier is built', () => {
  const bad: [string, Partial<PlayIntegrityOptions>][] = [
    ['maxAgeMs NaN', { maxAgeMs: Number.NaN }],
    ['maxAgeMs Infinity', { maxAgeMs: Number.POSITIVE_INFINITY }],
    ['maxAgeMs negative', { maxAgeMs: -1 }],
    ['clockSkewMs NaN', { clockSkewMs: Number.NaN }],
    ['clockSkewMs negative', { clockSkewMs: -5 }],
    ['minVersionCode NaN', { minVersionCode: Number.NaN }],
    ['minVersionCode fractional', { minVersionCode: 1.5 }],
    ['maxTokenLength NaN', { maxTokenLength: Number.NaN }],
    ['maxDeviceActivityLevel unknown', { requirements: { maxDeviceActivityLevel: 'LEVEL_5' as 'LEVEL_4' } }],
    ['deviceLevel unknown', { requirements: { deviceLevel: 'MEETS_DEVICE' as 'MEETS_DEVICE_INTEGRITY' } }],
  ];
  for (const [name, extra] of bad) {
    it(name, () => {
      expect(() => createPlayIntegrityVerifier({ ...play.options, ...extra })).toThrow(TypeError);
    });
  }

  it('before the fix, maxAgeMs NaN accepted a verdict an hour old (now refused at construction)', async () => {
    let verifier;
    try {
      verifier = createPlayIntegrityVerifier({ ...play.options, maxAgeMs: Number.NaN });
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      return;
    }
    const token = await play.token({ requestHash: hash, timestampMillis: Date.now() - 3_600_000 });
    await expect(verifier.verify(token, { requestHash: hash })).rejects.toThrow();
  });

  it('valid options, and the ones the device verifier passes, still build', async () => {
    const verifier = createPlayIntegrityVerifier({
      ...play.options,
      maxAgeMs: 60_000,
      clockSkewMs: 0,
      minVersionCode: 1,
      maxTokenLength: 8_192,
      requirements: { deviceLevel: 'none', appRecognized: false, maxDeviceActivityLevel: 'LEVEL_2' },
    });
    const token = await play.token({ requestHash: hash });
    await expect(verifier.verify(token, { requestHash: hash })).resolves.toMatchObject({ via: 'local' });
  });
});
