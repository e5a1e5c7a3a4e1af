/**
 * Express sub-applications with a global shield of their own (`users.use(expressShield(shield))`, mounted with
 * `app.use('/users', users)` or `router.use('/api', legacy)`). Inside one, `req.app` is the sub-application, whose
 * router saw the path without its mount; the shield's lookahead walked that router with the full path, so it matched
 * other routes than ran: for `GET /users/42` it found the exempt `/:id/:size` route and left the global denial to it,
 * while the router ran the protected `/:id` handler unchecked; and the routes table took a pattern without the mount
 * for the route that runs, applying a relaxed entry to a strict handler. Raw requests over real sockets.
 *
 * The last case needs no sub-application: a route pattern the table cannot read (an optional parameter) runs for a
 * path whose relaxed entry another table pattern contests. The router cannot say which entry applies: the relaxed
 * one was kept and applied to the handler the strict pattern names; it is refused as ambiguous now, as a contested
 * exemption already was.
 */
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { createShield, type RouteOptions, type Shield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { listen, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const attester = createTestAttester();
const token = { secret: attester.secret as string, header: 'x-attestation-token' };
const RELAX: RouteOptions = { token: { binding: false } };

const running: RunningApp[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});

type ExpressFactory = typeof express5;
const EXPRESS: readonly [string, ExpressFactory][] = [
  ['express4', express4 as unknown as ExpressFactory],
  ['express5', express5],
];

for (const [name, express] of EXPRESS) {
  describe(`a global shield inside a sub-application (${name})`, () => {
    const ran: string[] = [];
    const handler = (label: string): express5.RequestHandler => (_req, res) => void (ran.push(label), res.json({ handler: label }));

    /** A users sub-application protecting itself: `/:id` protected, `/:id/:size` exempt at route level. */
    function usersApp(shield: Shield): express5.Express {
      const users = express();
      users.use(expressShield(shield) as unknown as express5.RequestHandler);
      users.get('/:id', handler('user'));
      users.get('/:id/:size', expressShield(shield, false) as unknown as express5.RequestHandler, handler('avatar'));
      return users;
    }

    async function start(mount: (app: express5.Express, shield: Shield) => void, shield = createShield({ token })): Promise<number> {
      const app = express();
      mount(app, shield);
      const server = await listen(http.createServer(app));
      running.push(server);
      return Number(new URL(server.url).port);
    }

    async function get(port: number, target: string, headers: Record<string, string> = {}): Promise<{ status: number; ran: string[] }> {
      ran.length = 0;
      const res = await rawRequest(port, 'GET', target, headers);
      return { status: res.status, ran: [...ran] };
    }

    it('app.use("/users", users): no unchecked protected handler for a path an exempt route matches in full', async () => {
      const port = await start((app, shield) => void app.use('/users', usersApp(shield)));
      expect(await get(port, '/users/42')).toEqual({ status: 401, ran: [] });
      // The exemption is not handed over inside a sub-application mounted at a path (its router saw another path).
      expect(await get(port, '/users/42/big')).toEqual({ status: 401, ran: [] });
      const headers = { 'x-attestation-token': await attester.mint() };
      expect(await get(port, '/users/42', headers)).toEqual({ status: 200, ran: ['user'] });
      expect(await get(port, '/users/42/big', headers)).toEqual({ status: 200, ran: ['avatar'] });
    });

    it('router.use("/api", legacy): the same, where Express records no parent for the sub-application', async () => {
      const port = await start((app, shield) => {
        const router = express.Router();
        router.use('/api', usersApp(shield));
        app.use(router);
      });
      expect(await get(port, '/api/42')).toEqual({ status: 401, ran: [] });
      expect(await get(port, '/api/42/big')).toEqual({ status: 401, ran: [] });
    });

    it('a sub-application mounted at "/" sees the full path: the route-level exemption still applies', async () => {
      const port = await start((app, shield) => void app.use(usersApp(shield)));
      expect(await get(port, '/42')).toEqual({ status: 401, ran: [] });
      expect(await get(port, '/42/big')).toEqual({ status: 200, ran: ['avatar'] });
    });

    it('the routes table is not given a pattern without the mount for the route that runs', async () => {
      // `/items/:id` runs for `/v1/items/special` (registered first). Its full pattern's entry is strict, the path's
      // own entry relaxed, and the sub-application's routes cannot be read: refused as ambiguous. Walked with the
      // full path, the sub-application's router named `/:section/items/:id` (which never runs for it), exempt.
      const shield = createShield({
        token,
        routes: { 'GET /v1/items/special': RELAX, 'GET /v1/items/:id': {}, 'GET /:section/items/:id': false },
      });
      const port = await start((app) => {
        const v1 = express();
        v1.use(expressShield(shield) as unknown as express5.RequestHandler);
        v1.get('/items/:id', handler('item'));
        v1.get('/items/special', handler('special'));
        v1.get('/:section/items/:id', handler('section'));
        app.use('/v1', v1);
      }, shield);
      const mismatched = { authorization: 'Bearer mallory', 'x-attestation-token': await attester.mint({ bindTo: 'Bearer alice' }) };
      const res = await get(port, '/v1/items/special', mismatched);
      expect(res.ran).toEqual([]);
      expect(res.status).toBe(400);
    });
  });
}

describe('a contested relaxed entry the router cannot place', () => {
  const OPTIONAL: readonly [string, ExpressFactory, string][] = [
    ['express4', express4 as unknown as ExpressFactory, '/files/:id?'],
    ['express5', express5, '/files{/:id}'],
  ];
  for (const [name, express, optional] of OPTIONAL) {
    it(`${name}: ${optional} registered before /files/public runs for it: refused, not relaxed`, async () => {
      const shield = createShield({ token, routes: { 'GET /files/public': { token: false }, 'GET /files/:id': {} } });
      const ran: string[] = [];
      const app = express();
      app.use(expressShield(shield) as unknown as express5.RequestHandler);
      app.get(optional, (_req, res) => void (ran.push('file'), res.json({})));
      app.get('/files/public', (_req, res) => void (ran.push('public'), res.json({})));
      const server = await listen(http.createServer(app));
      running.push(server);
      const port = Number(new URL(server.url).port);
      const res = await rawRequest(port, 'GET', '/files/public');
      expect(ran).toEqual([]);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).code).toBe('request_target_ambiguous');
      // The strict route keeps its own entry: refused without a token, served with one.
      expect((await rawRequest(port, 'GET', '/files/7')).status).toBe(401);
      expect((await rawRequest(port, 'GET', '/files/7', { 'x-attestation-token': await attester.mint() })).status).toBe(200);
    });
  }
});
