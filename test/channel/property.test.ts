/**
 * Hostile input never escapes as anything but a clean refusal: arbitrary strings and signed-but-arbitrary payloads
 * for `verifyPinSet`, arbitrary JSON for the report endpoint.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, exportJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createPinReportEndpoint } from '../../src/channel/report-endpoint.js';
import { PinSetError, verifyPinSet } from '../../src/client/pinset.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('verifyPinSet under hostile input', () => {
  it('arbitrary strings are refused with PinSetError, never another error', async () => {
    const keys = [{ ...(await exportJWK(publicKey)), kid: 'k' } as JWK];
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,90}$/)), async (input) => {
        await expect(verifyPinSet(input, keys)).rejects.toBeInstanceOf(PinSetError);
      }),
      { numRuns: 200 },
    );
  });

  it('validly signed arbitrary JSON either verifies as a well-formed pin set or is refused as malformed', async () => {
    const keys = [{ ...(await exportJWK(publicKey)), kid: 'k' } as JWK];
    const now = 1_780_000_000;
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record({
        version: fc.oneof(fc.integer(), fc.double(), fc.string()),
        issuedAt: fc.constantFrom(now - 10, now, 'x'),
        softExpiry: fc.constantFrom(now + 10, now - 20),
        hardExpiry: fc.constantFrom(now + 100, now + 5),
        hosts: fc.dictionary(fc.string(), fc.record({ pins: fc.array(fc.string()), enforce: fc.anything() }, { requiredKeys: [] })),
      }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (body) => {
        const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(body) ?? 'null'))
          .setProtectedHeader({ alg: 'ES256', kid: 'k', typ: 'pinset+jws' })
          .sign(privateKey);
        try {
          const verified = await verifyPinSet(jws, keys, { now: now * 1000 });
          expect(Number.isSafeInteger(verified.payload.version)).toBe(true);
          for (const host of Object.values(verified.payload.hosts)) expect(typeof host.enforce).toBe('boolean');
        } catch (error) {
          expect(error).toBeInstanceOf(PinSetError);
          expect(['malformed', 'hard_expired', 'not_yet_valid']).toContain((error as PinSetError).code);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('report endpoint under hostile input', () => {
  it('arbitrary JSON bodies get 204 or 422, never a throw', async () => {
    let events = 0;
    const reports = createPinReportEndpoint({ onPinFailure: () => void events++, rateLimit: { max: 1_000_000 } });
    const validPin = fc.constant(`pin-sha256="${Buffer.alloc(32, 1).toString('base64')}"`);
    // Each field valid most of the time, so both accepted and refused reports are exercised.
    const reportish = fc.record(
      {
        hostname: fc.oneof({ weight: 4, arbitrary: fc.domain() }, { weight: 1, arbitrary: fc.string() }),
        'known-pins': fc.oneof({ weight: 4, arbitrary: fc.array(validPin, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.array(fc.string()) }),
        'validated-certificate-chain': fc.oneof(
          { weight: 4, arbitrary: fc.array(fc.constant('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), { maxLength: 2 }) },
          { weight: 1, arbitrary: fc.array(fc.string()) },
        ),
        port: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 65_535 }) }, { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.string()) }),
        'validation-result': fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.anything() }),
      },
      { requiredKeys: ['hostname', 'known-pins'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), reportish), async (body) => {
        const res = await reports.handle({ method: 'POST', path: '/pinning/report', query: new URLSearchParams(), headers: {}, ip: '192.0.2.1', body });
        expect([204, 422]).toContain(res.status);
      }),
      { numRuns: 300 },
    );
    expect(events).toBeGreaterThan(0);
  });
});
