/**
 * A `publicKey` given as a JWK is used only as it declares: `use`/`key_ops` must allow verifying signatures, and a
 * declared `alg` is the only algorithm it verifies (Node's createPublicKey drops those members; jose's JWK sets
 * apply the same rules). A JWK that rules itself out, or that `algorithms` contradicts, is a configuration error.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { approov } from '../../../src/attestation/approov.js';
import type { ShieldRequest } from '../../../src/core/request.js';
import { createShield, type ShieldConfig } from '../../../src/shield.js';
import { configError } from '../../helpers/config-error.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed25519 = generateKeyPairSync('ed25519');
const rsaJwk = async (extra: Partial<JWK> = {}) => ({ ...(await exportJWK(rsa.publicKey)), ...extra }) as { kty: string };

const request = (token: string, header = 'x-attestation-token'): ShieldRequest => ({
  method: 'GET',
  path: '/',
  ip: '127.0.0.1',
  headers: { [header]: token, authorization: 'Bearer alice' },
});
const sign = (alg: string, key: typeof rsa.privateKey, claims: Record<string, unknown> = {}) =>
  new SignJWT({ exp: Math.floor(Date.now() / 1000) + 60, jti: randomUUID(), ...claims }).setProtectedHeader({ alg }).sign(key);

describe('publicKey JWK with a declared alg', () => {
  it('a JWK declaring PS256 verifies its PS256 tokens and refuses RS256 ones', async () => {
    const shield = createShield({ token: { publicKey: await rsaJwk({ alg: 'PS256' }) } });
    expect((await shield.check(request(await sign('PS256', rsa.privateKey)))).allowed).toBe(true);
    const rs256 = await shield.check(request(await sign('RS256', rsa.privateKey)));
    expect(rs256).toMatchObject({ allowed: false, status: 401, code: 'token_invalid' });
  });

  it('configured algorithms that list the declared alg narrow to it; ones that do not are a configuration error', async () => {
    const shield = createShield({ token: { publicKey: await rsaJwk({ alg: 'PS256' }), algorithms: ['RS256', 'PS256'] } });
    expect((await shield.check(request(await sign('PS256', rsa.privateKey)))).allowed).toBe(true);
    expect((await shield.check(request(await sign('RS256', rsa.privateKey)))).code).toBe('token_invalid');
    const error = configError({ token: { publicKey: await rsaJwk({ alg: 'PS256' }), algorithms: ['RS256'] } });
    expect(error.issues).toEqual([{ path: 'token', message: expect.stringMatching(/declares "alg" PS256/) }]);
  });

  it('approov({ publicKey }) accepts only the declared algorithm of the JWK, not every RSA one', async () => {
    const shield = createShield({ token: approov({ publicKey: await rsaJwk({ alg: 'RS256' }), binding: false }) });
    const send = async (alg: string) => shield.check(request(await sign(alg, rsa.privateKey), 'approov-token'));
    expect((await send('RS256')).allowed).toBe(true);
    for (const alg of ['RS384', 'RS512', 'PS256', 'PS384', 'PS512']) expect((await send(alg)).code, alg).toBe('token_invalid');
  });

  it('a declared alg that does not suit the key type is a configuration error', async () => {
    const ecJwk = { ...(await exportJWK(p256.publicKey)) } as { kty: string };
    for (const [publicKey, alg] of [
      [await rsaJwk({ alg: 'ES256' }), 'ES256'],
      [await rsaJwk({ alg: 'HS256' }), 'HS256'],
      [await rsaJwk({ alg: 'none' }), 'none'],
      [{ ...ecJwk, alg: 'ES384' }, 'ES384'],
      [{ ...(await exportJWK(ed25519.publicKey)), alg: 'ES256' }, 'ES256'],
    ] as const) {
      const error = configError({ token: { publicKey } });
      expect(error.issues[0]?.message, alg).toMatch(new RegExp(`"alg" ${alg} does not suit its key type`));
    }
    expect(configError({ token: { publicKey: await rsaJwk({ alg: 7 as never }) } }).issues[0]?.message).toMatch(/not a string/);
  });

  it('EC and Ed25519 JWKs verify their declared algorithm', async () => {
    const ec = createShield({ token: { publicKey: { ...(await exportJWK(p256.publicKey)), alg: 'ES256' } as { kty: string } } });
    expect((await ec.check(request(await sign('ES256', p256.privateKey)))).allowed).toBe(true);
    const ed = createShield({ token: { publicKey: { ...(await exportJWK(ed25519.publicKey)), alg: 'EdDSA' } as { kty: string } } });
    expect((await ed.check(request(await sign('EdDSA', ed25519.privateKey)))).allowed).toBe(true);
    expect((await ed.check(request(await sign('Ed25519', ed25519.privateKey)))).code).toBe('token_invalid');
  });

  it('a JWK without alg still verifies the algorithm of its key type', async () => {
    const shield = createShield({ token: { publicKey: await rsaJwk() } });
    expect((await shield.check(request(await sign('RS256', rsa.privateKey)))).allowed).toBe(true);
  });
});

describe('publicKey JWK use and key_ops', () => {
  it('a JWK for encryption ("use": "enc") is a configuration error, not a signature key', async () => {
    const error = configError({ token: { publicKey: await rsaJwk({ use: 'enc' }) } });
    expect(error.issues).toEqual([{ path: 'token', message: expect.stringMatching(/"use" is not "sig"/) }]);
  });

  it('a JWK whose key_ops lack "verify" is a configuration error', async () => {
    for (const keyOps of [['encrypt'], ['wrapKey', 'sign'], [], 'verify']) {
      const error = configError({ token: { publicKey: await rsaJwk({ key_ops: keyOps as string[] }) } });
      expect(error.issues[0]?.message, JSON.stringify(keyOps)).toMatch(/"key_ops" lack "verify"/);
    }
  });

  it('a JWK for signatures ("use": "sig", key_ops with "verify") verifies as before', async () => {
    const config: ShieldConfig = { token: { publicKey: await rsaJwk({ use: 'sig', key_ops: ['verify'], alg: 'RS256' }) } };
    expect((await createShield(config).check(request(await sign('RS256', rsa.privateKey)))).allowed).toBe(true);
  });
});
