/**
 * HEAD and a route whose GET handler relaxes the check. Express's `Route.dispatch` (Express 4, and router 2 under
 * Express 5) answers HEAD with the `get` layers only when the route has no `.head()` handler; with one, only the
 * `head` layers (and method-less `.all()` ones) run. The lookahead took the route-level relaxation on `.get()` as the
 * one HEAD reaches, so the global 401 was left pending and the `.head()` handler ran with no token at all. Real
 * servers, raw sockets, Express 4 (latest and the 4.17 lower bound) and 5.
 */
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import express417 from 'express417';
import { afterEach, describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { approov } from '../../src/attestation/approov.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { servePort } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester({ header: 'approov-token' });
const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.close();
});

type ExpressFactory = typeof express5;
type Handler = express5.RequestHandler;
/** The `route()` methods these tests chain (typed loosely: Express 4 and 5 types differ in their path generics). */
interface RouteBuilder {
  get(...handlers: Handler[]): RouteBuilder;
  head(...handlers: Handler[]): RouteBuilder;
  all(...handlers: Handler[]): RouteBuilder;
}
const EXPRESSES = [
  ['express4', express4 as unknown as ExpressFactory],
  ['express4.17', express417 as unknown as ExpressFactory],
  ['express5', express5],
] as const;

for (const [name, express] of EXPRESSES) {
  describe(`${name}: HEAD reaches the layers Route.dispatch runs for it`, () => {
    /** An app with the global shield and one `/report` route built by `build`, mounted on a router when `mount`. */
    async function serve(build: (route: RouteBuilder, relaxed: Handler, record: (n: string) => Handler) => void, mount?: string) {
      const shield = createShield({ token: approov({ secret: attester.secret as string }) });
      const ran: string[] = [];
      const app = express();
      app.use(expressShield(shield) as unknown as Handler);
      const record = (n: string): Handler => (_req, res) => {
        ran.push(n);
        res.set('x-secret-count', '42').json({ handler: n });
      };
      const relaxed = expressShield(shield, { token: false }) as unknown as Handler;
      if (mount === undefined) build(app.route('/report') as unknown as RouteBuilder, relaxed, record);
      else {
        const router = express.Router();
        build(router.route('/report') as unknown as RouteBuilder, relaxed, record);
        app.use(mount, router);
      }
      const port = await servePort(running, app as unknown as http.RequestListener);
      return { ran, send: (method: string, target = `${mount ?? ''}/report`) => rawRequest(port, method, target) };
    }

    for (const mount of [undefined, '/api']) {
      it(`a .head() handler next to a relaxed .get() runs only with a token${mount ? ' (mounted router)' : ''}`, async () => {
        const { ran, send } = await serve((route, relaxed, record) => route.get(relaxed, record('get')).head(record('head')), mount);
        expect([(await send('HEAD')).status, ran]).toEqual([401, []]);
        // GET still runs relaxed.
        expect([(await send('GET')).status, ran]).toEqual([200, ['get']]);
      });
    }

    it('control: a route without .head() answers HEAD with its relaxed GET layers', async () => {
      const { ran, send } = await serve((route, relaxed, record) => route.get(relaxed, record('get')));
      expect([(await send('HEAD')).status, ran]).toEqual([200, ['get']]);
    });

    it('a relaxed .head() is the layer HEAD runs: HEAD relaxed, the strict .get() keeps the global check', async () => {
      const { ran, send } = await serve((route, relaxed, record) => route.get(record('get')).head(relaxed, record('head')));
      expect([(await send('HEAD')).status, ran]).toEqual([200, ['head']]);
      ran.length = 0;
      expect([(await send('GET')).status, ran]).toEqual([401, []]);
    });

    it('control: a relaxed .all() layer runs before the .head() handler, so HEAD is relaxed', async () => {
      const { ran, send } = await serve((route, relaxed, record) => route.all(relaxed).get(record('get')).head(record('head')));
      expect([(await send('HEAD')).status, ran]).toEqual([200, ['head']]);
    });
  });
}
