/**
 * The global middleware looks through the app for a body-stage middleware only when the shield has a body-stage
 * verifier: a search that finds none is not remembered (one can be mounted later), so for a token-only shield it
 * ran on every request with a body. Counted by a proxy on the array the search iterates, over real HTTP; the
 * control (a shield with the payload shield and no body stage mounted) shows the proxy sees a search.
 */
import express5 from 'express';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { approov } from '../../src/attestation/approov.js';
import { createShield, type ShieldConfig } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';

const attester = createTestAttester({ header: 'approov-token' });
const AUTHORIZATION = 'Bearer alice';
const TOKEN_ONLY: ShieldConfig = { token: approov({ secret: attester.secret as string }) };
// Monitor: the body no parser read is refused otherwise (415); the search happens either way.
const WITH_PAYLOAD: ShieldConfig = { ...TOKEN_ONLY, payload: {}, mode: 'monitor' };

/** Wraps `list` so that every iteration of it (what the search does; the frameworks index it) is counted. */
function counted<T extends object>(list: T): { proxy: T; iterations: () => number } {
  let n = 0;
  const proxy = new Proxy(list, {
    get(target, key, receiver) {
      if (key === Symbol.iterator) n += 1;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { proxy, iterations: () => n };
}

async function post(app: Parameters<typeof request>[0]): Promise<void> {
  const token = await attester.mint({ bindTo: AUTHORIZATION });
  for (let i = 0; i < 3; i++) {
    const res = await request(app).post('/orders').set('authorization', AUTHORIZATION).set('approov-token', token).send({ qty: 1 });
    expect(res.status).toBe(200);
  }
}

describe.each([
  ['token only: no search', TOKEN_ONLY, false],
  ['payload shield, no body stage mounted: the search runs (control)', WITH_PAYLOAD, true],
] as const)('the body-stage search (%s)', (_name, config, searched) => {
  it('Express', async () => {
    const app = express5();
    app.use(expressShield(createShield(config)) as never);
    app.post('/orders', (_req, res) => {
      res.status(200).json({ ok: true });
    });
    const router = (app as unknown as { router: { stack: object } }).router;
    const stack = counted(router.stack);
    router.stack = stack.proxy;
    await post(app);
    expect(stack.iterations() > 0).toBe(searched);
  });

  it('Koa', async () => {
    const app = new Koa();
    app.use(koaShield(createShield(config)) as never);
    app.use((ctx) => {
      ctx.status = 200;
      ctx.body = { ok: true };
    });
    const handler = app.callback(); // composes the middleware: later reads of app.middleware are the search's
    const middleware = counted(app.middleware);
    app.middleware = middleware.proxy;
    await post(handler);
    expect(middleware.iterations() > 0).toBe(searched);
  });
});
