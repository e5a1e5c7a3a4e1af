/**
 * Review: the attestation service takes `android` as Play Integrity options and checked only `packageName`. A
 * `maxAgeMs` read from an unset variable (NaN) switched freshness off, so the service issued tokens for verdicts of
 * any age; a bad key threw a bare TypeError where the service promises a ShieldConfigError.
 */
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { androidTokenBody, play, testService } from './fixtures.js';

const post = (path: string, body: unknown) => ({ method: 'POST' as const, path, query: new URLSearchParams(), headers: {}, ip: '10.0.0.1', body });

describe('android options are validated with the rest of the service options', () => {
  it('maxAgeMs NaN: ShieldConfigError naming android (before: an hour-old verdict got a token)', async () => {
    let service;
    try {
      service = testService(new MemoryStore(), { android: { ...play.options, maxAgeMs: Number.NaN } });
    } catch (error) {
      expect(error).toBeInstanceOf(ShieldConfigError);
      expect((error as ShieldConfigError).issues[0]?.path).toBe('android');
      return;
    }
    const { challenge } = (await service.handle(post('/attest/challenge', {}))).body as { challenge: string };
    const body = await androidTokenBody({ challenge }, { timestampMillis: Date.now() - 3_600_000 });
    const answer = await service.handle(post('/attest/android', body));
    expect(answer.status).toBe(401);
  });

  it('minVersionCode NaN is refused at startup, not compared with every build', () => {
    expect(() => testService(new MemoryStore(), { android: { ...play.options, minVersionCode: Number.NaN } })).toThrow(ShieldConfigError);
  });

  it('a decryption key of the wrong length is a ShieldConfigError, its message without the key', () => {
    const decryptionKey = Buffer.alloc(16, 7).toString('base64');
    let thrown: unknown;
    try {
      testService(new MemoryStore(), { android: { ...play.options, decryptionKey } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ShieldConfigError);
    expect(String((thrown as Error).message)).not.toContain(decryptionKey);
  });
});
