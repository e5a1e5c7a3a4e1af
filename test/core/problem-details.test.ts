/**
 * Client-safe problem `detail` from the modules' `problemDetails`: a missing token names the header the shield reads
 * (as configured), other codes carry none, and a user's module can add its own.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { approov, defineVerifierModule } from '../../src/index.js';
import { createShield } from '../../src/shield.js';
import type { ShieldRequest } from '../../src/core/request.js';

const SECRET = Buffer.alloc(32, 7).toString('base64');
const get = (headers: Record<string, string> = {}): ShieldRequest => ({ method: 'GET', path: '/x', headers, ip: '198.51.100.4' });

describe('problem details', () => {
  it('token_missing names the configured header, and only that code gets a detail', async () => {
    const shield = createShield({ token: approov({ secret: SECRET, header: 'x-device-proof', binding: false }) });
    const missing = await shield.check(get());
    const body = shield.respond(missing, get()).body;
    expect(body).toMatchObject({ code: 'token_missing', detail: 'send the attestation token in the "x-device-proof" header' });
    const invalid = await shield.check(get({ 'x-device-proof': 'not.a.token' }));
    const invalidBody = shield.respond(invalid, get()).body;
    expect(invalidBody.code).toBe('token_invalid');
    expect(invalidBody).not.toHaveProperty('detail');
    expect(JSON.stringify(body)).not.toContain(SECRET);
  });

  it("a user's module gives its own codes a detail from its config", async () => {
    const minimumVersion = defineVerifierModule({
      key: 'minimumVersion',
      configSchema: z.object({ minimum: z.string() }).strict(),
      codes: { app_too_old: { status: 426, title: 'Update required' } },
      problemDetails: (config) => ({ app_too_old: `update the app to ${config.minimum} or later` }),
      create: () => ({ name: 'minimum-version', verify: () => ({ outcome: 'deny', code: 'app_too_old' }) }),
    });
    const shield = createShield({ modules: [minimumVersion], minimumVersion: { minimum: '3.2' } } as never);
    const decision = await shield.check(get());
    expect(shield.respond(decision, get()).body).toMatchObject({ status: 426, code: 'app_too_old', detail: 'update the app to 3.2 or later' });
  });
});
