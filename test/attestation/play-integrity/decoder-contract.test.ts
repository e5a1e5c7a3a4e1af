/**
 * The decoder contract of createPlayIntegrityVerifier: only tokens of the compact JWE shape reach the decoder, and a
 * rejection that says "this token is invalid" (a PlayIntegrityError, or an HTTP 4xx other than 408/429) is a
 * verdict, while anything else stays an error ("cannot decide").
 */
import { describe, expect, it } from 'vitest';
import { createPlayIntegrityVerifier, PlayIntegrityError } from '../../../src/attestation/play-integrity/index.js';

const PACKAGE = 'com.example.bank';
const WELL_FORMED = 'eyJhbGciOiJBMjU2S1cifQ.a2V5.aXY.Y2lwaGVy.dGFn';

function rejecting(error: unknown) {
  const calls: string[] = [];
  const verifier = createPlayIntegrityVerifier({
    packageName: PACKAGE,
    decoder: async (token) => {
      calls.push(token);
      throw error;
    },
  });
  return { calls, verify: (token: string) => verifier.verify(token, { nonce: 'n' }) };
}

describe('Play Integrity decoder: token shape', () => {
  it.each([
    ['not compact', '!!not-a-token!!'],
    ['three segments', 'a.b.c'],
    ['six segments', 'a.b.c.d.e.f'],
    ['non-base64url characters', 'a.b.c.d.e<script>'],
    ['oversized', `${'A'.repeat(16_380)}.b.c.d.e`],
  ])('a %s token is malformed_token and never reaches the decoder', async (_name, token) => {
    const { calls, verify } = rejecting(new Error('unreachable'));
    await expect(verify(token)).rejects.toMatchObject({ name: 'PlayIntegrityError', reason: 'malformed_token' });
    expect(calls).toEqual([]);
  });
});

describe('Play Integrity decoder: what a rejection means', () => {
  it.each([
    ['status 400', { status: 400 }],
    ['code 400', { code: 400 }],
    ['code "403"', { code: '403' }],
    ['status 404', { status: 404 }],
  ])('an HTTP 4xx (%s) is decode_failed, a verdict about the token', async (_name, fields) => {
    const { calls, verify } = rejecting(Object.assign(new Error('INVALID_ARGUMENT'), fields));
    await expect(verify(WELL_FORMED)).rejects.toMatchObject({ name: 'PlayIntegrityError', reason: 'decode_failed' });
    expect(calls).toEqual([WELL_FORMED]);
  });

  it('a PlayIntegrityError thrown by the decoder is kept as is', async () => {
    const { verify } = rejecting(new PlayIntegrityError('malformed_token'));
    await expect(verify(WELL_FORMED)).rejects.toMatchObject({ reason: 'malformed_token' });
  });

  it.each([
    ['status 500', { status: 500 }],
    ['status 503', { status: 503 }],
    ['code 429 (quota)', { code: 429 }],
    ['status 408', { status: 408 }],
    ['transport error', { code: 'ECONNRESET' }],
    ['no status', {}],
  ])('%s stays an error ("cannot decide"), not a verdict', async (_name, fields) => {
    const error = Object.assign(new Error('cannot decide'), fields);
    const { verify } = rejecting(error);
    await expect(verify(WELL_FORMED)).rejects.toBe(error);
  });
});
