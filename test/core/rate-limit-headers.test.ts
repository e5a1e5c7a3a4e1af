import { describe, expect, it } from 'vitest';
import { outcomeProblem } from '../../src/core/outcome.js';
import { addRateLimitHeaders, rateLimitProblem } from '../../src/core/rate-limit-headers.js';

describe('RateLimit fields', () => {
  const info = { policy: 'ip', limit: 100, windowSeconds: 3600, remaining: 0, resetSeconds: 42 };

  it('formats both fields as structured-field lists', () => {
    const headers: Record<string, string> = {};
    addRateLimitHeaders(headers, info);
    expect(headers).toEqual({ 'ratelimit-policy': '"ip";q=100;w=3600', ratelimit: '"ip";r=0;t=42' });
  });

  it('a deny outcome with a malformed rateLimit is not an outcome (no header injection through the policy name)', () => {
    expect(rateLimitProblem(info)).toBeUndefined();
    expect(outcomeProblem({ outcome: 'deny', code: 'credential_abuse', rateLimit: info })).toBeUndefined();
    expect(outcomeProblem({ outcome: 'deny', code: 'credential_abuse', rateLimit: { ...info, policy: 'a"\r\nx: y' } })).toMatch(/policy/);
    expect(outcomeProblem({ outcome: 'deny', code: 'credential_abuse', rateLimit: { ...info, limit: -1 } })).toMatch(/non-negative/);
    expect(outcomeProblem({ outcome: 'deny', code: 'credential_abuse', rateLimit: 'x' })).toMatch(/object/);
  });
});
