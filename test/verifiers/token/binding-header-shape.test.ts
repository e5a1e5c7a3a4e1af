/**
 * `shield.check()` takes hand-built requests, whose header values may be anything. A binding header (or the body
 * stage's Content-Digest / Content-Encoding) that is not a string or strings is refused `token_binding_mismatch`:
 * never a crash (503), which `failOpen` would turn into a stolen bound token passing without its binding.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { ShieldRequest } from '../../../src/core/request.js';
import { createShield } from '../../../src/shield.js';

const secret = randomBytes(32);
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64');
const bound = (material: string) =>
  new SignJWT({ exp: Math.floor(Date.now() / 1000) + 60, pay: sha256(material) }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
const request = (token: string, headers: Record<string, unknown>, extra: Partial<ShieldRequest> = {}): ShieldRequest =>
  ({ method: 'GET', path: '/', ip: '127.0.0.1', headers: { 'x-attestation-token': token, ...headers }, ...extra }) as ShieldRequest;

const MALFORMED: readonly [string, unknown][] = [
  ['a number', 5],
  ['an object with toString', { toString: () => 'Bearer victim' }],
  ['null', null],
  ['true', true],
  ['an array with a non-string element', ['Bearer victim', 5]],
];

describe.each([false, true])('a non-string binding header value (failOpen: %s)', (failOpen) => {
  const single = createShield({ token: { secret, failOpen, binding: {} } });
  const several = createShield({ token: { secret, failOpen, binding: { headers: ['authorization', 'x-session'] } } });

  it.each(MALFORMED)('%s as the one bound header is a binding mismatch (401)', async (_name, value) => {
    const d = await single.check(request(await bound('Bearer victim'), { authorization: value }));
    expect(d).toMatchObject({ allowed: false, status: 401, code: 'token_binding_mismatch' });
    expect(d.results[0]).toMatchObject({ verifier: 'token', outcome: 'deny', detail: 'binding header malformed' });
  });

  it.each(MALFORMED)('%s as one of several bound headers is a binding mismatch (401)', async (_name, value) => {
    const token = await bound('Bearer victim\nsess-1');
    const d = await several.check(request(token, { authorization: 'Bearer victim', 'x-session': value }));
    expect(d).toMatchObject({ allowed: false, status: 401, code: 'token_binding_mismatch' });
    expect(d.results[0]?.detail).toBe('binding header "x-session" malformed');
  });

  it('string values, and a repeated header as an array of strings, are bound as before', async () => {
    expect((await single.check(request(await bound('Bearer victim'), { authorization: 'Bearer victim' }))).allowed).toBe(true);
    const repeated = await single.check(request(await bound('Bearer a, Bearer b'), { authorization: ['Bearer a', 'Bearer b'] }));
    expect(repeated.allowed).toBe(true);
    const both = await several.check(request(await bound('Bearer victim\nsess-1'), { authorization: 'Bearer victim', 'x-session': 'sess-1' }));
    expect(both.allowed).toBe(true);
  });
});

describe.each([false, true])('a content-digest binding with non-string header values (failOpen: %s)', (failOpen) => {
  const BODY = '{"amount":100}';
  const field = `sha-256=:${sha256(BODY)}:`;
  const shield = createShield({ token: { secret, failOpen, binding: { headers: ['content-digest'] } } });
  const post = async (headers: Record<string, unknown>) =>
    shield.check(request(await bound(field), { 'content-length': String(BODY.length), ...headers }, { method: 'POST', body: JSON.parse(BODY), rawBody: Buffer.from(BODY) }));

  it('the bound body passes with string headers', async () => {
    expect((await post({ 'content-digest': field })).allowed).toBe(true);
  });

  it.each(MALFORMED)('%s as Content-Digest is refused at the header stage', async (_name, value) => {
    expect(await post({ 'content-digest': value })).toMatchObject({ allowed: false, status: 401, code: 'token_binding_mismatch' });
  });

  it.each(MALFORMED)('%s as Content-Encoding is refused at the body stage (the digest cannot be recomputed)', async (_name, value) => {
    const d = await post({ 'content-digest': field, 'content-encoding': value });
    expect(d).toMatchObject({ allowed: false, status: 401, code: 'token_binding_mismatch' });
    expect(d.results.find((r) => r.verifier === 'token-body-digest')).toMatchObject({ outcome: 'deny' });
  });
});
