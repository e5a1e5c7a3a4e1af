/**
 * MAX_PINSET_LIFETIME_SECONDS is public on both sides of the protocol: the channel entry (and so the package root),
 * where publishers read the highest `hardExpirySeconds`, and `mobile-api-shield/client`, where apps read the ceiling
 * of `maxLifetimeSeconds`. Exporting it must not pull anything server-only into the runtime-agnostic client.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as channel from '../../src/channel/index.js';
import * as client from '../../src/client/index.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every file the client entry loads at run time (relative imports and re-exports, `import type` left out). */
function runtimeClosure(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(/^(?:import|export)(?! type )[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)) {
      visit(resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return seen;
}

describe('MAX_PINSET_LIFETIME_SECONDS', () => {
  it('is exported by the channel and the client entries, one value (365 days), the client loading nothing server-only', () => {
    expect((channel as Record<string, unknown>).MAX_PINSET_LIFETIME_SECONDS).toBe(31_536_000);
    expect((client as Record<string, unknown>).MAX_PINSET_LIFETIME_SECONDS).toBe(31_536_000);
    const files = runtimeClosure(resolve(SRC, 'client/index.ts'));
    const names = [...files.keys()].map((f) => relative(SRC, f)).sort();
    expect(names).toContain('channel/pinset-payload.ts');
    expect(names.filter((n) => !n.startsWith('client/') && n !== 'channel/pinset-payload.ts' && n !== 'core/zod-locale.ts')).toEqual([]);
    expect([...files].filter(([, text]) => /from\s+'node:/.test(text)).map(([f]) => relative(SRC, f))).toEqual([]);
  });
});
