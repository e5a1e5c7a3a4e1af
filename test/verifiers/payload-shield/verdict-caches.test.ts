/**
 * The verdicts kept across requests: the last request path and the last value of each cached header. A repeated
 * value replays its hits (modes and exclusions still apply per request); a different value is inspected afresh.
 */
import { describe, expect, it } from 'vitest';
import { compilePayloadOptions, inspectPayload } from '../../../src/verifiers/payload-shield/index.js';
import { QUIET_KEY_MAX_LENGTH, QUIET_KEYS_MAX } from '../../../src/verifiers/payload-shield/compile.js';
import { classifyHost, createSsrfDetector, SSRF_RULES } from '../../../src/verifiers/payload-shield/ssrf.js';
import { request, ruleOf } from './helpers.js';
import { corpusAvailable, loadCorpus, toShieldRequest } from '../../bench/detection-corpus.js';
import { generateBenignCorpus } from '../../bench/benign-corpus.js';

const TRAVERSAL_PATH = '/files/..%2f..%2fetc%2fpasswd';

describe('last path verdict', () => {
  it('denies a repeated attack path every time and allows a clean one in between', () => {
    const compiled = compilePayloadOptions({});
    const sequence = [TRAVERSAL_PATH, TRAVERSAL_PATH, '/files/report.pdf', '/files/report.pdf', TRAVERSAL_PATH];
    const actions = sequence.map((path) => inspectPayload(request({ path }), undefined, compiled).action);
    expect(actions).toEqual(['deny', 'deny', 'allow', 'allow', 'deny']);
    // A detector run cut short by the deny is never remembered: the clean path is the last complete verdict.
    expect(compiled.lastPathVerdict.last?.raw).toBe('/files/report.pdf');
  });
  it('replays the same hits, monitored per the category mode', () => {
    const compiled = compilePayloadOptions({ categories: { traversal: 'monitor' } });
    const first = inspectPayload(request({ path: TRAVERSAL_PATH }), undefined, compiled);
    const second = inspectPayload(request({ path: TRAVERSAL_PATH }), undefined, compiled);
    expect(first).toMatchObject({ action: 'allow' });
    expect(first.hits.length).toBeGreaterThan(0);
    expect(second.hits).toEqual(first.hits);
  });
  it('applies a route exclusion to a replayed path verdict', () => {
    const compiled = compilePayloadOptions({ exclusions: [{ categories: ['traversal'], targets: ['path'], method: 'GET' }] });
    expect(inspectPayload(request({ path: TRAVERSAL_PATH }), undefined, compiled)).toMatchObject({ action: 'deny' });
    expect(inspectPayload(request({ path: TRAVERSAL_PATH, method: 'GET' }), undefined, compiled)).toMatchObject({ action: 'allow' });
    expect(inspectPayload(request({ path: TRAVERSAL_PATH }), undefined, compiled)).toMatchObject({ action: 'deny' });
  });
});

describe('last header verdict', () => {
  it('denies a repeated attack header every time and follows a changed value', () => {
    const compiled = compilePayloadOptions({});
    const agents = ["' or 1=1--", "' or 1=1--", 'ShopApp/5.12.0 (iPhone; iOS 17.4.1)', "' or 1=1--"];
    const actions = agents.map((ua) => inspectPayload(request({ headers: { 'user-agent': ua } }), undefined, compiled).action);
    expect(actions).toEqual(['deny', 'deny', 'allow', 'deny']);
    expect(compiled.lastHeaderVerdicts.get('user-agent')?.raw).toBe("' or 1=1--");
  });
});

describe('last host classified', () => {
  it('answers for the same host only: internal and public hosts in turn, repeated and interleaved', () => {
    const hosts = ['localhost', 'localhost', 'api.example.com', 'api.example.com', '169.254.169.254', '10.0.0.5', 'api.example.com', '127.0.0.1', '127.0.0.1'];
    const expected = hosts.map((host) => (host === 'api.example.com' ? undefined : host === '169.254.169.254' ? SSRF_RULES.metadata : SSRF_RULES.internalHost));
    expect(hosts.map((host) => classifyHost(host))).toEqual(expected);
    // Through the detector: the same URLs in a body, each judged by its own host.
    const ssrf = createSsrfDetector();
    expect(hosts.map((host) => ruleOf(ssrf, `http://${host}/x`, 'query', 'url'))).toEqual(expected);
  });
});

