import fastify from 'fastify';
const { createShield, approov } = await import('../../dist/index.js');
const { fastifyShield } = await import('../../dist/fastify.js');
const secret = Buffer.alloc(32, 7).toString('base64');
const v = process.argv[2];
const token = { token: approov({ secret }) };
const device = { device: { tokenClaims: { signals: { rooted: 'rooted', emulator: 'emulator' } } } };
const payload = { payload: { contentTypes: ['application/json'] } };
const configs = { bare: undefined, token, payload: { ...token, ...payload }, device: { ...token, ...device }, cred: { ...token, credentials: {} },
  full: { ...token, ...device, credentials: {}, ...payload }, fullnocred: { ...token, ...device, ...payload }, fullnodev: { ...token, credentials: {}, ...payload } };
const app = fastify({ logger: false });
// burnN: a hook that spends about N us of CPU (a calibrated loop), to see what N us of any work costs over HTTP.
if (v.startsWith('burn')) {
  const ns = BigInt(Number(v.slice(4)) * 1000);
  app.addHook('onRequest', (req, reply, done) => { const t = process.hrtime.bigint(); while (process.hrtime.bigint() - t < ns); done(); });
}
if (configs[v]) await app.register(fastifyShield, { shield: createShield(configs[v]) });
app.post('/v1/orders', async (req, reply) => reply.code(200).send({ ok: true, orderId: req.body?.orderId ?? null }));
await app.listen({ host: '127.0.0.1', port: 0 });
let served = 0; app.server.on('request', () => served++);
process.on('message', (m) => {
  if (m === 'begin') { served = 0; globalThis.c0 = process.cpuUsage(); process.send('ok'); }
  if (m === 'end') { const c = process.cpuUsage(globalThis.c0); process.send({ served, cpu: c.user + c.system }); }
  if (m === 'exit') process.exit(0);
});
process.send({ port: app.server.address().port });
