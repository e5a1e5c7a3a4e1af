import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClientIpResolver } from '../../../src/core/client-ip.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import {
  BreachedPasswordChecker,
  BreachedPasswordLookupError,
  createCredentialAbuseVerifier,
} from '../../../src/verifiers/credential-abuse/index.js';
import { makeContext } from './helpers.js';

const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex').toUpperCase();
const BREACHED = 'P@ssw0rd';
const SAFE = 'correct horse battery staple 9f8e7d';

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local server speaking the Pwned Passwords range protocol, with switchable misbehaviour. */
let server: Server;
let baseUrl = '';
let seen: Seen[] = [];
let behaviour: 'ok' | 'hang' | 'status500' | 'html' | 'huge' | 'slow' = 'ok';

function rangeBody(prefix: string, padding: boolean): string {
  const lines: string[] = [];
  for (const password of [BREACHED, 'hunter2', 'letmein']) {
    const hash = sha1(password);
    if (hash.startsWith(prefix)) lines.push(`${hash.slice(5)}:${password === BREACHED ? 52_256_179 : 17}`);
  }
  // Some unrelated real-looking suffixes and, with padding, zero-count decoys.
  lines.push('0018A45C4D1DEF81644B54AB7F969B88D65:3', '00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2');
  if (padding) for (let i = 0; i < 500; i++) lines.push(`${sha1(`pad${i}`).slice(5)}:0`);
  // A decoy with the SAFE password's suffix but count 0: padding must never count as a breach.
  const safe = sha1(SAFE);
  if (safe.startsWith(prefix)) lines.push(`${safe.slice(5)}:0`);
  return lines.join('\r\n');
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      const match = /^\/range\/([0-9A-F]{5})$/.exec(req.url ?? '');
      if (behaviour === 'hang') return; // never answers
      if (behaviour === 'status500') return void res.writeHead(500).end('oops');
      if (behaviour === 'html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>captive portal</html>');
      if (behaviour === 'huge') {
        res.writeHead(200);
        const line = `${'A'.repeat(35)}:1\r\n`;
        for (let i = 0; i < 20_000; i++) res.write(line);
        return void res.end();
      }
      if (!match) return void res.writeHead(400).end();
      const text = rangeBody(match[1]!, req.headers['add-padding'] === 'true');
      const send = () => res.writeHead(200, { 'content-type': 'text/plain' }).end(text);
      if (behaviour === 'slow') setTimeout(send, 50);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen = [];
  behaviour = 'ok';
});

