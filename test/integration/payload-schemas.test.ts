/**
 * Route schemas are Standard Schema v1 validators: zod 4 classic and zod/mini, valibot and arktype schemas, a hand-written validator
 * (synchronous and asynchronous), and zod's own async fallback, through real HTTP on every adapter. An asynchronous
 * answer is awaited (a failure is still a 422, an attack still a 403), and a validator that never settles or throws
 * ends fail-closed as `shield_unavailable` under the verifier deadline.
 */
import request from 'supertest';
import { z } from 'zod';
import * as zm from 'zod/mini';
import * as v from 'valibot';
import { type } from 'arktype';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import type { Decision } from '../../src/shield.js';
import type { StandardSchemaV1 } from '../../src/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const echo: TestRoute['respond'] = ({ body }) => ({ status: 200, body: { received: body ?? null } });

/** A validator written by hand against the spec: `{ name: string }`, answering now or after a tick. */
function handWritten(async: boolean): StandardSchemaV1<unknown, { name: string }> {
  const check = (value: unknown) =>
    typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string'
      ? { value: value as { name: string } }
      : { issues: [{ message: 'name must be a string', path: [{ key: 'name' }] }] };
  return {
    '~standard': {
      version: 1,
      vendor: 'hand-written',
      validate: (value) => (async ? new Promise((resolve) => setTimeout(() => resolve(check(value)), 5)) : check(value)),
    },
  };
}

const never: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'test', validate: () => new Promise(() => {}) } };
const rejects: StandardSchemaV1 = {
  '~standard': { version: 1, vendor: 'test', validate: () => Promise.reject(new Error('validator crashed')) },
};

// zod 4 falls back to its async parse when a refinement returns a Promise (a uniqueness lookup, say).
const taken = new Set(['ada']);
const asyncZod = z.object({ user: z.string().refine(async (u) => !taken.has(u), 'taken') });

const routes: TestRoute[] = [
  { method: 'POST', path: '/classic', respond: echo, shield: { payload: { body: z.strictObject({ name: z.string().max(40), age: z.number().int() }) } } },
  {
    method: 'POST',
    path: '/mini',
    respond: echo,
    shield: { payload: { body: zm.strictObject({ name: zm.string().check(zm.maxLength(40)), age: zm.int() }) } },
  },
  {
    method: 'POST',
    path: '/valibot',
    respond: echo,
    shield: { payload: { body: v.strictObject({ name: v.pipe(v.string(), v.maxLength(40)), age: v.pipe(v.number(), v.integer()) }) } },
  },
  { method: 'POST', path: '/arktype', respond: echo, shield: { payload: { body: type({ '+': 'reject', name: 'string <= 40', age: 'number.integer' }) } } },
  { method: 'GET', path: '/search', respond: echo, shield: { payload: { query: zm.object({ page: zm.string().check(zm.regex(/^\d+$/)) }) } } },
  { method: 'POST', path: '/hand-sync', respond: echo, shield: { payload: { body: handWritten(false) } } },
  { method: 'POST', path: '/hand-async', respond: echo, shield: { payload: { body: handWritten(true) } } },
  { method: 'POST', path: '/zod-async', respond: echo, shield: { payload: { body: asyncZod } } },
  { method: 'POST', path: '/never', respond: echo, shield: { payload: { body: never } } },
  { method: 'POST', path: '/rejects', respond: echo, shield: { payload: { body: rejects } } },
];

for (const adapter of ADAPTERS) {
  describe(`route schemas (Standard Schema v1) through ${adapter.name}`, () => {
    let app: RunningApp;
    const decisions: Decision[] = [];
    beforeAll(async () => {
      const shield = createShield({ payload: {}, verifierTimeoutMs: 300, onDecision: (d) => void decisions.push(d) });
      app = await adapter.start(shield, routes);
    });
    afterAll(() => app.close());

    const detailOf = (reference: string) =>
      decisions.find((d) => d.reference === reference)?.results.find((r) => r.verifier === 'payload-shield')?.detail ?? '';

    for (const path of ['/classic', '/mini', '/valibot', '/arktype']) {
      it(`${path}: a valid body passes, a wrong type or an unknown key is a 422 naming the path, never the value`, async () => {
        const ok = await request(app.server).post(path).send({ name: 'Ada', age: 36 });
        expect(ok.status).toBe(200);
        expect(ok.body).toEqual({ received: { name: 'Ada', age: 36 } });
        const wrong = await request(app.server).post(path).send({ name: 'Ada', age: 'SECRET-AGE' });
        expect(wrong.status).toBe(422);
        expect(wrong.body.code).toBe('payload_invalid');
        // zod and arktype add their issue code (`body.age:invalid_type`), valibot gives the path only.
        expect(detailOf(wrong.body.reference)).toMatch(/^schema failed at body\.age(?::[a-z_]+)?$/);
        if (path === '/classic' || path === '/mini') expect(detailOf(wrong.body.reference)).toBe('schema failed at body.age:invalid_type');
        expect(detailOf(wrong.body.reference)).not.toContain('SECRET');
        const extra = await request(app.server).post(path).send({ name: 'Ada', age: 36, role: 'admin' });
        expect(extra.status).toBe(422);
      });
    }

    it('a zod/mini query schema reads the parsed query', async () => {
      await request(app.server).get('/search?page=2').expect(200);
      const bad = await request(app.server).get('/search?page=two');
      expect(bad.status).toBe(422);
      expect(detailOf(bad.body.reference)).toContain('query.page');
    });

    for (const path of ['/hand-sync', '/hand-async']) {
      it(`${path}: a hand-written validator decides; its issue path (a { key } segment) is reported`, async () => {
        await request(app.server).post(path).send({ name: 'Ada' }).expect(200);
        const bad = await request(app.server).post(path).send({ name: 42 });
        expect(bad.status).toBe(422);
        expect(bad.body.code).toBe('payload_invalid');
        expect(detailOf(bad.body.reference)).toBe('schema failed at body.name');
      });
    }

    it('an asynchronous answer is awaited: the detectors still deny an attack the schema accepts, the schema wins over an attack', async () => {
      const attack = await request(app.server).post('/hand-async').send({ name: "1' UNION SELECT password FROM users--" });
      expect(attack.status).toBe(403);
      expect(attack.body.code).toBe('payload_attack');
      const both = await request(app.server).post('/hand-async').send({ name: 7, note: "1' UNION SELECT password FROM users--" });
      expect(both.status).toBe(422);
    });

    it('zod 4 with an async refinement: awaited through its Standard Schema interface', async () => {
      await request(app.server).post('/zod-async').send({ user: 'grace' }).expect(200);
      const bad = await request(app.server).post('/zod-async').send({ user: 'ada' });
      expect(bad.status).toBe(422);
      expect(detailOf(bad.body.reference)).toBe('schema failed at body.user:custom');
    });

    it('fails closed: a validator that never settles, or rejects, is a 503 shield_unavailable', async () => {
      const hung = await request(app.server).post('/never').send({ name: 'Ada' });
      expect(hung.status).toBe(503);
      expect(hung.body.code).toBe('shield_unavailable');
      const crashed = await request(app.server).post('/rejects').send({ name: 'Ada' });
      expect(crashed.status).toBe(503);
      expect(crashed.body.code).toBe('shield_unavailable');
    });
  });
}
