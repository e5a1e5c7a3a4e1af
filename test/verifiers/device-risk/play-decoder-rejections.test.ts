/**
 * A Play Integrity `decoder` (Google's decodeIntegrityToken) and what its rejections mean over real HTTP. A client's
 * garbage header or a token Google refuses (400) is an invalid proof: 403, never the "cannot decide" that `failOpen`
 * passes (which would skip the whole device policy, self-reported signals included). Only a decoder that cannot
 * decide (5xx, transport error) stays an error: 503 without `failOpen`.
 */
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/shield.js';
import { createShield } from '../../../src/shield.js';
import { ADAPTERS } from '../../helpers/adapters.js';

/** Shaped like a compact JWE (five base64url segments), so it reaches the decoder. */
const WELL_FORMED = 'eyJhbGciOiJBMjU2S1cifQ.a2V5.aXY.Y2lwaGVy.dGFn';

/** A decoder that rejects every token as configured, counting calls. */
function rejectingDecoder(error: () => unknown) {
  const calls: string[] = [];
  return {
    calls,
    decoder: async (token: string): Promise<unknown> => {
      calls.push(token);
      throw error();
    },
  };
}
/** Google's answer for a token it cannot decode, as its client libraries surface it. */
const badRequest = () => Object.assign(new Error('Request failed with status code 400: INVALID_ARGUMENT'), { status: 400 });

function setup(decoder: (token: string) => Promise<unknown>, failOpen?: boolean) {
  const details: (string | undefined)[] = [];
  const shield = createShield({
    device: {
      ...(failOpen !== undefined ? { failOpen } : {}),
      playIntegrity: { packageName: 'com.example.bank', decoder },
      policy: { actions: { rooted: 'deny' } },
    },
    onDecision: (d: Decision) => details.push(d.results.find((r) => r.verifier === 'device-risk')?.detail),
  });
  return { shield, details };
}

describe.each(ADAPTERS)('$name: Play Integrity decoder rejections', (adapter) => {
  const get = (url: string, headers: Record<string, string>) => fetch(`${url}/accounts`, { headers });
  const routes = [{ method: 'GET' as const, path: '/accounts' }];

  it('under failOpen, a garbage header with self-reported rooted is 403 device_untrusted, as without the header; it never reaches the decoder', async () => {
    const d = rejectingDecoder(() => Object.assign(new Error('upstream unavailable'), { status: 503 }));
    const { shield, details } = setup(d.decoder, true);
    const app = await adapter.start(shield, routes);
    try {
      const none = await get(app.url, { 'x-device-signals': 'rooted' });
      expect(none.status).toBe(403);
      const garbage = await get(app.url, { 'x-device-signals': 'rooted', 'x-play-integrity': '!!not-a-token!!' });
      expect(garbage.status).toBe(403);
      expect(((await garbage.json()) as { code: string }).code).toBe('device_untrusted');
      expect(details.at(-1)).toContain('proofs=play-integrity:malformed_token');
      for (const token of ['a.b.c', 'a.b.c.d.e.f', 'a.b.c.d.e<x>']) {
        expect((await get(app.url, { 'x-device-signals': 'rooted', 'x-play-integrity': token })).status).toBe(403);
      }
      expect(d.calls).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('without failOpen, a garbage header is 403 device_untrusted, not 503', async () => {
    const { shield } = setup(rejectingDecoder(badRequest).decoder);
    const app = await adapter.start(shield, routes);
    try {
      const garbage = await get(app.url, { 'x-play-integrity': '!!not-a-token!!' });
      expect(garbage.status).toBe(403);
      expect(((await garbage.json()) as { code: string }).code).toBe('device_untrusted');
    } finally {
      await app.close();
    }
  });

  it('a well-formed token the decoder refuses with a 4xx is 403 device_untrusted (decode_failed), with or without failOpen', async () => {
    for (const failOpen of [true, false]) {
      const { shield, details } = setup(rejectingDecoder(badRequest).decoder, failOpen);
      const app = await adapter.start(shield, routes);
      try {
        const res = await get(app.url, { 'x-device-signals': 'rooted', 'x-play-integrity': WELL_FORMED });
        expect(res.status).toBe(403);
        expect(((await res.json()) as { code: string }).code).toBe('device_untrusted');
        expect(details.at(-1)).toContain('proofs=play-integrity:decode_failed');
      } finally {
        await app.close();
      }
    }
  });

  it('a decoder that cannot decide (5xx, 429, transport error) is still 503 shield_unavailable without failOpen', async () => {
    const errors = [
      () => Object.assign(new Error('backend error'), { status: 503 }),
      () => Object.assign(new Error('quota exceeded'), { code: 429 }),
      () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    ];
    for (const error of errors) {
      const d = rejectingDecoder(error);
      const { shield } = setup(d.decoder);
      const app = await adapter.start(shield, routes);
      try {
        const res = await get(app.url, { 'x-play-integrity': WELL_FORMED });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { code: string }).code).toBe('shield_unavailable');
        expect(d.calls).toEqual([WELL_FORMED]);
      } finally {
        await app.close();
      }
    }
  });
});
