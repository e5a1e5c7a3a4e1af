/**
 * A second shield whose first middleware is created while a request is in flight (a partner router built on first
 * use), on express. Until then the first shield was the only one and kept its decision on `shield` alone; the second
 * moves it to the first's slot before writing its own over it (review: the first shield, mounted again, ran the whole
 * check a second time and refused a single-use token as replayed; an explicit login outcome missed it). One file per
 * framework: the window exists only while a process has one shield.
 */
import express from 'express';
import { afterAll, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { createShield, reportLoginOutcome } from '../../src/index.js';
import { firstShield } from './lazy-shield-fixture.js';
import { servePort, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const { shield: first, attester, header, checks, heard } = firstShield();
const running: RunningApp[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});

it('express: the first shield, mounted again after the second, checks once and hears the login outcome', async () => {
  const app = express();
  app.use(expressShield(first));
  let lazy: ReturnType<typeof expressShield> | undefined;
  app.use((req, res, next) => (lazy ??= expressShield(createShield({ verifiers: [] })))(req, res, next));
  const router = express.Router();
  router.use(expressShield(first));
  router.post('/login', async (req, res) => {
    await reportLoginOutcome(req, 'failure');
    res.json({ ok: false });
  });
  app.use(router);
  const port = await servePort(running, app);
  const answer = await rawRequest(port, 'POST', '/login', { [header]: await attester.mint({ claims: { jti: 'lazy-express' } }) });
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect([answer.status, checks(), heard]).toEqual([200, 1, ['failure']]);
});
