/**
 * Review of c25ce7c: a bodiless request whose body stage (preValidation) is still deciding asynchronously when the
 * client hangs up is reported by the new 'close' listener with the header stage's decision; the body stage then
 * finishes (denying, or allowing and the handler runs) and is never reported (`session.ended`).
 */
import net from 'node:net';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import fastify40 from 'fastify40';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import type { Verifier } from '../../src/core/verifier.js';
import { createShield, type Decision } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';

const attester = createTestAttester({ header: 'approov-token' });
type Report = [code: string | undefined, allowed: boolean, complete: boolean, bodyStageRan: boolean];
const summary = (d: Decision): Report => [d.code, d.allowed, d.complete, d.results.some((r) => r.verifier === 'body-marker')];
const running: { close(): Promise<unknown> }[] = [];
afterAll(async () => { for (const a of running) await a.close(); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A body-stage verifier answering `outcome` after 80 ms; `settled` resolves once it answered. */
function slowBodyStage(outcome: 'pass' | 'deny') {
  let done!: () => void;
  const settled = new Promise<void>((r) => (done = r));
  const marker: Verifier = {
    name: 'body-marker',
    stage: 'body',
    verify: () => new Promise((resolve) => setTimeout(() => {
      resolve(outcome === 'pass' ? { outcome: 'pass' } : { outcome: 'deny', code: 'payload_attack' });
      setTimeout(done, 30);
    }, 80)),
  };
  return { marker, settled };
}

async function start(fastify: any, marker: Verifier) {
  const reports: Report[] = [];
  const handled: string[] = [];
  const shield = createShield({
    token: approov({ secret: attester.secret!, binding: false }),
    payload: {},
    verifiers: [marker],
    onDecision: (d) => void reports.push(summary(d)),
  });
  const app = fastify();
  await app.register(fastifyShield as never, { shield });
  app.get('/orders', async () => (handled.push('GET'), { ok: true }));
  app.post('/orders', async () => (handled.push('POST'), { ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  running.push({ close: () => app.close() });
  return { reports, handled, port: (app.server.address() as AddressInfo).port };
}

/** Sends the request, hangs up 30 ms later (while the body stage is deciding). */
async function sendAndHangUp(port: number, method: string, body = '') {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const extra = body ? `content-type: application/json\r\ncontent-length: ${body.length}\r\n` : '';
  socket.write(`${method} /orders HTTP/1.1\r\nHost: a\r\napproov-token: ${await attester.mint()}\r\n${extra}\r\n${body}`);
  await sleep(30);
  socket.destroy();
}

for (const [name, fastify] of [['fastify40', fastify40], ['fastify4', fastify4], ['fastify5', fastify5]] as const) {
  describe(`${name}: client hangs up while an async body stage decides`, () => {
    it('a GET the body stage denies is reported once, as denied (not as the header stage allowing it)', async () => {
      const { marker, settled } = slowBodyStage('deny');
      const { reports, port } = await start(fastify, marker);
      await sendAndHangUp(port, 'GET');
      await settled;
      await sleep(50);
      expect(reports).toEqual([['payload_attack', false, true, true]]);
    });

    it('a GET the body stage allows (the handler runs) is reported once, with the body stage decision', async () => {
      const { marker, settled } = slowBodyStage('pass');
      const { reports, handled, port } = await start(fastify, marker);
      await sendAndHangUp(port, 'GET');
      await settled;
      await sleep(50);
      expect(handled).toEqual(['GET']);
      expect(reports).toEqual([[undefined, true, true, true]]);
    });

    it('a JSON POST the body stage denies is reported once, as denied', async () => {
      const { marker, settled } = slowBodyStage('deny');
      const { reports, port } = await start(fastify, marker);
      await sendAndHangUp(port, 'POST', '{"q":"shoes"}');
      await settled;
      await sleep(50);
      expect(reports).toEqual([['payload_attack', false, true, true]]);
    });
  });
}
