/**
 * A JSON document encoded more than once in a string value: `{"a":"{\"b\":\"{\\\"__proto__\\\":{...}}\"}"}` (body
 * `a` holds a document whose own value `b` is a string holding a document with `__proto__`). A handler that parses
 * the field, then the field's field, merges the key; one level was already denied, the second passed. The read now
 * follows string values that are documents, up to MAX_NESTED_DOCUMENT_LEVELS below the value's own document and
 * within MAX_NESTED_DOCUMENT_CHARS decoded characters; past either bound a document that still has the words (or an
 * escape that could spell them) is denied, as a check that cannot decide.
 */
import { describe, expect, it } from 'vitest';
import { detectPollutionValue, MAX_NESTED_DOCUMENT_CHARS, MAX_NESTED_DOCUMENT_LEVELS } from '../../../src/verifiers/payload-shield/prototype-pollution.js';
import { checkBody } from './review-helpers.js';

/** `doc` as a JSON string value, `times` times over (each encoding escapes the one inside it). */
function encoded(doc: unknown, times: number): string {
  let text = JSON.stringify(doc);
  for (let k = 1; k < times; k++) text = JSON.stringify({ b: text });
  return text;
}

const polluting = (times: number): string => encoded(JSON.parse('{"__proto__":{"isAdmin":true}}'), times);
const rule = (value: string): string | undefined => detectPollutionValue(value, 'a', false)?.ruleId;

describe('a JSON document in a string in a JSON document in a string', () => {
  it('the brief\'s body: the value of `a` is denied', async () => {
    const body = JSON.parse('{"a":"{\\"b\\":\\"{\\\\\\"__proto__\\\\\\":{\\\\\\"isAdmin\\\\\\":true}}\\"}"}') as { a: string };
    expect(JSON.parse(JSON.parse(body.a).b)).toEqual(JSON.parse('{"__proto__":{"isAdmin":true}}'));
    expect(rule(body.a)).toBe('proto-pollution-key');
    expect(await checkBody(body)).toEqual({ allowed: false, detail: 'score 5/5: proto-pollution-key@body.a' });
  });

  it('follows string values (in objects and arrays) that are documents, to the fixed number of levels', () => {
    expect(MAX_NESTED_DOCUMENT_LEVELS).toBe(3);
    for (let times = 1; times <= MAX_NESTED_DOCUMENT_LEVELS + 1; times++) expect([times, rule(polluting(times))]).toEqual([times, 'proto-pollution-key']);
    expect(rule(JSON.stringify(['x', JSON.stringify([{ n: 1 }, JSON.stringify({ constructor: { prototype: { isAdmin: true } } })])]))).toBe('proto-pollution-key');
    expect(rule(JSON.stringify({ b: ' \n' + JSON.stringify({ ['\u005f_proto__']: { x: 1 } }) }))).toBe('proto-pollution-key');
  });

  it('passes nested documents whose keys are harmless, and the words as nested values', () => {
    const benign = [
      encoded({ note: 'the __proto__ accessor is deprecated' }, 3),
      encoded({ prototype: { methods: [] }, constructor: 'Foo' }, 2),
      encoded(['__proto__', 'prototype', 'constructor'], 4),
      JSON.stringify({ b: JSON.stringify({ text: 'caf\u00e9' }), c: '\\u00e9' }),
    ];
    expect(benign.map((v) => [v, rule(v)])).toEqual(benign.map((v) => [v, undefined]));
  });

  it('denies past the bounds a document that still has a polluting word; passes one without', () => {
    // One level past the bound: the string holding the document is not decoded.
    const deep = polluting(MAX_NESTED_DOCUMENT_LEVELS + 2);
    expect(rule(deep)).toBe('proto-pollution-key');
    expect(rule(encoded({ c: 'plain' }, MAX_NESTED_DOCUMENT_LEVELS + 2))).toBeUndefined();
    // A nested document longer than the budget of decoded characters.
    const long = JSON.stringify({ b: JSON.stringify({ pad: 'x'.repeat(MAX_NESTED_DOCUMENT_CHARS), k: '__proto__' }) });
    expect(rule(long)).toBe('proto-pollution-key');
  });

  // Correctness on inputs that would make an unbounded reading slow (no timed assertion: the bench measures speed).
  it('reads many nested documents side by side within the budget', () => {
    const many = JSON.stringify(Array.from({ length: 2000 }, () => JSON.stringify({ t: 'prototype' })));
    expect(rule(many)).toBeUndefined();
    expect(rule(many.slice(0, -1) + ',' + JSON.stringify(polluting(1)) + ']')).toBe('proto-pollution-key');
  });
});
