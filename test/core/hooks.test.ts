import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callHook } from '../../src/core/hooks.js';

describe('callHook', () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', record);
  });
  afterEach(() => void process.off('unhandledRejection', record));

  it('passes one or two arguments as given, and nothing when the hook is not set', () => {
    const seen: unknown[][] = [];
    callHook((...args: unknown[]) => void seen.push(args), 'event');
    callHook((...args: unknown[]) => void seen.push(args), 'error', { verifier: 'core' });
    callHook(undefined, 'ignored');
    expect(seen).toEqual([['event'], ['error', { verifier: 'core' }]]);
  });

  it('swallows a throw and the rejection of an async hook (no unhandled rejection)', async () => {
    expect(() => callHook(() => {
      throw new Error('sync');
    }, 1)).not.toThrow();
    callHook(async () => {
      throw new Error('log sink unavailable');
    }, 1, 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
  });
});