describe('BreachedPasswordChecker (k-anonymity range API)', () => {
  it('finds a breached password and its count; padding decoys count as zero', async () => {
    const checker = new BreachedPasswordChecker({ baseUrl });
    expect(await checker.breachCount(BREACHED)).toBe(52_256_179);
    expect(await checker.breachCount(SAFE)).toBe(0);
  });
  it('sends only the 5-hex prefix, asks for padding, and never sends the password or the full hash', async () => {
    const checker = new BreachedPasswordChecker({ baseUrl });
    await checker.breachCount(BREACHED);
    expect(seen).toHaveLength(1);
    const request = seen[0]!;
    expect(request.url).toBe(`/range/${sha1(BREACHED).slice(0, 5)}`);
    expect(request.headers['add-padding']).toBe('true');
    const everything = JSON.stringify(request);
    expect(everything).not.toContain(BREACHED);
    expect(everything).not.toContain(sha1(BREACHED).slice(5));
    expect(everything.toLowerCase()).not.toContain(sha1(BREACHED).slice(5).toLowerCase());
  });
  it('caches per prefix, and concurrent lookups of one prefix share one request', async () => {
    behaviour = 'slow';
    const checker = new BreachedPasswordChecker({ baseUrl });
    const counts = await Promise.all(Array.from({ length: 20 }, () => checker.breachCount(BREACHED)));
    expect(new Set(counts)).toEqual(new Set([52_256_179]));
    expect(seen).toHaveLength(1);
    await checker.breachCount(BREACHED);
    expect(seen).toHaveLength(1);
    await checker.breachCount(SAFE);
    expect(seen).toHaveLength(sha1(SAFE).slice(0, 5) === sha1(BREACHED).slice(0, 5) ? 1 : 2);
  });
  it('rejects within the timeout when the API hangs', async () => {
    behaviour = 'hang';
    const checker = new BreachedPasswordChecker({ baseUrl, timeoutMs: 200 });
    const started = Date.now();
    await expect(checker.breachCount(BREACHED)).rejects.toThrow(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(1000);
  });
  it.each([
    ['a 500', 'status500', /status 500/],
    ['an HTML page', 'html', /malformed/],
    ['an oversize answer', 'huge', /too large/],
  ] as const)('rejects %s and does not cache it', async (_label, mode, message) => {
    behaviour = mode;
    const checker = new BreachedPasswordChecker({ baseUrl });
    await expect(checker.breachCount(BREACHED)).rejects.toThrow(message);
    behaviour = 'ok';
    expect(await checker.breachCount(BREACHED)).toBe(52_256_179);
  });
  it('rejects when nothing listens', async () => {
    const checker = new BreachedPasswordChecker({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
    await expect(checker.breachCount(BREACHED)).rejects.toBeInstanceOf(BreachedPasswordLookupError);
  });
});

describe('breached-password check in the verifier', () => {
  const store = new MemoryStore();
  const ipResolver = createClientIpResolver({});
  // A fresh username per attempt: attempts here are never settled, and unsettled attempts hold their slots.
  let n = 0;
  const ctx = (password: unknown, email?: string) => {
    const i = n++;
    return email === undefined
      ? makeContext({
          now: Date.now(),
          ip: `198.51.${100 + (i >> 8)}.${i & 0xff}`,
          attestation: { provider: 't', claims: { did: `d${i}` } },
          body: { email: `a${i}@x`, password },
        })
      : makeContext({ now: Date.now(), body: { email, password } });
  };
  it('denies a breached password with password_breached and passes a safe one', async () => {
    const verifier = createCredentialAbuseVerifier({ breachedPassword: { baseUrl } }, { store, ipResolver });
    const denied = await verifier.verify(ctx(BREACHED));
    expect(denied).toEqual({ outcome: 'deny', code: 'password_breached', detail: 'password appears in known breaches' });
    expect(JSON.stringify(denied)).not.toContain(BREACHED);
    expect(await verifier.verify(ctx(SAFE))).toEqual({ outcome: 'pass' });
  });
  it('minCount raises the bar', async () => {
    const verifier = createCredentialAbuseVerifier(
      { breachedPassword: { baseUrl, minCount: 100 } },
      { store, ipResolver },
    );
    expect((await verifier.verify(ctx('hunter2'))).outcome).toBe('pass');
    expect((await verifier.verify(ctx(BREACHED))).outcome).toBe('deny');
  });
  it('fails open by default when the API is down, closed when configured', async () => {
    behaviour = 'hang';
    const open = createCredentialAbuseVerifier({ breachedPassword: { baseUrl, timeoutMs: 100 } }, { store, ipResolver });
    expect(await open.verify(ctx('another-password-1'))).toMatchObject({ outcome: 'pass' });
    const closed = createCredentialAbuseVerifier(
      { breachedPassword: { baseUrl, timeoutMs: 100, failOpen: false } },
      { store, ipResolver },
    );
    await expect(closed.verify(ctx('another-password-2'))).rejects.toBeInstanceOf(BreachedPasswordLookupError);
  });
  it('is not asked when the route names no password field, the password is empty, or the check is off', async () => {
    const withPassword = createCredentialAbuseVerifier({ breachedPassword: { baseUrl } }, { store, ipResolver });
    const noField = makeContext({
      now: Date.now(),
      route: { credentials: { login: { username: 'body.email' } } } as never,
      body: { email: 'a@x', password: BREACHED },
    });
    expect((await withPassword.verify(noField)).outcome).toBe('pass');
    expect((await withPassword.verify(ctx(''))).outcome).toBe('pass');
    // A password that is present but not a string is refused before any lookup (issue 10 item 1).
    expect(await withPassword.verify(ctx(12345))).toMatchObject({ outcome: 'deny', code: 'payload_malformed' });
    const off = createCredentialAbuseVerifier({}, { store, ipResolver });
    expect((await off.verify(ctx(BREACHED))).outcome).toBe('pass');
    expect(seen).toHaveLength(0);
  });
  it('a locked account is refused before any lookup', async () => {
    const lockStore = new MemoryStore();
    const verifier = createCredentialAbuseVerifier(
      { breachedPassword: { baseUrl }, consecutiveFailures: { limit: 1 } },
      { store: lockStore, ipResolver },
    );
    const first = ctx(SAFE, 'locked@x');
    await verifier.verify(first);
    await verifier.onResponse!(first, 401);
    seen = [];
    expect(await verifier.verify(ctx(BREACHED, 'locked@x'))).toMatchObject({ code: 'login_locked' });
    expect(seen).toHaveLength(0);
  });
});
