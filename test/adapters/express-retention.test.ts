/**
 * What a decision keeps alive after its request: `req.shield` leads to the ShieldRequest the check saw, and nothing
 * on that ShieldRequest may lead back to Express's `req`/`res`. A path back (the route lookahead closure sharing its
 * V8 context with a callback over `req`) made every request's whole graph survive young-generation collections
 * over real sockets: about 13 µs of GC per request in the Express benchmark (test/bench). Proved with a WeakRef and
 * forced full collections, over a real socket, with the decision still held.
 */
import http from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import { describe, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { approov } from '../../src/attestation/approov.js';
import type { Decision } from '../../src/shield.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { expectOnlyDecisionsSurvive } from '../helpers/retention.js';

const attester = createTestAttester({ header: 'approov-token' });
const AUTHORIZATION = 'Bearer alice';

const frameworks = [
  ['Express 5', express5],
  ['Express 4', express4],
] as const;

describe.each(frameworks)('%s: a held decision does not keep its request alive', (_name, express) => {
  it('req and res are collected while req.shield (header and body stage) is still referenced', async () => {
    const shield = createShield({ token: approov({ secret: attester.secret as string }) });
    const app = express();
    app.use(expressShield(shield) as never);
    app.use(express.json());
    app.use(expressShieldBody(shield) as never);
    const held: Decision[] = [];
    const refs: WeakRef<object>[] = [];
    app.post('/v1/orders/:id', (req, res) => {
      held.push(req.shield as Decision);
      refs.push(new WeakRef(req), new WeakRef(res));
      res.status(200).json({ ok: true });
    });
    const server = http.createServer(app);
    const token = await attester.mint({ bindTo: AUTHORIZATION });
    const headers = { authorization: AUTHORIZATION, 'approov-token': token, 'content-type': 'application/json' };
    await expectOnlyDecisionsSurvive(server, headers, held, refs);
  });
});
