/**
 * createPinReportEndpoint's own `onError` is documented (TSDoc of PinReportOptions.onError) as "Told about store
 * failures and throwing `onPinFailure` hooks". A store failure makes `handle` reject; serveEndpoint answers 503 and
 * tells only the mount's onError (expressEndpoints/koaEndpoints/fastifyEndpoints options), never the endpoint's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPinReportEndpoint } from '../../src/channel/report-endpoint.js';
import { MemoryStore } from '../../src/stores/memory.js';
import type { Store } from '../../src/stores/store.js';
import { ENDPOINT_ADAPTERS } from '../helpers/endpoint-apps.js';
import { makeTestChain, type TestChain } from './test-chain.js';

let chain: TestChain;
beforeAll(() => {
  chain = makeTestChain();
});
afterAll(() => chain.cleanup());

/** A store whose every operation fails, as Redis does while it is down. */
function downStore(): Store {
  const real = new MemoryStore();
  return new Proxy(real, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379'));
    },
  });
}

const report = () => ({
  'app-bundle-id': 'com.example.bank',
  'app-version': '6.2.0',
  hostname: 'localhost',
  port: 443,
  'noted-hostname': 'localhost',
  'include-subdomains': false,
  'enforce-pinning': true,
  'validated-certificate-chain': [chain.mitm.leafPem],
  'known-pins': [`pin-sha256="${chain.pins.leaf}"`],
  'validation-result': 1,
});

for (const harness of ENDPOINT_ADAPTERS.filter((a) => ['express5', 'koa3', 'fastify5'].includes(a.name))) {
  describe(harness.name, () => {
    it('a store failure answers 503 and is told to the endpoint own onError', async () => {
      const errors: unknown[] = [];
      const reports = createPinReportEndpoint({ onPinFailure: () => undefined, store: downStore(), onError: (e) => void errors.push(e) });
      const app = await harness.start({ endpoints: reports });
      try {
        const res = await fetch(`${app.url}/pinning/report`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report()) });
        expect(res.status).toBe(503);
        expect(errors).toHaveLength(1);
      } finally {
        await app.close();
      }
    });
  });
}
