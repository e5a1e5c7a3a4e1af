import { describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import type { Decision } from '../../src/shield.js';
import type { Verifier } from '../../src/core/verifier.js';
import type { ShieldRequest } from '../../src/core/request.js';

const request: ShieldRequest = { method: 'POST', path: '/orders', ip: '203.0.113.5', headers: {}, body: { a: 1 } };

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A verifier that waits `ms` before answering (0: answers synchronously) and counts its runs. */
function waiting(name: string, ms: number, runs: string[], extra: Partial<Verifier> = {}): Verifier {
  return {
    name,
    ...extra,
    verify: () => {
      runs.push(name);
      return ms === 0 ? { outcome: 'pass' } : delay(ms).then(() => ({ outcome: 'pass' as const }));
    },
  };
}

describe('per-verifier timings on the decision', () => {
  it('are on by default only when onDecision is set; `timings` turns them on or off explicitly', async () => {
    const runs: string[] = [];
    const verifiers = [waiting('slow', 15, runs)];
    const untimed = await createShield({ verifiers }).check(request);
    expect(untimed.results[0]).toMatchObject({ verifier: 'slow', outcome: 'pass' });
    expect(untimed.results[0]?.durationMs).toBeUndefined();
    const byHook = await createShield({ verifiers, onDecision: () => {} }).check(request);
    expect(byHook.results[0]?.durationMs).toBeGreaterThanOrEqual(13);
    const explicit = await createShield({ verifiers, timings: true }).check(request);
    expect(explicit.results[0]?.durationMs).toBeGreaterThanOrEqual(13);
    const off = await createShield({ verifiers, onDecision: () => {}, timings: false }).check(request);
    expect(off.results[0]?.durationMs).toBeUndefined();
    expect(() => createShield({ timings: 'yes' as unknown as boolean })).toThrow(/timings/);
  });

  it('every result carries durationMs: the time the verifier took, 0 for a skipped one', async () => {
    const runs: string[] = [];
    const shield = createShield({
      verifiers: [waiting('sync', 0, runs), waiting('slow', 40, runs), waiting('off', 0, runs)],
      timings: true,
    });
    const d = await shield.check(request, { verifiers: { off: 'off' } });
    expect(runs).toEqual(['sync', 'slow']);
    const [sync, slow, off] = d.results;
    expect(sync).toMatchObject({ verifier: 'sync', outcome: 'pass' });
    expect(sync?.durationMs).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(sync?.durationMs)).toBe(true);
    // A timer of 40 ms cannot fire sooner than ~40 ms (Node may round a millisecond down).
    expect(slow?.durationMs).toBeGreaterThanOrEqual(38);
    expect(off).toMatchObject({ verifier: 'off', outcome: 'skip', durationMs: 0 });
  });

  it('a denying, a throwing and a timed-out verifier are timed too', async () => {
    const deny: Verifier = { name: 'deny', mode: 'monitor', verify: () => delay(20).then(() => ({ outcome: 'deny' as const, code: 'device_untrusted' as const })) };
    const thrower: Verifier = { name: 'thrower', failOpen: true, verify: () => { throw new Error('nope'); } };
    const hang: Verifier = { name: 'hang', verify: () => new Promise(() => {}) };
    const d = await createShield({ verifiers: [deny, thrower, hang], verifierTimeoutMs: 30, onError: () => {}, timings: true }).check(request);
    expect(d.results.map((r) => [r.verifier, r.outcome])).toEqual([['deny', 'deny'], ['thrower', 'error'], ['hang', 'error']]);
    expect(d.results[0]?.durationMs).toBeGreaterThanOrEqual(18);
    expect(d.results[1]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(d.results[2]?.durationMs).toBeGreaterThanOrEqual(28);
    expect(d.code).toBe('shield_unavailable');
  });

  it('onDecision receives the timings, and they survive JSON (what loggers write)', async () => {
    const seen: Decision[] = [];
    const runs: string[] = [];
    const shield = createShield({ verifiers: [waiting('slow', 25, runs)], onDecision: (decision) => void seen.push(decision) });
    await shield.check(request);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.results[0]?.durationMs).toBeGreaterThanOrEqual(23);
    const json = JSON.parse(JSON.stringify(seen[0])) as { results: { verifier: string; durationMs: number }[] };
    expect(json.results[0]).toMatchObject({ verifier: 'slow' });
    expect(json.results[0]?.durationMs).toBe(seen[0]?.results[0]?.durationMs);
  });

  it('a header-stage result carried into the body stage keeps the time it took then (not re-run, not 0)', async () => {
    const runs: string[] = [];
    const seen: Decision[] = [];
    const shield = createShield({
      verifiers: [waiting('headers', 30, runs), waiting('body', 0, runs, { stage: 'body' })],
      onDecision: (decision) => void seen.push(decision),
    });
    const first = await shield.check(request, undefined, { stage: 'headers' });
    expect(first.complete).toBe(false);
    const second = await shield.check(request, undefined, { stage: 'body', previous: first });
    expect(runs).toEqual(['headers', 'body']);
    expect(seen).toEqual([second]);
    const headerTime = first.results[0]?.durationMs;
    expect(headerTime).toBeGreaterThanOrEqual(28);
    expect(second.results[0]).toMatchObject({ verifier: 'headers', durationMs: headerTime });
    expect(second.results[1]?.verifier).toBe('body');
    expect(second.results[1]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("the core's own results (ambiguous target, unexpected failure) carry durationMs 0", async () => {
    const broken: Verifier = { name: 'broken', appliesTo: () => { throw new Error('bug'); }, verify: () => ({ outcome: 'pass' }) };
    const d = await createShield({ verifiers: [broken], onError: () => {}, timings: true }).check(request);
    expect(d.results).toEqual([expect.objectContaining({ verifier: 'core', outcome: 'error', durationMs: 0 })]);
  });
});
