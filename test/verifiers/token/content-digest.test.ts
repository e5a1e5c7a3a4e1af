/**
 * Token binding over RFC 9530 `Content-Digest`, through every adapter over real HTTP with real signed tokens: a
 * binding that lists `content-digest` makes the token's `pay` claim cover the field, the field is parsed strictly
 * (malformed: 400 `content_digest_invalid`) and the digest is recomputed over the body the handler sees (another
 * body: 401 `token_binding_mismatch`). Never a 500.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import { createTestAttester } from '../../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../../helpers/adapters.js';
import { rawRequest } from '../../helpers/raw-http.js';

const attester = createTestAttester();
const b64 = (algorithm: 'sha256' | 'sha512' | 'md5', data: string) => createHash(algorithm).update(data).digest('base64');
const sha256Field = (data: string) => `sha-256=:${b64('sha256', data)}:`;

const BODY = JSON.stringify({ amount: 100, to: 'alice' });
const OTHER = JSON.stringify({ amount: 10000, to: 'mallory' });

// Bound on two routes through the routes table (so the module adds its body stage); `/open` binds nothing.
const bound = { token: { binding: { headers: ['content-digest'] } } } as const;
const shield = createShield({
  token: { secret: attester.secret as string, header: 'x-attestation-token' },
  routes: { 'POST /transfer': bound, 'GET /balance': bound },
});
const routes: TestRoute[] = [
  { method: 'POST', path: '/transfer', respond: ({ body }) => ({ status: 200, body: { got: body } }) },
  { method: 'GET', path: '/balance' },
  { method: 'POST', path: '/open' },
];

// A shield where only an adapter's route options list `content-digest`: refused, never left unchecked.
const unprepared = createShield({ token: { secret: attester.secret as string, header: 'x-attestation-token' } });
const adapterBoundRoutes: TestRoute[] = [{ method: 'POST', path: '/transfer', shield: bound }];

/** A token whose binding claim covers exactly `field` (what the app's attestation service signs). */
const tokenFor = (field: string) => attester.mint({ bindTo: field });

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s', (_name, harness) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await harness.start(shield, routes);
  });
  afterAll(() => app.close());

  async function post(path: string, body: string, field: string | undefined, boundTo = field) {
    const token = await tokenFor(boundTo ?? 'unbound');
    const req = request(app.url).post(path).set('content-type', 'application/json').set('x-attestation-token', token);
    if (field !== undefined) req.set('content-digest', field);
    return req.send(body);
  }

  function expectProblem(res: request.Response, status: number, code: string) {
    expect(res.status, res.text).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code });
  }

  it('passes a body whose Content-Digest the token covers, whatever supported algorithms it lists', async () => {
    for (const field of [
      sha256Field(BODY),
      `sha-512=:${b64('sha512', BODY)}:`,
      `sha-256=:${b64('sha256', BODY)}:, sha-512=:${b64('sha512', BODY)}:`,
      // Unknown and deprecated algorithms are ignored, not trusted and not refused.
      `md5=:${b64('md5', BODY)}:, sha-256=:${b64('sha256', BODY)}:, unixsum=:AAAA:`,
    ]) {
      const res = await post('/transfer', BODY, field);
      expect(res.status, field).toBe(200);
      expect(res.body).toEqual({ got: { amount: 100, to: 'alice' } });
    }
  });

  it('refuses another body under the same bound Content-Digest (recomputed, never trusted)', async () => {
    expectProblem(await post('/transfer', OTHER, sha256Field(BODY)), 401, 'token_binding_mismatch');
    // One right digest does not excuse a wrong one next to it.
    expectProblem(await post('/transfer', BODY, `sha-256=:${b64('sha256', BODY)}:, sha-512=:${b64('sha512', OTHER)}:`), 401, 'token_binding_mismatch');
    // The field fits the new body but the token covers the old field: the header stage refuses it.
    expectProblem(await post('/transfer', OTHER, sha256Field(OTHER), sha256Field(BODY)), 401, 'token_binding_mismatch');
    // No field on a route that binds it.
    expectProblem(await post('/transfer', BODY, undefined), 401, 'token_binding_mismatch');
  });

  it('refuses malformed fields with a 400 problem, never a 500', async () => {
    const good = b64('sha256', BODY);
    for (const field of [
      `sha-256=:${good.slice(0, -2)}$=:`, // bad base64
      `sha-256=:${Buffer.from(good, 'base64').toString('base64url')}:`, // base64url, not base64
      `sha-256=${good}`, // missing colons
      `sha-256=:${good}`, // missing closing colon
      `sha-256=:${good}:, sha-256=:${good}:`, // duplicate keys
      `sha-256=:${good}:;q=1`, // parameters
      `sha-256=:${good}:,`, // trailing comma
      `sha-256="${good}"`, // a string, not a byte sequence
      `sha-256=:${b64('sha512', BODY)}:`, // wrong length for the algorithm
      `md5=:${b64('md5', BODY)}:`, // no supported algorithm
      `sha-256=:${good}:, x=:${'A'.repeat(2000)}:`, // huge
    ]) {
      const res = await post('/transfer', BODY, field);
      expectProblem(res, 400, 'content_digest_invalid');
      expect(res.body.title).toBe('Malformed request');
    }
  });

  it('refuses two Content-Digest field lines naming one algorithm twice (joined into duplicate keys)', async () => {
    const first = sha256Field(BODY);
    const second = sha256Field(OTHER);
    const token = await tokenFor(`${first}, ${second}`);
    const { port } = app.server.address() as AddressInfo;
    const res = await rawRequest(
      port,
      'POST',
      '/transfer',
      { 'Content-Type': 'application/json', 'X-Attestation-Token': token, 'Content-Digest': `${first}\r\nContent-Digest: ${second}` },
      BODY,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'content_digest_invalid' });
  });

  it('checks a request without a body against the digest of the empty content', async () => {
    const get = async (field: string) =>
      request(app.url).get('/balance').set('x-attestation-token', await tokenFor(field)).set('content-digest', field);
    expect((await get(sha256Field(''))).status).toBe(200);
    expectProblem(await get(sha256Field(BODY)), 401, 'token_binding_mismatch');
  });

  it('leaves the field alone on routes whose binding does not list it', async () => {
    expect((await post('/open', BODY, sha256Field(OTHER))).status).toBe(200);
  });

  it('refuses a binding of content-digest given only in adapter route options (no body stage was built for it)', async () => {
    const other = await harness.start(unprepared, adapterBoundRoutes);
    try {
      const field = sha256Field(BODY);
      const res = await request(other.url)
        .post('/transfer')
        .set('content-type', 'application/json')
        .set('x-attestation-token', await tokenFor(field))
        .set('content-digest', field)
        .send(BODY);
      expectProblem(res, 401, 'token_binding_mismatch');
    } finally {
      await other.close();
    }
  });
});

