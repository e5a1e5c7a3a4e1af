/**
 * `onDeny` results the adapters cannot write answer with the default problem, on every adapter: header values with
 * CR/LF or names that are not tokens made Node's setHeader throw (Koa 500 text/plain, Express's HTML error page,
 * Fastify's own error JSON), a body JSON cannot serialise threw the same way, and a missing body let Koa turn the
 * denial into a 204 (found by review).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createShield, type ProblemResponse } from '../../src/index.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';

const SECRET = Buffer.alloc(32, 7).toString('base64');

const UNWRITABLE: Record<string, (response: ProblemResponse) => unknown> = {
  'a header value with CR/LF': (r) => ({ ...r, headers: { ...r.headers, 'x-support-reference': 'ref\r\nset-cookie: a=b' } }),
  'a header value with NUL': (r) => ({ ...r, headers: { ...r.headers, 'x-support-reference': 'ref\0' } }),
  'a header name with a space': (r) => ({ ...r, headers: { ...r.headers, 'x support': 'ref' } }),
  'an empty header name': (r) => ({ ...r, headers: { ...r.headers, '': 'ref' } }),
  'a body JSON cannot serialise': (r) => ({ ...r, body: { ...r.body, n: 1n } }),
  'no body': (r) => ({ status: 403, headers: r.headers }),
};

const running: RunningApp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
});

describe.each(ADAPTERS)('$name: onDeny results that cannot be written', (adapter) => {
  it.each(Object.entries(UNWRITABLE))('%s: the default problem+json', async (_name, make) => {
    const shield = createShield({ token: { secret: SECRET }, onDeny: (_decision, _request, response) => make(response) as ProblemResponse });
    const app = await adapter.start(shield, [{ method: 'GET', path: '/a' }]);
    running.push(app);
    const res = await fetch(`${app.url}/a`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('x-support-reference')).toBeNull();
    expect(((await res.json()) as { code: string }).code).toBe('token_missing');
  });

  it('a writable custom answer is still used as returned', async () => {
    const shield = createShield({
      token: { secret: SECRET },
      onDeny: (_decision, _request, response) => ({ ...response, status: 403, headers: { ...response.headers, 'x-support-reference': 'ref 1\t2' }, body: { ...response.body, help: 'call us' } }),
    });
    const app = await adapter.start(shield, [{ method: 'GET', path: '/a' }]);
    running.push(app);
    const res = await fetch(`${app.url}/a`);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-support-reference')).toBe('ref 1\t2');
    expect(((await res.json()) as { help: string }).help).toBe('call us');
  });
});
