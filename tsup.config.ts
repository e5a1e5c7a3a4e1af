import { defineConfig } from 'tsup';
const entry = {
  index: 'src/index.ts',
  express: 'src/adapters/express.ts',
  koa: 'src/adapters/koa.ts',
  fastify: 'src/adapters/fastify.ts',
  testing: 'src/testing/index.ts',
  redis: 'src/stores/redis.ts',
  client: 'src/client/index.ts',
  opentelemetry: 'src/opentelemetry/index.ts',
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
  // No source maps (maps with embedded sources took the tarball from under 500 kB to 1.1 MB; without sources they still
  // added 190 kB and pointed at `src/` files the package does not ship). Whitespace is minified, nothing else: names
  // and the code's own structure stay as written, so stack traces name the functions and a pretty-printer gives back
  // readable code; about 12 kB less in the tarball.
  sourcemap: false,
  // cborg is bundled: only its decoder is used, and tree-shaken it is smaller than the package.
  noExternal: ['cborg'],
  target: 'node20',
  splitting: true,
  treeshake: true,
  minifyWhitespace: true,
});
