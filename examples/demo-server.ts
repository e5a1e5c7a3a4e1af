/**
 * The demo API: an Express server with the shield in front of every route, as an app team would set it up.
 * `examples/demo.ts` starts it and plays scripted clients against it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { approov, createShield, type Decision } from '../src/index.js';
import { captureRawBody, expressShield, expressShieldBody } from '../src/adapters/express.js';
import type { TestAttester } from '../src/testing/index.js';

export interface DemoServer {
  url: string;
  decisions: Decision[];
  close(): Promise<void>;
}

/** Starts the demo API on 127.0.0.1 with an ephemeral port; tokens are minted by `attester` (same secret). */
export async function startDemoServer(attester: TestAttester): Promise<DemoServer> {
  const decisions: Decision[] = [];
  const shield = createShield({
    token: approov({ secret: attester.secret as string }),
    // The demo's clients reach it from loopback as if through a CDN: X-Forwarded-For and cf-ipcountry are trusted
    // only because the peer is a trusted proxy.
    trustProxy: ['loopback'],
    device: {
      // The attestation service reports what it saw on the device as signed claims of its token.
      tokenClaims: {
        signals: { rooted: 'rooted', emu: 'emulator', hook: 'hooked' },
        deviceId: 'did',
        appVersion: 'ver',
        platform: 'os',
        level: 'MEETS_DEVICE_INTEGRITY',
      },
      country: { headers: ['cf-ipcountry'] },
      policy: {
        actions: { rooted: 'deny', emulator: 'step-up' },
        minAppVersion: { android: '5.0.0', ios: '5.0.0' },
        markets: { IN: { actions: { rooted: 'allow' } } },
      },
    },
    // Logins: only the genuine app may try, each token bound to the username it logs in (the `pay` claim), and
    // failures counted per username + IP, per IP and per device (defaults: lock after 5 failures in a row, 5 distinct
    // usernames per device per hour).
    credentials: { binding: true },
    // The payload shield stands in front of the handlers: limits, prototype pollution, injection detectors.
    payload: { contentTypes: ['application/json', 'application/x-www-form-urlencoded'] },
    routes: {
      'GET /health': false,
      'POST /transfers': { token: { replay: true } },
      'POST /login': { token: { binding: false }, credentials: { login: { username: 'body.username' } } },
    },
    onDecision: (decision) => void decisions.push(decision),
  });

  const app = express();
  app.use(expressShield(shield));
  app.use(express.json({ verify: captureRawBody() }));
  app.use(expressShieldBody(shield));
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/profile', (req, res) => void res.json({ user: 'alice', device: req.shield?.attestation?.claims.did ?? null }));
  app.post('/transfers', (req, res) => void res.status(201).json({ accepted: req.body }));
  app.get('/search', (req, res) => void res.json({ results: [], q: req.query.q ?? null }));
  app.get('/files', (req, res) => void res.json({ file: req.query.name ?? null }));
  app.post('/comments', (req, res) => void res.status(201).json({ stored: req.body }));
  app.put('/profile', (req, res) => void res.json({ saved: req.body }));
  const passwords = new Map([['alice', 'correct horse battery staple'], ['bob', 'tr0ub4dor&3']]);
  app.post('/login', (req, res) => {
    const { username, password } = (req.body ?? {}) as { username?: string; password?: string };
    if (username !== undefined && passwords.get(username) === password) res.json({ session: `s-${username}` });
    else res.status(401).json({ error: 'invalid credentials' }); // the same answer for unknown users
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    decisions,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
