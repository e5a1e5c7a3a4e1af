import { fork, spawnSync } from 'node:child_process';
import autocannon from 'autocannon';
const { createTestAttester } = await import('../../dist/testing.js');
const AUTH = 'Bearer eyJ1c2VyIjoiYmVuY2gtdXNlci00MiIsInNjb3BlIjoib3JkZXJzIn0.c2lnbmF0dXJl';
const secret = Buffer.alloc(32, 7).toString('base64');
const token = await createTestAttester({ secret, header: 'approov-token' }).mint({ bindTo: AUTH });
const base = { orderId: 'ord_7f3c2a9e41b84d0f', customer: { id: 'cus_1029384756', locale: 'en-GB', tier: 'gold' },
  items: [{ sku: 'SKU-000123', qty: 2, price: 1999 }, { sku: 'SKU-004567', qty: 1, price: 4999 }], currency: 'EUR',
  shipping: { method: 'express', postcode: 'SW1A 1AA', country: 'GB' }, note: '' };
base.note = 'x'.repeat(1024 - JSON.stringify(base).length);
const body = JSON.stringify(base);
const v = process.argv[2];
const child = fork(new URL('./exp-fastify-server.mjs', import.meta.url), [v], { stdio: 'inherit', execArgv: ['--cpu-prof', `--cpu-prof-dir=/tmp/fprof-${v}`] });
const port = await new Promise((r) => child.once('message', (m) => r(m.port)));
const ask = (m) => new Promise((r) => { child.once('message', r); child.send(m); });
const opts = { url: `http://127.0.0.1:${port}/v1/orders`, method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTH, 'approov-token': token }, body, connections: 50 };
await ask('begin');
const a = await autocannon({ ...opts, duration: 5 });
const e = await ask('end');
console.log(v, 'served', e.served, 'cpu us/req', (e.cpu / e.served).toFixed(1));
child.send('exit');
await new Promise((r) => child.once('exit', r));
