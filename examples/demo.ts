/**
 * `npm run demo`: starts the demo API and plays a scripted set of clients against it, printing
 * request → expected → actual. Exits non-zero when any answer differs from what is expected.
 */
import { createTestAttester } from '../src/testing/index.js';
import { startDemoServer } from './demo-server.js';

interface Scenario {
  group: string;
  name: string;
  expected: number;
  expectedCode?: string;
  send(url: string): Promise<Response>;
}

const attester = createTestAttester({ header: 'approov-token' });
const ALICE = 'Bearer alice-session-7f3a';
const MALLORY = 'Bearer mallory-session-0b1c';

const get = (url: string, headers: Record<string, string>) => fetch(url, { headers });
const postJson = (url: string, headers: Record<string, string>, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

const singleUse = await attester.mint({ bindTo: ALICE, singleUse: true, claims: { did: 'pixel-8-a1', ver: '6.2.0', os: 'android' } });
/** The claims a genuine, current Android app on an ordinary phone gets in its attestation token. */
const device = (extra: Record<string, unknown> = {}) => ({ did: 'pixel-8-a1', ver: '6.2.0', os: 'android', ...extra });
const fromCountry = (country: string) => ({ 'x-forwarded-for': '198.51.100.23', 'cf-ipcountry': country });
const onDevice = async (extra: Record<string, unknown>, headers: Record<string, string> = {}) => ({
  authorization: ALICE,
  'approov-token': await attester.mint({ bindTo: ALICE, claims: device(extra) }),
  ...headers,
});

const scenarios: Scenario[] = [
  {
    group: 'app integrity',
    name: 'genuine app, token bound to its Authorization',
    expected: 200,
    send: async (u) => get(`${u}/profile`, await onDevice({})),
  },
  { group: 'app integrity', name: 'health check (exempt route)', expected: 200, send: (u) => get(`${u}/health`, {}) },
  { group: 'app integrity', name: 'no token (a script, not the app)', expected: 401, expectedCode: 'token_missing', send: (u) => get(`${u}/profile`, { authorization: ALICE }) },
  {
    group: 'app integrity',
    name: 'forged token signed with another key',
    expected: 401,
    expectedCode: 'token_invalid',
    send: async (u) => get(`${u}/profile`, { authorization: ALICE, 'approov-token': await attester.forge({ bindTo: ALICE, claims: device() }) }),
  },
  {
    group: 'app integrity',
    name: 'expired token',
    expected: 401,
    expectedCode: 'token_expired',
    send: async (u) => get(`${u}/profile`, { authorization: ALICE, 'approov-token': await attester.mint({ bindTo: ALICE, expired: true, claims: device() }) }),
  },
  {
    group: 'app integrity',
    name: 'single-use token, first use',
    expected: 201,
    send: (u) => postJson(`${u}/transfers`, { authorization: ALICE, 'approov-token': singleUse }, { to: 'bob', amount: 25 }),
  },
  {
    group: 'app integrity',
    name: 'same single-use token replayed',
    expected: 401,
    expectedCode: 'token_replayed',
    send: (u) => postJson(`${u}/transfers`, { authorization: ALICE, 'approov-token': singleUse }, { to: 'bob', amount: 25 }),
  },
  {
    group: 'app integrity',
    name: "token bound to another user's Authorization",
    expected: 401,
    expectedCode: 'token_binding_mismatch',
    send: async (u) => get(`${u}/profile`, { authorization: MALLORY, 'approov-token': await attester.mint({ bindTo: ALICE, claims: device() }) }),
  },
  {
    group: 'app integrity',
    name: 'alg: none token',
    expected: 401,
    expectedCode: 'token_invalid',
    send: (u) => get(`${u}/profile`, { authorization: ALICE, 'approov-token': attester.unsigned({ bindTo: ALICE }) }),
  },
  {
    group: 'device integrity',
    name: 'genuine device, current app',
    expected: 200,
    send: async (u) => get(`${u}/profile`, await onDevice({}, fromCountry('DE'))),
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
    send: async (u) => get(`${u}/profile`, await onDevice({ emu: true, hook: true })),
  },
  {
    group: 'device integrity',
    name: 'emulator alone: asked to step up',
    expected: 403,
    expectedCode: 'device_step_up',
    send: async (u) => get(`${u}/profile`, await onDevice({ emu: true })),
  },
  {
    group: 'device integrity',
    name: 'outdated app version (4.8.0 < 5.0.0)',
    expected: 403,
    expectedCode: 'device_untrusted',
    send: async (u) => get(`${u}/profile`, await onDevice({ ver: '4.8.0' })),
  },
];

const server = await startDemoServer(attester);
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
console.log(`\n${scenarios.length - failures} as expected, ${failures} unexpected`);
process.exit(failures === 0 ? 0 : 1);
