import { describe, expect, it } from 'vitest';
import { createShield } from '../../src/shield.js';
import type { ShieldRequest } from '../../src/core/request.js';
import { createTestAttester } from '../../src/testing/index.js';

// The decision reference is created lazily (no UUID for an allowed request nobody reads it from). These tests pin
// what must not change with that: a reference is a UUID, stable once read, shared by every stage of one request,
// unique per request, and part of the decision's JSON for loggers.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const attester = createTestAttester();
const req = (token: string | undefined): ShieldRequest => ({
  method: 'POST',
  path: '/x',
  ip: '127.0.0.1',
  headers: token ? { 'x-attestation-token': token } : {},
});

describe('decision reference', () => {
  const shield = createShield({ token: { secret: attester.secret as string }, payload: {} });

  it('is a UUID, stable across reads, and in the JSON of the decision', async () => {
    const d = await shield.check(req(await attester.mint()));
    expect(d.allowed).toBe(true);
    const first = d.reference;
    expect(first).toMatch(UUID);
    expect(d.reference).toBe(first);
    const json = JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
    expect(json.reference).toBe(first);
    expect(json.allowed).toBe(true);
  });

  it('is the same for the headers stage and the body stage of one request, read before or after', async () => {
    const token = await attester.mint();
    const headers = await shield.check(req(token), undefined, { stage: 'headers' });
    const body = await shield.check({ ...req(token), body: { a: 'b' } }, undefined, { stage: 'body', previous: headers });
    expect(body.reference).toBe(headers.reference);
    const headers2 = await shield.check(req(token), undefined, { stage: 'headers' });
    const ref = headers2.reference; // read first on the earlier stage this time
    const body2 = await shield.check({ ...req(token), body: { a: 'b' } }, undefined, { stage: 'body', previous: headers2 });
    expect(body2.reference).toBe(ref);
    expect(ref).not.toBe(headers.reference);
  });

  it('a denial carries its reference into onDecision and the problem body', async () => {
    const seen: string[] = [];
    const logged = createShield({ token: { secret: attester.secret as string }, onDecision: (d) => void seen.push(d.reference) });
    const d = await logged.check(req(undefined));
    expect(d.allowed).toBe(false);
    expect(seen).toEqual([d.reference]);
    expect(logged.respond(d, req(undefined)).body).toMatchObject({ reference: d.reference });
  });
});
