import { describe, expect, it } from 'vitest';
import { RouteTable } from '../../src/core/route-table.js';

describe('RouteTable', () => {
  const health = false as const;
  const orders = { mode: 'monitor' as const };
  const orderById = { mode: 'enforce' as const };
  const admin = { verifiers: { token: 'enforce' as const } };
  const anyMethod = { token: { replay: true } };
  const table = new RouteTable({
    'GET /health': health,
    'POST /orders': orders,
    'GET /orders/:id': orderById,
    '/admin/*': admin,
    '* /any': anyMethod,
  });

  it('matches static patterns by method', () => {
    expect(table.match('GET', '/health')).toBe(health);
    expect(table.match('POST', '/health')).toBeUndefined();
    expect(table.match('POST', '/orders')).toBe(orders);
    expect(table.match('PUT', '/any')).toBe(anyMethod);
  });

  it('matches params and trailing wildcards', () => {
    expect(table.match('GET', '/orders/42')).toBe(orderById);
    expect(table.match('GET', '/orders/42/items')).toBeUndefined();
    expect(table.match('DELETE', '/admin/users/1')).toBe(admin);
    expect(table.match('GET', '/admin')).toBe(admin);
  });

  it('ignores case, trailing slashes and percent-encoding as the frameworks do', () => {
    expect(table.match('GET', '/HEALTH')).toBe(health);
    expect(table.match('GET', '/health/')).toBe(health);
    expect(table.match('POST', '/%6Frders')).toBe(orders);
    expect(table.match('GET', '/orders%')).toBeUndefined();
  });

  it('prefers the most specific pattern', () => {
    const specific = { mode: 'monitor' as const };
    const general = { mode: 'enforce' as const };
    const t = new RouteTable({ '/api/*': general, 'GET /api/:id': { ...general }, 'GET /api/me': specific });
    expect(t.match('GET', '/api/me')).toBe(specific);
    expect(t.match('POST', '/api/me')).toBe(general);
  });
});
