/**
 * The payload shield's inspection budget through every adapter over real HTTP: a body under the body limit but over
 * the byte or time budget is refused with 413 problem+json by default (fail closed); a route configured with
 * `budgetExhausted: 'allow'` lets the same body through to its handler intact.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import type { Decision } from '../../src/shield.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const echo: TestRoute['respond'] = ({ body }) => ({ status: 200, body: { count: Array.isArray((body as { items?: unknown[] })?.items) ? (body as { items: unknown[] }).items.length : -1 } });

// Bodies stay under 100 KB: Express's and Koa's own JSON readers in the test apps refuse larger ones.
const routes: TestRoute[] = [
  { method: 'POST', path: '/bytes', respond: echo, shield: { payload: { limits: { maxInspectBytes: 8 * 1024, maxInspectMillis: 60_000 } } } },
  { method: 'POST', path: '/bytes-open', respond: echo, shield: { payload: { budgetExhausted: 'allow', limits: { maxInspectBytes: 8 * 1024 } } } },
  { method: 'POST', path: '/time', respond: echo, shield: { payload: { limits: { maxInspectMillis: 1 } } } },
  { method: 'POST', path: '/time-open', respond: echo, shield: { payload: { budgetExhausted: 'allow', limits: { maxInspectMillis: 1 } } } },
];

const plain = JSON.stringify({ items: Array.from({ length: 40 }, () => 'ordinary words '.repeat(40)) }); // ~24 KB
// Markup-dense values cost about a microsecond per character: ~90 KB takes far longer than 1 ms on any machine.
const dense = JSON.stringify({ items: Array.from({ length: 220 }, () => `<a href='x' b="y" onx=1 <c d=e>`.repeat(12)) });

for (const adapter of ADAPTERS) {
  describe(`payload inspection budget through ${adapter.name}`, () => {
    let app: RunningApp;
    const decisions: Decision[] = [];
    beforeAll(async () => {
      const shield = createShield({ payload: {}, onDecision: (d) => void decisions.push(d) });
      app = await adapter.start(shield, routes);
    });
    afterAll(() => app.close());

    it('denies a body over the byte budget with 413 problem+json by default', async () => {
      const res = await request(app.server).post('/bytes').set('content-type', 'application/json').send(plain);
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body.code).toBe('payload_too_large');
    });

    it('lets the same body through when budgetExhausted is allow, and records the incomplete inspection', async () => {
      const res = await request(app.server).post('/bytes-open').set('content-type', 'application/json').send(plain);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ count: 40 });
      const d = decisions.at(-1);
      expect(d?.results.find((r) => r.verifier === 'payload-shield')?.detail).toMatch(/inspection incomplete: budget maxInspectBytes/);
    });

    it('denies a body over the time budget with 413 by default', async () => {
      const res = await request(app.server).post('/time').set('content-type', 'application/json').send(dense);
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('payload_too_large');
    });

    it('lets a body over the time budget through when budgetExhausted is allow', async () => {
      const res = await request(app.server).post('/time-open').set('content-type', 'application/json').send(dense);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ count: 220 });
    });
  });
}
