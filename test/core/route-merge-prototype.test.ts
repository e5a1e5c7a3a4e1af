/**
 * Route-level options merge over the routes-table entry one level deep whatever their prototype: a valid
 * null-prototype or class-instance section replaced the table's section instead, dropping its body schema, so a
 * mass-assignment body passed (found by review).
 */
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { createShield } from '../../src/shield.js';

const shield = createShield({ payload: {}, routes: { 'POST /orders': { payload: { body: z.strictObject({ sku: z.string() }) } } } });

function appWith(routePayload: object) {
  const app = express();
  app.use(express.json());
  app.post('/orders', expressShield(shield, { payload: routePayload as never }), (_req, res) => res.json({ ok: true }));
  return app;
}

class PayloadOptions {
  limits = { maxDepth: 10 };
}

describe('route-level options merge over the table entry whatever their prototype', () => {
  it.each([
    ['a plain object', () => ({ limits: { maxDepth: 10 } })],
    ['a null-prototype object', () => Object.assign(Object.create(null) as object, { limits: { maxDepth: 10 } })],
    ['a class instance', () => new PayloadOptions()],
  ])('%s: the table schema still applies, and a valid body passes', async (_name, make) => {
    const app = appWith(make());
    expect((await request(app).post('/orders').send({ sku: 'a', isAdmin: true })).status).toBe(422);
    expect((await request(app).post('/orders').send({ sku: 'a' })).status).toBe(200);
  });

  it('a section that is false still replaces the table section', async () => {
    const app = appWith(false as unknown as object);
    expect((await request(app).post('/orders').send({ sku: 'a', isAdmin: true })).status).toBe(200);
  });
});
