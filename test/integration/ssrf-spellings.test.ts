/**
 * SSRF: URL spellings that Node's own URL parser (what `fetch` and `new URL` use) turns back into an internal host,
 * over real sockets through every adapter (reviewer-found: each passed the shield while its plain form was refused).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../helpers/adapters.js';
import { rawRequest } from '../helpers/raw-http.js';

const SPELLINGS = [
  'http://16\u00ad9.254.169.254/latest/meta-data/', // soft hyphen, ignored in hosts
  'http://169.254\u200b.169.254/latest/meta-data/', // zero-width space
  'http://lo\tcalhost/admin', // tabs and newlines are removed anywhere
  'ht\ntp://169.254.169.254/latest/meta-data/',
  '\u0000http://169.254.169.254/latest/meta-data/', // leading controls are stripped
  'http://025177524776/latest/meta-data/', // octal, dotless
  'http://017700000001/', // octal loopback
  'http:/\\169.254.169.254/latest/meta-data/',
  `http://169.254.169.254/latest/meta-data/#${'a'.repeat(4100)}`, // padded past 4 KB
];
const BENIGN = ['https://bücher.de/katalog', 'https://example.com/a?b=c', 'http://8.8.8.8/', 'https://api.example.com/v1/items/025177524776'];

const routes: TestRoute[] = [
  { method: 'GET', path: '/fetch' },
  { method: 'POST', path: '/fetch' },
];

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s', (_name, harness) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await harness.start(createShield({ payload: {} }), routes);
  });
  afterAll(() => app.close());

  it('refuses each spelling in the query and in a JSON body', async () => {
    const port = Number(new URL(app.url).port);
    for (const url of SPELLINGS) {
      const query = await rawRequest(port, 'GET', `/fetch?url=${encodeURIComponent(url)}`);
      expect([url.slice(0, 60), query.status]).toEqual([url.slice(0, 60), 403]);
      const body = await request(app.url).post('/fetch').send({ webhook: url });
      expect([url.slice(0, 60), body.status]).toEqual([url.slice(0, 60), 403]);
    }
  });

  it('passes public URLs, international names and numbers that are not hosts', async () => {
    const port = Number(new URL(app.url).port);
    for (const url of BENIGN) {
      expect([url, (await rawRequest(port, 'GET', `/fetch?url=${encodeURIComponent(url)}`)).status]).toEqual([url, 200]);
      expect([url, (await request(app.url).post('/fetch').send({ webhook: url })).status]).toEqual([url, 200]);
    }
  });
});
