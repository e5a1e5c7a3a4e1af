/**
 * Review (payload): a last path segment that is a backtick command substitution (`` `id` ``, `` `env` ``) passed on
 * Express and Koa, which check before routing and read an unencoded segment only as part of the whole path (where
 * the Markdown-inline-code exemption applies, as the backticks are not the whole value), while Fastify, which hands
 * the shield `params.id`, denies it, and so does the same value in the query string on every adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const NAMES = ['express5', 'koa3', 'fastify5'];

describe('review payload: backtick substitution as a whole path parameter', () => {
  const apps: [string, RunningApp][] = [];
  beforeAll(async () => {
    for (const name of NAMES) {
      const harness = ADAPTERS.find((a) => a.name === name)!;
      apps.push([name, await harness.start(createShield({ payload: {} }), [{ method: 'GET', path: '/hosts/:host' }])]);
    }
  });
  afterAll(async () => {
    for (const [, app] of apps) await app.close();
  });

  it('control: the same value in the query string is denied on every adapter', async () => {
    const out: Record<string, number> = {};
    for (const [name, app] of apps) out[name] = (await rawRequest(Number(new URL(app.url).port), 'GET', '/hosts/x?host=%60id%60')).status;
    expect(out).toEqual({ express5: 403, koa3: 403, fastify5: 403 });
  });

  it('denied as the path parameter on every adapter', async () => {
    const out: Record<string, number> = {};
    for (const [name, app] of apps) out[name] = (await rawRequest(Number(new URL(app.url).port), 'GET', '/hosts/`id`')).status;
    expect(out).toEqual({ express5: 403, koa3: 403, fastify5: 403 });
  });

  it('denies `$(id)` and a backtick segment before the last one; passes a backticked plain word, on every adapter', async () => {
    const out: Record<string, number[]> = {};
    for (const [name, app] of apps) {
      const port = Number(new URL(app.url).port);
      out[name] = [
        (await rawRequest(port, 'GET', '/hosts/$(id)')).status,
        (await rawRequest(port, 'GET', '/hosts/`id`/x')).status,
        (await rawRequest(port, 'GET', '/hosts/`web-01`')).status,
      ];
    }
    // The middle-segment request matches no route: Fastify, which routes first, answers 404 (its route never runs).
    expect(out).toEqual({ express5: [403, 403, 200], koa3: [403, 403, 200], fastify5: [403, 404, 200] });
  });
});
