import type { Store } from '../../src/stores/store.js';

/**
 * A minimal in-process Store for these tests (the project's MemoryStore may not exist yet). Each operation does its
 * check-and-set in one synchronous step before resolving, so concurrent callers see the same atomicity a real store
 * gives. TTLs are honoured against an injectable clock.
 */
export class TestMemoryStore implements Store {
  private readonly values = new Map<string, { value: string; expiresAt: number }>();
  private readonly sets = new Map<string, { members: Set<string>; expiresAt: number }>();
  /** Count of calls per operation, so tests can assert what the code under test did. */
  readonly calls = { setIfAbsent: 0, get: 0, delete: 0, increment: 0, addToSet: 0, setIfGreater: 0 };
  /** When set, every operation rejects with this error (to test fail-closed behaviour). */
  failWith: Error | undefined;

  constructor(private readonly clock: () => number = Date.now) {}

  private live(key: string): { value: string; expiresAt: number } | undefined {
    const entry = this.values.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.values.delete(key);
      return undefined;
    }
    return entry;
  }

  private async guard(): Promise<void> {
    await Promise.resolve();
    if (this.failWith) throw this.failWith;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.calls.setIfAbsent++;
    await this.guard();
    if (this.live(key) !== undefined) return false;
    this.values.set(key, { value, expiresAt: this.clock() + ttlMs });
    return true;
  }

  async get(key: string): Promise<string | undefined> {
    this.calls.get++;
    await this.guard();
    return this.live(key)?.value;
  }

  async delete(key: string): Promise<void> {
    this.calls.delete++;
    await this.guard();
    this.values.delete(key);
    this.sets.delete(key);
  }

  async increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }> {
    this.calls.increment++;
    await this.guard();
    const entry = this.live(key);
    if (entry === undefined) {
      this.values.set(key, { value: '1', expiresAt: this.clock() + ttlMs });
      return { count: 1, ttlMs };
    }
    entry.value = String(Number(entry.value) + 1);
    return { count: Number(entry.value), ttlMs: entry.expiresAt - this.clock() };
  }

  async addToSet(key: string, member: string, ttlMs: number): Promise<number> {
    this.calls.addToSet++;
    await this.guard();
    let entry = this.sets.get(key);
    if (entry === undefined || entry.expiresAt <= this.clock()) {
      entry = { members: new Set(), expiresAt: this.clock() + ttlMs };
      this.sets.set(key, entry);
    }
    entry.members.add(member);
    return entry.members.size;
  }

  async setIfGreater(key: string, value: number, ttlMs: number): Promise<boolean> {
    this.calls.setIfGreater++;
    await this.guard();
    const entry = this.live(key);
    if (entry !== undefined && Number(entry.value) >= value) return false;
    this.values.set(key, { value: String(value), expiresAt: this.clock() + ttlMs });
    return true;
  }
}
