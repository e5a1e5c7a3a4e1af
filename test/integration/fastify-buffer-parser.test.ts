/**
 * Fastify body parity: a content-type parser with `parseAs: 'buffer'` (the usual pattern for signed webhooks) hands
 * the handler the body's bytes, which it then parses itself (`JSON.parse(req.body)`). The body stage inspected such
 * a Buffer for its size only, so an attack in the JSON reached the handler unchecked. The bytes are now read as the
 * handler reads them (JSON parsed, a form's fields, text), for the check only: the handler still gets its Buffer.
 * Real sockets; the same requests without the shield reach the handler (the attack is there to be caught).
 */
import type { AddressInfo } from 'node:net';
import fastify from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { createShield } from '../../src/shield.js';

const ATTACKS = [
  ['application/json', JSON.stringify({ c: "x' UNION SELECT password FROM users--" })],
  ['application/json; charset=utf-8', JSON.stringify({ note: '<script>alert(1)</script>' })],
  ['application/x-www-form-urlencoded', 'note=%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
  ['text/plain', "x' UNION SELECT password FROM users--"],
] as const;
const BENIGN = ['application/json', JSON.stringify({ c: "O'Brien's order", qty: 2 })] as const;

type Factory = typeof fastify | typeof fastify4;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** A Fastify app whose parsers keep every body as bytes; its handler echoes what it parsed from them. */
async function start(factory: Factory, shielded: boolean): Promise<string> {
  const app = (factory as typeof fastify)();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  if (shielded) await app.register(fastifyShield, { shield: createShield({ payload: {} }) });
  app.post('/hook', async (req) => ({ isBuffer: Buffer.isBuffer(req.body), text: (req.body as Buffer).toString('utf8') }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => app.close());
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/hook`;
}

const post = (url: string, type: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': type }, body });

describe.each([
  ['Fastify 5', fastify as Factory],
  ['Fastify 4', fastify4 as Factory],
])('%s, a parseAs: buffer parser', (_name, factory) => {
  it.each(ATTACKS)('an attack under %s is denied; without the shield it reaches the handler', async (type, body) => {
    const bare = await post(await start(factory, false), type, body);
    expect(bare.status).toBe(200);
    expect(((await bare.json()) as { text: string }).text).toBe(body);
    const shielded = await post(await start(factory, true), type, body);
    expect(shielded.status).toBe(403);
    expect(((await shielded.json()) as { code: string }).code).toBe('payload_attack');
  });

  it('a benign body passes, and the handler still gets its bytes', async () => {
    const res = await post(await start(factory, true), BENIGN[0], BENIGN[1]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ isBuffer: true, text: BENIGN[1] });
  });
});
