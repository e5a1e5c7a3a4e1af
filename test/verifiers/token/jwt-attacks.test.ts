import { createHash, createSecretKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { base64url, CompactEncrypt, exportJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import type { ShieldRequest } from '../../../src/core/request.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { createTestAttester } from '../../../src/testing/index.js';

const now = () => Math.floor(Date.now() / 1000);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaAttester = createTestAttester({ privateKey: rsa.privateKey, issuer: 'https://issuer.test', audience: 'api://mobile', kid: 'k1' });
const hmac = createTestAttester();

function req(token: string | undefined, extra: Record<string, string> = {}): ShieldRequest {
  return { method: 'GET', path: '/x', ip: '127.0.0.1', headers: { ...(token !== undefined ? { 'x-attestation-token': token } : {}), ...extra } };
}

const rsaShield = createShield({
  token: { publicKey: rsa.publicKey, issuer: 'https://issuer.test', audience: 'api://mobile' },
});

async function codeOf(shield: ReturnType<typeof createShield>, token: string | undefined) {
  const d = await shield.check(req(token));
  return d.allowed ? 'allowed' : d.code;
}

describe('JWT attack suite (RS256 key)', () => {
  it('accepts a genuine token', async () => {
    expect(await codeOf(rsaShield, await rsaAttester.mint())).toBe('allowed');
  });

  it('rejects alg: none', async () => {
    expect(await codeOf(rsaShield, rsaAttester.unsigned())).toBe('token_invalid');
  });

  it('rejects HS256 signed with the RSA public key as the HMAC secret (key confusion)', async () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const token = await new SignJWT({ exp: now() + 60, iss: 'https://issuer.test', aud: 'api://mobile' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(createSecretKey(Buffer.from(pem)));
    expect(await codeOf(rsaShield, token)).toBe('token_invalid');
  });

  it('rejects a token signed by another RSA key', async () => {
    expect(await codeOf(rsaShield, await rsaAttester.forge())).toBe('token_invalid');
  });

  it('rejects wrong iss and wrong aud', async () => {
    const wrongIss = createTestAttester({ privateKey: rsa.privateKey, issuer: 'https://evil.test', audience: 'api://mobile' });
    const wrongAud = createTestAttester({ privateKey: rsa.privateKey, issuer: 'https://issuer.test', audience: 'api://other' });
    expect(await codeOf(rsaShield, await wrongIss.mint())).toBe('token_invalid');
    expect(await codeOf(rsaShield, await wrongAud.mint())).toBe('token_invalid');
  });

  it('rejects expired, not-yet-valid and exp-less tokens', async () => {
    expect(await codeOf(rsaShield, await rsaAttester.mint({ expired: true }))).toBe('token_expired');
    expect(await codeOf(rsaShield, await rsaAttester.mint({ notYetValid: true }))).toBe('token_invalid');
    expect(await codeOf(rsaShield, await rsaAttester.mint({ withoutExpiry: true }))).toBe('token_invalid');
  });

  it('rejects an oversize token before parsing it', async () => {
    const big = await rsaAttester.mint({ claims: { pad: 'x'.repeat(9000) } });
    expect(big.length).toBeGreaterThan(8192);
    const d = await rsaShield.check(req(big));
    expect(d.code).toBe('token_invalid');
    expect(d.results[0]?.detail).toBe('token too large');
  });

  it('rejects a JWE where a JWS is expected', async () => {
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ exp: now() + 60 })))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(randomBytes(32));
    expect(jwe.split('.')).toHaveLength(5);
    expect(await codeOf(rsaShield, jwe)).toBe('token_invalid');
  });

  it('rejects an unknown crit header', async () => {
    // jose refuses to sign an unknown crit, so sign by hand with the genuine key.
    const handSigned = (protectedHeader: object) => {
      const header = base64url.encode(JSON.stringify(protectedHeader));
      const payload = base64url.encode(JSON.stringify({ exp: now() + 60, iss: 'https://issuer.test', aud: 'api://mobile' }));
      const signature = sign('sha256', Buffer.from(`${header}.${payload}`), rsa.privateKey);
      return `${header}.${payload}.${base64url.encode(signature)}`;
    };
    expect(await codeOf(rsaShield, handSigned({ alg: 'RS256' }))).toBe('allowed');
    const token = handSigned({ alg: 'RS256', crit: ['x-unknown'], 'x-unknown': true });
    expect(await codeOf(rsaShield, token)).toBe('token_invalid');
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await rsaAttester.mint()).split('.');
    const forged = base64url.encode(JSON.stringify({ exp: now() + 3600, iss: 'https://issuer.test', aud: 'api://mobile', admin: true }));
    expect(await codeOf(rsaShield, `${h}.${forged}.${s}`)).toBe('token_invalid');
  });

  it('rejects truncated segments and non-base64url characters', async () => {
    const token = await rsaAttester.mint();
    const [h, p, s] = token.split('.') as [string, string, string];
    for (const bad of [`${h}.${p}`, `${h}.${p}.${s.slice(0, 10)}`, `${h}..${s}`, `${h}.${p}.${s}+/=`, `${h}.${p}.${s}!`, `${h}.${p}.${s}.x`, '...', token.slice(1)]) {
      expect(await codeOf(rsaShield, bad), bad.slice(0, 40)).toBe('token_invalid');
    }
  });

  it('rejects a token whose kid matches no key in a JWK set', async () => {
    const jwk = { ...(await exportJWK(rsa.publicKey)), kty: 'RSA', kid: 'k1', alg: 'RS256' };
    const shield = createShield({ token: { jwks: { keys: [jwk] }, issuer: 'https://issuer.test', audience: 'api://mobile' } });
    expect(await codeOf(shield, await rsaAttester.mint())).toBe('allowed');
    const otherKid = createTestAttester({ privateKey: rsa.privateKey, issuer: 'https://issuer.test', audience: 'api://mobile', kid: 'k2' });
    expect(await codeOf(shield, await otherKid.mint())).toBe('token_invalid');
  });

  it('treats a header sent twice as invalid, an empty header as missing', async () => {
    const token = await rsaAttester.mint();
    const d = await rsaShield.check({ method: 'GET', path: '/', ip: '::1', headers: { 'x-attestation-token': [token, token] } });
    expect(d.code).toBe('token_invalid');
    expect(await codeOf(rsaShield, '')).toBe('token_missing');
    expect(await codeOf(rsaShield, undefined)).toBe('token_missing');
  });
});

