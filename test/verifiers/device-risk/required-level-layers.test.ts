/**
 * Layers merge base → market → sensitivity → route. A layer's `requiredLevel` replaces the levels of the layers
 * below, their `requiredLevelBySdk` included: a base Android-13+ entry must not lower the stricter level of a
 * sensitivity or a route for every device that reports its sdkVersion.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PlayIntegrityPayload } from '../../../src/attestation/play-integrity/index.js';
import { compilePolicy, type PolicyOptions } from '../../../src/verifiers/device-risk/index.js';
import { createShield } from '../../../src/shield.js';
import { ADAPTERS } from '../../helpers/adapters.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from '../../attestation/play-integrity/token-factory.js';

const keys = playKeys();
const NO_LISTS = { actions: new Map(), weights: new Map() };

async function playHeader(path: string, mutate: (p: PlayIntegrityPayload) => void): Promise<Record<string, string>> {
  const nonce = createHash('sha256').update(`v2\nGET\n${path}\n\nauthorization:\n`).digest('base64url');
  const payload = genuinePayload(Date.now(), { nonce });
  mutate(payload);
  return { 'x-play-integrity': await playToken(keys, payload) };
}

/** A device that only reaches MEETS_DEVICE_INTEGRITY (no strong integrity), with or without its Android version. */
const deviceOnly = (sdkVersion?: number) => (p: PlayIntegrityPayload) => {
  p.deviceIntegrity!.deviceRecognitionVerdict = ['MEETS_DEVICE_INTEGRITY'];
  if (sdkVersion !== undefined) p.deviceIntegrity!.deviceAttributes = { sdkVersion };
};

describe.each(ADAPTERS)('$name: a stricter requiredLevel in a later layer', (adapter) => {
  it('is not lowered by the base layer requiredLevelBySdk (sensitivity and inline route level)', async () => {
    const shield = createShield({
      device: {
        playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey },
        policy: {
          // Base: ordinary routes need basic integrity (device integrity on Android 13+).
          requiredLevel: 'MEETS_BASIC_INTEGRITY',
          requiredLevelBySdk: { 33: 'MEETS_DEVICE_INTEGRITY' },
          sensitivities: { payments: { requiredLevel: 'MEETS_STRONG_INTEGRITY' } },
        },
      },
      routes: { 'GET /payments': { device: { sensitivity: 'payments' } } },
    });
    const app = await adapter.start(shield, [
      { method: 'GET', path: '/payments' },
      { method: 'GET', path: '/transfer', shield: { device: { requiredLevel: 'MEETS_STRONG_INTEGRITY' } } },
      { method: 'GET', path: '/accounts' },
    ]);
    try {
      // Control: without deviceAttributes the device is refused on payments, as configured.
      expect((await fetch(`${app.url}/payments`, { headers: await playHeader('/payments', deviceOnly()) })).status).toBe(403);
      const pay = await fetch(`${app.url}/payments`, { headers: await playHeader('/payments', deviceOnly(34)) });
      expect(pay.status).toBe(403); // sensitivity payments demands MEETS_STRONG_INTEGRITY
      const transfer = await fetch(`${app.url}/transfer`, { headers: await playHeader('/transfer', deviceOnly(34)) });
      expect(transfer.status).toBe(403); // the route's own inline requiredLevel demands MEETS_STRONG_INTEGRITY
      // The base table still applies where no later layer sets a level.
      expect((await fetch(`${app.url}/accounts`, { headers: await playHeader('/accounts', deviceOnly(34)) })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('compilePolicy: requiredLevel and requiredLevelBySdk across layers', () => {
  const policy: PolicyOptions = {
    requiredLevel: 'MEETS_BASIC_INTEGRITY',
    requiredLevelBySdk: { 33: 'MEETS_DEVICE_INTEGRITY' },
    markets: { DE: { requiredLevelBySdk: { 35: 'MEETS_STRONG_INTEGRITY' } } },
    sensitivities: {
      payments: { requiredLevel: 'MEETS_STRONG_INTEGRITY' },
      own: { requiredLevel: 'MEETS_STRONG_INTEGRITY', requiredLevelBySdk: { 35: 'MEETS_DEVICE_INTEGRITY' } },
    },
  };

  it('a layer that sets requiredLevel drops the inherited by-SDK table', () => {
    const compiled = compilePolicy(policy, NO_LISTS, undefined, { sensitivity: 'payments' });
    expect(compiled.requiredLevel).toBe('MEETS_STRONG_INTEGRITY');
    expect(compiled.requiredLevelBySdk).toEqual([]);
    expect(compilePolicy(policy, NO_LISTS, undefined, { requiredLevel: 'MEETS_DEVICE_INTEGRITY' }).requiredLevelBySdk).toEqual([]);
  });

  it('a layer with both keeps only its own table on top of its level', () => {
    const compiled = compilePolicy(policy, NO_LISTS, 'DE', { sensitivity: 'own' });
    expect(compiled.requiredLevel).toBe('MEETS_STRONG_INTEGRITY');
    expect(compiled.requiredLevelBySdk).toEqual([[35, 'MEETS_DEVICE_INTEGRITY']]);
  });

  it('a layer that sets only requiredLevelBySdk merges into the inherited table and keeps the inherited level', () => {
    const compiled = compilePolicy(policy, NO_LISTS, 'DE', undefined);
    expect(compiled.requiredLevel).toBe('MEETS_BASIC_INTEGRITY');
    expect(compiled.requiredLevelBySdk).toEqual([
      [35, 'MEETS_STRONG_INTEGRITY'],
      [33, 'MEETS_DEVICE_INTEGRITY'],
    ]);
    expect(compilePolicy(policy, NO_LISTS, undefined, { actions: { rooted: 'deny' } }).requiredLevelBySdk).toEqual([[33, 'MEETS_DEVICE_INTEGRITY']]);
  });
});
