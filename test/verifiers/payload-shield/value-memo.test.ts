/**
 * The per-request memo of detector results (value-memo.ts): a value repeated in a body is detected once and its hits
 * are replayed at every location, through the same modes, exclusions and scoring as a fresh result; values that
 * differ in name or depth are never conflated.
 */
import { describe, expect, it } from 'vitest';
import { compilePayloadOptions, inspectPayload, type PayloadShieldOptions } from '../../../src/verifiers/payload-shield/index.js';
import { MEMO_MIN_LENGTH } from '../../../src/verifiers/payload-shield/value-memo.js';
import { request } from './helpers.js';

function inspect(options: PayloadShieldOptions, body: unknown) {
  return inspectPayload(request(), body, compilePayloadOptions(options));
}

const XSS = '<img src=x onerror=alert(document.domain)>';

describe('value memo', () => {
  it('is exercised by the values below (long enough to be remembered)', () => {
    expect(XSS.length).toBeGreaterThanOrEqual(MEMO_MIN_LENGTH);
  });
  it('records a repeated value at each of its locations', () => {
    const single = inspect({ categories: { xss: 'monitor' } }, { a: [{ u: XSS }] });
    const repeated = inspect({ categories: { xss: 'monitor' } }, { a: [{ u: XSS }, { u: XSS }, { u: XSS }] });
    expect(single.hits.length).toBeGreaterThan(0);
    const rules = single.hits.map((h) => h.ruleId);
    expect(repeated.hits.map((h) => h.ruleId)).toEqual([...rules, ...rules, ...rules]);
    expect(repeated.hits.map((h) => h.location)).toEqual([
      ...rules.map(() => 'body.a[0].u'),
      ...rules.map(() => 'body.a[1].u'),
      ...rules.map(() => 'body.a[2].u'),
    ]);
    expect(repeated).toMatchObject({ action: 'allow' });
  });
  it('remembers hits before exclusions: a value excluded at its first location still counts at the next', () => {
    const options: PayloadShieldOptions = { exclusions: [{ categories: ['xss'], targets: ['body.a[0].u'] }] };
    expect(inspect(options, { a: [{ u: XSS }] })).toMatchObject({ action: 'allow' });
    const v = inspect(options, { a: [{ u: XSS }, { u: XSS }] });
    expect(v).toMatchObject({ action: 'deny', code: 'payload_attack' });
    expect(v.hits.every((h) => h.location === 'body.a[1].u')).toBe(true);
  });
  it('does not reuse a result across depths (an internal URL is a resource below the top level, a target at it)', () => {
    const url = 'http://10.0.0.5/admin/settings';
    expect(url.length).toBeGreaterThanOrEqual(MEMO_MIN_LENGTH);
    expect(inspect({}, { site: { url } })).toMatchObject({ action: 'allow', hits: [] });
    const v = inspect({}, { site: { url }, url });
    expect(v).toMatchObject({ action: 'deny' });
    expect(v.hits.map((h) => `${h.ruleId}@${h.location}`)).toEqual(['ssrf-internal-host@body.url']);
  });
  it('does not reuse a result across names', () => {
    // `page` names an include parameter for RFI; `note` does not.
    const url = 'https://files.example.org/templates/main.txt';
    const asNote = inspect({}, { note: url });
    const both = inspect({}, { note: url, page: url });
    expect(asNote).toMatchObject({ action: 'allow' });
    expect(both).toMatchObject({ action: 'deny' });
    expect(both.hits.every((h) => h.location === 'body.page')).toBe(true);
  });
  it('keeps each context apart once a value is seen in a second one (and a third, and the first again)', () => {
    const url = 'https://files.example.org/templates/main.txt';
    const v = inspect({ categories: { rfi: 'monitor' } }, { a: { note: url }, b: { page: url }, c: { note: url }, d: { page: url }, e: { page: { x: url } } });
    expect(v.hits.map((h) => h.location)).toEqual(['body.b.page', 'body.d.page']);
    // Under one name, depths stay apart too (an internal URL is a target at the top level only).
    const internal = 'http://10.0.0.5/admin/settings';
    const w = inspect({}, { x: { note: internal }, site: { url: internal }, url: internal });
    expect(w.hits.map((h) => `${h.ruleId}@${h.location}`)).toEqual(['ssrf-internal-host@body.url']);
  });
});
