/**
 * Client-IP parity by a generator of X-Forwarded-For spellings, over raw sockets: with `trustProxy: 'framework'`
 * the shield's client is the one the framework resolved (`req.ip`, `ctx.ip`, `request.ip`) under each of its proxy
 * settings, written the shield's one way (port, brackets, quotes and zone id dropped, IPv4-mapped IPv6 unwrapped).
 * Two documented departures: a setting that trusts every hop (Express `trust proxy` true, Koa `app.proxy` without
 * `maxIpsCount`) makes the framework answer the leftmost entry, which the client writes, so the shield takes the
 * rightmost one of the framework's list; and a framework answer that is not an address (`unknown`, `1.2.3.4.5`, an
 * octal `010.1.1.1`) leaves the shield with the socket peer. Spellings: entries with spaces around commas, IPv6,
 * zone ids, IPv4-mapped IPv6, ports, quotes, empty and non-address entries, in one header and in two header lines.
 */
import http from 'node:http';
import net from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import ipaddr from 'ipaddr.js';
import { afterAll, describe, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { fastifyShield } from '../../src/adapters/fastify.js';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield, type Decision } from '../../src/shield.js';
import { listen } from '../helpers/adapters.js';

const ENTRIES = ['203.0.113.5', '2001:db8::1', '::ffff:198.51.100.9', 'fe80::1%eth0', '[2001:db8::2]:443', '203.0.113.6:8080', '"198.51.100.7"', 'unknown', '010.1.1.1', ''];

/** Header lines: every entry alone, every pair joined with each separator, and every pair as two header lines. */
function* forwardedSpellings(): Generator<string[]> {
  for (const a of ENTRIES) {
    yield [`X-Forwarded-For: ${a}`];
    for (const b of ENTRIES) {
      for (const separator of [',', ', ', ' , ']) yield [`X-Forwarded-For: ${a}${separator}${b}`];
      yield [`X-Forwarded-For: ${a}`, `X-Forwarded-For: ${b}`];
    }
  }
}

/** An address as the shield writes one, or undefined for anything that is not one. */
function normal(text: string): string | undefined {
  let t = text.trim();
  if (t.length > 1 && t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1);
  if (t.startsWith('[')) t = t.slice(1, t.indexOf(']'));
  else if (t.split(':').length === 2) t = t.slice(0, t.indexOf(':'));
  t = t.replace(/%.*$/, '');
  if (!t.includes(':')) return /^(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}$/.test(t) && ipaddr.IPv4.isValid(t) ? t : undefined;
  if (!ipaddr.IPv6.isValid(t)) return undefined;
  const v6 = ipaddr.IPv6.parse(t);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toRFC5952String();
}

interface Answer {
  shield: string;
  ip: string;
  ips: string[];
}

interface Config {
  name: string;
  /** True for a setting that trusts every hop: the shield reads the rightmost entry of the framework's list. */
  trustsAll: boolean;
  start(): Promise<{ port: number; close(): Promise<void> }>;
}

const shieldFor = () => createShield({ trustProxy: 'framework' });

async function serve(server: http.Server): Promise<{ port: number; close(): Promise<void> }> {
  const app = await listen(server);
  return { port: Number(new URL(app.url).port), close: app.close };
}

const CONFIGS: Config[] = [];
for (const [name, express] of [['express4', express4], ['express5', express5]] as const) {
  for (const trust of [false, true, 1, 2, 'loopback'] as const) {
    CONFIGS.push({
      name: `${name} trust proxy ${String(trust)}`,
      trustsAll: trust === true,
      start: () => {
        const app = (express as typeof express5)();
        app.set('trust proxy', trust);
        app.use(expressShield(shieldFor()) as unknown as express5.RequestHandler);
        app.get('/ip', (req, res) => void res.json({ shield: (req.shield as Decision).ip, ip: req.ip, ips: req.ips }));
        return serve(http.createServer(app));
      },
    });
  }
}
for (const [name, Koa] of [['koa2', Koa2], ['koa3', Koa3]] as const) {
  for (const [proxy, max] of [[false, 0], [true, 0], [true, 1], [true, 2]] as const) {
    CONFIGS.push({
      name: `${name} proxy ${proxy} maxIpsCount ${max}`,
      trustsAll: proxy && max === 0,
      start: () => {
        const app = new (Koa as typeof Koa3)();
        app.proxy = proxy;
        app.maxIpsCount = max;
        app.use(koaShield(shieldFor()) as unknown as Koa3.Middleware);
        app.use((ctx) => void (ctx.body = { shield: (ctx.state.shield as Decision).ip, ip: ctx.ip, ips: ctx.ips }));
        return serve(http.createServer(app.callback()));
      },
    });
  }
}
for (const [name, fastify] of [['fastify4', fastify4], ['fastify5', fastify5]] as const) {
  // Fastify does not expose its trustProxy: under `true` the leftmost entry stands (docs/options.md).
  for (const trust of [false, true, 1, '127.0.0.1'] as const) {
    CONFIGS.push({
      name: `${name} trustProxy ${String(trust)}`,
      trustsAll: false,
      start: async () => {
        const app = (fastify as typeof fastify5)({ trustProxy: trust as boolean });
        await app.register(fastifyShield as never, { shield: shieldFor() });
        app.get('/ip', async (req) => ({ shield: (req as unknown as { shield: Decision }).shield.ip, ip: req.ip, ips: req.ips ?? [] }));
        await app.listen({ port: 0, host: '127.0.0.1' });
        return { port: (app.server.address() as net.AddressInfo).port, close: async () => void (await app.close()) };
      },
    });
  }
}

function ask(port: number, lines: readonly string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
    socket.write(`GET /ip HTTP/1.1\r\nHost: api.example\r\nConnection: close\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`);
  });
}

const running: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const app of running) await app.close();
});

describe.concurrent('client IP parity under trustProxy: framework', () => {
  for (const config of CONFIGS) {
    it(`${config.name}: the framework's client, in the shield's spelling`, async ({ expect }) => {
      const app = await config.start();
      running.push(app);
      const differ: string[] = [];
      let sent = 0;
      for (const lines of forwardedSpellings()) {
        const res = await ask(app.port, lines);
        sent++;
        expect(res.status, JSON.stringify(lines)).toBe(200);
        const answer = JSON.parse(res.body) as Answer;
        const last = answer.ips.at(-1);
        const framework = config.trustsAll && typeof last === 'string' && last !== '' ? last : answer.ip;
        const expected = normal(framework) ?? '127.0.0.1';
        if (answer.shield !== expected) differ.push(`${JSON.stringify(lines)}: shield ${answer.shield}, framework ${framework}`);
      }
      expect(sent).toBe(ENTRIES.length * (1 + ENTRIES.length * 4));
      expect(differ).toEqual([]);
    });
  }
});
