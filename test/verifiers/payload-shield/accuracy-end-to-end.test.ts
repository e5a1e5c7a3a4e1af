/**
 * This session's three accuracy fixes end to end, through createShield in the Express test app: a jQuery quoted id
 * selector passes (sqli-quote-break), a twice-encoded `__proto__` document is refused (prototype pollution), a
 * command in a subshell group after a separator is refused (command injection). The detector-level cases are in
 * sqli-jquery-selector, proto-nested-json-string and cmdi-subshell-group.test.ts.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../helpers/adapters.js';
import { startExpress } from './review-helpers.js';

/** `doc` as JSON text, then wrapped `times - 1` times as the string value `b` of a document. */
function encoded(doc: unknown, times: number): string {
  let text = JSON.stringify(doc);
  for (let k = 1; k < times; k++) text = JSON.stringify({ b: text });
  return text;
}

describe('payload accuracy fixes through Express', () => {
  let app: RunningApp;
  beforeAll(async () => {
    ({ app } = await startExpress());
  });
  afterAll(async () => {
    await app.close();
  });
  const post = (body: object) => request(app.server).post('/api/v1/items').set('user-agent', 'okhttp/4.12.0').send(body);

  it('lets a jQuery snippet through in a JSON body and still refuses admin\'#', async () => {
    expect((await post({ snippet: "$('#id').hide()" })).status).toBe(200);
    expect((await post({ snippet: '$("#menu").toggle()' })).status).toBe(200);
    expect((await post({ snippet: "admin'#" })).status).toBe(403);
  });

  it('refuses a twice-encoded __proto__ document in a JSON body field; passes a twice-encoded harmless one', async () => {
    expect((await post({ a: encoded(JSON.parse('{"__proto__":{"isAdmin":true}}'), 2) })).status).toBe(403);
    expect((await post({ a: encoded({ b: { isAdmin: true } }, 2) })).status).toBe(200);
  });

  it('refuses ;(id) in a JSON body and in the query; passes the prose', async () => {
    expect((await post({ host: '8.8.8.8;(id)' })).status).toBe(403);
    expect((await request(app.server).get('/api/v1/items').query({ host: '8.8.8.8|(ls)' }).set('user-agent', 'okhttp/4.12.0')).status).toBe(403);
    expect((await post({ host: 'Meet me; (at) the station' })).status).toBe(200);
  });
});
