/**
 * Prototype-pollution keys in a JSON document sent as a string (a GraphQL multipart `operations` field, a
 * `text/plain` body, a query value the handler `JSON.parse`s): `{"__proto__": ...}` and `constructor` over
 * `prototype`, as the same keys in a JSON body are denied. Prose and string values that mention the words pass.
 */
import { describe, expect, it } from 'vitest';
import { detectPollutionInDocument, detectPollutionValue } from '../../../src/verifiers/payload-shield/prototype-pollution.js';
import { checkBody } from './review-helpers.js';

const POLLUTING = [
  '{"__proto__":{"isAdmin":true}}',
  '  \n\t{"a": {"b": [1, {"__proto__" \n : {"isAdmin": true}}]}}',
  '[{"__proto__":{"isAdmin":true}}]',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"constructor" : {"x": 1, "prototype" : {"isAdmin": true}}}',
  // Escapes JSON.parse decodes: the handler gets the key `__proto__` / `constructor`.
  '{"\\u005f_proto__":{"isAdmin":true}}',
  '{"__pro\\u0074o__":{"isAdmin":true}}',
  '{"constructo\\u0072":{"prototype":{"isAdmin":true}}}',
  // The string before the key holds escaped quotes and backslashes.
  '{"a":"x\\"y\\\\","__proto__":{"isAdmin":true}}',
  // A document encoded twice (a JSON string inside the document): a handler that decodes the inner string gets the key.
  '{"a":"{\\"__proto__\\":{}}"}',
  // GraphQL multipart `operations` with the key in `variables`.
  '{"query":"mutation($p: Upload!) { upload(file: $p) { id } }","variables":{"p":null,"__proto__":{"isAdmin":true}}}',
];

const BENIGN = [
  '{"note":"the __proto__ accessor is deprecated"}',
  '{"note":"__proto__"}',
  '["__proto__", "prototype", "constructor"]',
  '{"a":"\\\\","b":"prototype"}',
  '{"constructor":"Foo"}',
  '{"prototype":{"methods":[]}}',
  '{"my__proto__":1,"__proto__x":2,"prototypes":3}',
  'Set obj.__proto__ = {} and Foo.constructor.prototype here',
];

describe('detectPollutionInDocument', () => {
  it('finds a __proto__ key, or a prototype key after a constructor key, anywhere in the document', () => {
    expect(POLLUTING.map((s) => [s, detectPollutionInDocument(s)?.ruleId])).toEqual(POLLUTING.map((s) => [s, 'proto-pollution-key']));
  });

  it('passes the words as values, as parts of longer keys, and outside documents', () => {
    expect(BENIGN.map((s) => [s, detectPollutionInDocument(s)?.ruleId])).toEqual(BENIGN.map((s) => [s, undefined]));
  });

  it('reads only strings that start (after white space) with `{` or `[`', () => {
    expect(detectPollutionValue('x{"__proto__":{"isAdmin":true}}', 'q', false)).toBeUndefined();
    expect(detectPollutionValue(' {"__proto__":{"isAdmin":true}}', 'q', false)?.ruleId).toBe('proto-pollution-key');
  });

  // Correctness on the inputs a quadratic reading would choke on; its speed is the benchmarks' business (no timed assertion).
  it('reads documents of escaped quotes, backslashes, repeated keys and escaped keys', () => {
    const hostile = [
      `{"a":"${'\\"'.repeat(100_000)}","__proto__":1}`,
      `{"a":"${'\\\\'.repeat(100_000)}","__proto__":1}`,
      `{${'"constructor":1,'.repeat(20_000)}"prototype":1}`,
      `[${'"\\u0041",'.repeat(30_000)}"\\u005f_proto__"]`,
    ];
    expect(hostile.map((s) => detectPollutionInDocument(s)?.ruleId)).toEqual(['proto-pollution-key', 'proto-pollution-key', 'proto-pollution-key', undefined]);
  });
});

describe('a JSON document in a string value through the shield', () => {
  it('is denied where a JSON body with the same keys is, and located at the string', async () => {
    for (const doc of POLLUTING) {
      const parsed = JSON.parse(doc.trim()) as unknown;
      expect([doc, (await checkBody(parsed)).allowed]).toEqual([doc, false]);
      expect([doc, await checkBody({ operations: doc })]).toEqual([doc, { allowed: false, detail: 'score 5/5: proto-pollution-key@body.operations' }]);
    }
    // A query value a handler parses as JSON.
    expect((await checkBody({}, {}, `filter=${encodeURIComponent(POLLUTING[0]!)}`)).allowed).toBe(false);
  });

  it('passes benign documents, and every document when prototypePollution is off', async () => {
    for (const doc of BENIGN) expect([doc, (await checkBody({ operations: doc })).allowed]).toEqual([doc, true]);
    expect((await checkBody({ operations: POLLUTING[0] }, { prototypePollution: false })).allowed).toBe(true);
  });

  it("keeps 'except-schema-property-names': a schema property named __proto__ passes in a string as in a body, a payload does not", async () => {
    const exempt = { prototypePollution: 'except-schema-property-names' } as const;
    const schemas = [
      '{"type":"object","properties":{"__proto__":{"type":"string"}}}',
      '{"$defs":{"a":{"properties":{"constructor":{"type":"object","properties":{"prototype":{"type":"string"}}}}}}}',
    ];
    for (const doc of schemas) {
      expect([doc, (await checkBody(JSON.parse(doc), exempt)).allowed, (await checkBody({ schema: doc }, exempt)).allowed]).toEqual([doc, true, true]);
      expect([doc, (await checkBody({ schema: doc })).allowed]).toEqual([doc, false]);
    }
    const payloads = [
      POLLUTING[0]!,
      '{"properties":{"__proto__":{"isAdmin":true}}}',
      '{"properties":{"__proto__":{"type":"string"}},"__proto__":{"isAdmin":true}}',
      '{"properties":{"constructor":{"prototype":{"isAdmin":true}}}}',
      '{"properties":{"__proto__":{"type":"string"}}', // does not parse: not exempt
    ];
    for (const doc of payloads) expect([doc, (await checkBody({ schema: doc }, exempt)).allowed]).toEqual([doc, false]);
  });
});
