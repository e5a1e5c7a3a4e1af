/**
 * `trustProxy: 'framework'` reads the client IP the framework's proxy setting gives. A setting that trusts every hop
 * (Koa `app.proxy` without `app.maxIpsCount`, Express `trust proxy` true) makes the framework answer the leftmost
 * X-Forwarded-For entry, which the client writes itself (a proxy appends to what it received): the shield takes the
 * rightmost one, the address the proxy in front saw, so a client cannot pick its IP and clients stay apart.
 */
import http from 'node:http';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield, type Decision } from '../../src/shield.js';

function koaApp(maxIpsCount: number | undefined): http.Server {
  const koa = new Koa();
  koa.proxy = true;
  if (maxIpsCount !== undefined) koa.maxIpsCount = maxIpsCount;
  koa.use(koaShield(createShield({ trustProxy: 'framework' })));
  koa.use((ctx) => {
    ctx.body = { shieldIp: (ctx.state.shield as Decision).ip, frameworkIp: ctx.ip };
  });
  return http.createServer(koa.callback());
}

function expressApp(trust: boolean | number): http.Server {
  const app = express();
  app.set('trust proxy', trust);
  app.use(expressShield(createShield({ trustProxy: 'framework' })));
  app.get('/', (req, res) => void res.json({ shieldIp: (req.shield as Decision).ip, frameworkIp: req.ip }));
  return http.createServer(app);
}

// What a proxy in front sends on: the client's own header, with the address it saw appended.
const SPOOFED = { 'x-forwarded-for': '10.9.9.9, 203.0.113.5' };

describe('a framework proxy setting that trusts every hop', () => {
  it('Koa app.proxy without maxIpsCount: the entry the proxy appended, not the leftmost Koa answers', async () => {
    const res = await request(koaApp(undefined)).get('/').set(SPOOFED);
    expect(res.body).toEqual({ shieldIp: '203.0.113.5', frameworkIp: '10.9.9.9' });
    // Clients behind the proxy keep their own IPs.
    expect((await request(koaApp(undefined)).get('/').set({ 'x-forwarded-for': '198.51.100.7' })).body.shieldIp).toBe('198.51.100.7');
  });

  it('Express trust proxy true: the same', async () => {
    const res = await request(expressApp(true)).get('/').set(SPOOFED);
    expect(res.body).toEqual({ shieldIp: '203.0.113.5', frameworkIp: '10.9.9.9' });
  });
});

describe('a framework proxy setting that names the hops: its answer as it is', () => {
  it('Koa maxIpsCount 1, Express trust proxy 1', async () => {
    expect((await request(koaApp(1)).get('/').set(SPOOFED)).body).toEqual({ shieldIp: '203.0.113.5', frameworkIp: '203.0.113.5' });
    expect((await request(expressApp(1)).get('/').set(SPOOFED)).body).toEqual({ shieldIp: '203.0.113.5', frameworkIp: '203.0.113.5' });
  });
});
