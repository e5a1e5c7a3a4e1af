/**
 * The common mounting mistakes get one line naming the right call: `app.use(expressShield)` / `koa.use(koaShield)`
 * (the factory mounted, not called), a factory called without the shield, `app.register(fastifyShield)` without
 * `{ shield }`. Over real HTTP for the mounted-uncalled cases, since that is where the framework calls the factory.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import fastify from 'fastify';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';

describe('adapter misuse errors', () => {
  it('app.use(expressShield) (not called) fails the request with a line saying to call it', async () => {
    const app = express();
    app.use(expressShield as never);
    app.get('/x', (_req, res) => void res.send('reached'));
    let message = '';
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      message = error.message;
      res.status(500).send('error');
    });
    const res = await request(app).get('/x');
    expect(res.status).toBe(500);
    expect(message).toBe('expressShield was mounted without being called: use app.use(expressShield(shield))');
  });

  it('koa.use(koaShield) (not called) fails the request with a line saying to call it', async () => {
    const app = new Koa();
    app.use(koaShield as never);
    app.use((ctx) => {
      ctx.body = 'reached';
    });
    const errors: string[] = [];
    app.on('error', (error: Error) => errors.push(error.message));
    const server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/x`);
      expect(res.status).toBe(500);
      expect(await res.text()).not.toBe('reached');
      expect(errors).toEqual(['koaShield was mounted without being called: use app.use(koaShield(shield))']);
    } finally {
      server.close();
    }
  });

  it('app.register(fastifyShield) without { shield } fails startup with one line', async () => {
    const app = fastify();
    await expect(app.register(fastifyShield as never).ready()).rejects.toThrow(
      'fastifyShield needs the shield returned by createShield(): use app.register(fastifyShield, { shield })',
    );
    await app.close().catch(() => undefined);
  });

  it('calling a factory without the shield throws at once', () => {
    expect(() => expressShield(undefined as never)).toThrow(
      'expressShield needs the shield returned by createShield(): use app.use(expressShield(shield))',
    );
    expect(() => koaShield({} as never)).toThrow('koaShield needs the shield returned by createShield()');
    expect(() => expressShieldBody(undefined as never)).toThrow('expressShieldBody needs the shield');
    expect(() => koaShieldBody(null as never)).toThrow('koaShieldBody needs the shield');
  });
});
