/**
 * A module's `decisionField` is written onto every Decision after the Decision's own fields: a name the Decision
 * already has (`allowed`, `status`, `toJSON`, an Object.prototype member) would rewrite the verdict, the status or the
 * object itself, and a name another module uses would make one memo overwrite the other. Both are refused at
 * createShield; a free name still exposes the memo.
 */
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { expressShield } from '../../src/adapters/express.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { defineVerifierModule } from '../../src/index.js';
import { createShield } from '../../src/shield.js';

function moduleExposing(field: string, key = 'geo') {
  return defineVerifierModule({
    key,
    order: 150,
    configSchema: z.object({}).strict(),
    decisionField: { field, memoKey: key },
    create: () => ({
      name: key,
      verify(ctx) {
        ctx.memo.set(key, { country: 'NL' });
        return { outcome: 'deny' as const, code: 'device_untrusted' as const };
      },
    }),
  });
}

function configError(build: () => unknown): ShieldConfigError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ShieldConfigError);
    return error as ShieldConfigError;
  }
  throw new Error('createShield accepted the configuration');
}

describe('a module decisionField that names a member of the Decision', () => {
  it.each(['allowed', 'status', 'code', 'mode', 'ip', 'results', 'complete', 'attestation', 'retryAfter', 'rateLimit'])(
    '%s (a field): refused at createShield',
    (field) => {
      const error = configError(() => createShield({ modules: [moduleExposing(field)], geo: {} } as never));
      expect(error.issues).toEqual([{ path: 'modules.geo.decisionField', message: `"${field}" is a field of every Decision` }]);
    },
  );

  it.each(['reference', 'toJSON', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    '%s (an accessor, method or prototype member): refused at createShield',
    (field) => {
      configError(() => createShield({ modules: [moduleExposing(field)], geo: {} } as never));
    },
  );

  it('is refused even when the module is registered but not configured', () => {
    configError(() => createShield({ modules: [moduleExposing('allowed')] } as never));
  });

  it.each(['allowed', 'status'])('%s: the denial still answers 403 over real HTTP (never the handler, never a 500)', async (field) => {
    let shield;
    try {
      shield = createShield({ modules: [moduleExposing(field)], geo: {} } as never);
    } catch (error) {
      expect(error).toBeInstanceOf(ShieldConfigError);
      return;
    }
    const app = express();
    app.use(expressShield(shield) as never);
    app.get('/x', (_req, res) => res.send('handler ran'));
    const response = await request(app).get('/x');
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('device_untrusted');
  });
});

describe('two modules with the same decisionField', () => {
  it('is refused at createShield, naming the module that has it', () => {
    const error = configError(() =>
      createShield({ modules: [moduleExposing('geo', 'geo'), moduleExposing('geo', 'geo2')], geo: {}, geo2: {} } as never),
    );
    expect(error.issues).toEqual([{ path: 'modules.geo2.decisionField', message: '"geo" is already the decision field of module "geo"' }]);
  });

  it("collides with a built-in module's field (the device module's `device`)", () => {
    configError(() => createShield({ modules: [moduleExposing('device')], geo: {} } as never));
  });
});

describe('a decisionField with a free name', () => {
  it('is accepted and exposes the memo on the Decision; the denial answers 403', async () => {
    const shield = createShield({ modules: [moduleExposing('geoip')], geo: {} } as never);
    const decision = await shield.check({ method: 'GET', path: '/x', headers: {}, ip: '203.0.113.1' });
    expect(decision).toMatchObject({ allowed: false, status: 403, code: 'device_untrusted', geoip: { country: 'NL' } });
    const app = express();
    app.use(expressShield(shield) as never);
    app.get('/x', (_req, res) => res.send('handler ran'));
    const response = await request(app).get('/x');
    expect(response.status).toBe(403);
  });

  it.each([{ field: '', memoKey: 'geo' }, { field: 'geo', memoKey: 1 }, null])('a malformed decisionField %j is refused', (decisionField) => {
    const module = { ...moduleExposing('geo'), decisionField } as never;
    configError(() => createShield({ modules: [module], geo: {} } as never));
  });
});
