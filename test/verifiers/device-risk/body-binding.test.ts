import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { VerifierContext } from '../../../src/core/verifier.js';
import { createDeviceBodyBindingVerifier } from '../../../src/verifiers/device-risk/body-binding.js';
import { createShield } from '../../../src/shield.js';

const OPTIONS = { playIntegrity: { packageName: 'com.example', decoder: async () => ({}) as never } };
const verifier = createDeviceBodyBindingVerifier(OPTIONS);
const sha = (b: string) => createHash('sha256').update(b).digest('base64url');

function ctx(headers: Record<string, string>, raw: Buffer | undefined): VerifierContext {
  return {
    request: { method: 'POST', path: '/pay', ip: '127.0.0.1', headers },
    route: {},
    ip: '127.0.0.1',
    now: Date.now(),
    memo: new Map(),
    body: async () => undefined,
    rawBody: () => raw,
  };
}
const outcome = (c: VerifierContext) => verifier.verify(c) as { outcome: string; code?: string };

describe('device body binding', () => {
  const proof = { 'x-play-integrity': 'token' };
  it('applies only to requests that carry a device proof', () => {
    expect(verifier.appliesTo?.({}, { method: 'POST', path: '/', ip: '', headers: {} })).toBe(false);
    expect(verifier.appliesTo?.({}, { method: 'POST', path: '/', ip: '', headers: proof })).toBe(true);
    expect(verifier.appliesTo?.({ device: false }, { method: 'POST', path: '/', ip: '', headers: proof })).toBe(false);
  });
  it('passes a body whose hash matches the header, refuses another body', () => {
    expect(outcome(ctx({ ...proof, 'x-shield-body-sha256': sha('{"a":1}') }, Buffer.from('{"a":1}'))).outcome).toBe('pass');
    expect(outcome(ctx({ ...proof, 'x-shield-body-sha256': sha('{"a":1}') }, Buffer.from('{"a":2}'))).code).toBe('device_untrusted');
    expect(outcome(ctx({ ...proof, 'x-shield-body-sha256': 'not-base64url!' }, Buffer.from('{"a":1}'))).code).toBe('device_untrusted');
  });
  it('a body without the header is not covered by the proof', () => {
    expect(outcome(ctx(proof, Buffer.from('{"a":1}'))).code).toBe('device_untrusted');
  });
  it('no body: passes without a header, refuses a header claiming one', () => {
    expect(outcome(ctx(proof, Buffer.alloc(0))).outcome).toBe('pass');
    expect(outcome(ctx(proof, undefined)).outcome).toBe('pass');
    expect(outcome(ctx({ ...proof, 'x-shield-body-sha256': sha('x') }, Buffer.alloc(0))).code).toBe('device_untrusted');
  });
  it('a body the shield never saw (parsed before it) is refused, not trusted', () => {
    expect(outcome(ctx({ ...proof, 'content-length': '7', 'x-shield-body-sha256': sha('{"a":1}') }, undefined)).code).toBe('device_untrusted');
  });
});

describe('when the body binding is part of the shield', () => {
  const request = { method: 'POST', path: '/orders', headers: { 'x-play-integrity': 'token', 'content-length': '10' }, ip: '127.0.0.1', query: '' };

  it('is left out when no per-request proof is configured: no body stage, no raw-body capture', () => {
    const shield = createShield({ device: { tokenClaims: { signals: { rooted: 'rooted' } } } });
    expect(shield.hasBodyStage).toBe(false);
    expect(shield.mayNeedRawBody).toBe(false);
    expect(shield.needsRawBody(request)).toBe(false);
  });

  it('is there with Play Integrity or App Attest, for the requests that carry a proof', () => {
    for (const device of [{ playIntegrity: OPTIONS.playIntegrity }, { appAttest: { teamId: 'TEAMID1234', bundleId: 'com.example.app', environment: 'production' as const } }]) {
      const shield = createShield({ device });
      expect(shield.hasBodyStage).toBe(true);
      expect(shield.mayNeedRawBody).toBe(true);
      expect(shield.needsRawBody({ ...request, headers: { 'content-length': '10' } })).toBe(false);
    }
    expect(createShield({ device: { playIntegrity: OPTIONS.playIntegrity } }).needsRawBody(request)).toBe(true);
  });
});
