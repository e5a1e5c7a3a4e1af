/**
 * The per-request memo of detector results (value-memo.ts): a value repeated in a body is detected once and its hits
 * are replayed at every location, through the same modes, exclusions and scoring as a fresh result; values that
 * differ in name or in a depth the detectors tell apart are never conflated.
 */
import { describe, expect, it } from 'vitest';
import { compilePayloadOptions, inspectPayload, type PayloadShieldOptions } from '../../../src/verifiers/payload-shield/index.js';
import { BUILTIN_DETECTORS, WEAK_SIGNALS } from '../../../src/verifiers/payload-shield/detectors.js';
import { normalise } from '../../../src/verifiers/payload-shield/normalise.js';
import type { Detector, LocationKind } from '../../../src/verifiers/payload-shield/types.js';
import { MEMO_MIN_LENGTH, memoDepth } from '../../../src/verifiers/payload-shield/value-memo.js';
import { scanValue } from '../../../src/verifiers/payload-shield/value-scan.js';
import { ValueUnderInspection } from '../../../src/verifiers/payload-shield/value-under-inspection.js';
import { corpusAvailable, loadCorpus, toShieldRequest } from '../../bench/detection-corpus.js';
import { generateBenignCorpus } from '../../bench/benign-corpus.js';
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

/** Every string of a parsed body with the key it sits under (`''` for array elements and the top level). */
function stringsOf(value: unknown, name: string, out: Array<[string, string]>): void {
  if (typeof value === 'string') out.push([value, name]);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, name, out);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) stringsOf(v, k.toLowerCase(), out);
}

describe('memo depths', () => {
  it('tells apart the top level, one level down and below', () => {
    expect([0, 1, 2, 3, 7].map(memoDepth)).toEqual([0, 1, 2, 2, 2]);
  });

  // The memo shares one entry between depths 2, 3, 4...: every detector must answer the same at all of them.
  it.skipIf(!corpusAvailable())('every detector answers alike at depths 2 to 5, on every string of both corpora, in the body and the query', () => {
    const pairs: Array<[string, string]> = [];
    for (const record of [...loadCorpus(), ...generateBenignCorpus()]) {
      const shieldRequest = toShieldRequest(record);
      stringsOf(shieldRequest.body, '', pairs);
      const query = shieldRequest.query;
      if (typeof query === 'string') for (const [k, v] of new URLSearchParams(query)) pairs.push([v, k.toLowerCase()]);
      else stringsOf(query, '', pairs);
    }
    const seen = new Set<string>();
    const detectors: Detector[] = [...BUILTIN_DETECTORS, WEAK_SIGNALS];
    const value = new ValueUnderInspection();
    let compared = 0;
    for (const [raw, name] of pairs) {
      const key = `${name}\u0000${raw}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const decoded = normalise(raw);
      const mask = scanValue(decoded);
      for (const kind of ['body', 'query'] as LocationKind[]) {
        for (const detector of detectors) {
          // Paranoia 1 and 2 (command injection reads Markdown prose differently at 1; weak signals run at 2 only).
          for (const paranoia of detector === WEAK_SIGNALS ? [2] : [1, 2]) {
            const at = (depth: number) => detector.detect(value.fill(raw, decoded, kind, 'value', name, mask, depth), paranoia)?.ruleId;
            const atTwo = at(2);
            for (const depth of [3, 4, 5]) {
              const answer = at(depth);
              if (answer !== atTwo) expect([detector.category, paranoia, kind, name, raw, depth, answer]).toEqual([detector.category, paranoia, kind, name, raw, depth, atTwo]);
            }
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(200_000);
  });

  it('replays a value seen at depth 2 at depth 3 under the same name, without running the detectors again', () => {
    const compiled = compilePayloadOptions({ categories: { ssrf: 'monitor' } });
    let runs = 0;
    const counted = compiled.detectors.map((d): Detector => ({ ...d, detect: (v, p) => (runs++, d.detect(v, p)) }));
    const spied = { ...compiled, detectors: counted };
    const url = 'https://api.github.com/users/codertocat/followers';
    const runsFor = (body: unknown): number => {
      runs = 0;
      inspectPayload(request(), body, spied);
      return runs;
    };
    // The request's path and headers are detected on the first inspection only (their verdicts are kept).
    runsFor({});
    const once = runsFor({ sender: { url }, repository: { owner: { other: 'x' } } });
    expect(once).toBe(compiled.detectors.length);
    expect(runsFor({ sender: { url }, repository: { owner: { url } } })).toBe(once);
    // One level down and below are told apart: the top-level URL runs the detectors again.
    expect(runsFor({ url, repository: { owner: { url } } })).toBe(2 * once);
  });
});
