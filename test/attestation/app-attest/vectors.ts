import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppAttestationInput } from '../../../src/attestation/app-attest/index.js';

/** One real Apple App Attest vector, as `../shared/testdata/app-attest/vectors.json` holds it. */
export interface AppAttestVector {
  id: string;
  teamId: string;
  bundleId: string;
  environment: 'development' | 'production';
  keyId: string;
  attestation: { object: string; clientDataBase64?: string; challengeBase64?: string; clientDataHash?: string };
  assertion?: { object: string; clientDataBase64: string; clientDataHash: string; counter: number } | null;
  publicKeyPem?: string;
  leafValidity: { notBefore: string; notAfter: string };
  verifyAt: string;
}

const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** Where the shared vectors live (outside the project; never copied into it). */
export const VECTORS_PATH = resolve(projectRoot, '../shared/testdata/app-attest/vectors.json');
export const VECTORS_PRESENT = existsSync(VECTORS_PATH);
if (!VECTORS_PRESENT) {
  console.warn(`App Attest vector tests skipped: ${VECTORS_PATH} is absent`);
}

export function loadVectors(): { rootCaSha256: string; vectors: AppAttestVector[] } {
  if (!VECTORS_PRESENT) return { rootCaSha256: '', vectors: [] };
  return JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as { rootCaSha256: string; vectors: AppAttestVector[] };
}

/** The bytes the app hashed for its attestation (the two vector sources describe it differently). */
export function attestationChallenge(v: AppAttestVector): Buffer {
  const b64 = v.attestation.clientDataBase64 ?? v.attestation.challengeBase64;
  if (b64 === undefined) throw new Error(`vector ${v.id} has no challenge`);
  return Buffer.from(b64, 'base64');
}

/** The verification input of a vector's attestation, judged at its `verifyAt`. */
export function attestationInput(v: AppAttestVector): AppAttestationInput {
  return {
    attestationObject: v.attestation.object,
    challenge: attestationChallenge(v),
    keyId: v.keyId,
    teamId: v.teamId,
    bundleId: v.bundleId,
    environment: v.environment,
    now: Date.parse(v.verifyAt),
  };
}
