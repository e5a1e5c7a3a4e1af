import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configError } from '../helpers/config-error.js';
import { createShield } from '../../src/shield.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { expressShield } from '../../src/adapters/express.js';

const SECRET = Buffer.alloc(32, 7).toString('base64');


describe('config validation', () => {
  it('accepts a minimal valid config and an empty one', () => {
    expect(() => createShield({ token: { secret: SECRET } })).not.toThrow();
    expect(() => createShield({})).not.toThrow();
  });

  it('names every bad option path and why, in one error', () => {
    const error = configError({ mode: 'block', token: { secret: SECRET, header: 'X Bad', clockTolerance: -1 }, verifierTimeoutMs: 0 });
    const paths = error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['mode', 'token.header', 'token.clockTolerance', 'verifierTimeoutMs']));
    expect(error.message).toMatch(/token\.header: must be a lower-case HTTP header name/);
  });

  it('requires exactly one key source', () => {
    expect(configError({ token: {} }).message).toMatch(/exactly one key source: secret, publicKey, jwks or jwksUrl/);
    expect(configError({ token: { secret: SECRET, jwksUrl: 'https://x.test/jwks' } }).message).toMatch(/got secret and jwksUrl/);
  });

  it('refuses algorithm/key-type mixes that would allow key confusion, and alg none', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(configError({ token: { publicKey, algorithms: ['HS256'] } }).message).toMatch(/never verifies HMAC/);
    expect(configError({ token: { secret: SECRET, algorithms: ['RS256'] } }).message).toMatch(/only verifies HMAC/);
    expect(configError({ token: { secret: SECRET, algorithms: ['none'] } }).issues[0]?.path).toBe('token.algorithms.0');
  });

  it('refuses short HMAC secrets, non-base64 secrets and private JWKs in a key set', () => {
    expect(configError({ token: { secret: Buffer.alloc(16, 1).toString('base64') } }).message).toMatch(/at least 32 bytes/);
    expect(configError({ token: { secret: 'not base64 !!' } }).message).toMatch(/must be base64/);
    expect(configError({ token: { jwks: { keys: [{ kty: 'oct', k: 'abc' }] } } }).message).toMatch(/must be a public key/);
  });

  it('reports unknown options (typos) by name', () => {
    const error = configError({ token: { secret: SECRET, bindng: { claim: 'pay' } }, mdoe: 'monitor' });
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'token.bindng', message: 'unknown option' },
        { path: 'mdoe', message: 'unknown option' },
      ]),
    );
  });

  it('validates the routes table patterns and options', () => {
    const error = configError({ routes: { 'GET health': false, 'POST /x': { mode: 'audit' } } });
    expect(error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['routes.GET health', 'routes.POST /x.mode']));
  });

  it('validates jwksUrl and store shapes', () => {
    expect(configError({ token: { jwksUrl: 'ftp://x/jwks' } }).issues[0]?.path).toBe('token.jwksUrl');
    expect(configError({ store: { get() {} } }).message).toMatch(/store: must implement the Store interface/);
  });

  it('validates adapter route options at construction', () => {
    const shield = createShield({});
    expect(() => expressShield(shield, { mode: 'nope' } as never)).toThrow(/expressShield\(route\)\.mode/);
    expect(() => expressShield(shield, { token: { binding: { headers: ['Bad Header'] } } })).toThrow(ShieldConfigError);
  });

  it("words zod's own checks in English (zod/mini loads no locale; the package passes English per parse)", () => {
    // This file loads no classic zod (which would set English globally): the messages come from the package's parse.
    const error = configError({ mode: 'block', verifierTimeoutMs: 0, redactHeaders: 'x' });
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'mode', message: 'Invalid option: expected one of "enforce"|"monitor"' },
        { path: 'verifierTimeoutMs', message: 'Too small: expected number to be >0' },
        { path: 'redactHeaders', message: 'Invalid input: expected array, received string' },
      ]),
    );
  });
});
