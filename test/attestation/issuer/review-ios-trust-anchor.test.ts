/**
 * Review: `ios.trustAnchor` was only parsed on each registration, so a service configured with something that is not
 * a certificate started, then answered every genuine registration 401 `attestation_invalid` (blaming the client,
 * reason `chain_invalid`) instead of refusing the configuration as the service promises (ShieldConfigError).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { apple, BUNDLE_ID, TEAM_ID, testService } from './fixtures.js';

const post = (path: string, body: unknown) => ({ method: 'POST' as const, path, query: new URLSearchParams(), headers: {}, ip: '10.0.0.1', body });
const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

describe('ios.trustAnchor is checked when the service is created', () => {
  it('a value that is not a certificate is a ShieldConfigError naming ios.trustAnchor', async () => {
    let service;
    try {
      service = testService(new MemoryStore(), {
        ios: { teamId: TEAM_ID, bundleId: BUNDLE_ID, environment: 'production', trustAnchor: '-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----' },
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ShieldConfigError);
      expect((error as ShieldConfigError).issues.map((i) => i.path)).toContain('ios.trustAnchor');
      return;
    }
    // Before the fix: the service starts, and a genuine device's registration is refused as the client's fault.
    const device = apple.device();
    const { challenge } = (await service.handle(post('/attest/challenge', {}))).body as { challenge: string };
    const answer = await service.handle(post('/attest/ios/register', { keyId: device.keyId, attestation: await device.attestKey(sha256(challenge)), challenge }));
    expect.fail(`the service started with an unusable trust anchor and answered ${answer.status}`);
  });

  it('the simulator anchor (a PEM) still registers a genuine device', async () => {
    const service = testService(new MemoryStore());
    const device = apple.device();
    const { challenge } = (await service.handle(post('/attest/challenge', {}))).body as { challenge: string };
    const answer = await service.handle(post('/attest/ios/register', { keyId: device.keyId, attestation: await device.attestKey(sha256(challenge)), challenge }));
    expect(answer.status).toBe(201);
  });
});
