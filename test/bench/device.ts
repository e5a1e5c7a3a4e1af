/**
 * Micro-benchmark of the device checks: µs per App Attest assertion check and per Play Integrity verdict check, plus
 * the policy path around them. Run with `npx tsx test/bench/device.ts`; prints a table and writes
 * test/bench/results/device.json.
 */
import { createHash, sign, verify } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppAttestRegistry, verifyAppAssertion } from '../../src/attestation/app-attest/index.js';
import { createPlayIntegrityVerifier } from '../../src/attestation/play-integrity/index.js';
import type { VerifierContext } from '../../src/core/verifier.js';
import { CidrTrie, compilePolicy, createDeviceRiskVerifier, emptyVerdict, evaluatePolicy } from '../../src/verifiers/device-risk/index.js';
import { assert, deviceKey, FakeAppleCa } from '../attestation/app-attest/fake-apple.js';
import { TestMemoryStore } from '../attestation/memory-store.js';
import { genuinePayload, PACKAGE, playKeys, playToken } from '../attestation/play-integrity/token-factory.js';

interface Row {
  name: string;
  iterations: number;
  usPerOp: number;
  opsPerSec: number;
}

async function measure(name: string, iterations: number, op: (i: number) => unknown): Promise<Row> {
  const warmup = Math.min(200, Math.floor(iterations / 10));
  for (let i = 0; i < warmup; i++) await op(i);
  const start = process.hrtime.bigint();
  for (let i = warmup; i < warmup + iterations; i++) await op(i);
  const ns = Number(process.hrtime.bigint() - start);
  const usPerOp = ns / iterations / 1000;
  return { name, iterations, usPerOp: Math.round(usPerOp * 100) / 100, opsPerSec: Math.round(1e6 / usPerOp) };
}

const NOW = Date.now();
const TEAM = 'ABCDE12345';
const BUNDLE = 'com.example.bank';
const N = Number(process.env.BENCH_N ?? 3000);
const rows: Row[] = [];

