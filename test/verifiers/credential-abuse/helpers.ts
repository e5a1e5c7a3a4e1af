import { createHash } from 'node:crypto';
import { createClientIpResolver, type ClientIpResolver } from '../../../src/core/client-ip.js';
import type { ShieldRequest } from '../../../src/core/request.js';
import type { ResolvedRouteOptions } from '../../../src/core/route-options.js';
import type { Attestation, Verifier, VerifierContext, VerifierOutcome } from '../../../src/core/verifier.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import type { Store } from '../../../src/stores/store.js';
import {
  createCredentialAbuseVerifier,
  type CredentialAbuseOptions,
  type CredentialRouteOptions,
} from '../../../src/verifiers/credential-abuse/index.js';

/** base64 SHA-256 of a UTF-8 string, as a binding claim holds it. */
export function bindingHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64');
}

export interface ContextInput {
  route?: ResolvedRouteOptions;
  body?: unknown;
  headers?: ShieldRequest['headers'];
  ip?: string;
  now: number;
  attestation?: Attestation | null;
}

export const LOGIN_ROUTE = { credentials: { login: { username: 'body.email', password: 'body.password' } } } as
  ResolvedRouteOptions;

/** A VerifierContext built by hand, as the core builds one. */
export function makeContext(input: ContextInput): VerifierContext {
  const request: ShieldRequest = {
    method: 'POST',
    path: '/login',
    headers: input.headers ?? { 'content-type': 'application/json' },
    ip: input.ip ?? '198.51.100.7',
    body: input.body,
  };
  const ctx: VerifierContext = {
    request,
    route: input.route ?? LOGIN_ROUTE,
    ip: input.ip ?? '198.51.100.7',
    now: input.now,
    memo: new Map(),
    body: () => Promise.resolve(input.body),
  };
  if (input.attestation !== null) {
    ctx.attestation = input.attestation ?? { provider: 'test', claims: { did: 'device-1', sub: 'app-1' } };
  }
  return ctx;
}

/** A verifier on a MemoryStore with a movable clock, and a one-call "login attempt" driver. */
export function harness(options: CredentialAbuseOptions = {}, store?: Store, resolver?: ClientIpResolver) {
  const clock = { now: 1_800_000_000_000 };
  const memory = new MemoryStore({ now: () => clock.now });
  const ipResolver = resolver ?? createClientIpResolver({});
  const verifier: Verifier = createCredentialAbuseVerifier(options, { store: store ?? memory, ipResolver });
  async function attempt(
    email: string | undefined,
    outcome: number | 'success' | 'failure' | undefined,
    extra: { ip?: string; did?: string; claims?: Record<string, unknown>; route?: ResolvedRouteOptions; body?: unknown } = {},
  ): Promise<VerifierOutcome> {
    const ctx = makeContext({
      now: clock.now,
      ip: extra.ip,
      route: extra.route,
      body: extra.body ?? (email === undefined ? {} : { email, password: 'hunter2' }),
      attestation: { provider: 'test', claims: extra.claims ?? { did: extra.did ?? 'device-1' } },
    });
    const result = await verifier.verify(ctx);
    // `undefined`: a probe that ends as neither success nor failure, so it frees the slot it reserved.
    if (result.outcome !== 'deny') await verifier.onResponse!(ctx, outcome ?? 500);
    return result;
  }
  return { clock, memory, verifier, attempt, advance: (ms: number) => (clock.now += ms) };
}

export type { CredentialRouteOptions };
