/**
 * `npm run demo`: starts the demo API and plays a scripted set of clients against it, printing
 * request → expected → actual. Exits non-zero when any answer differs from what is expected.
 */
import { createAttestationClient, type AttestationClient } from '../src/client/index.js';
import { createTestAttester } from '../src/testing/index.js';
import { DEMO_AUDIENCE, DEMO_ISSUER, DEMO_KEY_ID, demoPlayIntegrity, demoSigningKey, PACKAGE, startDemoServer } from './demo-server.js';
import { createDemoChannel } from './demo-channel.js';

interface Scenario {
  group: string;
  name: string;
  expected: number;
  expectedCode?: string;
  send(url: string): Promise<Response>;
}

/**
 * Tokens for devices a simulator cannot fake convincingly (a rooted phone, Frida on an emulator, an old build) and for
 * attackers' forgeries, shaped exactly like the attestation service's own tokens and signed with its key. The genuine
 * app never uses these: it gets its tokens from the service (`genuineApp` below).
 */
const attester = createTestAttester({
  header: 'x-attestation-token',
  privateKey: demoSigningKey,
  kid: DEMO_KEY_ID,
  issuer: DEMO_ISSUER,
  audience: DEMO_AUDIENCE,
});
/** The genuine Android app: proves itself with Play Integrity to the attestation service, through the client helper. */
let genuineApp: AttestationClient;
const genuineToken = async (bindTo: string) => (await genuineApp.getToken(bindTo)).token;
const ALICE = 'Bearer alice-session-7f3a';
const MALLORY = 'Bearer mallory-session-0b1c';

const get = (url: string, headers: Record<string, string>) => fetch(url, { headers });
const postJson = (url: string, headers: Record<string, string>, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/**
 * The claims the attestation service puts in the token of an app on a phone: `sub` (the installation), `plat`, the
 * attested app id and version code, and the device levels and signals under `dev`.
 */
const device = ({ did = 'pixel-8-a1', ver = 620, ...signals }: { did?: string; ver?: number; rooted?: boolean; emulator?: boolean; hooked?: boolean } = {}) => ({
  sub: did,
  plat: 'android',
  app: { id: PACKAGE, ver },
  dev: { levels: ['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'], ...signals },
});
const singleUse = await attester.mint({ bindTo: ALICE, singleUse: true, claims: device() });
const fromCountry = (country: string) => ({ 'x-forwarded-for': '198.51.100.23', 'cf-ipcountry': country });
const onDevice = async (extra: Parameters<typeof device>[0], headers: Record<string, string> = {}) => ({
  authorization: ALICE,
  'x-attestation-token': await attester.mint({ bindTo: ALICE, claims: device(extra) }),
  ...headers,
});

const scenarios: Scenario[] = [
  {
    group: 'app integrity',
    name: 'genuine app: Play Integrity → attestation service → token bound to its Authorization',
    expected: 200,
    send: (u) => genuineApp.fetch(`${u}/profile`, { headers: { authorization: ALICE } }),
  },
  { group: 'app integrity', name: 'health check (exempt route)', expected: 200, send: (u) => get(`${u}/health`, {}) },
  { group: 'app integrity', name: 'no token (a script, not the app)', expected: 401, expectedCode: 'token_missing', send: (u) => get(`${u}/profile`, { authorization: ALICE }) },
  {
    group: 'app integrity',
    name: 'forged token signed with another key',
    expected: 401,
    expectedCode: 'token_invalid',
    send: async (u) => get(`${u}/profile`, { authorization: ALICE, 'x-attestation-token': await attester.forge({ bindTo: ALICE, claims: device() }) }),
  },
  {
    group: 'app integrity',
    name: 'expired token',
    expected: 401,
    expectedCode: 'token_expired',
    send: async (u) => get(`${u}/profile`, { authorization: ALICE, 'x-attestation-token': await attester.mint({ bindTo: ALICE, expired: true, claims: device() }) }),
  },
  {
    group: 'app integrity',
    name: 'single-use token, first use',
    expected: 201,
    send: (u) => postJson(`${u}/transfers`, { authorization: ALICE, 'x-attestation-token': singleUse }, { to: 'bob', amount: 25 }),
  },
  {
    group: 'app integrity',
    name: 'same single-use token replayed',
    expected: 401,
    expectedCode: 'token_replayed',
    send: (u) => postJson(`${u}/transfers`, { authorization: ALICE, 'x-attestation-token': singleUse }, { to: 'bob', amount: 25 }),
  },
  {
    group: 'app integrity',
    name: "token bound to another user's Authorization",
    expected: 401,
    expectedCode: 'token_binding_mismatch',
    send: async (u) => get(`${u}/profile`, { authorization: MALLORY, 'x-attestation-token': await attester.mint({ bindTo: ALICE, claims: device() }) }),
  },
  {
    group: 'app integrity',
    name: 'alg: none token',
    expected: 401,
    expectedCode: 'token_invalid',
    send: (u) => get(`${u}/profile`, { authorization: ALICE, 'x-attestation-token': attester.unsigned({ bindTo: ALICE }) }),
  },
  {
    group: 'device integrity',
    name: 'genuine device, current app (token from the service)',
    expected: 200,
    send: async (u) => get(`${u}/profile`, { authorization: ALICE, 'x-attestation-token': await genuineToken(ALICE), ...fromCountry('DE') }),
  },
  {
    group: 'device integrity',
    name: 'rooted phone in a strict market (DE)',
    expected: 403,
    expectedCode: 'device_untrusted',
    send: async (u) => get(`${u}/profile`, await onDevice({ rooted: true }, fromCountry('DE'))),
  },
  {
    group: 'device integrity',
    name: 'rooted phone in a lenient market (IN)',
    expected: 200,
    send: async (u) => get(`${u}/profile`, await onDevice({ rooted: true }, fromCountry('IN'))),
  },
  {
    group: 'device integrity',
    name: 'emulator running Frida',
    expected: 403,
    expectedCode: 'device_untrusted',
    send: async (u) => get(`${u}/profile`, await onDevice({ emulator: true, hooked: true })),
  },
  {
    group: 'device integrity',
    name: 'emulator alone: asked to step up',
    expected: 403,
    expectedCode: 'device_step_up',
    send: async (u) => get(`${u}/profile`, await onDevice({ emulator: true })),
  },
  {
    group: 'device integrity',
    name: 'outdated app version (versionCode 480 < 500)',
    expected: 403,
    expectedCode: 'device_untrusted',
    send: async (u) => get(`${u}/profile`, await onDevice({ ver: 480 })),
  },
];

/** A login as the app sends it: a token bound to the username, from a device, through the CDN from an IP. */
async function login(url: string, who: { username: string; password: string; did: string; ip: string }) {
  const token = who === GENUINE ? await genuineToken(who.username) : await attester.mint({ bindTo: who.username, claims: device({ did: who.did }) });
  return postJson(`${url}/login`, { 'x-attestation-token': token, 'x-forwarded-for': who.ip }, { username: who.username, password: who.password });
}
const GENUINE = { username: 'alice', password: 'correct horse battery staple', did: 'pixel-8-a1', ip: '198.51.100.23' };
const leaked = ['carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map((username) => ({
  username,
  password: 'Summer2024!',
  did: 'emulator-farm-07',
  ip: '203.0.113.66',
}));
const bruteForce = (password: string) => ({ username: 'bob', password, did: 'attacker-phone', ip: '192.0.2.44' });
/** Sends logins one after another and answers with the last response. */
async function loginAll(url: string, attempts: Parameters<typeof login>[1][]): Promise<Response> {
  let last: Response | undefined;
  for (const attempt of attempts) last = await login(url, attempt);
  return last as Response;
}