describe('HS256 shield', () => {
  const shield = createShield({ token: { secret: hmac.secret as string, binding: { claim: 'pay', headers: ['authorization'] } } });

  it('rejects an RS256 token even if signed by a real key (algorithm pinned by key type)', async () => {
    const token = await rsaAttester.mint();
    expect(await codeOf(shield, token)).toBe('token_invalid');
  });

  it('binding: several headers are all required, joined with a line feed, and compared by SHA-256', async () => {
    const multi = createShield({ token: { secret: hmac.secret as string, binding: { headers: ['authorization', 'x-device'] } } });
    const token = await hmac.mint({ bindTo: 'Bearer abc\ndev-1' });
    const ok = await multi.check(req(token, { authorization: 'Bearer abc', 'x-device': 'dev-1' }));
    expect(ok.allowed).toBe(true);
    const swapped = await multi.check(req(token, { authorization: 'Bearer abc', 'x-device': 'dev-2' }));
    expect(swapped.code).toBe('token_binding_mismatch');
    // Regression (issue 10 item 6): the values used to be concatenated with missing headers skipped.
    const plain = await hmac.mint({ bindTo: 'Bearer abc' + 'dev-1' });
    expect((await multi.check(req(plain, { authorization: 'Bearer abcdev-1' }))).code).toBe('token_binding_mismatch');
    expect((await multi.check(req(plain, { authorization: 'Bearer abc', 'x-device': 'dev-1' }))).code).toBe('token_binding_mismatch');
    const missing = await multi.check(req(token, { authorization: 'Bearer abc' }));
    expect(missing.code).toBe('token_binding_mismatch');
    expect(missing.results[0]?.detail).toMatch(/x-device/);
    // A hand-built request cannot forge the separator inside a value.
    expect((await multi.check(req(token, { authorization: 'Bearer abc\ndev-1', 'x-device': 'x' }))).code).toBe('token_binding_mismatch');
  });

  it('allowMissingClaim (Approov failover tokens) accepts a token without the claim, never a wrong one', async () => {
    const lenient = createShield({ token: { secret: hmac.secret as string, binding: { allowMissingClaim: true } } });
    expect((await lenient.check(req(await hmac.mint(), { authorization: 'Bearer a' }))).allowed).toBe(true);
    expect((await lenient.check(req(await hmac.mint({ bindTo: 'Bearer b' }), { authorization: 'Bearer a' }))).code).toBe(
      'token_binding_mismatch',
    );
    expect((await shield.check(req(await hmac.mint(), { authorization: 'Bearer a' }))).code).toBe('token_binding_mismatch');
  });

  it('accepts Approov-style tokens: fractional exp, padded base64 pay claim', async () => {
    const token = await hmac.mint({ bindTo: 'Bearer x', claims: { exp: now() + 600.780368 } });
    const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { pay: string };
    expect(payload.pay).toMatch(/=$/);
    expect((await shield.check(req(token, { authorization: 'Bearer x' }))).allowed).toBe(true);
  });

  it('binding accepts a base64url-encoded claim too', async () => {
    const pay = createHash('sha256').update('Bearer abc').digest('base64url');
    const token = await hmac.mint({ claims: { pay } });
    expect((await shield.check(req(token, { authorization: 'Bearer abc' }))).allowed).toBe(true);
  });

  it('the verified-token cache never bypasses binding', async () => {
    const token = await hmac.mint({ bindTo: 'Bearer alice' });
    expect((await shield.check(req(token, { authorization: 'Bearer alice' }))).allowed).toBe(true);
    expect((await shield.check(req(token, { authorization: 'Bearer mallory' }))).code).toBe('token_binding_mismatch');
    expect((await shield.check(req(token, {}))).code).toBe('token_binding_mismatch');
  });

  it('the verified-token cache ends at the token expiry', async () => {
    const token = await hmac.mint({ bindTo: 'Bearer a', ttlSeconds: 1 });
    expect((await shield.check(req(token, { authorization: 'Bearer a' }))).allowed).toBe(true);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await shield.check(req(token, { authorization: 'Bearer a' }))).code).toBe('token_expired');
  });

  it('scheme prefix: requires and strips it', async () => {
    const s = createShield({ token: { secret: hmac.secret as string, header: 'authorization', scheme: 'Bearer' } });
    const token = await hmac.mint();
    expect((await s.check(req(undefined, { authorization: `Bearer ${token}` }))).allowed).toBe(true);
    expect((await s.check(req(undefined, { authorization: `bearer ${token}` }))).allowed).toBe(true);
    expect((await s.check(req(undefined, { authorization: `Basic ${token}` }))).code).toBe('token_invalid');
    expect((await s.check(req(undefined, { authorization: token }))).code).toBe('token_invalid');
  });

  it('maxTokenAge rejects old tokens even before exp', async () => {
    const s = createShield({ token: { secret: hmac.secret as string, maxTokenAge: '1m' } });
    const old = await hmac.mint({ claims: { iat: now() - 120 } });
    expect((await s.check(req(old))).code).toBe('token_expired');
    expect((await s.check(req(await hmac.mint()))).allowed).toBe(true);
  });

  it('replay without jti is refused (cannot enforce single use)', async () => {
    const s = createShield({ token: { secret: hmac.secret as string, replay: true } });
    expect((await s.check(req(await hmac.mint()))).code).toBe('token_invalid');
    const single = await hmac.mint({ singleUse: true });
    expect((await s.check(req(single))).allowed).toBe(true);
    expect((await s.check(req(single))).code).toBe('token_replayed');
  });

  it('replay of a token that never expires is refused (its jti could not be remembered for as long as it is good)', async () => {
    const s = createShield({ token: { secret: hmac.secret as string, replay: true, requiredClaims: [] } });
    const key = Buffer.from(hmac.secret as string, 'base64');
    const forever = await new SignJWT({ jti: 'once-forever' }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    expect(await s.check(req(forever))).toMatchObject({ allowed: false, code: 'token_invalid' });
    // The same token with an exp is single-use as usual.
    const expiring = await new SignJWT({ jti: 'once-expiring', exp: now() + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    expect((await s.check(req(expiring))).allowed).toBe(true);
    expect((await s.check(req(expiring))).code).toBe('token_replayed');
  });

  it('replay.maxEntries keeps jti records in a MemoryStore of their own, where other keys cannot evict them', async () => {
    // Shield stores that hold one key each: the second token's record evicts the first's from them.
    const tiny = () => new MemoryStore({ maxEntries: 1 });
    const [first, second] = [await hmac.mint({ singleUse: true }), await hmac.mint({ singleUse: true })];
    const shared = createShield({ store: tiny(), token: { secret: hmac.secret as string, replay: true } });
    const own = createShield({ store: tiny(), token: { secret: hmac.secret as string, replay: { maxEntries: 10 } } });
    for (const s of [shared, own]) {
      expect((await s.check(req(first))).allowed).toBe(true);
      expect((await s.check(req(second))).allowed).toBe(true);
    }
    expect((await shared.check(req(first))).allowed).toBe(true); // evicted from the shared one-key store
    expect((await own.check(req(first))).code).toBe('token_replayed');
    expect(() => createShield({ token: { secret: hmac.secret as string, replay: { store: tiny(), maxEntries: 10 } } })).toThrow(/not both/);
  });

  it('a route-level re-check does not count its own use of a single-use token as a replay', async () => {
    const s = createShield({ token: { secret: hmac.secret as string, replay: true } });
    const single = await hmac.mint({ singleUse: true });
    const first = await s.check(req(single));
    expect(first.allowed).toBe(true);
    const again = await s.check(req(single), { token: { binding: false } }, { previous: first });
    expect(again.allowed).toBe(true);
    expect(again.reference).toBe(first.reference);
  });

  it('exposes the verified claims on the decision, never the token', async () => {
    const token = await hmac.mint({ claims: { did: 'device-7' } });
    const d = await createShield({ token: { secret: hmac.secret as string } }).check(req(token));
    expect(d.attestation?.claims.did).toBe('device-7');
    expect(JSON.stringify(d)).not.toContain(token);
  });
});
