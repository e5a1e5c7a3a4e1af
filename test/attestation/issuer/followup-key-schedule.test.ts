/**
 * Follow-up review: a signing key whose `retiredAt` is at or before its `activeFrom` never signs. Such a key was
 * accepted, and alone in the ring (its `retiredAt` in the future passed the "every key is retired" check) the service
 * started and answered 503 on every token request forever. It is a configuration error naming the key; so is a ring
 * in which no key can sign now or later. Duplicate kids stay refused.
 */
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { KEY_A, signingKey, testService } from './fixtures.js';

function configError(fn: () => unknown): ShieldConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ShieldConfigError) return error;
    throw error;
  }
  throw new Error('no ShieldConfigError thrown');
}

describe('signing key schedule', () => {
  it('refuses a key that retires before it activates', () => {
    const now = Date.now();
    const error = configError(() =>
      testService(new MemoryStore(), { signingKeys: [{ kid: 'a', privateKey: KEY_A, activeFrom: now + 1e9, retiredAt: now + 1e6 }] }),
    );
    expect(error.issues).toEqual([{ path: 'signingKeys', message: expect.stringMatching(/signingKeys\.0\.retiredAt: must be after activeFrom/) }]);
    // Also refused, as before: a ring where no key can sign now or later, and duplicate kids.
    expect(() =>
      testService(new MemoryStore(), {
        signingKeys: [
          { kid: 'a', privateKey: KEY_A, activeFrom: now - 20_000, retiredAt: now - 10_000 },
          { kid: 'b', privateKey: signingKey(), retiredAt: now - 1_000 },
        ],
      }),
    ).toThrow(ShieldConfigError);
    expect(() => testService(new MemoryStore(), { signingKeys: [{ kid: 'a', privateKey: KEY_A }, { kid: 'a', privateKey: signingKey() }] })).toThrow(
      /duplicate kid/,
    );
  });

  it('refuses a key that retires the moment it activates, even next to a key that signs', () => {
    const at = new Date(Date.now() + 60_000);
    const error = configError(() =>
      testService(new MemoryStore(), {
        signingKeys: [
          { kid: 'a', privateKey: KEY_A },
          { kid: 'b', privateKey: signingKey(), activeFrom: at, retiredAt: at.toISOString() },
        ],
      }),
    );
    expect(error.issues[0]?.message).toMatch(/signingKeys\.1\.retiredAt: must be after activeFrom/);
    // Not over-reaching: a pending key that retires later than it activates is fine.
    const service = testService(new MemoryStore(), {
      signingKeys: [
        { kid: 'a', privateKey: KEY_A, retiredAt: at.getTime() + 1e9 },
        { kid: 'b', privateKey: signingKey(), activeFrom: at, retiredAt: at.getTime() + 1 },
      ],
    });
    expect(service.jwks().keys.map((k) => k.kid)).toEqual(['a', 'b']);
  });
});
