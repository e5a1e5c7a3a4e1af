#!/usr/bin/env node
// Writes the CommonJS entry points after `tsup` built the ESM ones: each `dist/<entry>.cjs` loads the ESM build
// through require(esm) and re-exports its bindings, and each `dist/<entry>.d.cts` re-exports its types. One build
// instead of two: the package ships half the code, and `require` and `import` share one module instance (one
// `ShieldConfigError` class, one MemoryStore...). require(esm) needs Node 20.19 or later, which the ESM-only `jose`
// dependency already required of `require('mobile-api-shield')`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
// Every entry point package.json's `exports` gives a `require` condition, so a new subpath cannot be forgotten here.
const pkg = JSON.parse(readFileSync(path.join(dist, '..', 'package.json'), 'utf8'));
const ENTRIES = Object.values(pkg.exports)
  .map((target) => target?.require?.default)
  .filter((file) => typeof file === 'string')
  .map((file) => path.basename(file, '.cjs'));

for (const entry of ENTRIES) {
  const esm = `./${entry}.js`;
  const names = Object.keys(await import(pathToFileURL(path.join(dist, `${entry}.js`)).href)).sort();
  // One getter per export, in the form cjs-module-lexer and attw read: tools see the names (and `default`, the
  // Fastify plugin), and every value is the ESM module's own binding.
  const getters = names.map(
    (name) => `Object.defineProperty(exports, '${name}', { enumerable: true, get: function () { return m['${name}']; } });`,
  );
  writeFileSync(
    path.join(dist, `${entry}.cjs`),
    [
      "'use strict';",
      '// The ESM build, through require(esm): one module instance for require and import.',
      `const m = require('${esm}');`,
      "Object.defineProperty(exports, '__esModule', { value: true });",
      ...getters,
      '',
    ].join('\n'),
  );
  const types = [`export * from '${esm}';`];
  // `export *` leaves the default export out: re-export it by name.
  if (names.includes('default')) types.push(`export { default } from '${esm}';`);
  writeFileSync(path.join(dist, `${entry}.d.cts`), `${types.join('\n')}\n`);
  if (!readFileSync(path.join(dist, `${entry}.d.ts`), 'utf8')) throw new Error(`dist/${entry}.d.ts is empty`);
}
console.log(`cjs-entries: ${ENTRIES.length} CommonJS entry points written`);
