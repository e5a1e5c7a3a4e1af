import { defineConfig } from 'tsup';
import type { Options } from 'tsup';

/**
 * zod's locale files are reached through a wildcard export that maps `.js` and `.cjs` to themselves, so the source's
 * `zod/v4/locales/en.js` (ESM) would make the CommonJS build load zod/mini as CommonJS and the locale, with its own
 * copy of zod's core utilities, as ESM: the CommonJS build requires `en.cjs` instead.
 */
const zodLocaleForCjs: NonNullable<Options['plugins']>[number] = {
  name: 'zod-locale-cjs',
  renderChunk(code) {
    if (this.format !== 'cjs') return undefined;
    // Treeshaking hands esbuild's ESM to rollup, which writes the CommonJS: rewrite the specifier in either form.
    return { code: code.replace(/(['"])zod\/v4\/locales\/([a-z-]+)\.js\1/g, "'zod/v4/locales/$2.cjs'") };
  },
};

const entry = {
  index: 'src/index.ts',
  express: 'src/adapters/express.ts',
  koa: 'src/adapters/koa.ts',
  fastify: 'src/adapters/fastify.ts',
  testing: 'src/testing/index.ts',
  redis: 'src/stores/redis.ts',
  client: 'src/client/index.ts',
  cli: 'src/cli/index.ts',
};
// The CLI is a program, not an API: no type declarations for it.
const { cli: _cli, ...typed } = entry;

export default defineConfig({
  entry,
  format: ['esm', 'cjs'],
  dts: { entry: typed },
  clean: true,
  // No source maps: the output is unminified, readable ES2022, so stack traces are usable as they are. Maps with
  // embedded sources took the tarball from under 500 kB to 1.1 MB; maps without sources still added 190 kB and point at
  // `src/` files the package does not ship.
  sourcemap: false,
  // cborg is ESM-only (no `require` condition): bundled, so `require('mobile-api-shield')` works on Node 20.
  noExternal: ['cborg'],
  target: 'node20',
  splitting: true,
  treeshake: true,
  plugins: [zodLocaleForCjs],
});
