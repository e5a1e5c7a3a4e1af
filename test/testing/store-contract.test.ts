/**
 * The exported store contract is a real check: run against a store with one broken operation, exactly the cases that
 * exercise that operation fail, and a correct store passes them all. Runner-independent: it declares tests through the
 * function it is given.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/stores/memory.js';
import { storeContract } from '../../src/testing/index.js';

async function runContract(makeStore: () => MemoryStore): Promise<{ passed: string[]; failed: string[] }> {
  const cases: { name: string; run: () => Promise<void> }[] = [];
  let n = 0;
  storeContract({ makeStore, key: (name) => `${name}-${n++}`, test: (name, run) => void cases.push({ name, run }) });
  const passed: string[] = [];
  const failed: string[] = [];
  for (const c of cases) {
    try {
      await c.run();
      passed.push(c.name);
    } catch {
      failed.push(c.name);
    }
  }
  return { passed, failed };
}

describe('storeContract (mobile-api-shield/testing)', () => {
  it('passes a correct store', async () => {
    const { passed, failed } = await runContract(() => new MemoryStore());
    expect(failed).toEqual([]);
    expect(passed.length).toBeGreaterThan(10);
  });

  it('fails a store whose setIfAbsent is not atomic', async () => {
    class Racy extends MemoryStore {
      override async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
        const before = await this.get(key);
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (before !== undefined) return false;
        await this.delete(key);
        return super.setIfAbsent(key, value, ttlMs);
      }
    }
    const { failed } = await runContract(() => new Racy());
    expect(failed.some((name) => name.startsWith('setIfAbsent race'))).toBe(true);
  });

  it('fails a store whose counters never expire', async () => {
    class Forever extends MemoryStore {
      override increment(key: string): Promise<{ count: number; ttlMs: number }> {
        return super.increment(key, 3_600_000);
      }
    }
    const { failed } = await runContract(() => new Forever());
    expect(failed.some((name) => name.startsWith('increment counts in a fixed window'))).toBe(true);
  });

  it('fails a store whose resetScope forgets nothing, or lets a racing failure bring the old count back', async () => {
    class Forgetful extends MemoryStore {
      override resetScope(): Promise<void> {
        return Promise.resolve();
      }
    }
    const { failed } = await runContract(() => new Forgetful());
    expect(failed.filter((name) => name.startsWith('resetScope'))).toHaveLength(2);
    expect(failed.every((name) => name.startsWith('resetScope'))).toBe(true);
  });
});
