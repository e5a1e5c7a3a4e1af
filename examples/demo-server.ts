/**
 * The demo API: an Express server with the self-hosted attestation service and the shield in front of every route,
 * as an app team would set it up. `examples/demo.ts` starts it and plays scripted clients against it.
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  ATTESTATION_SERVICE_CLAIMS,
  createAttestationService,
  createShield,
  MemoryStore,
  type ChannelOptions,
  type Decision,
  type Endpoints,
} from '../src/index.js';
import { captureRawBody, expressEndpoints, expressShield, expressShieldBody } from '../src/adapters/express.js';
import { createPlayIntegritySimulator } from '../src/testing/index.js';

export const PACKAGE = 'com.example.bank';
export const DEMO_ISSUER = 'https://attest.bank.example';
export const DEMO_AUDIENCE = 'bank-api';
export const DEMO_KEY_ID = 'demo-2026-1';
/** The attestation service's signing key (in production: from your secret store, rotated with `activeFrom`). */
export const demoSigningKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
/** Play Integrity with test keys standing in for Google's (the demo never reaches the network). */
export const demoPlayIntegrity = createPlayIntegritySimulator(PACKAGE);

export interface DemoServer {
  url: string;
  decisions: Decision[];
  close(): Promise<void>;
}

/**
 * Starts the demo API on 127.0.0.1 with an ephemeral port. The attestation service issues the tokens (ES256, key
 * `DEMO_KEY_ID`); the shield knows nothing about it but its JWKS URL.
 */
export async function startDemoServer(
  /** Endpoints served before the shield (pin set, pin-failure reports) and the shield's `channel` option. */
  extras: { endpoints?: readonly Endpoints[]; channel?: ChannelOptions } = {},
): Promise<DemoServer> {
  const decisions: Decision[] = [];
  const store = new MemoryStore();
  const service = createAttestationService({
    signingKeys: [{ kid: DEMO_KEY_ID, privateKey: demoSigningKey }],
    issuer: DEMO_ISSUER,
    audience: DEMO_AUDIENCE,
    android: demoPlayIntegrity.options,
    store,
  });
  const app = express();
  // The attestation routes come before the shield: the app calls them to get the token the shield asks for.
  app.use(expressEndpoints(service));
  for (const endpoints of extras.endpoints ?? []) app.use(expressEndpoints(endpoints));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const shield = createShield({
    token: {
      jwksUrl: `${url}/.well-known/jwks.json`,
      issuer: DEMO_ISSUER,
      audience: DEMO_AUDIENCE,
      binding: { claim: 'pay', headers: ['authorization'] },
    },
    // The demo's clients reach it from loopback as if through a CDN: X-Forwarded-For and cf-ipcountry are trusted
    // only because the peer is a trusted proxy.
    trustProxy: ['loopback'],
    device: {
      // The attestation service reports what it saw on the device as signed claims of its token.
      tokenClaims: ATTESTATION_SERVICE_CLAIMS,
      country: { headers: ['cf-ipcountry'] },
      policy: {
        actions: { rooted: 'deny', emulator: 'step-up' },
        minAppVersion: { android: 500, ios: '5.0.0' },
        markets: { IN: { actions: { rooted: 'allow' } } },
      },
    },
    // Logins: only the genuine app may try, each token bound to the username it logs in (the `pay` claim), and
    // failures counted per username + IP, per IP and per device (defaults: lock after 5 failures in a row, 5 distinct
    // usernames per device per hour).
    credentials: { binding: true, deviceClaims: ['sub'] },
    // The payload shield stands in front of the handlers: limits, prototype pollution, injection detectors.
    payload: { contentTypes: ['application/json', 'application/x-www-form-urlencoded'] },
    routes: {
      'GET /health': false,
      'POST /transfers': { token: { replay: true } },
      'POST /login': { token: { binding: false }, credentials: { login: { username: 'body.username' } } },
    },
    ...(extras.channel ? { channel: extras.channel } : {}),
    onDecision: (decision) => void decisions.push(decision),
  });

  app.use(expressShield(shield));
  app.use(express.json({ verify: captureRawBody() }));
  app.use(expressShieldBody(shield));
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/profile', (req, res) => void res.json({ user: 'alice', device: req.shield?.attestation?.claims.sub ?? null }));
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

  return {
    url,
    decisions,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
