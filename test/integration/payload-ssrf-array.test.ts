/**
 * Review (payload): an internal-host URL wrapped in a one-element array at the top of a body (JSON `{"url":[...]}`,
 * a form's `url[]=`) passed, because an array index counts as a nesting level for the "resource document below the
 * top level" exemption. `fetch(['http://127.0.0.1:6379/'])` stringifies the array and fetches the URL. The same
 * value as a plain field, or as `url[]=` in the query string, is denied.
 */
import http from 'node:http';
import express from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressShield, expressShieldBody } from '../../src/adapters/express.js';
import { createShield } from '../../src/shield.js';
import { listen, type RunningApp } from '../helpers/adapters.js';

function send(url: string, method: string, path: string, type?: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (type) {
      headers['content-type'] = type;
      headers['content-length'] = Buffer.byteLength(body ?? '');
    }
    const req = http.request(`${url}${path}`, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('review payload: SSRF URL in a one-element array', () => {
  let app: RunningApp;
  const fetched: unknown[] = [];
  beforeAll(async () => {
    const shield = createShield({ payload: {} });
    const a = express();
    a.use(expressShield(shield));
    a.use(express.json());
    a.use(express.urlencoded({ extended: true }));
    a.use(expressShieldBody(shield));
    const handler: express.RequestHandler = (req, res) => {
      const body = Array.isArray(req.body) ? req.body[0] : req.body;
      const url = (body?.url ?? req.query.url) as unknown;
      fetched.push(String(url)); // what fetch(url) / new URL(url) would request
      res.json({ ok: true });
    };
    a.post('/webhooks', handler);
    a.get('/webhooks', handler);
    app = await listen(http.createServer(a));
  });
  afterAll(() => app.close());

  const target = 'http://127.0.0.1:6379/';

  it('control: denied as a plain JSON field, a plain form field and as url[] in the query', async () => {
    expect(await send(app.url, 'POST', '/webhooks', 'application/json', JSON.stringify({ url: target }))).toBe(403);
    expect(await send(app.url, 'POST', '/webhooks', 'application/x-www-form-urlencoded', `url=${encodeURIComponent(target)}`)).toBe(403);
    expect(await send(app.url, 'GET', `/webhooks?url[]=${encodeURIComponent(target)}`)).toBe(403);
  });

  it('denied when wrapped in a one-element array in a JSON body or a form body', async () => {
    const json = await send(app.url, 'POST', '/webhooks', 'application/json', JSON.stringify({ url: [target] }));
    const form = await send(app.url, 'POST', '/webhooks', 'application/x-www-form-urlencoded', `url[]=${encodeURIComponent(target)}`);
    const batch = await send(app.url, 'POST', '/webhooks', 'application/json', JSON.stringify([{ url: target }]));
    expect({ json, form, batch, fetched }).toEqual({ json: 403, form: 403, batch: 403, fetched: [] });
  });

  it('still passes internal URLs in nested resource documents (an object level below the top)', async () => {
    const docs = [
      { servers: [{ url: 'http://localhost:8080' }] },
      [{ repository: { html_url: 'http://10.0.0.5/acme/app' } }],
      { data: [{ links: { self: target } }] },
    ];
    for (const doc of docs) expect([doc, await send(app.url, 'POST', '/webhooks', 'application/json', JSON.stringify(doc))]).toEqual([doc, 200]);
  });
});
