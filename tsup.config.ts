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
  format: ['esm', 'cjs'],
  dts: { entry: typed },
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
});
