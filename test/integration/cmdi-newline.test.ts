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
    for (const value of ['8.8.8.8\nid', '8.8.8.8\nsleep 5', '8.8.8.8\r\nreboot', '10.0.0.5\nuname', '::1\nwhoami']) {
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
      // An address or a host or file name, then prose starting with a command word (second diff review).
      'status.example.com\nAt 09:12 UTC we saw elevated 5xx; resolved at 09:40.',
      'example.com\nCall 555-0100 if it happens again',
      'api.example.com\nTimeout 30 seconds on /v1/orders',
      '8.8.8.8\nAt 10:30',
      '10.0.0.1\nping 3 ms\n',
      '2001:db8::1\nCall 555',
      'fe80::1\nType "A"',
      'example.com\nstart',
      'Order.pdf\nType "invoice" in subject',
      'index.js\nnode 18 prints "hello"',
      'www.mybank.co.uk\nCat 5e cable needed',
    ]) {
      const res = await rawRequest(port, 'GET', `/ping?note=${encodeURIComponent(value)}`);
      expect([value, res.status]).toEqual([value, 200]);
    }
  });
});
