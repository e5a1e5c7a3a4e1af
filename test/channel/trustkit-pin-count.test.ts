/**
 * TrustKit (iOS and Android) throws at initialisation for a pinned domain with fewer than two kTSKPublicKeyHashes,
 * whatever kTSKEnforcePinning says: the trustkit format refuses such a host even when it is report-only.
 */
import { describe, expect, it } from 'vitest';
import { formatPins } from '../../src/channel/formats.js';
import { PinValidationError } from '../../src/channel/validate-pins.js';

const LEAF = Buffer.alloc(32, 1).toString('base64');
const BACKUP = Buffer.alloc(32, 4).toString('base64');
const NOW = new Date('2026-06-01T00:00:00Z');

function refusal(run: () => unknown): PinValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof PinValidationError) return error;
    throw error;
  }
  throw new Error('expected a PinValidationError');
}

describe('trustkit format: at least two pins per domain, report-only included', () => {
  it('refuses a report-only host with one pin (too_few_pins), naming TrustKit', () => {
    const error = refusal(() => formatPins('trustkit', { 'api.example.com': { pins: [LEAF], enforce: false } }, { now: NOW }));
    expect(error.errors).toEqual([{ host: 'api.example.com', code: 'too_few_pins', message: expect.stringContaining('TrustKit needs at least two pins') }]);
    // The same pin twice is one pin.
    const twice = refusal(() => formatPins('trustkit', { 'api.example.com': { pins: [LEAF], backupPins: [LEAF], enforce: false } }, { now: NOW }));
    expect(twice.errors.map((e) => e.code)).toEqual(['too_few_pins']);
  });

  it('lists the report-only refusal with the other hosts\' errors, once per host', () => {
    const error = refusal(() =>
      formatPins('trustkit', { 'a.example.com': { pins: [LEAF] }, 'b.example.com': { pins: [], enforce: false } }, { now: NOW }),
    );
    expect(error.errors.map((e) => [e.host, e.code])).toEqual([
      ['a.example.com', 'too_few_pins'],
      ['b.example.com', 'too_few_pins'],
    ]);
  });

  it('emits a report-only host with two pins, not enforced', () => {
    const text = formatPins('trustkit', { 'api.example.com': { pins: [LEAF], backupPins: [BACKUP], enforce: false } }, { now: NOW }).text;
    const domain = (JSON.parse(text) as { kTSKPinnedDomains: Record<string, { kTSKEnforcePinning: boolean; kTSKPublicKeyHashes: string[] }> })
      .kTSKPinnedDomains['api.example.com'];
    expect(domain).toMatchObject({ kTSKEnforcePinning: false, kTSKPublicKeyHashes: [LEAF, BACKUP] });
  });

  it('other formats still leave a one-pin report-only host out, as before (the emergency switch)', () => {
    for (const format of ['okhttp', 'nsc', 'rn'] as const) {
      expect(() => formatPins(format, { 'api.example.com': { pins: [LEAF], enforce: false } }, { now: NOW })).not.toThrow();
    }
  });
});
