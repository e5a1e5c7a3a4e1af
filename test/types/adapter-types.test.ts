/**
 * Type tests for the adapters (checked by `npm run typecheck`, which CI runs; tsconfig includes `test`): the Express
 * middlewares are Express 5 `RequestHandler`s, Koa's `ctx.state.shield` is typed in default apps, apps with their
 * own state type and @koa/router routes, and the augmentable `AttestationClaims` types the claims on all three
 * adapters. The `@ts-expect-error` lines fail the typecheck when a type becomes too loose (`any`). The runtime half
 * sends one real request with a real signed token through each adapter and reads a typed claim back.
 */
import http from 'node:http';
import express, { type RequestHandler, type Router as ExpressRouter } from 'express';
import Koa from 'koa';
import Router, { type RouterContext, type RouterMiddleware } from '@koa/router';
import fastify from 'fastify';
import request from 'supertest';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { koaShield, koaShieldBody, type KoaShieldState } from '../../src/adapters/koa.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { approov } from '../../src/attestation/approov.js';
import { createShield, type Attestation, type AttestationClaims, type Decision } from '../../src/index.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen, type RunningApp } from '../helpers/adapters.js';

// What an app declares once for all its adapters. Optional claims: the shield does not validate the shape of claims,
// and this augmentation is visible to the whole typecheck, so it must not make any other test's claims invalid.
declare module '../../src/index.js' {
  interface AttestationClaims {
    readonly tier?: 'gold' | 'basic';
    readonly region?: string;
  }
}

/** A claims type given explicitly rather than by augmentation (Koa state, `Decision<Claims>`). */
interface PartnerClaims {
  readonly partner: string;
  readonly scopes: readonly string[];
}

const attester = createTestAttester();
const shield = createShield({ token: approov({ secret: attester.secret as string }) });

describe('Express types', () => {
  it('makes expressShield and expressShieldBody Express 5 RequestHandlers', () => {
    const global: RequestHandler = expressShield(shield);
    const route: RequestHandler = expressShield(shield, { payload: false });
    const body: RequestHandler = expressShieldBody(shield);
    expectTypeOf(expressShield(shield)).toExtend<RequestHandler>();
    expectTypeOf(expressShieldBody(shield)).toExtend<RequestHandler>();

    const app = express();
    app.use('/api', expressShield(shield));
    app.use(express.json(), expressShieldBody(shield));
    const router: ExpressRouter = express.Router();
    router.route('/orders/:id').post(expressShield(shield, { payload: false }), expressShieldBody(shield), (req, res) => {
      // The middleware in front does not widen the route's own parameter typing.
      expectTypeOf(req.params.id).toEqualTypeOf<string>();
      res.json({ id: req.params.id });
    });
    app.post('/x', expressShield(shield), (req, res) => {
      expectTypeOf(req.shield).toEqualTypeOf<Decision | undefined>();
      // @ts-expect-error the decision is absent on requests no shield middleware saw
      res.json(req.shield.allowed);
    });
    app.use('/api', router);
    expect([global, route, body].every((h) => typeof h === 'function' && h.length === 3)).toBe(true);
  });

  it('types the claims on req.shield through the AttestationClaims augmentation', () => {
    const handler: RequestHandler = (req, res) => {
      const claims = req.shield?.attestation?.claims;
      expectTypeOf(claims?.tier).toEqualTypeOf<'gold' | 'basic' | undefined>();
      // Undeclared claims stay readable, as unknown (never any).
      expectTypeOf(claims?.['other']).toEqualTypeOf<unknown>();
      // @ts-expect-error a declared claim keeps its declared type
      const tier: number | undefined = claims?.tier;
      res.json({ tier });
    };
    expectTypeOf<Attestation['claims']>().toEqualTypeOf<Readonly<AttestationClaims>>();
    expectTypeOf<NonNullable<Decision<PartnerClaims>['attestation']>['claims']['scopes']>().toEqualTypeOf<readonly string[]>();
    expect(typeof handler).toBe('function');
  });
});

