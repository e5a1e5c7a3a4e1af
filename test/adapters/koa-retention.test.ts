/**
 * What a decision keeps alive after its request, on Koa: `ctx.state.shield` leads to the ShieldRequest the check saw,
 * and nothing on it may lead back to Koa's `ctx` (or `req`/`res`). The route lookahead closure over `ctx` did: every
 * request's graph survived young-generation collections over real sockets, about 7 µs of GC per request in the Koa
 * benchmark (test/bench). Proved as for Express (express-retention.test.ts): a WeakRef and forced full collections,
 * over a real socket, with the decisions still held.
 */
import http from 'node:http';
import Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { describe, it } from 'vitest';
import { koaShield, koaShieldBody } from '../../src/adapters/koa.js';
import { approov } from '../../src/attestation/approov.js';
import type { Decision } from '../../src/shield.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { expectOnlyDecisionsSurvive } from '../helpers/retention.js';

const attester = createTestAttester({ header: 'approov-token' });
const AUTHORIZATION = 'Bearer alice';

const frameworks = [
  ['Koa 3', Koa3],
  ['Koa 2', Koa2],
] as const;

describe.each(frameworks)('%s: a held decision does not keep its request alive', (_name, Koa) => {
  it('ctx, req and res are collected while ctx.state.shield (header and body stage) is still referenced', async () => {
    const shield = createShield({ token: approov({ secret: attester.secret as string }) });
    const app = new (Koa as typeof Koa3)();
    app.use(koaShield(shield) as never);
    app.use(bodyParser() as never);
    app.use(koaShieldBody(shield) as never);
    const held: Decision[] = [];
    const refs: WeakRef<object>[] = [];
    const router = new Router();
    router.post('/v1/orders/:id', (ctx) => {
      held.push(ctx.state.shield as Decision);
      refs.push(new WeakRef(ctx), new WeakRef(ctx.req), new WeakRef(ctx.res));
      ctx.body = { ok: true };
    });
    app.use(router.routes() as never);
    const server = http.createServer(app.callback());
    const token = await attester.mint({ bindTo: AUTHORIZATION });
    const headers = { authorization: AUTHORIZATION, 'approov-token': token, 'content-type': 'application/json' };
    await expectOnlyDecisionsSurvive(server, headers, held, refs);
  });
});
