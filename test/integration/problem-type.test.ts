/**
 * Issue 16: the problem `type` URI of a denial resolves to the code's page (`docs/problems/<code>.md` on GitHub by
 * default) and follows the shield's `problemTypeBase`, through every adapter over real HTTP.
 */
import { existsSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approov } from '../../src/attestation/approov.js';
import { PROBLEM_TYPE_BASE } from '../../src/core/codes.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { createShield } from '../../src/shield.js';
import { createTestAttester } from '../../src/testing/index.js';
import { ADAPTERS, type RunningApp } from '../helpers/adapters.js';
import pkg from '../../package.json' with { type: 'json' };

const attester = createTestAttester({ header: 'approov-token' });
const token = () => approov({ secret: attester.secret as string });

describe('problemTypeBase: the default', () => {
  it('is the repository (package.json) blob URL of docs/problems/, whose pages exist', () => {
    const repo = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(PROBLEM_TYPE_BASE).toBe(`${repo}/blob/main/docs/problems/`);
    expect(existsSync(new URL('../../docs/problems/token_missing.md', import.meta.url))).toBe(true);
  });
});

describe('problemTypeBase: validation at createShield', () => {
  const refused: [string, RegExp][] = [
    ['http://docs.example.com/problems/', /absolute https URL/],
    ['/problems/', /absolute https URL/],
    ['docs.example.com/problems/', /absolute https URL/],
    ['https://user:pw@docs.example.com/problems/', /credentials/],
    ['https://docs.example.com/problems/?v=1', /query or fragment/],
    ['https://docs.example.com/problems/#top', /query or fragment/],
    ['https://docs.example.com/{code}/{code}', /\{code\} once/],
    ['https://docs.example.com/problems', /end with "\/" or hold \{code\}/],
  ];
  for (const [base, message] of refused) {
    it(`refuses ${base}`, () => {
      let error: unknown;
      try {
        createShield({ token: token(), problemTypeBase: base });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ShieldConfigError);
      expect(String((error as Error).message)).toMatch(/problemTypeBase/);
      expect(String((error as Error).message)).toMatch(message);
    });
  }
  it('accepts a base ending in "/" and a {code} template', () => {
    expect(() => createShield({ token: token(), problemTypeBase: 'https://docs.example.com/problems/' })).not.toThrow();
    expect(() => createShield({ token: token(), problemTypeBase: 'https://docs.example.com/e/{code}.html' })).not.toThrow();
  });
});

const CASES = [
  { base: undefined, expected: `${PROBLEM_TYPE_BASE}token_missing.md` },
  { base: 'https://docs.example.com/problems/', expected: 'https://docs.example.com/problems/token_missing.md' },
  { base: 'https://docs.example.com/errors/{code}.html', expected: 'https://docs.example.com/errors/token_missing.html' },
] as const;

for (const adapter of ADAPTERS) {
  for (const { base, expected } of CASES) {
    describe(`problem type through ${adapter.name}, base ${base ?? 'default'}`, () => {
      let app: RunningApp;
      beforeAll(async () => {
        const shield = createShield({ token: token(), ...(base === undefined ? {} : { problemTypeBase: base }) });
        app = await adapter.start(shield, [{ method: 'GET', path: '/profile' }]);
      });
      afterAll(() => app.close());

      it('a denial names the code page as its type', async () => {
        const res = await request(app.server).get('/profile');
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body.code).toBe('token_missing');
        expect(res.body.type).toBe(expected);
      });
    });
  }
}