scenarios.push(
  { group: 'credential integrity', name: 'genuine user logs in', expected: 200, send: (u) => login(u, GENUINE) },
  {
    group: 'credential integrity',
    name: 'stuffing bot: 5 leaked pairs from one device',
    expected: 401,
    send: (u) => loginAll(u, leaked.slice(0, 5)),
  },
  {
    group: 'credential integrity',
    name: 'stuffing bot: 6th username from that device',
    expected: 429,
    expectedCode: 'credential_abuse',
    send: (u) => login(u, leaked[5] as (typeof leaked)[number]),
  },
  { group: 'credential integrity', name: 'genuine user still logs in meanwhile', expected: 200, send: (u) => login(u, GENUINE) },
  {
    group: 'credential integrity',
    name: 'brute force: 5 wrong passwords for bob',
    expected: 401,
    send: (u) => loginAll(u, ['123456', 'password', 'qwerty', 'letmein', 'dragon'].map(bruteForce)),
  },
  {
    group: 'credential integrity',
    name: 'brute force: 6th try on bob is locked out',
    expected: 429,
    expectedCode: 'login_locked',
    send: (u) => login(u, bruteForce('tr0ub4dor&3')),
  },
  {
    group: 'credential integrity',
    name: "login without the app's token (a script)",
    expected: 401,
    expectedCode: 'token_missing',
    send: (u) => postJson(`${u}/login`, { 'x-forwarded-for': '203.0.113.80' }, { username: 'alice', password: 'guess' }),
  },
  {
    group: 'credential integrity',
    name: "token bound to alice used to log in as bob",
    expected: 401,
    expectedCode: 'token_binding_mismatch',
    send: async (u) =>
      postJson(`${u}/login`, { 'x-attestation-token': await attester.mint({ bindTo: 'alice', claims: device() }) }, { username: 'bob', password: 'x' }),
  },
);

const app = async () => ({ authorization: ALICE, 'x-attestation-token': await genuineToken(ALICE) });
const put = (url: string, headers: Record<string, string>, body: string) =>
  fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body });