describe('Koa types', () => {
  it('types ctx.state.shield in a default app through the DefaultState augmentation', () => {
    const app = new Koa();
    app.use(koaShield(shield));
    app.use(koaShieldBody(shield));
    app.use(async (ctx) => {
      expectTypeOf(ctx.state.shield).toEqualTypeOf<Decision | undefined>();
      expectTypeOf(ctx.state.shield?.attestation?.claims.tier).toEqualTypeOf<'gold' | 'basic' | undefined>();
      ctx.body = { allowed: ctx.state.shield?.allowed };
    });
    expect(app.middleware).toHaveLength(3);
  });

  it('types ctx.state.shield in an app with its own state type, declared or chained', () => {
    interface AppState extends KoaShieldState {
      user?: string;
    }
    const declared = new Koa<AppState>();
    declared.use(koaShield(shield));
    declared.use(async (ctx) => {
      expectTypeOf(ctx.state.shield).toEqualTypeOf<Decision | undefined>();
      expectTypeOf(ctx.state.user).toEqualTypeOf<string | undefined>();
    });

    const chained = new Koa<{ user?: string }>().use(koaShield(shield));
    chained.use(async (ctx) => {
      expectTypeOf(ctx.state.shield).toEqualTypeOf<Decision | undefined>();
    });

    const unshielded = new Koa<{ user?: string }>();
    unshielded.use(async (ctx) => {
      // @ts-expect-error a state type of the app's own, without KoaShieldState, does not claim a decision
      ctx.body = ctx.state.shield;
    });

    // A claims type of the app's own, through the state type.
    const partner = new Koa<KoaShieldState<PartnerClaims>>();
    partner.use(koaShield(shield));
    partner.use(async (ctx) => {
      expectTypeOf(ctx.state.shield?.attestation?.claims.partner).toEqualTypeOf<string | undefined>();
    });
    expect([declared, chained, unshielded, partner].map((app) => app.middleware.length)).toEqual([2, 2, 1, 2]);
  });

  it('types ctx.state.shield in @koa/router routes (RouterContext)', () => {
    const router = new Router();
    router.post('/orders', koaShield(shield, { payload: false }), koaShieldBody(shield), (ctx) => {
      expectTypeOf(ctx.state.shield).toEqualTypeOf<Decision | undefined>();
      expectTypeOf(ctx.params).toEqualTypeOf<Record<string, string>>();
      ctx.body = { allowed: ctx.state.shield?.allowed };
    });
    const typed = new Router<{ user?: string } & KoaShieldState<PartnerClaims>>();
    const handler: RouterMiddleware<{ user?: string } & KoaShieldState<PartnerClaims>> = (ctx) => {
      expectTypeOf(ctx).toExtend<RouterContext<{ user?: string } & KoaShieldState<PartnerClaims>>>();
      expectTypeOf(ctx.state.shield?.attestation?.claims.scopes).toEqualTypeOf<readonly string[] | undefined>();
    };
    typed.get('/partner', koaShield(shield), handler);
    expect(router.stack.length + typed.stack.length).toBe(2);
  });
});

describe('Fastify types', () => {
  it('types request.shield and its claims', () => {
    const app = fastify();
    app.get('/x', async (req) => {
      expectTypeOf(req.shield).toEqualTypeOf<Decision | undefined>();
      expectTypeOf(req.shield?.attestation?.claims.region).toEqualTypeOf<string | undefined>();
      return { ok: true };
    });
    expect(typeof app.register).toBe('function');
  });
});

describe('typed claims at run time', () => {
  const running: RunningApp[] = [];
  afterAll(async () => {
    await Promise.all(running.map((app) => app.close()));
  });

  async function tierFrom(url: string): Promise<unknown> {
    const token = await attester.mint({ claims: { tier: 'gold', region: 'eu' }, bindTo: 'Bearer alice' });
    const res = await request(url).get('/tier').set('approov-token', token).set('authorization', 'Bearer alice');
    expect(res.status).toBe(200);
    return res.body.tier;
  }

  it('reads a declared claim on Express, Koa and Fastify', async () => {
    const ex = express();
    ex.use(expressShield(shield));
    ex.get('/tier', (req, res) => {
      const tier: 'gold' | 'basic' | undefined = req.shield?.attestation?.claims.tier;
      res.json({ tier });
    });
    const koa = new Koa();
    koa.use(koaShield(shield));
    koa.use(async (ctx) => {
      const tier: 'gold' | 'basic' | undefined = ctx.state.shield?.attestation?.claims.tier;
      ctx.body = { tier };
    });
    const fy = fastify();
    await fy.register(fastifyShield as never, { shield });
    fy.get('/tier', async (req) => {
      const tier: 'gold' | 'basic' | undefined = req.shield?.attestation?.claims.tier;
      return { tier };
    });
    await fy.ready();
    running.push(await listen(http.createServer(ex)), await listen(http.createServer(koa.callback())));
    const fastifyUrl = await fy.listen({ port: 0, host: '127.0.0.1' });
    running.push({ server: fy.server, url: fastifyUrl, close: async () => void (await fy.close()) });
    const tiers = [];
    for (const app of running) tiers.push(await tierFrom(app.url));
    expect(tiers).toEqual(['gold', 'gold', 'gold']);
    // Without a token nothing is typed as present, and nothing is: the shield refuses the request.
    const refused = await request(running[0]!.url).get('/tier');
    expect(refused.status).toBe(401);
  });
});
