/**
 * A second shield whose first middleware is created while a request is in flight (a partner router built on first
 * use), on koa. Until then the first shield was the only one and kept its decision on `shield` alone; the second
 * moves it to the first's slot before writing its own over it (review: the first shield, mounted again, ran the whole
 * check a second time and refused a single-use token as replayed; an explicit login outcome missed it). One file per
 * framework: the window exists only while a process has one shield.
 */
import Koa from 'koa';
import { afterAll, expect, it } from 'vitest';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield, reportLoginOutcome } from '../../src/index.js';
import { firstShield } from './lazy-shield-fixture.js';
import { servePort, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const { shield: first, attester, header, checks, heard } = firstShield();
const running: RunningApp[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});

it('koa: the first shield, mounted again after the second, checks once and hears the login outcome', async () => {
  const app = new Koa();
  app.use(koaShield(first) as unknown as Koa.Middleware);
  let lazy: Koa.Middleware | undefined;
  app.use((ctx, next) => (lazy ??= koaShield(createShield({ verifiers: [] })) as unknown as Koa.Middleware)(ctx, next));
  app.use(koaShield(first) as unknown as Koa.Middleware);
  app.use(async (ctx) => {
    await reportLoginOutcome(ctx, 'failure');
    ctx.body = { ok: false };
  });
  const port = await servePort(running, app.callback());
  const answer = await rawRequest(port, 'POST', '/login', { [header]: await attester.mint({ claims: { jti: 'lazy-koa' } }) });
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect([answer.status, checks(), heard]).toEqual([200, 1, ['failure']]);
});