// --- App Attest -------------------------------------------------------------------------------------------------
const ca = new FakeAppleCa(new Date(NOW - 86_400_000), new Date(NOW + 365 * 86_400_000));
const store = new TestMemoryStore();
const registry = createAppAttestRegistry({ store, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
const key = deviceKey();
const challenge = Buffer.from('bench-challenge');
const attestation = ca.attest(key, { teamId: TEAM, bundleId: BUNDLE, challenge });
await registry.register({ attestationObject: attestation, challenge, keyId: key.keyId, now: NOW });
// The default (v2) canonical request: no query string, no Authorization header, no body.
const clientData = 'v2\nPOST\n/pay\n\nauthorization:\n';
const total = N + 400;
const assertions = Array.from({ length: total }, (_, i) => assert(key, { teamId: TEAM, bundleId: BUNDLE, counter: i + 1, clientData }));
const clientDataHash = createHash('sha256').update(clientData).digest();

const floorData = Buffer.alloc(32, 1);
const floorSig = sign('sha256', floorData, key.privateKey);
rows.push(await measure('floor: one raw ECDSA P-256 verify (node:crypto)', N, () => verify('sha256', floorData, key.publicKey, floorSig)));
rows.push(await measure('floor: one SHA-256 of 64 bytes (node:crypto)', N * 10, () => createHash('sha256').update(floorData).update(floorData).digest()));
rows.push(
  await measure('App Attest assertion: verify only (CBOR + rpIdHash + ECDSA P-256)', N, (i) =>
    verifyAppAssertion({ assertion: assertions[i % total]!, clientDataHash, publicKey: key.publicKey, teamId: TEAM, bundleId: BUNDLE }),
  ),
);
rows.push(
  await measure('App Attest assertion: registry (cached key + atomic counter in MemoryStore)', N, (i) =>
    registry.verifyAssertion({ keyId: key.keyId, assertion: assertions[i]!, clientDataHash }),
  ),
);
rows.push(
  await measure('App Attest attestation (registration, chain + nonce)', Math.max(100, Math.floor(N / 10)), async (i) => {
    const s = new TestMemoryStore();
    const r = createAppAttestRegistry({ store: s, teamId: TEAM, bundleId: BUNDLE, environment: 'production', trustAnchor: ca.root });
    await r.register({ attestationObject: attestation, challenge, keyId: key.keyId, now: NOW + i });
  }),
);

// --- Play Integrity ---------------------------------------------------------------------------------------------
const keys = playKeys();
const nonce = createHash('sha256').update(clientData).digest('base64url');
const token = await playToken(keys, genuinePayload(NOW, { nonce }));
const play = createPlayIntegrityVerifier({
  packageName: PACKAGE,
  decryptionKey: keys.decryptionKey,
  verificationKey: keys.verificationKey,
  requirements: { deviceLevel: 'MEETS_DEVICE_INTEGRITY' },
  maxAgeMs: 3_600_000,
});
await play.ready();
rows.push(
  await measure('Play Integrity verdict (JWE A256KW/A256GCM + JWS ES256 + checks)', N, () => play.verify(token, { nonce, now: Date.now() })),
);

// --- The device-risk verifier around them -----------------------------------------------------------------------
const verifier = createDeviceRiskVerifier(
  {
    playIntegrity: { packageName: PACKAGE, decryptionKey: keys.decryptionKey, verificationKey: keys.verificationKey, replay: false, maxAgeMs: 3_600_000 },
    tokenClaims: { signals: { rooted: 'rooted' }, level: 'MEETS_DEVICE_INTEGRITY' },
    country: { headers: ['cf-ipcountry'] },
    ipReputation: { lists: [{ name: 'hosting', cidrs: Array.from({ length: 5000 }, (_, i) => `${(i % 200) + 20}.${i % 256}.0.0/16`) }] },
    policy: { markets: { IN: { actions: { rooted: 'allow' } } }, sensitivities: { payments: { requiredLevel: 'MEETS_STRONG_INTEGRITY' } } },
  },
  { store: new TestMemoryStore() },
);
const ctx = (headers: Record<string, string>, attestation?: VerifierContext['attestation']): VerifierContext => ({
  request: { method: 'POST', path: '/pay', headers, ip: '203.0.113.9' },
  route: {},
  ip: '203.0.113.9',
  now: Date.now(),
  memo: new Map(),
  ...(attestation ? { attestation } : {}),
  body: async () => undefined,
});
rows.push(await measure('device-risk verify: Play Integrity header + policy', N, () => verifier.verify(ctx({ 'x-play-integrity': token }))));
const claims = { provider: 'approov', claims: { rooted: false } };
rows.push(
  await measure('device-risk verify: token claims + self-reported + IP list + policy (sync)', N * 10, () =>
    verifier.verify(ctx({ 'x-device-signals': 'debug' }, claims)),
  ),
);

const compiled = compilePolicy({}, { actions: new Map(), weights: new Map() }, undefined, undefined);
const v = emptyVerdict();
v.trust = 'attested';
v.device.signals = { rooted: true, emulator: true };
rows.push(await measure('policy evaluate (compiled)', N * 30, () => evaluatePolicy(compiled, v)));
const trie = new CidrTrie<string>();
for (let i = 0; i < 100_000; i++) trie.insert(`${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}.0/24`, 'x');
rows.push(await measure('CIDR trie lookup (100k prefixes)', N * 30, (i) => trie.lookup(`${i & 255}.${(i >> 3) & 255}.1.2`)));

console.table(rows.map((r) => ({ check: r.name, 'µs/op': r.usPerOp, 'ops/s': r.opsPerSec, n: r.iterations })));
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'device.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify({ node: process.version, platform: `${process.platform}-${process.arch}`, date: new Date().toISOString(), rows }, null, 2) + '\n',
);
console.log(`wrote ${out}`);
