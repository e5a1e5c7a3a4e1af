/**
 * `trustProxy: 'framework'` on Koa reads `ctx.ip`. With `app.proxy` on and no `app.maxIpsCount`, Koa answers the
 * leftmost X-Forwarded-For entry, which the client writes itself (a proxy appends to what it received): the shield
 * must not take it, or a client picks its own IP (an allowlisted range, another user's counters).
 */
import http from 'node:http';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { koaShield } from '../../src/adapters/koa.js';
import { createShield, type Decision } from '../../src/shield.js';

function app(maxIpsCount: number | undefined): http.Server {
  const koa = new Koa();
  koa.proxy = true;
  if (maxIpsCount !== undefined) koa.maxIpsCount = maxIpsCount;
  koa.use(koaShield(createShield({ trustProxy: 'framework' })));
  koa.use((ctx) => {
    ctx.body = { shieldIp: (ctx.state.shield as Decision).ip, koaIp: ctx.ip };
  });
  return http.createServer(koa.callback());
}

// What a proxy in front sends on: the client's own header, with the address it saw appended.
const SPOOFED = { 'x-forwarded-for': '10.9.9.9, 203.0.113.5' };

describe('Koa app.proxy and the client IP the shield takes', () => {
  it('with maxIpsCount set to the proxies in front, the entry the proxy appended', async () => {
    const res = await request(app(1)).get('/').set(SPOOFED);
    expect(res.body).toEqual({ shieldIp: '203.0.113.5', koaIp: '203.0.113.5' });
  });

  it('without it, not the leftmost entry Koa answers (the client wrote it): the socket address', async () => {
    const res = await request(app(undefined)).get('/').set(SPOOFED);
    expect(res.body.koaIp).toBe('10.9.9.9');
    expect(res.body.shieldIp).not.toBe('10.9.9.9');
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1']).toContain(res.body.shieldIp);
  });
});
