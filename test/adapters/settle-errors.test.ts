/**
 * Carrying an asynchronous decision out can throw (here an `onDeny` body that JSON cannot encode). The request must
 * still be answered, by the framework's error handling, as on the synchronous path: never left hanging with an
 * unhandled rejection.
 */
import express from 'express';
import fastify from 'fastify';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { z } from 'zod';
import { defineVerifierModule } from '../../src/index.js';
import { createShield } from '../../src/shield.js';

// A verifier that answers asynchronously and denies, and an onDeny whose body holds a BigInt.
const slowDeny = defineVerifierModule({
  key: 'slowDeny',
  order: 500,
  configSchema: z.object({}).strict(),
  create: () => ({ name: 'slow-deny', verify: async () => ({ outcome: 'deny' as const, code: 'payload_attack' as const }) }),
});
const shieldWithBadOnDeny = () =>
  createShield({
    modules: [slowDeny],
    slowDeny: {},
    onDeny: (_decision: unknown, _request: unknown, response: { body: object }) => ({ ...response, body: { ...response.body, n: 1n } as never }),
  } as never);

describe('an error while carrying out an asynchronous decision is answered, not left hanging', () => {
  it('Express', async () => {
    const app = express();
    app.use(expressShield(shieldWithBadOnDeny()) as never);
    app.get('/x', (_req, res) => res.send('handler'));
    const response = await request(app).get('/x').timeout(3000);
    // The denial's status was set before the body failed to encode; the framework's error handling answers with it.
    expect(response.status).toBe(403);
    expect(response.text).not.toBe('handler');
  });

  it('Fastify', async () => {
    const app = fastify();
    await app.register(fastifyShield as never, { shield: shieldWithBadOnDeny() });
    app.get('/x', async () => 'handler');
    await app.ready();
    try {
      const response = await request(app.server).get('/x').timeout(3000);
      expect(response.status).toBe(403);
      expect(response.text).not.toBe('handler');
    } finally {
      await app.close();
    }
  });
});
