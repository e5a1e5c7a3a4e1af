import { X509Certificate, createPublicKey } from 'node:crypto';
import { decode, encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import {
  APPLE_APP_ATTESTATION_ROOT_CA_PEM,
  APPLE_APP_ATTESTATION_ROOT_CA_SHA256,
  AppAttestError,
  createAppAttestRegistry,
  verifyAppAssertion,
  verifyAppAttestation,
  type AppAttestationInput,
} from '../../../src/attestation/app-attest/index.js';
import { TestMemoryStore } from '../memory-store.js';
import { FakeAppleCa } from './fake-apple.js';
import { attestationChallenge, attestationInput, loadVectors, VECTORS_PATH, VECTORS_PRESENT, type AppAttestVector } from './vectors.js';
import { reasonOf } from './reasons.js';

const PINNED = '1C:B9:82:3B:A2:8B:A6:AD:2D:33:A0:06:94:1D:E2:AE:4F:51:3E:F1:D4:E8:31:B9:F7:E0:FA:7B:62:42:C9:32';

async function asyncReasonOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof AppAttestError) return error.reason;
    throw error;
  }
  return 'passed';
}

describe('embedded Apple App Attestation Root CA', () => {
  it('has the pinned SHA-256 fingerprint and is a self-signed CA', () => {
    const root = new X509Certificate(APPLE_APP_ATTESTATION_ROOT_CA_PEM);
    expect(root.fingerprint256).toBe(PINNED);
    expect(APPLE_APP_ATTESTATION_ROOT_CA_SHA256).toBe(PINNED);
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.subject).toContain('CN=Apple App Attestation Root CA');
  });
});

const { rootCaSha256, vectors } = loadVectors();

