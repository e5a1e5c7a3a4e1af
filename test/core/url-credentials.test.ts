/**
 * URLs with `user:password@` are refused where the shield fetches (token `jwksUrl`, Have I Been Pwned `baseUrl`):
 * fetch refused them with an error quoting the URL, and the error's message went into the decision's `detail`, so the
 * password reached every onDecision log line. Error details now carry the error's class and code, never its message
 * (found by review).
 */
import { describe, expect, it } from 'vitest';
import { createShield, ShieldConfigError } from '../../src/index.js';

const PASSWORD = 'hunter2-jwks-secret';

function configError(make: () => unknown): ShieldConfigError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ShieldConfigError);
    return error as ShieldConfigError;
  }
  throw new Error('expected a ShieldConfigError');
}

describe('URLs with credentials', () => {
  it('token.jwksUrl with user:password is refused, as a string or a URL, without quoting it', () => {
    for (const jwksUrl of [`https://svc:${PASSWORD}@127.0.0.1:9/jwks`, new URL(`https://svc:${PASSWORD}@127.0.0.1:9/jwks`), `https://${PASSWORD}@127.0.0.1/jwks`]) {
      const error = configError(() => createShield({ token: { jwksUrl } }));
      expect(error.message).toContain('token.jwksUrl');
      expect(error.message).not.toContain(PASSWORD);
    }
    // Other schemes were refused as strings only: a URL object got through.
    configError(() => createShield({ token: { jwksUrl: new URL('ftp://127.0.0.1/jwks') } }));
    configError(() => createShield({ token: { jwksUrl: 'ftp://127.0.0.1/jwks' } }));
    expect(() => createShield({ token: { jwksUrl: 'https://127.0.0.1:9/jwks' } })).not.toThrow();
    expect(() => createShield({ token: { jwksUrl: new URL('http://127.0.0.1:9/jwks') } })).not.toThrow();
  });

  it('credentials.breachedPassword.baseUrl with user:password is refused', () => {
    const credentials = (baseUrl: unknown) => ({ credentials: { breachedPassword: { baseUrl } } }) as Parameters<typeof createShield>[0];
    const error = configError(() => createShield(credentials(`https://u:${PASSWORD}@127.0.0.1/`)));
    expect(error.message).not.toContain(PASSWORD);
    configError(() => createShield(credentials(new URL('https://127.0.0.1/'))));
    expect(() => createShield(credentials('https://127.0.0.1:9'))).not.toThrow();
  });

  it("a verifier's thrown error reaches the decision as its class and code, not its message", async () => {
    const logged: string[] = [];
    const shield = createShield({
      verifiers: [
        { name: 'leaky', verify: () => { throw new TypeError(`cannot fetch https://svc:${PASSWORD}@example.test/`); } },
        { name: 'coded', verify: () => { throw Object.assign(new Error(`token ${PASSWORD}`), { code: 'ERR_SOMETHING' }); } },
      ],
      onDecision: (decision) => logged.push(JSON.stringify(decision)),
    });
    const decision = await shield.check({ method: 'GET', path: '/', headers: {}, ip: '203.0.113.1' });
    expect(decision.allowed).toBe(false);
    expect(decision.results.map((r) => r.detail)).toEqual(['TypeError']);
    expect(logged.join('\n')).not.toContain(PASSWORD);
  });
});
