/**
 * The client against a stub service answering what phones really meet: unusable answers (captive portals, broken
 * streams, wrong field types), concurrent App Attest start-up, key storages answering null, `clear()` racing a
 * request in flight, and a device clock off from the service's.
 */
import { describe, expect, it } from 'vitest';
import { AttestationClientError, createAttestationClient, type AppAttestAttester } from '../../src/client/index.js';

const CHALLENGE = 'A'.repeat(43);
const SERVICE = 'https://svc.example';
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const android = { platform: 'android' as const, requestIntegrityToken: async () => 'integrity' };
const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;

/** An Android client whose challenge answer is `challengeAnswer` and whose token answer is `tokenAnswer`. */
function androidClient(tokenAnswer: () => Response, challengeAnswer: () => Response = () => json({ challenge: CHALLENGE })) {
  return createAttestationClient({
    serviceUrl: SERVICE,
    attester: android,
    fetch: async (input) => (String(input).endsWith('/challenge') ? challengeAnswer() : tokenAnswer()),
  });
}

/** A body stream that sends part of a JSON document, then breaks (the connection dropped mid-answer). */
function brokenStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"token":"a.b'));
      controller.error(new TypeError('connection reset'));
    },
  });
}

/** An iOS attester counting generated keys; `keyStorage` optional. */
function iosAttester(keyStorage?: AppAttestAttester['keyStorage']): AppAttestAttester & { generated: () => number } {
  let generated = 0;
  return {
    platform: 'ios',
    generated: () => generated,
    generateKey: async () => `key${++generated}`,
    attestKey: async () => 'YXR0',
    generateAssertion: async () => 'YXNz',
    ...(keyStorage ? { keyStorage } : {}),
  };
}

describe('unusable answers from the service', () => {
  it('a 200 answer whose JSON body is null rejects with AttestationClientError bad_response, not a TypeError', async () => {
    const client = androidClient(() => json({}), () => json(null));
    const error = await client.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttestationClientError);
    expect(error).toMatchObject({ status: 200, code: 'bad_response' });
  });

  it('a 200 answer that is not JSON (captive portal page) rejects with bad_response, not a SyntaxError', async () => {
    const portal = () => new Response('<html>Sign in to Wi-Fi</html>', { status: 200, headers: { 'content-type': 'text/html' } });
    const error = await androidClient(() => json({}), portal).getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttestationClientError);
    expect(error).toMatchObject({ status: 200, code: 'bad_response' });
  });

  it('a token answer whose JSON body is null or an array rejects with bad_response', async () => {
    for (const body of [null, [], ['a.b.c', 123]]) {
      const error = await androidClient(() => json(body)).getToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AttestationClientError);
      expect(error).toMatchObject({ status: 200, code: 'bad_response' });
    }
  });

  it('an answer whose body breaks off while being read rejects with the network code', async () => {
    const broken = () => new Response(brokenStream(), { status: 200, headers: { 'content-type': 'application/json' } });
    for (const client of [androidClient(broken), androidClient(() => json({}), broken)]) {
      const error = await client.getToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AttestationClientError);
      expect(error).toMatchObject({ status: 0, code: 'network' });
    }
  });

  it('fields of the wrong type are bad_response (challenge, token, expiresAt, expiresIn)', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{ challenge: 42 }, { token: 'a.b.c', expiresAt: inFiveMinutes() }],
      [{ challenge: '' }, { token: 'a.b.c', expiresAt: inFiveMinutes() }],
      [{ challenge: CHALLENGE }, { token: 42, expiresAt: inFiveMinutes() }],
      [{ challenge: CHALLENGE }, { token: 'a.b.c', expiresAt: String(inFiveMinutes()) }],
      [{ challenge: CHALLENGE }, { token: 'a.b.c', expiresAt: inFiveMinutes(), expiresIn: '300' }],
      [{ challenge: CHALLENGE }, { token: 'a.b.c', expiresAt: inFiveMinutes(), expiresIn: null }],
      [{ challenge: CHALLENGE }, { token: 'a.b.c', expiresAt: inFiveMinutes(), expiresIn: -1 }],
    ];
    for (const [challengeBody, tokenBody] of cases) {
      const error = await androidClient(() => json(tokenBody), () => json(challengeBody)).getToken().catch((e: unknown) => e);
      expect(error, JSON.stringify([challengeBody, tokenBody])).toBeInstanceOf(AttestationClientError);
      expect(error).toMatchObject({ status: 200, code: 'bad_response' });
    }
  });

  it('an App Attest registration answered by a captive portal is bad_response (with its status)', async () => {
    const client = createAttestationClient({
      serviceUrl: SERVICE,
      attester: iosAttester(),
      fetch: async (input) => {
        const path = new URL(String(input)).pathname;
        if (path === '/attest/challenge') return json({ challenge: CHALLENGE });
        if (path === '/attest/ios/register') return new Response('<html>login</html>', { status: 201 });
        return json({ token: 'a.b.c', expiresAt: inFiveMinutes() });
      },
    });
    await expect(client.getToken()).rejects.toMatchObject({ name: 'AttestationClientError', status: 201, code: 'bad_response' });
  });
});