describe.skipIf(!VECTORS_PRESENT)(`real Apple vectors (${VECTORS_PATH})`, () => {
  it('the vector file pins the same root', () => {
    expect(rootCaSha256).toBe(PINNED);
    expect(vectors.length).toBeGreaterThan(0);
  });

  const base = attestationInput;

  describe.each(vectors.map((v, i) => [`${v.id} #${i}`, v] as const))('%s', (_label, v) => {
    it('attestation verifies at verifyAt, yielding the vector key', () => {
      const result = verifyAppAttestation(base(v));
      expect(result.keyId).toBe(v.keyId);
      expect(result.appId).toBe(`${v.teamId}.${v.bundleId}`);
      expect(result.environment).toBe(v.environment);
      if (v.publicKeyPem) {
        const expected = createPublicKey(v.publicKeyPem).export({ type: 'spki', format: 'der' }).toString('base64');
        expect(result.publicKeySpki).toBe(expected);
      }
    });

    it('accepts the clientDataHash instead of the challenge', () => {
      const { challenge: _c, ...rest } = base(v);
      const hash = v.attestation.clientDataHash;
      if (hash === undefined) return expect(hash).toBeUndefined();
      expect(verifyAppAttestation({ ...rest, clientDataHash: hash }).keyId).toBe(v.keyId);
    });

    it.each([
      ['team', { teamId: 'ZZZZZZZZZZ' }, 'team_mismatch'],
      ['bundle', { bundleId: 'com.example.other' }, 'bundle_mismatch'],
      ['team and bundle', { teamId: 'ZZZZZZZZZZ', bundleId: 'com.example.other' }, 'team_mismatch'],
      ['challenge', { challenge: 'a different challenge' }, 'challenge_mismatch'],
      ['environment', { environment: v.environment === 'production' ? 'development' : 'production' }, 'environment_mismatch'],
      ['key id', { keyId: Buffer.alloc(32, 7) }, 'key_id_mismatch'],
      ['time after the leaf expired', { now: Date.parse(v.leafValidity.notAfter) + 1000 }, 'certificate_expired'],
      ['time before the leaf was issued', { now: Date.parse(v.leafValidity.notBefore) - 1000 }, 'certificate_not_yet_valid'],
      ['trust anchor', { trustAnchor: new FakeAppleCa().root }, 'chain_invalid'],
    ] as const)('a mutated %s fails with %s', (_name, override, reason) => {
      expect(reasonOf(() => verifyAppAttestation({ ...base(v), ...override } as AppAttestationInput))).toBe(reason);
    });

    it('a flipped byte in the leaf signature breaks the chain', () => {
      const object = decode(Buffer.from(v.attestation.object, 'base64')) as {
        attStmt: { x5c: Uint8Array[] };
      };
      const leaf = Buffer.from(object.attStmt.x5c[0]!);
      leaf[leaf.length - 3]! ^= 0x01;
      object.attStmt.x5c[0] = leaf;
      expect(reasonOf(() => verifyAppAttestation({ ...base(v), attestationObject: encode(object) }))).toBe('chain_invalid');
    });

    it('a flipped authData byte no longer matches the certified nonce', () => {
      const object = decode(Buffer.from(v.attestation.object, 'base64')) as { authData: Uint8Array };
      const authData = Buffer.from(object.authData);
      authData[36]! ^= 0x01; // the counter's last byte
      object.authData = authData;
      expect(reasonOf(() => verifyAppAttestation({ ...base(v), attestationObject: encode(object) }))).toBe(
        'challenge_mismatch',
      );
    });

    it('a different attestation format is refused', () => {
      const object = decode(Buffer.from(v.attestation.object, 'base64')) as { fmt: string };
      object.fmt = 'packed';
      expect(reasonOf(() => verifyAppAttestation({ ...base(v), attestationObject: encode(object) }))).toBe(
        'unsupported_format',
      );
    });

    // Only the devicecheck-appattest vectors carry an assertion; the others have `assertion: null`.
    const a = v.assertion;
    if (a) describe('assertion', () => {
      const direct = () => ({
        assertion: a.object,
        clientData: Buffer.from(a.clientDataBase64, 'base64'),
        publicKey: verifyAppAttestation(base(v)).publicKey,
        teamId: v.teamId,
        bundleId: v.bundleId,
        registeredAppId: `${v.teamId}.${v.bundleId}`,
      });

      it('verifies with the attested key and yields the vector counter', () => {
        expect(verifyAppAssertion(direct()).counter).toBe(a.counter);
        expect(verifyAppAssertion({ ...direct(), clientData: undefined, clientDataHash: a.clientDataHash }).counter).toBe(
          a.counter,
        );
      });

      it.each([
        ['team', { teamId: 'ZZZZZZZZZZ' }, 'team_mismatch'],
        ['bundle', { bundleId: 'com.example.other' }, 'bundle_mismatch'],
        ['client data (challenge)', { clientData: 'another request' }, 'bad_signature'],
        ['counter (already seen)', { previousCounter: a.counter }, 'counter_not_increasing'],
      ] as const)('a mutated %s fails with %s', (_n, override, reason) => {
        expect(reasonOf(() => verifyAppAssertion({ ...direct(), ...override }))).toBe(reason);
      });

      it('a flipped signature byte fails with bad_signature', () => {
        const object = decode(Buffer.from(a.object, 'base64')) as { signature: Uint8Array };
        const sig = Buffer.from(object.signature);
        sig[sig.length - 1]! ^= 0x01;
        object.signature = sig;
        expect(reasonOf(() => verifyAppAssertion({ ...direct(), assertion: encode(object) }))).toBe('bad_signature');
      });

      it('a rewritten counter in authenticatorData breaks the signature', () => {
        const object = decode(Buffer.from(a.object, 'base64')) as { authenticatorData: Uint8Array };
        const auth = Buffer.from(object.authenticatorData);
        auth[36] = 0x7f;
        object.authenticatorData = auth;
        expect(reasonOf(() => verifyAppAssertion({ ...direct(), assertion: encode(object) }))).toBe('bad_signature');
      });

      it('through the registry: registers, passes once, then refuses the replay', async () => {
        const store = new TestMemoryStore(() => Date.parse(v.verifyAt));
        const registry = createAppAttestRegistry({
          store,
          teamId: v.teamId,
          bundleId: v.bundleId,
          environment: v.environment,
        });
        await registry.register({
          attestationObject: v.attestation.object,
          challenge: attestationChallenge(v),
          keyId: v.keyId,
          now: Date.parse(v.verifyAt),
        });
        const check = { keyId: v.keyId, assertion: a.object, clientData: Buffer.from(a.clientDataBase64, 'base64') };
        await expect(registry.verifyAssertion(check)).resolves.toMatchObject({ keyId: v.keyId, counter: a.counter });
        expect(await asyncReasonOf(() => registry.verifyAssertion(check))).toBe('counter_not_increasing');
        expect(
          await asyncReasonOf(() =>
            registry.register({
              attestationObject: v.attestation.object,
              challenge: attestationChallenge(v),
              keyId: v.keyId,
              now: Date.parse(v.verifyAt),
            }),
          ),
        ).toBe('key_already_registered');
      });
    });
  });
});
