/**
 * SSRF: `http:///host` (three or more slashes, or slashes and backslashes) reaches `host` under WHATWG URL parsing
 * (fetch, undici, axios 1.x, `new URL`); the shield used to read the host as the empty string after `://`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../helpers/adapters.js';
import { checkBody, getQuery, postJson, startExpress, verdicts } from './review-helpers.js';

const PAYLOADS = [
  'http:///169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http:///metadata.google.internal/computeMetadata/v1/',
  'http:///localhost/admin',
  'https:///127.0.0.1:8443/',
  'http:////10.0.0.5/internal',
  'http://\\/10.0.0.5/',
  'ws:///127.0.0.1:9229/json',
];

/** Public hosts, extra slashes in the path, and hosts that are not internal after the slashes. */
const BENIGN = [
  'https://example.com/path/to/page',
  'https://api.github.com/repos/octo/hello/issues?page=2',
  'http://example.com//double//slash',
  'https:///example.com/x',
  'https://cdn.example.net/img/2024/07/cat.png',
];

describe('SSRF with extra slashes after the scheme', () => {
  it('check() denies them in a URL-named field (Node reads the internal host) and allows ordinary URLs', async () => {
    expect(new URL(PAYLOADS[0]!).hostname).toBe('169.254.169.254');
    expect(new URL(PAYLOADS[4]!).hostname).toBe('10.0.0.5');
    expect(await verdicts('webhook_url', PAYLOADS)).toEqual(PAYLOADS.map((p) => [p, false]));
    expect(await verdicts('webhook_url', BENIGN)).toEqual(BENIGN.map((p) => [p, true]));
  });

  it('denies them inside a resource document, where a plainly spelled internal URL is allowed', async () => {
    expect((await checkBody({ repo: { html_url: 'http:///localhost:3000/org/repo' } })).allowed).toBe(false);
    expect((await checkBody({ repo: { html_url: 'http://localhost:3000/org/repo' } })).allowed).toBe(true);
  });

  describe('over HTTP (express5)', () => {
    let app: RunningApp;
    let port: number;
    beforeAll(async () => ({ app, port } = await startExpress()));
    afterAll(() => app.close());
    it('refuses them in a JSON body and in the query, and answers 200 to ordinary URLs', async () => {
      for (const url of PAYLOADS) {
        expect([url, await postJson(port, { avatar_url: url })]).toEqual([url, 403]);
        expect([url, await getQuery(port, `url=${encodeURIComponent(url)}`)]).toEqual([url, 403]);
      }
      for (const url of BENIGN) expect([url, await getQuery(port, `url=${encodeURIComponent(url)}`)]).toEqual([url, 200]);
    });
  });
});
