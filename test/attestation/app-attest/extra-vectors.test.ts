import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  verifyAppAssertion,
  verifyAppAttestation,
  type AppAttestationInput,
} from '../../../src/attestation/app-attest/index.js';
import { reasonOf } from './reasons.js';

/**
 * The nine further real vectors of `../shared/testdata/app-attest/vectors-extra.json` (production and development,
 * iOS 16 to 17, with and without assertions; source, commit and licence on each), read at test time.
 */
interface ExtraVector {
  id: string;
  teamId?: string;
  bundleId?: string;
  environment?: 'development' | 'production';
  keyId?: string;
  appId?: string;
  publicKey?: string;
  attestation?: { object: string; clientDataBase64?: string; clientDataHash?: string };
  assertion?: { object: string; clientDataBase64: string; clientDataHash: string; counter: number } | null;
  leafValidity?: { notBefore: string; notAfter: string };
  verifyAt?: string;
  libraryResult: { attestation?: string; assertion?: string; mutations?: Record<string, string> };
}

const path = resolve(fileURLToPath(new URL('../../../', import.meta.url)), '../shared/testdata/app-attest/vectors-extra.json');
const present = existsSync(path);
const file = present ? (JSON.parse(readFileSync(path, 'utf8')) as { rootCaSha256: string; vectors: ExtraVector[] }) : { rootCaSha256: '', vectors: [] };
const attestations = file.vectors.filter((v) => v.attestation !== undefined);

const input = (v: ExtraVector, over: Partial<AppAttestationInput> = {}): AppAttestationInput => ({
  attestationObject: v.attestation!.object,
  // Chain-only vectors publish no challenge: any stand-in shows every step before the nonce passes.
  ...(v.attestation!.clientDataHash ? { clientDataHash: v.attestation!.clientDataHash } : { challenge: 'unknown' }),
  keyId: v.keyId!,
  teamId: v.teamId!,
  bundleId: v.bundleId!,
  environment: v.environment!,
  now: Date.parse(v.verifyAt!),
  ...over,
});

describe.skipIf(!present)('real App Attest vectors from vectors-extra.json', () => {
  it('pins the same root and holds the nine attestations', () => {
    expect(file.rootCaSha256).toBe('1C:B9:82:3B:A2:8B:A6:AD:2D:33:A0:06:94:1D:E2:AE:4F:51:3E:F1:D4:E8:31:B9:F7:E0:FA:7B:62:42:C9:32');
    expect(attestations.length).toBeGreaterThanOrEqual(8);
  });

  describe.each(attestations.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    it(`attestation: ${v.libraryResult.attestation}`, () => {
      expect(reasonOf(() => verifyAppAttestation(input(v)))).toBe(v.libraryResult.attestation === 'pass' ? 'passed' : v.libraryResult.attestation);
    });

    it.skipIf(v.attestation?.clientDataBase64 === undefined)('the published client data gives the same result', () => {
      const challenge = Buffer.from(v.attestation!.clientDataBase64!, 'base64');
      expect(reasonOf(() => verifyAppAttestation({ ...input(v), clientDataHash: undefined, challenge }))).toBe('passed');
    });

    it.skipIf(v.libraryResult.attestation !== 'pass')('mutations fail with their precise reason', () => {
      const other = v.environment === 'production' ? 'development' : 'production';
      const leaf = v.leafValidity!;
      expect(reasonOf(() => verifyAppAttestation(input(v, { environment: other })))).toBe('environment_mismatch');
      expect(reasonOf(() => verifyAppAttestation(input(v, { now: Date.parse(leaf.notAfter) + 1000 })))).toBe('certificate_expired');
      expect(reasonOf(() => verifyAppAttestation(input(v, { now: Date.parse(leaf.notBefore) - 1000 })))).toBe('certificate_not_yet_valid');
      expect(reasonOf(() => verifyAppAttestation(input(v, { teamId: 'ZZZZZZZZZZ' })))).toBe('team_mismatch');
      expect(reasonOf(() => verifyAppAttestation(input(v, { clientDataHash: Buffer.alloc(32, 1) })))).toBe('challenge_mismatch');
    });

    it.skipIf(!v.assertion)('its assertion verifies with the attested key; other client data and a replayed counter fail', () => {
      const { publicKey } = verifyAppAttestation(input(v));
      const a = v.assertion!;
      const check = { assertion: a.object, publicKey, teamId: v.teamId!, bundleId: v.bundleId! };
      expect(verifyAppAssertion({ ...check, clientData: Buffer.from(a.clientDataBase64, 'base64') }).counter).toBe(a.counter);
      expect(verifyAppAssertion({ ...check, clientDataHash: a.clientDataHash }).counter).toBe(a.counter);
      expect(reasonOf(() => verifyAppAssertion({ ...check, clientData: 'other' }))).toBe('bad_signature');
      expect(reasonOf(() => verifyAppAssertion({ ...check, clientDataHash: a.clientDataHash, previousCounter: a.counter }))).toBe(
        'counter_not_increasing',
      );
    });
  });

  const standalone = file.vectors.filter((v) => v.attestation === undefined && v.assertion);
  it.each(standalone.map((v) => [v.id, v] as const))('standalone assertion %s verifies with the published key', (_id, v) => {
    const a = v.assertion!;
    const dot = v.appId!.indexOf('.');
    const check = {
      assertion: a.object,
      publicKey: new X509Certificate(v.publicKey!).publicKey,
      teamId: v.appId!.slice(0, dot),
      bundleId: v.appId!.slice(dot + 1),
    };
    expect(verifyAppAssertion({ ...check, clientData: Buffer.from(a.clientDataBase64, 'base64') }).counter).toBe(a.counter);
    expect(reasonOf(() => verifyAppAssertion({ ...check, clientData: 'other' }))).toBe('bad_signature');
    expect(reasonOf(() => verifyAppAssertion({ ...check, clientDataHash: a.clientDataHash, previousCounter: a.counter }))).toBe(
      'counter_not_increasing',
    );
  });
});
