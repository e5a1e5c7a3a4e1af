/**
 * Prototype pollution carried in a path VALUE rather than a key: RFC 6902 JSON Patch (fast-json-patch CVE-2021-4279,
 * jsonpointer CVE-2021-23807) and path setters (`_.set(obj, body.path, body.value)`, CVE-2020-8203 class). Values
 * under path-like names (`path`, `from`, `key`, `field`, `prop`, `property`...) are read as property paths.
 */
import { describe, expect, it } from 'vitest';
import { checkBody } from './review-helpers.js';

const BODIES: unknown[] = [
  [{ op: 'add', path: '/__proto__/isAdmin', value: true }],
  [{ op: 'replace', path: '/constructor/prototype/isAdmin', value: true }],
  [{ op: 'copy', from: '/__proto__', path: '/x' }],
  { op: 'add', path: '/profile/__proto__/role', value: 'admin' },
  { path: '__proto__.isAdmin', value: true },
  { path: 'constructor.prototype.isAdmin', value: true },
  { path: 'a["constructor"]["prototype"].isAdmin', value: true },
  { key: 'settings.__proto__.polluted', value: 'yes' },
  { field: '__proto__', value: { isAdmin: true } },
  { property: 'x[__proto__][polluted]', value: 1 },
];

/** Prose and ordinary paths that mention the words, and path-like values under other names. */
const BENIGN: unknown[] = [
  { path: 'The __proto__ property is deprecated; use Object.getPrototypeOf', value: true },
  { path: 'docs about constructor.prototype chains', value: true },
  [{ op: 'replace', path: '/profile/constructor_name', value: 'x' }],
  { path: '/docs/javascript/prototype-chain' },
  { key: 'constructor' },
  { field: 'prototype' },
  { key: 'my__proto__key' },
  { note: '/__proto__/isAdmin' },
];

describe('prototype-pollution paths in values', () => {
  it('check() denies JSON Patch and path-setter bodies that name __proto__ / constructor.prototype', async () => {
    const out: [unknown, boolean][] = [];
    for (const b of BODIES) out.push([b, (await checkBody(b)).allowed]);
    expect(out).toEqual(BODIES.map((b) => [b, false]));
    expect((await checkBody(BODIES[0])).detail).toContain('proto-pollution-key@body[0].path');
  });

  it('denies a pollution path in the query and allows prose and other names', async () => {
    expect((await checkBody({}, {}, 'path=__proto__.isAdmin&value=1')).allowed).toBe(false);
    expect((await checkBody({}, {}, 'path=%2Fconstructor%2Fprototype%2Fx')).allowed).toBe(false);
    const out: [unknown, boolean][] = [];
    for (const b of BENIGN) out.push([b, (await checkBody(b)).allowed]);
    expect(out).toEqual(BENIGN.map((b) => [b, true]));
  });

  it('prototypePollution: false turns the path check off with the key check', async () => {
    expect((await checkBody(BODIES[0])).allowed).toBe(false);
    expect((await checkBody(BODIES[0], { prototypePollution: false })).allowed).toBe(true);
    expect((await checkBody({ path: 'constructor.prototype.isAdmin' }, { prototypePollution: false })).allowed).toBe(true);
  });
});
