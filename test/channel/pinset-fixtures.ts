import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';

/** Pins, hosts, a clock and a signing key shared by the pin-set store tests. */
export const A = Buffer.alloc(32, 1).toString('base64');
export const COMPROMISED = Buffer.alloc(32, 2).toString('base64');
export const NEXT = Buffer.alloc(32, 3).toString('base64');
export const T0 = Date.parse('2026-06-01T00:00:00Z');

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
/** The signing key `k1` (private JWK) and its public half. */
export const privateJwk = { ...(await exportJWK(privateKey)), kid: 'k1' } as JWK;
export const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' } as JWK;

/** Before a revoke the set pins COMPROMISED; after it, no longer. */
export const BEFORE = { 'api.example.com': { pins: [A, COMPROMISED], backupPins: [NEXT] } };
export const AFTER = { 'api.example.com': { pins: [A], backupPins: [NEXT] } };
