/**
 * The architecture, checked on the import graph of src/: the core is the engine and imports nothing above it, each
 * verifier module imports no sibling, adapters translate only, and no file takes part in an import circle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of a file (static, `export … from`, dynamic), resolved to a file under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts'));
    found.push(target);
  }
  return found;
}

/** True when every import of `target` in `file` is `import type` (erased at build: no runtime dependency). */
function typeOnly(file: string, target: string): boolean {
  const text = readFileSync(file, 'utf8');
  const spec = `'./${relative(dirname(file), target).replace(/\.ts$/, '.js')}'`.replace("'./../", "'../");
  const lines = text.split('\n').filter((line) => line.includes(`from ${spec}`));
  return lines.length > 0 && lines.every((line) => /^import type /.test(line) || /^export type /.test(line));
}

const graph = new Map(files(SRC).map((file) => [file, importsOf(file)]));
const rel = (file: string) => relative(SRC, file);
const area = (file: string) => rel(file).split('/')[0] as string;

describe('import graph of src/', () => {
  it('resolves every relative import to a file', () => {
    const missing = [...graph].flatMap(([file, targets]) => targets.filter((t) => !graph.has(t)).map((t) => `${rel(file)} → ${rel(t)}`));
    expect(missing).toEqual([]);
  });

  it('core imports nothing outside core (no verifier, attestation, adapter or store implementation)', () => {
    const outward = [...graph]
      .filter(([file]) => area(file) === 'core')
      .flatMap(([file, targets]) => targets.filter((t) => area(t) !== 'core').map((t) => `${rel(file)} → ${rel(t)}`));
    expect(outward).toEqual([]);
  });

  it('no verifier module imports a sibling verifier module', () => {
    const sideways = [...graph]
      .filter(([file]) => area(file) === 'verifiers')
      .flatMap(([file, targets]) => {
        const own = rel(file).split('/')[1];
        return targets
          .filter((t) => area(t) === 'verifiers' && rel(t).split('/')[1] !== own)
          .map((t) => `${rel(file)} → ${rel(t)}`);
      });
    expect(sideways).toEqual([]);
  });

  it('adapters import only the core and their own helpers (and, types only, the composition root)', () => {
    const wrong = [...graph]
      .filter(([file]) => area(file) === 'adapters')
      .flatMap(([file, targets]) =>
        targets
          .filter((t) => !['core', 'adapters'].includes(area(t)))
          .filter((t) => !(rel(t) === 'shield.ts' && typeOnly(file, t)))
          .map((t) => `${rel(file)} → ${rel(t)}`),
      );
    expect(wrong).toEqual([]);
  });

  it('only src/opentelemetry imports @opentelemetry (an optional peer: the core and the root never load it)', () => {
    const wrong = [...graph.keys()]
      .filter((file) => area(file) !== 'opentelemetry')
      .filter((file) => /(?:from\s+|import\s*\(\s*|import\s+)'@opentelemetry\//.test(readFileSync(file, 'utf8')))
      .map(rel);
    expect(wrong).toEqual([]);
  });

  it('has no import circle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].map(rel).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('keeps every source file under 450 lines', () => {
    const long = [...graph.keys()].filter((file) => readFileSync(file, 'utf8').split('\n').length > 450).map(rel);
    expect(long).toEqual([]);
  });

  it('validates with zod/mini only: no classic zod in src (a bundle must not carry both; classic is ~450 kB)', () => {
    const zodImports = [...graph.keys()].flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from\s+'(zod[^']*)'/g)].map((m) => `${rel(file)}: ${m[1] as string}`),
    );
    expect(zodImports.length).toBeGreaterThan(0);
    expect(zodImports.filter((i) => !/: zod\/(?:mini|v4\/locales\/en\.js)$/.test(i))).toEqual([]);
  });
});