describe('token-body-digest in the decision', () => {
  it('reports its verdict under its own name, and genericErrors hides the code like the other token refusals', async () => {
    const field = sha256Field(BODY);
    const token = await tokenFor(field);
    const headers = { 'x-attestation-token': token, 'content-digest': field, 'content-length': String(BODY.length) };
    const base = { method: 'POST', path: '/transfer', ip: '127.0.0.1', headers };
    const ok = await shield.check({ ...base, body: JSON.parse(BODY), rawBody: Buffer.from(BODY) });
    expect(ok.allowed).toBe(true);
    expect(ok.results.find((r) => r.verifier === 'token-body-digest')?.outcome).toBe('pass');
    const tampered = await shield.check({ ...base, body: JSON.parse(OTHER), rawBody: Buffer.from(OTHER) });
    expect(tampered.code).toBe('token_binding_mismatch');
    // A gzip body: the field covers the encoded bytes, which the shield never sees; refused, not assumed.
    const encoded = await shield.check({ ...base, headers: { ...headers, 'content-encoding': 'gzip' }, rawBody: Buffer.from(BODY) });
    expect(encoded.code).toBe('token_binding_mismatch');
    // Bytes not captured (Express without captureRawBody()): refused, not assumed.
    expect((await shield.check({ ...base, body: JSON.parse(BODY) })).code).toBe('token_binding_mismatch');

    const generic = createShield({
      token: { secret: attester.secret as string, header: 'x-attestation-token', genericErrors: true, binding: { headers: ['content-digest'] } },
    });
    expect((await generic.check({ ...base, rawBody: Buffer.from(OTHER) })).code).toBe('token_invalid');
    const malformed = { ...headers, 'x-attestation-token': await tokenFor('sha-256=x'), 'content-digest': 'sha-256=x' };
    expect((await generic.check({ ...base, headers: malformed, rawBody: Buffer.from(BODY) })).code).toBe('token_invalid');
    expect((await shield.check({ ...base, headers: malformed, rawBody: Buffer.from(BODY) })).code).toBe('content_digest_invalid');
  });
});

describe('allowMissingClaim with a content-digest binding', () => {
  const lenient = createShield({
    token: { secret: attester.secret as string, header: 'x-attestation-token', binding: { headers: ['content-digest'], allowMissingClaim: true } },
  });
  const base = { method: 'POST', path: '/transfer', ip: '127.0.0.1' };

  it('a token without the claim binds no body: both stages let it through', async () => {
    const token = await attester.mint();
    const headers = { 'x-attestation-token': token, 'content-length': String(BODY.length) };
    const decision = await lenient.check({ ...base, headers, body: JSON.parse(BODY), rawBody: Buffer.from(BODY) });
    expect(decision.allowed, decision.code).toBe(true);
    expect(decision.results.find((r) => r.verifier === 'token-body-digest')?.outcome).toBe('pass');
  });

  it('a token with the claim is still held to the body', async () => {
    const field = sha256Field(BODY);
    const headers = { 'x-attestation-token': await tokenFor(field), 'content-digest': field, 'content-length': String(OTHER.length) };
    expect((await lenient.check({ ...base, headers, body: JSON.parse(OTHER), rawBody: Buffer.from(OTHER) })).code).toBe('token_binding_mismatch');
    expect((await lenient.check({ ...base, headers, body: JSON.parse(BODY), rawBody: Buffer.from(BODY) })).allowed).toBe(true);
  });
});

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s: a route enforcing the token under a monitoring shield', (_name, harness) => {
  it('enforces the Content-Digest body check too', async () => {
    const monitoring = createShield({
      mode: 'monitor',
      token: { secret: attester.secret as string, header: 'x-attestation-token' },
      routes: { 'POST /transfer': { ...bound, verifiers: { token: 'enforce' } } },
    });
    const app = await harness.start(monitoring, routes);
    try {
      const send = async (body: string) =>
        request(app.url)
          .post('/transfer')
          .set('content-type', 'application/json')
          .set('x-attestation-token', await tokenFor(sha256Field(BODY)))
          .set('content-digest', sha256Field(BODY))
          .send(body);
      expect((await send(BODY)).status).toBe(200);
      const replayed = await send(OTHER);
      expect(replayed.status).toBe(401);
      expect(replayed.body.code).toBe('token_binding_mismatch');
    } finally {
      await app.close();
    }
  });
});
