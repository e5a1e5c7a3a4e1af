import { defineConfig } from 'tsup';
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
  // ESM only: scripts/cjs-entries.mjs writes the CommonJS entry points over it (require(esm)).
  format: ['esm'],
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
});
