/**
 * The endpoint parses a body it reads itself as UTF-8 JSON bytes, so a body declared in another charset
 * (`charset=latin1`, `utf-16le`) or with a content coding (`Content-Encoding: gzip`) was parsed as something the
 * client did not send (mis-decoded text; "gzip" bytes taken as plain JSON). Both are now 415 problem+json, on every
 * adapter; `charset=utf-8` in any spelling and `application/*+json` types stay accepted. Over real sockets.
 * (gzip, deflate and br are now decoded, as the framework parsers decode them: endpoint-body-parity.test.ts; a coding
 * the endpoint does not decode stays 415.)
 */
import { describe, expect, it } from 'vitest';
import type { Endpoints } from '../../src/core/endpoints.js';
import { ENDPOINT_ADAPTERS } from '../helpers/endpoint-apps.js';
import { rawRequest } from '../helpers/raw-http.js';

function echoEndpoints(): Endpoints {
  return {
    maxBodyBytes: 1024,
    routes: [{ method: 'POST', path: '/echo' }],
    async handle(req) {
      return { status: 200, headers: {}, body: { body: req.body ?? null } };
    },
  };
}

describe.each(ENDPOINT_ADAPTERS)('endpoint content types and codings ($name)', (harness) => {
  it('refuses a non-UTF-8 charset and a content coding 415, accepts UTF-8 however spelled', async () => {
    const app = await harness.start({ endpoints: echoEndpoints() });
    const port = Number(new URL(app.url).port);
    const answer = async (headers: Record<string, string>): Promise<[number, string | undefined, unknown]> => {
      const res = await rawRequest(port, 'POST', '/echo', headers, '{"a":1}');
      const json = JSON.parse(res.body) as { code?: string; body?: unknown };
      return [res.status, res.headers['content-type']?.split(';')[0], json.code ?? json.body];
    };
    try {
      for (const type of ['application/json; charset=latin1', 'application/json; charset=utf-16le', 'application/json;charset="iso-8859-1"']) {
        expect([type, ...(await answer({ 'Content-Type': type }))]).toEqual([type, 415, 'application/problem+json', 'unsupported_media_type']);
      }
      for (const coding of ['compress', 'zstd, identity']) {
        const got = await answer({ 'Content-Type': 'application/json', 'Content-Encoding': coding });
        expect([coding, ...got]).toEqual([coding, 415, 'application/problem+json', 'unsupported_media_type']);
      }
      for (const type of ['application/json; charset=UTF-8', 'Application/JSON;Charset="utf-8"', 'application/vnd.api+json; charset=utf8']) {
        expect([type, ...(await answer({ 'Content-Type': type }))]).toEqual([type, 200, 'application/json', { a: 1 }]);
      }
      expect(await answer({ 'Content-Type': 'application/json', 'Content-Encoding': 'identity' })).toEqual([200, 'application/json', { a: 1 }]);
    } finally {
      await app.close();
    }
  });
});
