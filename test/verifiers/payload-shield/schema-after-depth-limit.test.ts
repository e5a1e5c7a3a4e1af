/**
 * The depth limit is checked before a route's schemas: a recursive schema (`z.json()`) followed a body nested 5,000 deep
 * (10 KB) until the stack overflowed, and the request ended 503 `shield_unavailable` instead of 413.
 */
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../../src/attestation/approov.js';
import { createShield } from '../../../src/shield.js';
import { createTestAttester } from '../../../src/testing/index.js';
import { ADAPTERS, type RunningApp, type TestRoute } from '../../helpers/adapters.js';

const attester = createTestAttester({ header: 'approov-token' });
const routes: TestRoute[] = [
  { method: 'POST', path: '/docs', shield: { payload: { body: z.object({ meta: z.json() }) } } },
];

async function post(url: string, body: string): Promise<{ status: number; code: unknown }> {
  const res = await fetch(url + '/docs', { method: 'POST', headers: { ...(await attester.headers()), 'content-type': 'application/json' }, body });
  const text = await res.text();
  let code: unknown;
  try { code = (JSON.parse(text) as { code?: unknown }).code; } catch { code = text.slice(0, 80); }
  return { status: res.status, code };
}

for (const adapter of ADAPTERS) {
  describe(`maxDepth before route schemas through ${adapter.name}`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      const shield = createShield({ token: { ...approov({ secret: attester.secret as string }), binding: false }, payload: {} });
      app = await adapter.start(shield, routes);
    });
    afterAll(() => app.close());

    it('control: depth 100 is refused 413 payload_too_large', async () => {
      expect(await post(app.url, '{"meta":' + '['.repeat(100) + ']'.repeat(100) + '}')).toEqual({ status: 413, code: 'payload_too_large' });
    });

    it('depth 5000 (10 KB) is refused 413 payload_too_large, not an error', async () => {
      expect(await post(app.url, '{"meta":' + '['.repeat(5000) + ']'.repeat(5000) + '}')).toEqual({ status: 413, code: 'payload_too_large' });
    });
  });
}
