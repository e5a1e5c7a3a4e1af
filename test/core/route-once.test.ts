import { describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import type { ShieldRequest } from '../../src/core/request.js';

// The body stage reuses the headers stage's route resolution only when nothing it was made from changed: these
// tests pin that a later stage with another path, method or route options is resolved again (a sub-app rewriting
// the URL, a route-level re-check), so the reuse can never apply one route's options to another.
const request = (path: string, method = 'POST', body?: unknown): ShieldRequest => ({
  method,
  path,
  ip: '127.0.0.1',
  headers: { 'content-type': 'application/json' },
  ...(body !== undefined ? { body } : {}),
});
const ATTACK = { q: "' OR 1=1 --" };

describe('route resolved once per request', () => {
  const shield = createShield({ payload: {}, routes: { 'POST /open': { payload: false } } });

  it('the body stage with the same inputs keeps the headers stage route (payload off on /open)', async () => {
    const head = await shield.check(request('/open'), undefined, { stage: 'headers' });
    const body = await shield.check(request('/open', 'POST', ATTACK), undefined, { stage: 'body', previous: head });
    expect(body.allowed).toBe(true);
  });

  it('a body stage on another path, method or with other route options is resolved again', async () => {
    const head = await shield.check(request('/open'), undefined, { stage: 'headers' });
    const moved = await shield.check(request('/elsewhere', 'POST', ATTACK), undefined, { stage: 'body', previous: head });
    expect(moved.allowed).toBe(false);
    expect(moved.code).toBe('payload_attack');

    const head2 = await shield.check(request('/open'), undefined, { stage: 'headers' });
    const put = await shield.check(request('/open', 'PUT', ATTACK), undefined, { stage: 'body', previous: head2 });
    expect(put.allowed).toBe(false);

    const head3 = await shield.check(request('/elsewhere'), undefined, { stage: 'headers' });
    const relaxed = await shield.check(request('/elsewhere', 'POST', ATTACK), { payload: false }, { stage: 'body', previous: head3 });
    expect(relaxed.allowed).toBe(true);
    const strict = await shield.check(request('/elsewhere', 'POST', ATTACK), undefined, { stage: 'body', previous: relaxed });
    expect(strict.allowed).toBe(false);
  });
});
