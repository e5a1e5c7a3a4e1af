/**
 * `settleLater`: the adapters' path for a pending decision. The decision reaches `carryOut` after the arguments, and
 * an error thrown while carrying it out goes to `fail` (the framework's `next`/`done`), never to an unhandled rejection.
 */
import { describe, expect, it } from 'vitest';
import { settleLater } from '../../src/adapters/settle-later.js';
import type { Decision } from '../../src/core/decision.js';

const decision = { allowed: true, complete: true } as Decision;

describe('settleLater', () => {
  it('calls carryOut with the arguments, then the settled decision', async () => {
    const seen: unknown[][] = [];
    const failures: unknown[] = [];
    await new Promise<void>((resolve) => {
      settleLater(Promise.resolve(decision), (error) => failures.push(error), (a: string, b: number, d: Decision) => {
        seen.push([a, b, d]);
        resolve();
      }, 'req', 7);
    });
    expect(seen).toEqual([['req', 7, decision]]);
    expect(failures).toEqual([]);
  });

  it('hands an error thrown by carryOut to fail', async () => {
    const boom = new Error('cannot encode the body');
    const failed = await new Promise<unknown>((resolve) => {
      settleLater(Promise.resolve(decision), resolve, (_d: Decision) => {
        throw boom;
      });
    });
    expect(failed).toBe(boom);
  });
});