scenarios.push(
  {
    group: 'service integrity',
    name: "benign comment: O'Brien, SELECT your plan <3",
    expected: 201,
    send: async (u) => postJson(`${u}/comments`, await app(), { text: "O'Brien: SELECT your plan <3 (saved in C:\\Users\\ob)" }),
  },
  {
    group: 'service integrity',
    name: 'benign JSON Schema document with $ref keys',
    expected: 201,
    send: async (u) => postJson(`${u}/comments`, await app(), { $schema: 'https://json-schema.org/draft/2020-12/schema', $ref: '#/$defs/comment' }),
  },
  {
    group: 'service integrity',
    name: 'benign search for "drop table tennis"',
    expected: 200,
    send: async (u) => get(`${u}/search?q=${encodeURIComponent('drop table tennis')}`, await app()),
  },
  {
    group: 'service integrity',
    name: 'SQL injection in the search query',
    expected: 403,
    expectedCode: 'payload_attack',
    send: async (u) => get(`${u}/search?q=${encodeURIComponent("' UNION SELECT username, password FROM users--")}`, await app()),
  },
  {
    group: 'service integrity',
    name: 'NoSQL operator injection in a login body',
    expected: 403,
    expectedCode: 'payload_attack',
    send: async (u) => postJson(`${u}/comments`, await app(), { username: 'admin', password: { $ne: '' } }),
  },
  {
    group: 'service integrity',
    name: 'path traversal in a file name',
    expected: 403,
    expectedCode: 'payload_attack',
    send: async (u) => get(`${u}/files?name=${encodeURIComponent('../../../../etc/passwd')}`, await app()),
  },
  {
    group: 'service integrity',
    name: 'SSRF: avatar URL pointing at cloud metadata',
    expected: 403,
    expectedCode: 'payload_attack',
    send: async (u) => put(`${u}/profile`, await app(), JSON.stringify({ avatarUrl: 'http://169.254.169.254/latest/meta-data/iam/' })),
  },
  {
    group: 'service integrity',
    name: 'prototype pollution via __proto__',
    expected: 403,
    expectedCode: 'payload_attack',
    send: async (u) => put(`${u}/profile`, await app(), '{"name":"eve","__proto__":{"isAdmin":true}}'),
  },
);

const channel = await createDemoChannel();
// The attestation service does not yet carry the app's pin-set version (psv); these tokens stand in for ones that do.
scenarios.push(
  ...channel.scenarios(async (claims) => ({
    authorization: ALICE,
    'x-attestation-token': await attester.mint({ bindTo: ALICE, claims: { ...device(), ...claims } }),
  })),
);

const server = await startDemoServer({
  endpoints: channel.endpoints,
  // Tokens without a pin-set version claim (the attestation service's, apps released before dynamic pinning) are let
  // through; a present claim must be at least the version that revoked the last compromised key.
  channel: { minPinSetVersion: () => channel.publisher.minPinSetVersion(), allowMissingClaim: true },
});
genuineApp = createAttestationClient({
  serviceUrl: server.url,
  attester: {
    platform: 'android',
    installationId: 'pixel-8-a1-install',
    // Stands in for the app's native `requestIntegrityToken({ requestHash })`: a Play Integrity verdict for a
    // genuine build (versionCode 620) on a genuine phone, encrypted and signed with the demo's Play test keys.
    requestIntegrityToken: (requestHash) => demoPlayIntegrity.token({ requestHash, versionCode: 620 }),
  },
});
let failures = 0;
const rows: string[][] = [];
try {
  for (const scenario of scenarios) {
    const res = await scenario.send(server.url);
    const body = (await res.text()).trim();
    let code = '';
    if (res.headers.get('content-type')?.includes('problem+json')) code = (JSON.parse(body) as { code: string }).code;
    const ok = res.status === scenario.expected && (scenario.expectedCode === undefined || code === scenario.expectedCode);
    if (!ok) failures++;
    rows.push([
      ok ? 'ok ' : 'FAIL',
      scenario.group,
      scenario.name,
      `${scenario.expected}${scenario.expectedCode ? ` ${scenario.expectedCode}` : ''}`,
      `${res.status}${code ? ` ${code}` : ''}`,
    ]);
  }
} finally {
  await server.close();
}

const header = ['', 'integrity', 'client', 'expected', 'actual'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
console.log(`mobile-api-shield demo: an Express API at ${server.url} and ${scenarios.length} scripted clients\n`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
for (const e of channel.failures) {
  console.log(`\npin-failure report: ${e.host} from ${e.ip} (${e.appId} ${e.appVersion}), ${e.validationResult}, served ${e.servedChainSubjects.join(' <- ')}${e.mitmSuspected ? ' (MITM suspected)' : ''}`);
}
console.log(`\n${scenarios.length - failures} as expected, ${failures} unexpected`);
process.exit(failures === 0 ? 0 : 1);
