#!/usr/bin/env node
// Measures what a consumer pays: `createShield` + one adapter bundled and minified (dependencies included, peer
// frameworks excluded), and the `npm pack` tarball. Prints each against its target and MET/MISSED. Informational:
// exits 0 whatever the sizes, non-zero only if it cannot measure. Run after `npm run build` (it bundles `dist/`).
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

if (!existsSync(path.join(root, 'dist', 'index.js'))) {
  console.error('size: dist/ is missing; run `npm run build` first');
  process.exit(2);
}

/** Bundles `createShield` + one adapter entry from dist/ and returns minified bytes and the heaviest inputs. */
async function measureAdapter(adapter) {
  const result = await build({
    stdin: {
      contents: `export { createShield } from './dist/index.js';\nexport * from './dist/${adapter}.js';\n`,
      resolveDir: root,
      loader: 'js',
    },
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  const byPackage = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const key = match ? match[1] : 'mobile-api-shield';
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
  }
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 4);
  return { bytes: output.bytes, top };
}

function measureTarball() {
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const [pack] = JSON.parse(json);
  return { bytes: pack.size, unpacked: pack.unpackedSize, files: pack.entryCount };
}

const kb = (n) => `${(n / KB).toFixed(1)} kB`;
const verdict = (n, target) => (n <= target ? 'MET' : 'MISSED');

for (const adapter of ['express', 'koa', 'fastify']) {
  const { bytes, top } = await measureAdapter(adapter);
  const parts = top.map(([name, n]) => `${name} ${kb(n)}`).join(', ');
  console.log(
    `size: createShield + ${adapter} minified ${kb(bytes)} (target <= ${kb(BUNDLE_TARGET)}) ${verdict(bytes, BUNDLE_TARGET)} [${parts}]`,
  );
}
const tarball = measureTarball();
console.log(
  `size: npm pack tarball ${kb(tarball.bytes)}, ${kb(tarball.unpacked)} unpacked, ${tarball.files} files (target <= ${kb(TARBALL_TARGET)}) ${verdict(tarball.bytes, TARBALL_TARGET)}`,
);
