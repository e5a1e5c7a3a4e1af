/**
 * The application's hooks written `async` and failing (a log sink down) never break a request or the process: a
 * rejected promise from `onDecision`, `onError`, `claimsCheck` or `onDeny` is handled (an unhandled rejection ends a
 * Node process by default), and an `onDeny` that returns something other than a response answers with the default
 * problem instead of a 500.
 */
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const attester = createTestAttester();
const token = { secret: attester.secret as string, header: 'x-attestation-token' };
const routes: TestRoute[] = [{ method: 'GET', path: '/p' }];
const failing = async (): Promise<never> => {
  throw new Error('log sink unavailable');
};

const unhandled: unknown[] = [];
const record = (reason: unknown): void => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', record);
});
afterEach(() => {
  process.off('unhandledRejection', record);
});
/** Lets a rejection nobody handled surface (Node reports it after the microtask queue drains). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s', (_name, harness) => {
  let app: RunningApp;
  beforeAll(async () => {
    const shield = createShield({
      token: { ...token, claimsCheck: ((claims: { sub?: unknown }) => (claims.sub === 'async' ? failing() : true)) as never },
      onDecision: failing,
      onError: failing,
      onDeny: (async () => failing()) as never,
    });
    app = await harness.start(shield, routes);
  });
  afterAll(() => app.close());

  it('async hooks that reject leave every answer as it would be, with no unhandled rejection', async () => {
    const allowed = await request(app.url).get('/p').set('x-attestation-token', await attester.mint({ claims: { sub: 'app' } }));
    expect(allowed.status).toBe(200);
    // onDeny answered a promise: the default problem response, not a 500.
    const missing = await request(app.url).get('/p');
    expect(missing.status).toBe(401);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.body.code).toBe('token_missing');
    // An async claims check refuses, and its rejection is handled.
    const asyncCheck = await request(app.url).get('/p').set('x-attestation-token', await attester.mint({ claims: { sub: 'async' } }));
    expect(asyncCheck.status).toBe(401);
    expect(asyncCheck.body.code).toBe('token_invalid');
    await settle();
    expect(unhandled).toEqual([]);
  });
});

describe('onDeny results the adapters cannot write answer the default problem', () => {
  it.each([
    ['a promise', Promise.resolve({ status: 418, headers: {}, body: {} })],
    ['no status', { headers: {}, body: {} }],
    ['a success status', { status: 200, headers: {}, body: {} }],
    ['a fractional status', { status: 401.5, headers: {}, body: {} }],
    ['headers that are not strings', { status: 401, headers: { 'x-n': 5 }, body: {} }],
    ['no headers', { status: 401, body: {} }],
    ['a string', 'denied'],
  ])('%s', async (_label, answer) => {
    const shield = createShield({ token, onDeny: (() => answer) as never });
    const response = shield.respond(await shield.check({ method: 'GET', path: '/p', headers: {}, ip: '203.0.113.1' }), {
      method: 'GET',
      path: '/p',
      headers: {},
      ip: '203.0.113.1',
    });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'token_missing' });
  });

  it('a well-formed response from onDeny is used', async () => {
    const shield = createShield({ token, onDeny: () => ({ status: 404, headers: { 'x-why': 'hidden' }, body: { code: 'not_found' } as never }) });
    const response = shield.respond(await shield.check({ method: 'GET', path: '/p', headers: {}, ip: '203.0.113.1' }), {
      method: 'GET',
      path: '/p',
      headers: {},
      ip: '203.0.113.1',
    });
    expect(response).toMatchObject({ status: 404, headers: { 'x-why': 'hidden' } });
  });
});