/**
 * A stub iOS service: records registrations and token requests; `unknownKeys` are answered attestation_key_unknown,
 * the n-th such answer (from 0) after n * `staggerMs`.
 */
function iosService(unknownKeys: Set<string> = new Set(), staggerMs = 0) {
  let unknownAnswers = 0;
  const registered: string[] = [];
  const tokenKeys: string[] = [];
  let failRegistrations = 0;
  const fetchStub: typeof fetch = async (input, init) => {
    const path = new URL(String(input)).pathname;
    const body = JSON.parse(String(init!.body)) as Record<string, unknown>;
    // The real service refuses a key id that is not a string (422), forever for that stored id.
    if ('keyId' in body && (typeof body.keyId !== 'string' || body.keyId === '')) return json({ code: 'payload_invalid', status: 422 }, 422);
    if (path === '/attest/challenge') return json({ challenge: CHALLENGE });
    if (path === '/attest/ios/register') {
      // Yield first, as the network does: concurrent callers get to interleave.
      await new Promise((r) => setTimeout(r, 5));
      if (failRegistrations > 0) {
        failRegistrations -= 1;
        return json({ code: 'attestation_rate_limited', status: 429 }, 429);
      }
      registered.push(body.keyId as string);
      return json({ keyId: body.keyId }, 201);
    }
    tokenKeys.push(body.keyId as string);
    if (unknownKeys.has(body.keyId as string)) {
      await new Promise((r) => setTimeout(r, unknownAnswers++ * staggerMs));
      return json({ code: 'attestation_key_unknown', status: 401 }, 401);
    }
    return json({ token: `t${tokenKeys.length}.b.c`, expiresAt: inFiveMinutes() });
  };
  return { fetch: fetchStub, registered, tokenKeys, failNextRegistrations: (n: number) => void (failRegistrations = n) };
}

describe('App Attest key registration', () => {
  it('concurrent iOS token requests (two bindings) register a single App Attest key', async () => {
    const svc = iosService();
    const attester = iosAttester();
    const client = createAttestationClient({ serviceUrl: SERVICE, attester, fetch: svc.fetch });
    await Promise.all([client.getToken(), client.getToken('Bearer alice'), client.getToken('Bearer bob')]);
    expect(attester.generated()).toBe(1);
    expect(svc.registered).toEqual(['key1']);
    expect(new Set(svc.tokenKeys)).toEqual(new Set(['key1']));
  });

  it('concurrent requests whose key the service lost re-register one key between them, not one each', async () => {
    const svc = iosService(new Set(['stale']));
    let stored: string | undefined = 'stale';
    const attester = iosAttester({ get: () => stored, set: (k) => void (stored = k) });
    const client = createAttestationClient({ serviceUrl: SERVICE, attester, fetch: svc.fetch });
    const tokens = await Promise.all([client.getToken(), client.getToken('Bearer alice'), client.getToken('Bearer bob')]);
    expect(tokens).toHaveLength(3);
    expect(attester.generated()).toBe(1);
    expect(svc.registered).toEqual(['key1']);
    expect(stored).toBe('key1');
  });

  it('a request refused for the lost key after another already replaced it uses the new key, not a third one', async () => {
    // The second and third refusals arrive after the first caller registered its new key.
    const svc = iosService(new Set(['stale']), 100);
    let stored: string | undefined = 'stale';
    const attester = iosAttester({ get: () => stored, set: (k) => void (stored = k) });
    const client = createAttestationClient({ serviceUrl: SERVICE, attester, fetch: svc.fetch });
    await Promise.all([client.getToken(), client.getToken('Bearer alice'), client.getToken('Bearer bob')]);
    expect(attester.generated()).toBe(1);
    expect(svc.registered).toEqual(['key1']);
    expect(svc.tokenKeys.filter((k) => k !== 'stale')).toEqual(['key1', 'key1', 'key1']);
    expect(stored).toBe('key1');
  });

  it('a failed registration is not kept: the next call registers again', async () => {
    const svc = iosService();
    svc.failNextRegistrations(1);
    const attester = iosAttester();
    const client = createAttestationClient({ serviceUrl: SERVICE, attester, fetch: svc.fetch });
    const results = await Promise.allSettled([client.getToken(), client.getToken('Bearer alice')]);
    // Both callers shared the one registration, and both saw it fail.
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(attester.generated()).toBe(1);
    await client.getToken();
    expect(attester.generated()).toBe(2);
    expect(svc.registered).toEqual(['key2']);
  });

  it('a stored key id that is null (Expo SecureStore, AsyncStorage) or empty is treated as no key: one is registered', async () => {
    for (const missing of [null, '']) {
      const svc = iosService();
      const saved: Array<string | undefined> = [];
      // `null as never`: storages typed for this library answer undefined, but JavaScript ones answer null.
      const attester = iosAttester({ get: async () => missing as never, set: (k) => void saved.push(k) });
      const client = createAttestationClient({ serviceUrl: SERVICE, attester, fetch: svc.fetch });
      const result = await client.getToken().catch((e: unknown) => e);
      expect(result).not.toBeInstanceOf(Error);
      expect(attester.generated()).toBe(1);
      expect(svc.registered).toEqual(['key1']);
      expect(saved).toEqual(['key1']);
    }
  });
});

