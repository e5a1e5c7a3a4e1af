/**
 * The library the bench measures. By default the built package (`dist/`, what `npm install` gives users), which
 * `npm run bench` builds before the run; `BENCH_SOURCE=src` measures the TypeScript sources through tsx instead
 * (profiles then name `src/` files). The two differ by more than file names: tsx compiles with esbuild's
 * `keepNames`, which wraps every named function expression in a `__name()` call, so each closure the shield makes
 * per request also pays an `Object.defineProperty` in the sources and not in the package.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Root from '../../../src/index.js';
import type * as ExpressEntry from '../../../src/adapters/express.js';
import type * as FastifyEntry from '../../../src/adapters/fastify.js';
import type * as KoaEntry from '../../../src/adapters/koa.js';
import type * as RedisEntry from '../../../src/stores/redis.js';

/** The project's root directory (where package.json, `src/` and `dist/` are). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

/** Which build the bench loads: `dist` (default) or `src`. */
export const BENCH_SOURCE: 'dist' | 'src' = process.env.BENCH_SOURCE === 'src' ? 'src' : 'dist';

const entries = {
  dist: { root: 'dist/index.js', express: 'dist/express.js', fastify: 'dist/fastify.js', koa: 'dist/koa.js', redis: 'dist/redis.js' },
  src: { root: 'src/index.ts', express: 'src/adapters/express.ts', fastify: 'src/adapters/fastify.ts', koa: 'src/adapters/koa.ts', redis: 'src/stores/redis.ts' },
}[BENCH_SOURCE];

/** Refuses a missing or stale build: numbers measured on yesterday's dist would be credited to today's sources. */
function assertBuildFresh(): void {
  const built = path.join(PROJECT_ROOT, entries.root);
  if (!existsSync(built)) throw new Error(`the bench measures the built package and ${entries.root} is missing: run npm run build (npm run bench does), or set BENCH_SOURCE=src`);
  let newest = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else newest = Math.max(newest, statSync(file).mtimeMs);
    }
  };
  walk(path.join(PROJECT_ROOT, 'src'));
  if (statSync(built).mtimeMs < newest) throw new Error(`${entries.root} is older than src/: run npm run build (npm run bench does), or set BENCH_SOURCE=src`);
}

if (BENCH_SOURCE === 'dist') assertBuildFresh();

function load<T>(file: string): Promise<T> {
  return import(new URL(`../../../${file}`, import.meta.url).href) as Promise<T>;
}

/** The package root (`mobile-api-shield`). */
export const lib = await load<typeof Root>(entries.root);
/** `mobile-api-shield/express`, `/fastify`, `/koa`, `/redis`. */
export const expressEntry = await load<typeof ExpressEntry>(entries.express);
export const fastifyEntry = await load<typeof FastifyEntry>(entries.fastify);
export const koaEntry = await load<typeof KoaEntry>(entries.koa);
export const redisEntry = await load<typeof RedisEntry>(entries.redis);
