/**
 * What the payload shield accepts as a route schema (a Standard Schema v1 validator), the one-line errors for what
 * it refuses (a zod 3 schema above all), and the direct `inspectPayload` call with a schema that answers later.
 */
import { describe, expect, it } from 'vitest';
import { configError } from '../../helpers/config-error.js';
import * as zm from 'zod/mini';
import { createShield } from '../../../src/shield.js';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { expressShield } from '../../../src/adapters/express.js';
import { compilePayloadOptions, inspectPayload } from '../../../src/verifiers/payload-shield/index.js';
import type { StandardSchemaV1 } from '../../../src/index.js';
import { request } from './helpers.js';

/** What a zod 3.24+ schema looks like from outside: `_def`, `safeParse`, even a `~standard`, but no `_zod`. */
const zod3Shaped = {
  _def: { typeName: 'ZodObject' },
  safeParse: () => ({ success: true, data: {} }),
  '~standard': { version: 1, vendor: 'zod', validate: (value: unknown) => ({ value }) },
};


describe('route schemas: what is accepted', () => {
  it('a zod 3 schema is refused in one line that says what to use instead', () => {
    const error = configError({ payload: { body: zod3Shaped } });
    expect(error.issues).toEqual([
      {
        path: 'payload.body',
        message: 'route schemas need zod >= 4 or another Standard Schema v1 validator (this looks like a zod 3 schema)',
      },
    ]);
  });

  it('the same on a route (adapter route options) and for query and params', () => {
    const shield = createShield({ payload: {} });
    expect(() => expressShield(shield, { payload: { query: zod3Shaped as never } })).toThrow(
      /payload\.query: route schemas need zod >= 4 or another Standard Schema v1 validator/,
    );
    expect(configError({ routes: { 'GET /x/:id': { payload: { params: zod3Shaped } } } }).issues[0]).toMatchObject({
      path: 'routes.GET /x/:id.payload.params',
      message: expect.stringMatching(/^route schemas need zod >= 4/),
    });
  });

  it('refuses what is no Standard Schema v1 validator: a plain object, a function, another spec version', () => {
    const message = 'must be a Standard Schema v1 validator (zod >= 4, valibot, arktype...)';
    expect(configError({ payload: { body: { type: 'object' } } }).issues).toEqual([{ path: 'payload.body', message }]);
    expect(configError({ payload: { body: () => true } }).issues).toEqual([{ path: 'payload.body', message }]);
    const v2 = { '~standard': { version: 2, vendor: 'x', validate: () => ({ value: 1 }) } };
    expect(configError({ payload: { query: v2 } }).issues).toEqual([{ path: 'payload.query', message }]);
  });

  it('accepts a zod/mini schema and a hand-written validator', () => {
    const hand: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'me', validate: (value) => ({ value }) } };
    expect(() => createShield({ payload: { body: zm.object({ a: zm.string() }), query: hand } })).not.toThrow();
  });
});

describe('route schemas: inspectPayload called directly', () => {
  const later: StandardSchemaV1 = {
    '~standard': { version: 1, vendor: 'me', validate: (value) => Promise.resolve({ value }) },
  };

  it('is synchronous: a validator answering with a Promise is a TypeError that points at the shield', () => {
    expect(() => inspectPayload(request(), { a: 1 }, compilePayloadOptions({ body: later }))).toThrow(
      /validated asynchronously; use the shield/,
    );
  });

  it('a synchronous failure decides without waiting for a pending validator (its rejection is handled)', () => {
    const rejectsLater: StandardSchemaV1 = {
      '~standard': { version: 1, vendor: 'me', validate: () => Promise.reject(new Error('late')) },
    };
    const fails: StandardSchemaV1 = {
      '~standard': { version: 1, vendor: 'me', validate: () => ({ issues: [{ message: 'no', path: ['q'] }] }) },
    };
    const verdict = inspectPayload(request({ query: 'q=1' }), { a: 1 }, compilePayloadOptions({ body: rejectsLater, query: fails }));
    expect(verdict).toMatchObject({ action: 'deny', code: 'payload_invalid', detail: 'schema failed at query.q' });
  });

  it('a validator answering neither a value nor issues is an error (nothing decided: the verifier fails closed)', () => {
    const broken = { '~standard': { version: 1, vendor: 'me', validate: () => null } } as unknown as StandardSchemaV1;
    expect(() => inspectPayload(request(), { a: 1 }, compilePayloadOptions({ body: broken }))).toThrow(
      /answered neither a value nor issues/,
    );
  });
});
