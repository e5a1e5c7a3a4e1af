/**
 * The payload shield's header limits count the header lines the client sent, not the keys of Node's joined `headers`
 * object: Node folds repeated lines of a custom header into one `a, b, ...` value and drops repeats of headers such as
 * User-Agent, so counting keys let one name repeated hundreds of times pass `maxHeaderCount` and `maxHeaderBytes`.
 * Over real sockets through every adapter (supertest and inject() cannot send a header name twice).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShield, type Decision } from '../../src/shield.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

/**
 * `count` lines of `name: value`. rawRequest takes a record (one line per name) and writes each value as given, so
 * the repeats ride in one value joined by CRLF: on the wire they are separate header lines.
 */
const repeated = (name: string, value: string, count: number): Record<string, string> => ({
  [name]: Array.from({ length: count }, () => value).join(`\r\n${name}: `),
});

// rawRequest always sends Host and Connection: with 8 more lines a request is exactly at maxHeaderCount.
const LIMITS = { maxHeaderCount: 10, maxHeaderBytes: 400 };

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s', (_name, harness) => {
  let app: RunningApp;
  let port: number;
  const decisions: Decision[] = [];
  /** The payload shield's detail for the last request. */
  const lastDetail = () => decisions.at(-1)?.results.find((r) => r.verifier === 'payload-shield')?.detail;
  beforeAll(async () => {
    const shield = createShield({ payload: { limits: LIMITS }, onDecision: (d) => void decisions.push(d) });
    app = await harness.start(shield, [{ method: 'GET', path: '/items' }]);
    port = Number(new URL(app.url).port);
  });
  afterAll(() => app.close());

  it('denies one header name repeated past maxHeaderCount with 413 payload_too_large, passes it at the limit', async () => {
    const over = await rawRequest(port, 'GET', '/items', repeated('X-A', '1', 9));
    expect(over.status).toBe(413);
    expect(over.body).toContain('payload_too_large');
    expect(lastDetail()).toContain('maxHeaderCount');

    const atLimit = await rawRequest(port, 'GET', '/items', repeated('X-A', '1', 8));
    expect(atLimit.status).toBe(200);
  });

  it('counts the bytes of repeated lines Node drops (User-Agent) toward maxHeaderBytes', async () => {
    const agent = 'a'.repeat(70);
    // One line: 10 + 70 bytes, with Host and Connection 110, well under 400.
    expect((await rawRequest(port, 'GET', '/items', { 'User-Agent': agent })).status).toBe(200);
    // Six lines (8 in all, under maxHeaderCount): 510 bytes sent, of which Node keeps one User-Agent.
    const over = await rawRequest(port, 'GET', '/items', repeated('User-Agent', agent, 6));
    expect(over.status).toBe(413);
    expect(lastDetail()).toContain('maxHeaderBytes');
  });
});
