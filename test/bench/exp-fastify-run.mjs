import { fork, spawnSync } from 'node:child_process';
import autocannon from 'autocannon';
const { createTestAttester } = await import('../../dist/testing.js');
spawnSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
const AUTH = 'Bearer eyJ1c2VyIjoiYmVuY2gtdXNlci00MiIsInNjb3BlIjoib3JkZXJzIn0.c2lnbmF0dXJl';
const secret = Buffer.alloc(32, 7).toString('base64');
const token = await createTestAttester({ secret, header: 'approov-token' }).mint({ bindTo: AUTH });
const base = { orderId: 'ord_7f3c2a9e41b84d0f', customer: { id: 'cus_1029384756', locale: 'en-GB', tier: 'gold' },
  items: [{ sku: 'SKU-000123', qty: 2, price: 1999 }, { sku: 'SKU-004567', qty: 1, price: 4999 }], currency: 'EUR',
  shipping: { method: 'express', postcode: 'SW1A 1AA', country: 'GB' }, note: '' };
base.note = 'x'.repeat(1024 - JSON.stringify(base).length);
const body = JSON.stringify(base);
const variants = process.argv[2].split(',');
const rounds = Number(process.argv[3] ?? 2);
const servers = {};
for (const v of variants) {
  const child = fork(new URL('./exp-fastify-server.mjs', import.meta.url), [v], { stdio: 'inherit' });
  servers[v] = child;
}
// fork with taskset is awkward; instead re-pin children after start
const ports = {};
for (const v of variants) ports[v] = await new Promise((r) => servers[v].once('message', (m) => r(m.port)));
for (const v of variants) spawnSync('taskset', ['-a', '-cp', '1', String(servers[v].pid)], { stdio: 'ignore' });
const ask = (c, m) => new Promise((r) => { c.once('message', r); c.send(m); });
const opts = (v) => ({ url: `http://127.0.0.1:${ports[v]}/v1/orders`, method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTH, 'approov-token': token }, body, connections: 50 });
for (const v of variants) await autocannon({ ...opts(v), duration: 2 });
const res = {};
for (let r = 0; r < rounds; r++) {
  for (const v of r % 2 ? [...variants].reverse() : variants) {
    await ask(servers[v], 'begin');
    const a = await autocannon({ ...opts(v), duration: 3 });
    const e = await ask(servers[v], 'end');
    (res[v] ??= []).push({ rps: a.requests.average, cpu: e.cpu / e.served, non2xx: a.non2xx });
  }
}
for (const v of variants) console.log(v.padEnd(11), 'rps', res[v].map((x) => x.rps.toFixed(0).padStart(6)).join(' '), ' cpu us/req', res[v].map((x) => x.cpu.toFixed(1).padStart(6)).join(' '), ' non2xx', res[v].map((x) => x.non2xx).join(','));
for (const v of variants) servers[v].send('exit');
