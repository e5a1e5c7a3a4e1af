/**
 * The observability recipes run as a user would run them (`examples/prometheus.ts --demo`, `examples/pino.ts
 * --demo`): the metrics text and the log lines hold the decision codes and the verifier timings, and no token or
 * Authorization value.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const runExample = async (file: string) => {
  // The examples mint their own test tokens unless APPROOV_SECRET says otherwise.
  const { APPROOV_SECRET: _ignored, ...env } = process.env;
  return (await run(process.execPath, ['--import', 'tsx', file, '--demo'], { timeout: 60_000, env })).stdout;
};

/** A compact JWS (what the test attester mints) or the demo's Authorization value. */
const TOKEN_LIKE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;
const AUTHORIZATION = /demo-user-session|someone-else/;

describe('examples/prometheus.ts', () => {
  it('serves decisions by code, verifier latency, cache lookups and store latency in the Prometheus text format', async () => {
    const out = await runExample('examples/prometheus.ts');
    expect(out).toMatch(/^statuses: 200 200 401 200 401$/m);
    expect(out).toMatch(/^mobile_api_shield_decisions_total\{outcome="allowed",code="",mode="enforce"\} 3$/m);
    expect(out).toMatch(/^mobile_api_shield_decisions_total\{outcome="denied",code="token_missing",mode="enforce"\} 1$/m);
    expect(out).toMatch(/^mobile_api_shield_decisions_total\{outcome="denied",code="token_replayed",mode="enforce"\} 1$/m);
    expect(out).toMatch(/^mobile_api_shield_decisions_total\{outcome="exempt",code="",mode="enforce"\} 1$/m);
    expect(out).toMatch(/^mobile_api_shield_verifier_duration_seconds_count\{verifier="token",outcome="pass"\} 3$/m);
    expect(out).toMatch(/^mobile_api_shield_verifier_duration_seconds_count\{verifier="token",outcome="deny"\} 2$/m);
    const sum = /^mobile_api_shield_verifier_duration_seconds_sum\{verifier="token",outcome="pass"\} (\S+)$/m.exec(out);
    expect(Number(sum?.[1])).toBeGreaterThan(0);
    expect(out).toMatch(/^mobile_api_shield_verifier_cache_lookups_total\{verifier="token",result="miss"\} 2$/m);
    expect(out).toMatch(/^mobile_api_shield_verifier_cache_lookups_total\{verifier="token",result="hit"\} 2$/m);
    expect(out).toMatch(/^mobile_api_shield_store_duration_seconds_count\{operation="setIfAbsent",outcome="ok"\} 2$/m);
    expect(out).not.toMatch(TOKEN_LIKE);
    expect(out).not.toMatch(AUTHORIZATION);
    expect(out).not.toMatch(/authorization|approov-token/i);
  }, 90_000);
});

describe('examples/pino.ts', () => {
  it('writes one JSON line per decision with code, reference and per-verifier timings, credentials masked', async () => {
    const out = await runExample('examples/pino.ts');
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const decisions = lines
      .filter((l) => l.msg === 'shield decision')
      .map((l): Record<string, unknown> => ({ level: l.level, ...(l.shield as Record<string, unknown>) }));
    expect(decisions.map((d) => [d.level, d.allowed, d.code ?? null])).toEqual([
      [30, true, null],
      [30, true, null],
      [40, false, 'token_binding_mismatch'],
      [40, false, 'token_missing'],
    ]);
    type Entry = { verifier: string; outcome: string; ms: number; cache?: string };
    const verifiers = decisions.map((d) => d.verifiers as Entry[]);
    expect(verifiers.map((v) => v.map((e) => [e.verifier, e.outcome, e.cache ?? null]))).toEqual([
      [['token', 'pass', 'miss']],
      [['token', 'pass', 'hit']],
      [['token', 'deny', 'hit']],
      [['token', 'deny', null]],
    ]);
    for (const d of decisions) {
      const [entry] = d.verifiers as Entry[];
      expect(entry?.ms).toBeGreaterThan(0);
      expect(d.shieldMs).toBe(entry?.ms);
      expect(d.reference).toMatch(/^[0-9a-f-]{36}$/);
    }
    // The request as onDecision saw it: the credential headers are there, masked.
    const request = decisions[0]?.request as { headers: Record<string, string> };
    expect(request.headers).toMatchObject({ authorization: '[redacted]', 'approov-token': '[redacted]' });
    // Fastify's own request lines go through the same logger.
    expect(lines.some((l) => l.msg === 'request completed')).toBe(true);
    expect(out).not.toMatch(TOKEN_LIKE);
    expect(out).not.toMatch(AUTHORIZATION);
  }, 90_000);
});
