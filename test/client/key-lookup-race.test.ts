/**
 * A caller whose App Attest key the service answered `attestation_key_unknown` for, while a plain key lookup (the
 * stored key id read at start-up) is in flight: its one retry must not reuse the lost key that lookup reads back.
 * The service's answers and the key storage's reads are gated by the test, so the interleaving is exact.
 */
import { describe, expect, it } from 'vitest';
import { createAttestationClient, type AppAttestAttester } from '../../src/client/index.js';

const CHALLENGE = 'A'.repeat(43);
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;
/** Lets pending promise continuations and zero-delay timers run. */
const settle = () => new Promise((r) => setTimeout(r, 20));
/** Resolves once `condition` holds; rejects after 1 s so a broken interleaving fails fast. */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 1) {
    if (waited > 1000) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('lost App Attest key and a key lookup in flight', () => {
  it('a caller refused for its key while a lookup reads that key back from storage re-registers instead of retrying with it', async () => {
    // The service: `stale` is unknown; the first two refusals wait for the test; the first registration fails.
    const heldRefusals: Array<() => void> = [];
    let refusals = 0;
    let failRegistrations = 1;
    const registered: string[] = [];
    const tokenKeys: string[] = [];
    const fetchStub: typeof fetch = async (input, init) => {
      const path = new URL(String(input)).pathname;
      const body = JSON.parse(String(init!.body)) as { keyId: string };
      if (path === '/attest/challenge') return json({ challenge: CHALLENGE });
      if (path === '/attest/ios/register') {
        if (failRegistrations-- > 0) return json({ code: 'attestation_rate_limited', status: 429 }, 429);
        registered.push(body.keyId);
        return json({ keyId: body.keyId }, 201);
      }
      tokenKeys.push(body.keyId);
      if (body.keyId !== 'stale') return json({ token: `t${tokenKeys.length}.b.c`, expiresAt: inFiveMinutes() });
      if (refusals++ < 2) await new Promise<void>((r) => heldRefusals.push(r));
      return json({ code: 'attestation_key_unknown', status: 401 }, 401);
    };
    // A storage whose writes land later (an un-awaited AsyncStorage.setItem): reads still answer `stale` after the
    // client forgot it. `heldRead` holds the next read until the test opens it.
    const writes: Array<string | undefined> = [];
    let heldRead: ReturnType<typeof gate> | undefined;
    let generated = 0;
    const attester: AppAttestAttester = {
      platform: 'ios',
      generateKey: async () => `key${++generated}`,
      attestKey: async () => 'YXR0',
      generateAssertion: async () => 'YXNz',
      keyStorage: {
        get: async () => {
          await heldRead?.promise;
          return 'stale';
        },
        set: (keyId) => void writes.push(keyId),
      },
    };
    const client = createAttestationClient({ serviceUrl: 'https://svc.example', attester, fetch: fetchStub });

    // A and B start together, read `stale` and are both refused (answers held).
    const a = client.getToken().catch((e: unknown) => e);
    const b = client.getToken('Bearer bob').catch((e: unknown) => e);
    await until(() => heldRefusals.length === 2);
    // A is refused first; its re-registration fails, leaving no key held.
    heldRefusals[0]!();
    expect(await a).toMatchObject({ name: 'AttestationClientError', code: 'attestation_rate_limited' });
    // C starts: a plain lookup, its storage read held.
    heldRead = gate();
    const c = client.getToken('Bearer carol').catch((e: unknown) => e);
    await settle();
    // B is refused while C's lookup is in flight; then the lookup reads `stale` back.
    heldRefusals[1]!();
    await settle();
    heldRead.open();
    const [bResult, cResult] = await Promise.all([b, c]);
    const issued = { token: expect.any(String), expiresAt: expect.any(Number) };
    expect(bResult).toEqual(issued);
    expect(cResult).toEqual(issued);
    // One new key between B and C (key1's registration failed), and no token request with `stale` after B's retry.
    expect(registered).toEqual(['key2']);
    expect(generated).toBe(2);
    expect(tokenKeys.filter((k) => k !== 'stale')).toEqual(['key2', 'key2']);
    expect(writes).toEqual([undefined, undefined, 'key2']);
  });
});
