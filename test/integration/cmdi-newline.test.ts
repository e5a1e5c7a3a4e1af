/**
 * Command injection with a line break as the separator: `ping <value>` run by a shell runs each line, so an address
 * alone on the first line and a command on the next is a chained command (reviewer-found: `8.8.8.8\nid` passed while
 * `8.8.8.8;id` was refused). Prose with a command word on its own line still passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const routes: TestRoute[] = [{ method: 'GET', path: '/ping' }];

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s', (_name, harness) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await harness.start(createShield({ payload: {} }), routes);
  });
  afterAll(() => app.close());

  it('refuses an address, a line break and a command; passes prose over two lines', async () => {
    const port = Number(new URL(app.url).port);
    for (const value of ['8.8.8.8\nid', '8.8.8.8\nsleep 5', '8.8.8.8\r\nreboot', 'example.com\nid', '::1\nwhoami']) {
      const res = await rawRequest(port, 'GET', `/ping?ip=${encodeURIComponent(value)}`);
      expect([value, res.status]).toEqual([value, 403]);
    }
    for (const value of [
      'Thanks for the help\nid like to know more',
      'see you soon\ndate to be confirmed',
      'Order 12345\nfind it below',
      // A number, time, version or file name, then a line of prose starting with a command word (diff review).
      '10:30\nCall the dentist about the filling',
      '1.\nFind a venue for the party',
      'v2.4.1\nUsers can now export their data',
      '10.0.0.5\nHost is unreachable since this morning',
      '1600\nW Main Street',
      'example.com\nMore details in the attachment',
      '19.99\nLess 10% discount',
      'report.pdf\nHead office copy',
      '3\nSet of towels, blue',
    ]) {
      const res = await rawRequest(port, 'GET', `/ping?note=${encodeURIComponent(value)}`);
      expect([value, res.status]).toEqual([value, 200]);
    }
  });
});
