import { describe, expect, it } from 'vitest';
import { AMBIGUOUS, RouteTable, routeKeyProblem } from '../../src/core/route-table.js';

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
    expect(table.matchPath('GET', '/health')).toBe(health);
    expect(table.matchPath('POST', '/health')).toBeUndefined();
    expect(table.matchPath('POST', '/orders')).toBe(orders);
    expect(table.matchPath('PUT', '/any')).toBe(anyMethod);
  });

  it('matches params and trailing wildcards', () => {
    expect(table.matchPath('GET', '/orders/42')).toBe(orderById);
    expect(table.matchPath('GET', '/orders/42/items')).toBeUndefined();
    expect(table.matchPath('DELETE', '/admin/users/1')).toBe(admin);
    expect(table.matchPath('GET', '/admin')).toBe(admin);
  });

  it('lets GET entries cover HEAD', () => {
    expect(table.matchPath('HEAD', '/health')).toBe(health);
    expect(table.matchPath('HEAD', '/orders/1')).toBe(orderById);
    expect(table.matchRoute('HEAD', '/orders/:id')).toBe(orderById);
  });

  it('answers AMBIGUOUS when spellings of a path land on different entries', () => {
    // Each of these reaches a different handler depending on the router's case, slash and decoding rules.
    expect(table.matchPath('GET', '/HEALTH')).toBe(AMBIGUOUS);
    expect(table.matchPath('GET', '/health/')).toBe(AMBIGUOUS);
    expect(table.matchPath('POST', '/%6Frders')).toBe(AMBIGUOUS);
    expect(table.matchPath('GET', '//health')).toBe(AMBIGUOUS);
    expect(table.matchPath('GET', '/x/../health')).toBe(AMBIGUOUS);
    expect(table.matchPath('OPTIONS', '*')).toBe(AMBIGUOUS);
  });

  it('looks a lower-case path up both ways when a key has a capital (a case-insensitive router runs that key for it)', () => {
    const signIn = { credentials: { login: { username: 'body.email' } } };
    const capitals = new RouteTable({ 'POST /auth/signIn': signIn, '/auth/*': false, 'GET /v1/:id/Items': {} });
    expect(capitals.matchPath('POST', '/auth/signIn')).toBe(signIn);
    expect(capitals.matchPath('POST', '/auth/signin')).toBe(AMBIGUOUS);
    expect(capitals.matchPath('GET', '/v1/7/items')).toBe(AMBIGUOUS);
    expect(capitals.matchPath('GET', '/auth/other')).toBe(false);
    // Without a capital in any key's path (methods are upper-case), a plain path is looked up once, as written.
    const lower = new RouteTable({ 'POST /auth/signin': signIn, '/auth/*': false });
    expect(Reflect.get(lower, 'keysHaveCapitals')).toBe(false);
    expect(Reflect.get(capitals, 'keysHaveCapitals')).toBe(true);
  });

  it('does not flag spellings that land on the same entry', () => {
    expect(table.matchPath('GET', '/orders/AbC%20x')).toBe(orderById);
    expect(table.matchPath('DELETE', '/Admin/X')).toBe(AMBIGUOUS); // "Admin" is not "admin" as written
    expect(table.matchPath('DELETE', '/admin/X/')).toBe(admin);
    expect(table.matchPath('GET', '/orders%')).toBeUndefined();
  });

  it('never lets an encoded slash or letter reach an exempt entry (they are not the same route to a router)', () => {
    const t = new RouteTable({ 'GET /products/featured': false, 'GET /products/:id': { mode: 'enforce' } });
    expect(t.matchPath('GET', '/products/featured')).toBe(false);
    expect(t.matchPath('GET', '/products/featured%2F')).toBe(AMBIGUOUS);
    expect(t.matchPath('GET', '/products/f%65atured')).toBe(AMBIGUOUS);
    expect(t.matchPath('GET', '/products/FEATURED')).toBe(AMBIGUOUS);
    expect(t.matchPath('GET', '/products/42')).toEqual({ mode: 'enforce' });
  });

  it('looks up a matched route pattern: literal keys only match literal pattern segments', () => {
    const exempt = false as const;
    const byId = { mode: 'enforce' as const };
    const t = new RouteTable({ 'GET /products/featured': exempt, 'GET /products/:id': byId, '/files/*': admin });
    expect(t.matchRoute('GET', '/products/featured')).toBe(exempt);
    expect(t.matchRoute('GET', '/products/:productId')).toBe(byId);
    expect(t.matchRoute('GET', '/products/:id(^\\d+)')).toBe(byId);
    expect(t.matchRoute('GET', '/files/*')).toBe(admin);
    expect(t.matchRoute('POST', '/files/:name/raw')).toBe(admin);
    expect(t.matchRoute('GET', '/products/featured/')).toBe(exempt);
  });

  it('reads route patterns of literal, :name and whole-wildcard segments only (optional parts are unknown)', () => {
    const table = new RouteTable({ 'GET /docs': false });
    for (const pattern of ['/docs', '/docs/:page', '/files/*', '/files/*splat', '/files/(.*)', '/api/v1/items/:id/']) {
      expect([pattern, table.readsRoutePattern(pattern)]).toEqual([pattern, true]);
    }
    for (const pattern of ['/docs{/:page}', '/docs/:page?', '/ab?cd', '/files/:name.json', '/a+b', '/x/[id]', '/a\\b']) {
      expect([pattern, table.readsRoutePattern(pattern)]).toEqual([pattern, false]);
    }
  });

  it('prefers the most specific pattern', () => {
    const specific = { mode: 'monitor' as const };
    const general = { mode: 'enforce' as const };
    const t = new RouteTable({ '/api/*': general, 'GET /api/:id': { ...general }, 'GET /api/me': specific });
    expect(t.matchPath('GET', '/api/me')).toBe(specific);
    expect(t.matchPath('POST', '/api/me')).toBe(general);
  });

  it('names unsupported key syntax', () => {
    expect(routeKeyProblem('GET /files/*path')).toMatch(/not supported/);
    expect(routeKeyProblem('GET /files/{*path}')).toMatch(/not supported/);
    expect(routeKeyProblem('GET /files/(.*)')).toMatch(/not supported/);
    expect(routeKeyProblem('GET /a/:id?')).toMatch(/not supported/);
    expect(routeKeyProblem('GET /a//b')).toMatch(/empty/);
    expect(routeKeyProblem('GET a')).toMatch(/must be/);
    expect(routeKeyProblem('GET /a/:id/*')).toBeUndefined();
    expect(routeKeyProblem('/a/b/')).toBeUndefined();
  });
});
