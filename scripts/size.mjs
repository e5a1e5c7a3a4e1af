#!/usr/bin/env node
// Measures what a consumer pays: `createShield` + one adapter bundled and minified (dependencies included, peer
// frameworks excluded), and the `npm pack` tarball. Prints each against its target and MET/MISSED. Informational:
// exits 0 whatever the sizes, non-zero only if it cannot measure. Run after `npm run build` (it bundles `dist/`).
//
// Parts most applications never configure are loaded with import() when first needed (the payload shield's engine,
// busboy for multipart forms), so the bundle is split like a bundler splits it: `eager` is what loading the entry
// loads (the entry chunk and every chunk it imports statically), `total` adds the lazily loaded chunks. The target
// applies to the eager bytes; both are printed, with the heaviest packages and source folders of each.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KB = 1000;
const BUNDLE_TARGET = 150 * KB;
const TARBALL_TARGET = 250 * KB;
// Frameworks and the Redis client are the application's own (peer) dependencies: not part of our weight.
const external = ['express', 'koa', 'fastify', 'ioredis', 'node:*'];
const verbose = process.argv.includes('--verbose');

if (!existsSync(path.join(root, 'dist', 'index.js'))) {
  console.error('size: dist/ is missing; run `npm run build` first');
  process.exit(2);
}

/** The package an input belongs to, or `src/<folder>` for ours (dist/ keeps no source paths: see measureSource). */
function packageOf(input) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match ? match[1] : 'mobile-api-shield';
}

/** Adds up bytes per key over the inputs of some outputs. */
function tally(outputs, keyOf) {
  const sums = new Map();
  for (const output of outputs) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = keyOf(input);
      sums.set(key, (sums.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
}

/** Bundles `createShield` + one adapter entry, split, minified; returns eager and total bytes and their inputs. */
async function measure(contents, resolveDir, loader) {
  const result = await build({
    stdin: { contents, resolveDir, loader, sourcefile: 'entry.js' },
    bundle: true,
    splitting: true,
    outdir: path.join(root, '.size-out'),
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs;
  const js = Object.entries(outputs).filter(([file]) => file.endsWith('.js'));
  const [entryFile] = js.find(([, o]) => o.entryPoint !== undefined) ?? [];
  // Eager: the entry and everything it imports statically, transitively.
  const eager = new Set();
  const visit = (file) => {
    if (eager.has(file)) return;
    eager.add(file);
    for (const { path: imported, kind } of outputs[file].imports) if (kind === 'import-statement' && outputs[imported]) visit(imported);
  };
  visit(entryFile);
  const eagerOutputs = [...eager].map((file) => outputs[file]);
  const lazyOutputs = js.filter(([file]) => !eager.has(file)).map(([, o]) => o);
  return {
    eager: eagerOutputs.reduce((n, o) => n + o.bytes, 0),
    total: js.reduce((n, [, o]) => n + o.bytes, 0),
    eagerOutputs,
    lazyOutputs,
  };
}

const kb = (n) => `${(n / KB).toFixed(1)} kB`;
const verdict = (n, target) => (n <= target ? 'MET' : 'MISSED');
const list = (rows, count) => rows.slice(0, count).map(([name, n]) => `${name} ${kb(n)}`).join(', ');

for (const adapter of ['express', 'koa', 'fastify']) {
  const m = await measure(`export { createShield } from './dist/index.js';\nexport * from './dist/${adapter}.js';\n`, root, 'js');
  console.log(
    `size: createShield + ${adapter} minified ${kb(m.eager)} eager, ${kb(m.total)} with lazy chunks (target <= ${kb(BUNDLE_TARGET)} eager) ${verdict(m.eager, BUNDLE_TARGET)}`,
  );
  console.log(`      eager [${list(tally(m.eagerOutputs, packageOf), 5)}]; lazy [${list(tally(m.lazyOutputs, packageOf), 4)}]`);
}

// The same bundle from src/, to say which of our folders the bytes are in (dist/ chunks have no source paths).
if (verbose) {
  const m = await measure(`export { createShield } from './src/index.ts';\nexport * from './src/adapters/express.ts';\n`, root, 'ts');
  const folder = (input) => (input.includes('node_modules') ? packageOf(input) : input.split('/').slice(0, 3).join('/'));
  console.log(`size: from src/ (express): eager ${kb(m.eager)}, total ${kb(m.total)}`);
  console.log(`      eager by folder: ${list(tally(m.eagerOutputs, folder), 40)}`);
  console.log(`      lazy by folder: ${list(tally(m.lazyOutputs, folder), 20)}`);
}

function measureTarball() {
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const [pack] = JSON.parse(json);
  return { bytes: pack.size, unpacked: pack.unpackedSize, files: pack.entryCount };
}

const tarball = measureTarball();
console.log(
  `size: npm pack tarball ${kb(tarball.bytes)}, ${kb(tarball.unpacked)} unpacked, ${tarball.files} files (target <= ${kb(TARBALL_TARGET)}) ${verdict(tarball.bytes, TARBALL_TARGET)}`,
);
