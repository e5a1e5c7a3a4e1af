/**
 * `parseStrictJson` (core/strict-json.ts): the one-pass scanner behind the attestation service's bodies and the
 * CLI's JSON inputs. Strings holding brackets, quotes, commas and escapes must not be read as structure; a key is
 * compared unescaped; nesting is counted in objects and arrays alike.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonTextProblem, jsonValueTooDeep, MAX_JSON_NESTING, parseStrictJson } from '../../src/core/strict-json.js';

/** The nesting of a parsed value, recursively (test values are small). */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

describe('parseStrictJson', () => {
  it('accepts what JSON.parse accepts when no key repeats and nesting is within the limit (any spacing)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(undefined, 1, '\t'), (value, space) => {
        const text = JSON.stringify(value, null, space);
        const depth = depthOf(JSON.parse(text));
        for (const limit of [depth, Math.max(1, depth - 1)]) {
          const result = parseStrictJson(text, limit);
          if (depth <= limit) expect(result).toEqual({ ok: true, value: JSON.parse(text) });
          else expect(result).toEqual({ ok: false, problem: 'too_deep' });
          expect(jsonValueTooDeep(JSON.parse(text), limit)).toBe(depth > limit);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds a repeated key wherever it is, and only a repeated key', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1 }), fc.nat(), fc.jsonValue({ maxDepth: 2 }), (object, pick, wrap) => {
        const text = JSON.stringify(object);
        const keys = Object.keys(object);
        const key = keys[pick % keys.length] as string;
        // The same object with one key given again, inside a random container.
        const twice = `${text.slice(0, -1)},${JSON.stringify(key)}:null}`;
        expect(parseStrictJson(`[${JSON.stringify(wrap)},{"w":${twice}}]`)).toEqual({ ok: false, problem: 'duplicate_key' });
        expect(parseStrictJson(`[${JSON.stringify(wrap)},{"w":${text}}]`).ok).toBe(depthOf(wrap) < MAX_JSON_NESTING);
      }),
      { numRuns: 300 },
    );
  });

  it('reads keys unescaped and strings as text, not structure', () => {
    expect(jsonTextProblem('{"a":1,"\\u0061":2}')).toBe('duplicate_key');
    expect(jsonTextProblem('{"a\\"":1,"a\\u0022":2}')).toBe('duplicate_key');
    expect(jsonTextProblem('{"a":"\\"{[,\\"a\\":","b":"]}\\\\","c":{"a":1}}')).toBeUndefined();
    expect(jsonTextProblem('{"a\\\\":1,"a":2}')).toBeUndefined();
    expect(jsonTextProblem('{"a":[{"b":1},{"b":2}],"b":{"a":[]}}')).toBeUndefined();
    expect(jsonTextProblem('\uFEFF {"__proto__":1,"__proto__":2}')).toBe('duplicate_key');
    expect(parseStrictJson('{"a":1,}')).toEqual({ ok: false, problem: 'malformed' });
    expect(parseStrictJson('[]'.repeat(3), 1)).toEqual({ ok: false, problem: 'malformed' });
  });

  it('counts 64 levels as the limit and stays linear on 500,000', () => {
    expect(parseStrictJson(`${'['.repeat(64)}${']'.repeat(64)}`).ok).toBe(true);
    expect(parseStrictJson(`${'['.repeat(65)}${']'.repeat(65)}`)).toEqual({ ok: false, problem: 'too_deep' });
    expect(parseStrictJson(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`)).toEqual({ ok: false, problem: 'too_deep' });
    const started = Date.now();
    expect(parseStrictJson(`${'['.repeat(500_000)}${']'.repeat(500_000)}`)).toEqual({ ok: false, problem: 'too_deep' });
    expect(jsonValueTooDeep(JSON.parse(`${'['.repeat(500_000)}${']'.repeat(500_000)}`))).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000); // liveness only
  });
});
