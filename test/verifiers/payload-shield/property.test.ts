/**
 * Property tests (fast-check): no input crashes or hangs the shield, and a deny's detail never echoes the input.
 */
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { parseBody } from '../../../src/shield.js';
import { compilePayloadOptions, createPayloadShieldVerifier, inspectPayload } from '../../../src/verifiers/payload-shield/index.js';
import { request } from './helpers.js';

const options = compilePayloadOptions({ paranoia: 4, virtualPatches: [{ id: 'vp', target: 'body.*', match: /x$/ }] });
const attackish = fc.constantFrom("'", '"', '<', '>', '../', '${', '{{', '%', '&#', '\\u00', ';', '|', '`', '$(', '\r\n', '--', '/*', 'union select', 'javascript:', '__proto__', '$ne', '0x', '%c0%ae', '\0');
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(fc.oneof(attackish, fc.string({ maxLength: 5 })), { maxLength: 40 }).map((parts) => parts.join('')),
);

describe('property: the shield never crashes', () => {
  it('inspectPayload returns a verdict for any JSON body, query, path and headers', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), nastyString, nastyString, nastyString, (body, query, path, header) => {
        const verdict = inspectPayload(request({ query, path: '/' + path, headers: { 'user-agent': header, cookie: header } }), body, options);
        expect(['allow', 'deny']).toContain(verdict.action);
      }),
      { numRuns: 400 },
    );
  });

  it('parseBody either parses or throws a BodyError for any bytes and content type', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/xml', 'application/octet-stream', undefined), (bytes, type) => {
        try {
          parseBody(Buffer.from(bytes), type);
        } catch (error) {
          expect((error as Error).name).toBe('BodyError');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the verifier resolves (never rejects) for any parsed body', async () => {
    const verifier = createPayloadShieldVerifier({ paranoia: 2 });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 5 }), nastyString), async (body) => {
        const outcome = await verifier.verify({ request: request(), route: {}, ip: '127.0.0.1', now: 0, memo: new Map(), body: async () => body });
        expect(['pass', 'deny', 'skip']).toContain(outcome.outcome);
      }),
      { numRuns: 200 },
    );
  });

  it('a deny detail never contains the offending value', () => {
    fc.assert(
      fc.property(fc.constantFrom("' OR 1=1--", '<script>alert(1)</script>', '../../etc/passwd', '${jndi:ldap://x/a}', '; cat /etc/passwd'), fc.string({ minLength: 12, maxLength: 30, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz') }), (attack, marker) => {
        const verdict = inspectPayload(request(), { field: `${marker} ${attack}` }, options);
        if (verdict.action === 'deny') expect(verdict.detail).not.toContain(marker);
      }),
      { numRuns: 200 },
    );
  });

  it('time grows linearly with input size (random content repeated to 64 KB)', () => {
    fc.assert(
      fc.property(nastyString.filter((s) => s.length > 0), (unit) => {
        const small = unit.repeat(Math.ceil(4096 / unit.length)).slice(0, 4096);
        const large = unit.repeat(Math.ceil(65_536 / unit.length)).slice(0, 65_536);
        // Best of three: a GC pause or a busy neighbour on a shared CI core inflates one run, never all three.
        const time = (s: string) => {
          let best = Infinity;
          for (let i = 0; i < 3; i++) {
            const start = performance.now();
            inspectPayload(request(), { a: s }, options);
            best = Math.min(best, performance.now() - start);
          }
          return best;
        };
        const t1 = Math.max(time(small), 0.05);
        const t2 = time(large);
        // 16x the input; allow generous slack for timer noise, far below quadratic (256x: seconds at 64 KB).
        expect(t2).toBeLessThan(Math.max(t1 * 64, 150));
      }),
      { numRuns: 60 },
    );
  });
});