describe('quiet body keys', () => {
  const body = { orderId: 'ord_1', customer: { Locale: 'en-GB' }, jsessionid: 'x' };

  it('remembers keys no detector applied to, with their lower-case form', () => {
    const compiled = compilePayloadOptions({});
    expect(inspectPayload(request(), body, compiled).action).toBe('allow');
    expect(compiled.quietBodyKeys.get('orderId')).toEqual({ lower: 'orderid', nameClaims: false });
    expect(compiled.quietBodyKeys.get('Locale')).toEqual({ lower: 'locale', nameClaims: false });
    // Keys with syntax, encodings or pollution vectors are inspected every time.
    inspectPayload(request(), { 'a$where': 1, 'k%27': 2, constructor: { name: 'x' } }, compiled);
    expect(compiled.quietBodyKeys.has('a$where')).toBe(false);
    expect(compiled.quietBodyKeys.has('k%27')).toBe(false);
    expect(compiled.quietBodyKeys.has('constructor')).toBe(false);
  });

  it('a remembered key whose name claims plain values still hands them to its detectors (an internal host under a URL key)', () => {
    const compiled = compilePayloadOptions({});
    expect(inspectPayload(request(), { callbackUrl: 'example.com' }, compiled).action).toBe('allow');
    expect(compiled.quietBodyKeys.get('callbackUrl')).toEqual({ lower: 'callbackurl', nameClaims: true });
    for (const host of ['localhost', '169.254.169.254', 'metadata.google.internal']) {
      const verdict = inspectPayload(request(), { callbackUrl: host }, compiled);
      expect(verdict, host).toMatchObject({ action: 'deny', hits: [{ category: 'ssrf', location: 'body.callbackUrl' }] });
      expect(verdict, host).toEqual(inspectPayload(request(), { callbackUrl: host }, compilePayloadOptions({})));
    }
  });

  it('gives a key the same verdict before and after it is remembered, in every location', () => {
    const compiled = compilePayloadOptions({});
    const fresh = () => compilePayloadOptions({});
    inspectPayload(request(), body, compiled);
    expect(compiled.quietBodyKeys.has('jsessionid')).toBe(true);
    // A session parameter name in the query is still a session-fixation signal: the cache is for body keys only.
    const query = 'jsessionid=abc';
    expect(inspectPayload(request({ query }), undefined, compiled).hits).toEqual(inspectPayload(request({ query }), undefined, fresh()).hits);
    expect(inspectPayload(request({ query }), undefined, compiled).hits.map((h) => h.ruleId).length).toBeGreaterThan(0);
    // A remembered key followed by an attack value still denies, at the same location.
    const attack = { orderId: "' OR 1=1--" };
    expect(inspectPayload(request(), attack, compiled)).toEqual(inspectPayload(request(), attack, fresh()));
    expect(inspectPayload(request(), attack, compiled).action).toBe('deny');
  });

  it('still applies custom rules and the byte budget to a remembered key', () => {
    const compiled = compilePayloadOptions({ virtualPatches: [{ id: 'no-legacy-field', match: /^legacyField$/ }] });
    const first = inspectPayload(request(), { legacyField: 1 }, compiled);
    expect(compiled.quietBodyKeys.has('legacyField')).toBe(true);
    const second = inspectPayload(request(), { legacyField: 1 }, compiled);
    expect(second).toEqual(first);
    expect(second.action).toBe('deny');
    // The path (10 characters) and eight 6-character keys fill a 58-character budget exactly; a ninth key exceeds it.
    const tight = compilePayloadOptions({ limits: { maxInspectBytes: 58 } });
    const bare = request({ headers: {} });
    const keys = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`field${i}`, 1]));
    expect(inspectPayload(bare, keys, tight).action).toBe('allow');
    expect(inspectPayload(bare, keys, tight).action).toBe('allow');
    const wide = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`field${i}`, 1]));
    expect(inspectPayload(bare, wide, tight)).toMatchObject({ action: 'deny', code: 'payload_too_large' });
    expect(tight.quietBodyKeys.has('field0')).toBe(true);
  });

  it('stays bounded', () => {
    const compiled = compilePayloadOptions({});
    for (let round = 0; round < 5; round++) {
      const keys = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${round}_${i}`, 1]));
      inspectPayload(request(), keys, compiled);
    }
    expect(compiled.quietBodyKeys.size).toBeGreaterThan(0);
    expect(compiled.quietBodyKeys.size).toBeLessThanOrEqual(QUIET_KEYS_MAX);
    inspectPayload(request(), { ['k'.repeat(QUIET_KEY_MAX_LENGTH + 1)]: 1 }, compiled);
    expect(compiled.quietBodyKeys.has('k'.repeat(QUIET_KEY_MAX_LENGTH + 1))).toBe(false);
  });
});

describe.skipIf(!corpusAvailable())('the caches across requests change no verdict', () => {
  it('gives every dev-corpus record and generated benign request the verdict of a fresh inspector', () => {
    // The time budget off (a minute): on a loaded host a cold inspection of a long body can run past 50 ms while the
    // warm one does not, a difference of the clock, not of the caches this test is about.
    const options = { limits: { maxInspectMillis: 60_000 } };
    const shared = compilePayloadOptions(options);
    const requests = [...loadCorpus(), ...generateBenignCorpus().filter((_, i) => i % 8 === 0)].map(toShieldRequest);
    let compared = 0;
    // Twice over: the second pass meets every key, header and path already remembered.
    for (let pass = 0; pass < 2; pass++) {
      for (const req of requests) {
        const warm = inspectPayload(req, req.body, shared);
        const cold = inspectPayload(req, req.body, compilePayloadOptions(options));
        expect(warm).toEqual(cold);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(2 * 9000);
    expect(shared.quietBodyKeys.size).toBeGreaterThan(100);
  }, 120_000);
});
