/**
 * The payload shield through every adapter: attacks blocked, awkward benign content allowed and handed to the
 * handler intact, structural limits, schemas and virtual patches, after the token check.
 */
import request from 'supertest';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import type { Decision } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const echo: TestRoute['respond'] = ({ body }) => ({ status: 200, body: { received: body ?? null } });

const routes: TestRoute[] = [
  { method: 'POST', path: '/comments', respond: echo },
  { method: 'GET', path: '/search', respond: echo },
  {
    method: 'POST',
    path: '/profile',
    respond: echo,
    shield: { payload: { body: z.object({ name: z.string().max(40), age: z.number().int() }).strict() } },
  },
  { method: 'POST', path: '/posts', respond: echo, shield: { payload: { exclusions: [{ categories: ['xss'], targets: ['body.html'] }] } } },
  { method: 'POST', path: '/upload-small', respond: echo, shield: { payload: { limits: { maxBodyBytes: 64 } } } },
  { method: 'POST', path: '/users', respond: echo },
];

interface Case {
  name: string;
  method: 'get' | 'post';
  path: string;
  query?: string;
  body?: string;
  contentType?: string;
  status: number;
  code?: string;
  echoed?: unknown;
}

const json = (v: unknown) => JSON.stringify(v);
const cases: Case[] = [
  { name: 'benign comment with awkward text', method: 'post', path: '/comments', body: json({ text: "O'Brien said SELECT your plan <3, see C:\\Users" }), status: 200, echoed: { text: "O'Brien said SELECT your plan <3, see C:\\Users" } },
  { name: 'JSON Schema document with $ref keys', method: 'post', path: '/comments', body: json({ $schema: 'https://json-schema.org/draft/2020-12/schema', $ref: '#/defs/a' }), status: 200 },
  { name: 'SQL injection in a JSON field', method: 'post', path: '/comments', body: json({ text: "x' OR 1=1 -- " }), status: 403, code: 'payload_attack' },
  { name: 'SQL injection in the query string', method: 'get', path: '/search', query: 'q=1%27%20UNION%20SELECT%20password%20FROM%20users--', status: 403, code: 'payload_attack' },
  { name: 'XSS in a JSON field', method: 'post', path: '/comments', body: json({ text: '<img src=x onerror=alert(document.cookie)>' }), status: 403, code: 'payload_attack' },
  { name: 'NoSQL operator injection', method: 'post', path: '/users', body: json({ username: 'admin', password: { $ne: null } }), status: 403, code: 'payload_attack' },
  { name: 'NoSQL operator in bracket query syntax', method: 'get', path: '/search', query: 'username[$ne]=x', status: 403, code: 'payload_attack' },
  { name: 'path traversal', method: 'get', path: '/search', query: 'file=..%2F..%2F..%2Fetc%2Fpasswd', status: 403, code: 'payload_attack' },
  { name: 'SSRF to cloud metadata', method: 'post', path: '/comments', body: json({ avatarUrl: 'http://169.254.169.254/latest/meta-data/' }), status: 403, code: 'payload_attack' },
  // Values without syntax characters reach the detectors that fire on them (plain-values.test.ts has the proof).
  { name: 'SSRF: a bare metadata host under a URL-named key', method: 'post', path: '/comments', body: json({ fetch: '169.254.169.254' }), status: 403, code: 'payload_attack' },
  { name: 'SSRF: a bare internal host in a query parameter named page', method: 'get', path: '/search', query: 'page=127.0.0.1', status: 403, code: 'payload_attack' },
  { name: 'Java: a gadget class under @type', method: 'post', path: '/comments', body: json({ '@type': 'com.sun.rowset.JdbcRowSetImpl' }), status: 403, code: 'payload_attack' },
  { name: 'a page size is a count, not the host 0.0.0.20', method: 'get', path: '/search', query: 'per_page=20&page=3', status: 200 },
  { name: 'prototype pollution key', method: 'post', path: '/comments', body: '{"text":"hi","__proto__":{"admin":true}}', status: 403 },
  { name: 'prototype pollution in bracket query syntax', method: 'get', path: '/search', query: 'a[__proto__][admin]=1', status: 403 },
  { name: 'malformed JSON', method: 'post', path: '/comments', body: '{"text": "unterminated', status: 400, code: 'payload_malformed' },
  { name: 'schema: valid body', method: 'post', path: '/profile', body: json({ name: 'Ada', age: 36 }), status: 200, echoed: { name: 'Ada', age: 36 } },
  { name: 'schema: mass assignment (unknown key) refused', method: 'post', path: '/profile', body: json({ name: 'Ada', age: 36, role: 'admin' }), status: 422, code: 'payload_invalid' },
  { name: 'exclusion: HTML allowed in body.html of /posts', method: 'post', path: '/posts', body: json({ html: '<script>alert(1)</script>' }), status: 200 },
  { name: 'exclusion is per field: body.title still inspected', method: 'post', path: '/posts', body: json({ title: '<script>alert(1)</script>' }), status: 403, code: 'payload_attack' },
  { name: 'body over the route limit', method: 'post', path: '/upload-small', body: json({ text: 'x'.repeat(200) }), status: 413, code: 'payload_too_large' },
  { name: 'content type not allowed', method: 'post', path: '/comments', body: '<a/>', contentType: 'application/xml', status: 415, code: 'unsupported_media_type' },
];

