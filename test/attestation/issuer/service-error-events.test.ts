/**
 * docs/attestation-service.md: "`onEvent` reports each issue, registration, refusal (...) and error". A store that
 * cannot answer (the rate limiter's `increment`) made the route answer 503 `shield_unavailable` with no event at all,
 * so an operator watching onEvent never saw the service failing every token request (found by review). One event
 * per failure, with the platform of the route.
 */
import http from 'node:http';
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { expressEndpoints } from '../../../src/adapters/express.js';
import type { AttestationServiceEvent } from '../../../src/attestation/issuer/index.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import type { Store } from '../../../src/stores/store.js';
import { listen, type RunningApp } from '../../helpers/adapters.js';
import { androidTokenBody, play, testService } from './fixtures.js';

const running: RunningApp[] = [];
afterAll(() => Promise.all(running.map((app) => app.close())));

/** Serves the service's endpoints with Express on a loopback port; returns its URL. */
async function serve(service: Parameters<typeof expressEndpoints>[0]): Promise<string> {
  const app = express();
  app.use(expressEndpoints(service) as unknown as express.RequestHandler);
  const started = await listen(http.createServer(app));
  running.push(started);
  return started.url;
}

/** A MemoryStore whose `increment` fails (Redis timing out on the rate-limit counter). */
function failingIncrement(): Store {
  const store = new MemoryStore();
  store.increment = () => Promise.reject(new Error('Command timed out'));
  return store;
}

describe('attestation service onEvent', () => {
  it('reports a 503 on a token route as an error event', async () => {
    const events: AttestationServiceEvent[] = [];
    const url = await serve(testService(failingIncrement(), { onEvent: (e) => void events.push(e) }));

    const res = await request(url).post('/attest/android').send(await androidTokenBody({ challenge: 'A'.repeat(43) }));
    expect(res.status).toBe(503);
    expect(events).toEqual([expect.objectContaining({ route: '/attest/android', outcome: 'error' })]);
  });

  it('reports a throwing policy once, and an error inside evidence verification once, with its platform', async () => {
    const events: AttestationServiceEvent[] = [];
    const store = new MemoryStore();
    const throwing = testService(store, { onEvent: (e) => void events.push(e), policy: () => { throw new Error('policy backend down'); } });
    let url = await serve(throwing);
    const challenge = (await request(url).post('/attest/challenge').send({})).body.challenge as string;
    expect((await request(url).post('/attest/android').send(await androidTokenBody({ challenge }))).status).toBe(503);
    expect(events.filter((e) => e.outcome === 'error')).toEqual([expect.objectContaining({ route: '/attest/android' })]);

    events.length = 0;
    const service = testService(new MemoryStore(), {
      onEvent: (e) => void events.push(e),
      // No local keys: the decoder decides, and a rejection without an HTTP status is ours to fix (503), not a verdict.
      android: { packageName: play.options.packageName, decoder: () => Promise.reject(new Error('decoder crashed')) },
    });
    url = await serve(service);
    const again = (await request(url).post('/attest/challenge').send({})).body.challenge as string;
    expect((await request(url).post('/attest/android').send(await androidTokenBody({ challenge: again }))).status).toBe(503);
    expect(events.filter((e) => e.outcome === 'error')).toEqual([expect.objectContaining({ route: '/attest/android', platform: 'android' })]);
  });
});
