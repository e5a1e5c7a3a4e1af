/**
 * The channel-integrity part of `npm run demo`: the API publishes a signed pin set and takes pin-failure reports;
 * the scripted app fetches and verifies the set, meets a man-in-the-middle certificate (a corporate interception
 * proxy's, from `fixtures/mitm-chain.pem`), refuses it and reports it; after a key compromise the team publishes a
 * revoking pin set and tokens of apps still holding the old one are refused.
 *
 * The certificates are fixtures made once with openssl (the demo serves plain HTTP on loopback); the pins, the
 * signatures and the report are all real.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JWK } from 'jose';
import { computePins, createPinReportEndpoint, createPinSetPublisher, type PinFailureEvent, type PinSetPublisher } from '../src/index.js';
import { spkiPinOfDer } from '../src/channel/compute-pins.js';
import type { Endpoints } from '../src/core/endpoints.js';
import { checkServedPins, verifyPinSet, type VerifiedPinSet } from '../src/client/index.js';

/** A scripted step of the demo (same shape as the other demo scenarios). */
export interface ChannelScenario {
  group: string;
  name: string;
  expected: number;
  expectedCode?: string;
  send(url: string): Promise<Response>;
}

/** The server side (endpoints to mount, the shield's `channel` option) and the app side (scenarios). */
export interface DemoChannel {
  endpoints: Endpoints[];
  publisher: PinSetPublisher;
  /** What `onPinFailure` received. */
  failures: PinFailureEvent[];
  scenarios(mint: (claims: Record<string, unknown>) => Promise<Record<string, string>>): ChannelScenario[];
}

const API_HOST = 'api.demo.test';
const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');

/** A synthetic answer for a step the app decides itself (not an HTTP exchange). */
const verdict = (status: number, why: string) => new Response(why, { status });

/** Builds the demo's pin set (the real chain's leaf and issuing CA keys, plus an offline backup key) and endpoints. */
export async function createDemoChannel(): Promise<DemoChannel> {
  const realChain = await computePins(fixture('api-chain.pem'));
  const mitmChain = await computePins(fixture('mitm-chain.pem'));
  // The backup: a key generated and kept offline, not in any certificate yet; its pin ships in every set.
  const backup = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const backupPin = spkiPinOfDer(backup.export({ type: 'spki', format: 'der' }));
  const hosts = { [API_HOST]: { pins: realChain.map((c) => c.sha256), backupPins: [backupPin] } };
  // The pin-set signing key is not the TLS key: the app embeds its public half at build time.
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const publisher = await createPinSetPublisher({ signingKeys: [{ kid: 'pinset-2026', privateKey: signing }], hosts, version: 1, minClientVersion: 1 });
  const embeddedKeys: JWK[] = [...publisher.publicKeys];
  const failures: PinFailureEvent[] = [];
  const reports = createPinReportEndpoint({ onPinFailure: (e) => void failures.push(e), expectedPins: publisher, trustProxy: ['loopback'] });
  let held: VerifiedPinSet | undefined;
  let etag: string | undefined;

  return {
    endpoints: [publisher, reports],
    publisher,
    failures,
    scenarios: (mint) => [
      {
        group: 'channel integrity',
        name: 'app fetches the signed pin set, verifies it with its embedded key',
        expected: 200,
        async send(u) {
          const res = await fetch(`${u}/.well-known/pinset`);
          const jws = await res.text();
          etag = res.headers.get('etag') ?? undefined;
          try {
            held = await verifyPinSet(jws, embeddedKeys, { lastVersion: held?.payload.version });
          } catch (error) {
            return verdict(500, `pin set refused: ${(error as Error).message}`);
          }
          return new Response(jws, { status: res.status });
        },
      },
      {
        group: 'channel integrity',
        name: 'pin set unchanged since the last fetch (If-None-Match)',
        expected: 304,
        send: (u) => fetch(`${u}/.well-known/pinset`, { headers: etag ? { 'if-none-match': etag } : {} }),
      },
      {
        group: 'channel integrity',
        name: 'MITM proxy certificate fails the pin check; its report arrives',
        expected: 204,
        async send(u) {
          if (!checkServedPins(held, API_HOST, realChain.map((c) => c.sha256)).allowed) return verdict(500, 'the real chain failed the pin check');
          const check = checkServedPins(held, API_HOST, mitmChain.map((c) => c.sha256));
          if (check.allowed) return verdict(500, 'the MITM chain passed the pin check');
          // What TrustKit posts to kTSKReportUris when it blocks a connection.
          const report = {
            'app-bundle-id': 'com.example.demo',
            'app-version': '6.2.0',
            'date-time': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            hostname: API_HOST,
            port: 443,
            'noted-hostname': API_HOST,
            'include-subdomains': false,
            'enforce-pinning': true,
            'validated-certificate-chain': fixture('mitm-chain.pem').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g),
            'known-pins': check.policy.pins.map((p) => `pin-sha256="${p}"`),
            'validation-result': 1,
          };
          const res = await fetch(`${u}/pinning/report`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.77' },
            body: JSON.stringify(report),
          });
          const event = failures.at(-1);
          if (res.status === 204 && !(event?.mitmSuspected === true && event.servedChainPins[0] === mitmChain[0]?.sha256)) {
            return verdict(500, 'report accepted but no MITM event');
          }
          return res;
        },
      },
      {
        group: 'channel integrity',
        name: 'key compromised: revoking pin set v2 published, app still on v1',
        expected: 403,
        expectedCode: 'channel_stale_pins',
        async send(u) {
          await publisher.publish({ hosts, revoke: true });
          return fetch(`${u}/profile`, { headers: await mint({ psv: held?.payload.version ?? 0 }) });
        },
      },
      {
        group: 'channel integrity',
        name: 'app refreshed to pin set v2',
        expected: 200,
        async send(u) {
          held = await verifyPinSet(await (await fetch(`${u}/.well-known/pinset`)).text(), embeddedKeys, { lastVersion: held?.payload.version });
          return fetch(`${u}/profile`, { headers: await mint({ psv: held.payload.version }) });
        },
      },
    ],
  };
}