describe('token cache', () => {
  /** A stub service minting `t<n>.b.c`; `holdNext()` holds the next token request until `release(i)` (i-th held). */
  function stubService(ttlSeconds = 300, withExpiresIn = true) {
    let minted = 0;
    let toHold = 0;
    const held: Array<() => void> = [];
    const fetchStub: typeof fetch = async (input) => {
      if (String(input).endsWith('/challenge')) return json({ challenge: CHALLENGE });
      if (toHold > 0) {
        toHold -= 1;
        await new Promise<void>((r) => held.push(r));
      }
      minted += 1;
      // The service's clock is the real one.
      const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
      return json({ token: `t${minted}.b.c`, expiresAt, ...(withExpiresIn ? { expiresIn: ttlSeconds } : {}) });
    };
    return {
      fetch: fetchStub,
      minted: () => minted,
      holdNext: () => void (toHold += 1),
      release: (i = 0) => held[i]!(),
    };
  }
  const settleRequests = () => new Promise((r) => setTimeout(r, 20));
  /** `promise`, or a rejection after 1 s: a caller stuck behind the held request fails fast instead of timing out. */
  const within = <T>(promise: Promise<T>): Promise<T> =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still waiting after 1 s')), 1000))]);

  it('clear() also drops a token still in flight: the next getToken does not get a token obtained before clear()', async () => {
    const svc = stubService();
    const client = createAttestationClient({ serviceUrl: SERVICE, attester: android, fetch: svc.fetch });
    svc.holdNext();
    const inFlight = client.getToken();
    await settleRequests();
    client.clear(); // e.g. logout
    svc.release();
    const before = await inFlight; // its own caller still gets it
    const after = await client.getToken();
    expect(after.token).not.toBe(before.token);
    expect((await client.getToken()).token).toBe(after.token); // the token after clear() is cached as usual
    expect(svc.minted()).toBe(2);
  });

  it('a caller after clear() does not join the request from before it, whose late answer does not replace the new token', async () => {
    const svc = stubService();
    const client = createAttestationClient({ serviceUrl: SERVICE, attester: android, fetch: svc.fetch });
    svc.holdNext();
    const inFlight = client.getToken();
    await settleRequests();
    client.clear();
    const after = await within(client.getToken()); // answered while the old request is still held
    expect(after.token).toBe('t1.b.c');
    svc.release();
    expect((await inFlight).token).toBe('t2.b.c');
    expect((await client.getToken()).token).toBe(after.token);
    expect(svc.minted()).toBe(2);
  });

  it('a request from before clear() that settles does not remove the newer request in flight for the same binding', async () => {
    const svc = stubService();
    const client = createAttestationClient({ serviceUrl: SERVICE, attester: android, fetch: svc.fetch });
    svc.holdNext();
    svc.holdNext();
    const old = client.getToken();
    await settleRequests();
    client.clear();
    const current = client.getToken();
    await settleRequests();
    svc.release(0);
    await old;
    const joining = client.getToken(); // joins `current`, rather than asking the service again
    await settleRequests();
    svc.release(1);
    expect((await joining).token).toBe((await current).token);
    expect(svc.minted()).toBe(2);
  });

  it('a device clock 10 minutes ahead of the service still reuses a 5-minute token (not one attestation per call)', async () => {
    const svc = stubService(300);
    const client = createAttestationClient({ serviceUrl: SERVICE, attester: android, fetch: svc.fetch, now: () => Date.now() + 10 * 60_000 });
    await client.getToken();
    await client.getToken();
    await client.getToken();
    expect(svc.minted()).toBe(1);
  });

  it('a device clock behind the service does not keep a token the service considers expired', async () => {
    const svc = stubService(300);
    let skew = -10 * 60_000;
    const client = createAttestationClient({ serviceUrl: SERVICE, attester: android, fetch: svc.fetch, now: () => Date.now() + skew });
    await client.getToken();
    skew += 280_000; // 280 s later on both clocks: inside the 30 s refresh margin of the 300 s token
    await client.getToken();
    expect(svc.minted()).toBe(2);
  });

  it('without expiresIn (an older service) the cache still follows expiresAt', async () => {
    const svc = stubService(300, false);
    let clock = Date.now();
    const client = createAttestationClient({ serviceUrl: SERVICE, attester: android, fetch: svc.fetch, now: () => clock });
    const first = await client.getToken();
    expect((await client.getToken()).token).toBe(first.token);
    clock = first.expiresAt * 1000 - 29_000; // inside the refresh margin
    expect((await client.getToken()).token).not.toBe(first.token);
    expect(svc.minted()).toBe(2);
  });
});