for (const adapter of ADAPTERS) {
  describe(`payload shield through ${adapter.name}`, () => {
    let app: RunningApp;
    const decisions: Decision[] = [];
    beforeAll(async () => {
      const shield = createShield({
        token: { ...approov({ secret: attester.secret as string }), binding: false },
        payload: {
          contentTypes: ['application/json', 'application/x-www-form-urlencoded'],
          virtualPatches: [{ id: 'vp-role-escalation', method: 'POST', path: '/users', target: 'body.role', match: 'admin' }],
        },
        onDecision: (d) => void decisions.push(d),
      });
      app = await adapter.start(shield, routes);
    });
    afterAll(() => app.close());

    for (const c of cases) {
      it(c.name, async () => {
        const url = c.query ? `${c.path}?${c.query}` : c.path;
        let req = request(app.server)[c.method](url).set(await attester.headers());
        if (c.body !== undefined) req = req.set('content-type', c.contentType ?? 'application/json').send(c.body);
        const res = await req;
        // The app's parser is the source of truth: it refuses bad JSON itself (400, its own error body) before the
        // shield's body stage runs. Fastify's and co-body's (Koa) secure JSON parsers also refuse a __proto__ key
        // (400); Fastify answers 415 itself for types it has no parser for. Blocked either way.
        const parserRefusesProto = adapter.name.startsWith('fastify') || adapter.name.startsWith('koa');
        const parserBlocks = c.name === 'prototype pollution key' && parserRefusesProto;
        expect(res.status).toBe(parserBlocks ? 400 : c.status);
        const parserAnswers = c.status === 400 || (adapter.name.startsWith('fastify') && c.status === 415);
        if (c.code && !parserAnswers) {
          expect(res.body.code).toBe(c.code);
          expect(res.headers['content-type']).toMatch(/problem\+json/);
        }
        if (c.echoed !== undefined) expect(res.body).toEqual({ received: c.echoed });
      });
    }

    it('virtual patch: blocks role=admin on POST /users, allows other roles', async () => {
      const blocked = await request(app.server).post('/users').set(await attester.headers()).send({ name: 'x', role: 'admin' });
      expect(blocked.status).toBe(403);
      const d = decisions.find((x) => x.reference === blocked.body.reference);
      expect(d?.results.find((r) => r.verifier === 'payload-shield')?.detail).toMatch(/vp-role-escalation/);
      await request(app.server).post('/users').set(await attester.headers()).send({ name: 'x', role: 'viewer' }).expect(200);
    });

    it('the token check runs first: an attack without a token is a 401, not a 403', async () => {
      const res = await request(app.server).post('/comments').send({ text: "' OR 1=1 --" });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_missing');
    });

    it('a decision records rule ids and where they matched, never the value', async () => {
      const res = await request(app.server).post('/comments').set(await attester.headers()).send({ items: [{ name: 'ok' }, { name: "1' UNION SELECT secret FROM vault--" }] });
      expect(res.status).toBe(403);
      const d = decisions.find((x) => x.reference === res.body.reference);
      const detail = d?.results.find((r) => r.verifier === 'payload-shield')?.detail ?? '';
      expect(detail).toContain('body.items[1].name');
      expect(detail).not.toContain('vault');
    });
  });
}
