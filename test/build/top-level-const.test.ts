/**
 * The build's pass that gives top-level bindings back their `const` (scripts/top-level-const.mjs): every rewrite it
 * makes must keep the module's meaning, so it converts only bindings that are never assigned, and the module it
 * writes still runs.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error the build script is plain JavaScript without declarations
import { restoreConst } from '../../scripts/top-level-const.mjs';

interface Restored {
  readonly code: string;
  readonly converted: number;
  readonly kept: number;
}
const restore = restoreConst as (source: string) => Restored;

describe('restoreConst', () => {
  it('declares const the top-level bindings that are initialised once and never assigned', () => {
    const source = 'var TABLE = new Int32Array(4);\nexport var NAME = "x";\nfunction read(i) { return TABLE[i]; }\nexport { read };\n';
    const result = restore(source);
    expect(result.code).toBe('const TABLE = new Int32Array(4);\nexport const NAME = "x";\nfunction read(i) { return TABLE[i]; }\nexport { read };\n');
    expect([result.converted, result.kept]).toEqual([2, 0]);
  });

  it('keeps var for a binding assigned anywhere, by any form of assignment, or shadowed and assigned', () => {
    const cases = [
      'var a = 1; function f() { a = 2; }',
      'var a = 1; function f() { a++; }',
      'var a = 1; function f() { a += 1; }',
      'var a = 1; function f(o) { ({ a } = o); }',
      'var a = 1; function f(o) { [, ...a] = o; }',
      'var a = 1; function f(o) { for (a of o); }',
      'var a = 1; function f(o) { for (a in o); }',
      'var a = 1; function f() { let a = 0; a = 2; return a; }',
    ];
    for (const source of cases) expect(restore(source), source).toMatchObject({ code: source, converted: 0, kept: 1 });
  });

  it('keeps var without an initializer, for a destructuring declaration, and for a name declared twice', () => {
    for (const source of ['var a;', 'var { a } = { a: 1 };', 'var a = 1; var a = 2;', 'var a = 1, b;']) {
      expect(restore(source).code, source).toBe(source);
    }
  });

  it('leaves declarations below the top level and member assignments alone', () => {
    const source = 'var o = {};\no.x = 1;\nfunction f() { var local = 1; return local; }\nfor (var i = 0; i < 1; i++);\n';
    expect(restore(source).code).toBe('const o = {};\no.x = 1;\nfunction f() { var local = 1; return local; }\nfor (var i = 0; i < 1; i++);\n');
  });

  it('writes a module that runs as before', async () => {
    const source = 'var BASE = 40;\nvar counter = 0;\nexport function next() { counter += 1; return BASE + counter; }\n';
    const { code } = restore(source);
    expect(code).toContain('const BASE');
    expect(code).toContain('var counter');
    const module = (await import(`data:text/javascript,${encodeURIComponent(code)}`)) as { next: () => number };
    expect([module.next(), module.next()]).toEqual([41, 42]);
  });
});
