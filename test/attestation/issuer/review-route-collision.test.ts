/**
 * Review: `jwksPath` could name one of the service's POST routes (`prefix: ''` with `jwksPath: '/challenge'`, or
 * `jwksPath: '/attest/ios/token'`). The service started, and the handler, which dispatches on the path alone,
 * answered that POST route with the JWKS (200): no challenge or token could ever be had, and clients were told
 * `bad_response` instead of the operator being told at start-up. It is now a ShieldConfigError naming `jwksPath`.
 */
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { testService } from './fixtures.js';

const post = (path: string) => ({ method: 'POST' as const, path, query: new URLSearchParams(), headers: {}, ip: '192.0.2.7', body: {} });

function configError(run: () => unknown): ShieldConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ShieldConfigError) return error;
    throw error;
  }
  throw new Error('expected a ShieldConfigError');
}

describe('jwksPath may not be one of the service routes', () => {
  it.each([
    ['', '/challenge'],
    ['/attest', '/attest/challenge'],
    ['/attest', '/attest/android'],
    ['/attest', '/attest/ios/register'],
    ['/v1', '/v1/ios/token'],
  ])('prefix %j with jwksPath %j is a ShieldConfigError naming jwksPath', (prefix, jwksPath) => {
    const error = configError(() => testService(new MemoryStore(), { prefix, jwksPath }));
    expect(error.message).toMatch(/jwksPath: .*route/);
  });

  it('a JWKS path of its own still serves both, each answering its own', async () => {
    const service = testService(new MemoryStore(), { prefix: '', jwksPath: '/jwks' });
    const challenge = await service.handle(post('/challenge'));
    expect(challenge.status).toBe(200);
    expect(challenge.body).toHaveProperty('challenge');
    const jwks = await service.handle({ ...post('/jwks'), method: 'GET' as const });
    expect(jwks.body).toHaveProperty('keys');
  });
});
