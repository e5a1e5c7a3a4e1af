/**
 * The verdicts kept across requests: the last request path and the last value of each cached header. A repeated
 * value replays its hits (modes and exclusions still apply per request); a different value is inspected afresh.
 */
import { describe, expect, it } from 'vitest';
import { compilePayloadOptions, inspectPayload } from '../../../src/verifiers/payload-shield/index.js';
import { request } from './helpers.js';

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
