/**
 * Usernames were keyed by trim + NFKC + lower case only. An account store with an accent-insensitive collation
 * (MySQL's default utf8mb4_0900_ai_ci, SQL Server's `_AI`) takes `álice`, `àlice`, `ålice` for `alice`, so an
 * attacker spread guesses at one account over spellings each counted as another username: no lock, and the
 * distinct-username budget filled by one account. Diacritics are now folded by default (NFKD, marks dropped, stroked
 * letters to their base, NFKC); `accentSensitiveUsernames: true` keeps them apart. Over real HTTP with signed tokens,
 * on MemoryStore and on real Redis.
 */
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { COUNTERS_OFF, loginStores, PASSWORD, startLoginApp } from './http-login.js';

/** Five spellings of alice@example.com an accent-insensitive, case-insensitive collation equates. */
const ALICES = ['álice@example.com', 'àlice@example.com', 'ÅLICE@example.com', 'a\u0301lice@example.com', 'ālice@exämple.com'];
const LOCK = { ...COUNTERS_OFF, consecutiveFailures: { limit: 5, lockSeconds: 600, maxLockSeconds: 600 } };

describe.each(loginStores('username-folding'))('usernames on %s', (_name, makeStore, available) => {
  it.skipIf(!available)('accented spellings of one username share its lock', async () => {
    const app = await startLoginApp(LOCK, makeStore());
    try {
      for (const email of ALICES) expect((await app.login(email)).status).toBe(401);
      expect(await app.login('alice@example.com', { password: PASSWORD })).toEqual({ status: 429, code: 'login_locked' });
      expect((await app.login('bob@example.com', { password: PASSWORD })).status).toBe(200); // another account is not
    } finally {
      await app.close();
    }
  });

  it.skipIf(!available)('stroked letters, spacing accents and marks past the length cut fold too', async () => {
    const app = await startLoginApp(LOCK, makeStore());
    try {
      // ø and ǿ (ø with an acute), Ø upper case, ö, and a spacing acute (U+00B4 decomposes to a space and a mark).
      for (const email of ['bjørn@example.com', 'bjǿrn@example.com', 'BJØRN@example.com', 'björn@example.com', 'bjorn@example.com\u00B4']) {
        expect((await app.login(email)).status).toBe(401);
      }
      expect((await app.login('bjorn@example.com')).code).toBe('login_locked');
      // Cut at 1,024 characters (after trimming) before normalising: marks within it are dropped, what is past it
      // never counts, and padding does not move the cut.
      const padded = `${' '.repeat(5000)}łukasz@example.com${'\u0301'.repeat(1100)}z`;
      for (let i = 0; i < 5; i++) expect((await app.login(i % 2 === 0 ? padded : 'Łukasz@example.com')).status).toBe(401);
      expect((await app.login('lukasz@example.com')).code).toBe('login_locked');
    } finally {
      await app.close();
    }
  });

  it.skipIf(!available)('the sharp s and the ligatures fold to their two letters, as utf8mb4_0900_ai_ci compares them', async () => {
    const app = await startLoginApp(LOCK, makeStore());
    try {
      for (const email of ['straße@example.com', 'STRAẞE@example.com', 'strasse@example.com', 'Straße@example.com', 'straſſe@example.com']) {
        expect((await app.login(email)).status).toBe(401);
      }
      expect((await app.login('strasse@example.com', { password: PASSWORD })).code).toBe('login_locked');
      for (const email of ['æther.œuvre@example.com', 'ÆTHER.ŒUVRE@example.com', 'aether.oeuvre@example.com', 'Æther.Œuvre@example.com', 'æther.oeuvre@example.com']) {
        expect((await app.login(email)).status).toBe(401);
      }
      expect((await app.login('aether.oeuvre@example.com', { password: PASSWORD })).code).toBe('login_locked');
    } finally {
      await app.close();
    }
  });

  it.skipIf(!available)('the distinct-username budget counts the spellings as one username', async () => {
    const app = await startLoginApp({ ...COUNTERS_OFF, ipDistinctUsernames: { limit: 3, windowSeconds: 3600 } }, makeStore());
    try {
      for (const email of ALICES) expect((await app.login(email)).status).toBe(401);
      expect((await app.login('bob@example.com')).status).toBe(401);
      expect((await app.login('carol@example.com')).status).toBe(401);
      // alice, bob and carol: the budget is spent now, and refuses a fourth username.
      expect(await app.login('dave@example.com')).toEqual({ status: 429, code: 'credential_abuse' });
    } finally {
      await app.close();
    }
  });

  it.skipIf(!available)('reset({ username }) folds as logins do', async () => {
    const app = await startLoginApp(LOCK, makeStore());
    try {
      for (let i = 0; i < 5; i++) await app.login('alice@example.com');
      expect((await app.login('alice@example.com', { password: PASSWORD })).status).toBe(429);
      await expect(app.shield.credentials.reset({ username: ' Ålice@Example.com' })).resolves.toEqual({ cleared: ['username-locks'] });
      expect((await app.login('alice@example.com', { password: PASSWORD })).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it.skipIf(!available)('accentSensitiveUsernames: true keeps accented spellings apart (case still folded)', async () => {
    const app = await startLoginApp({ ...LOCK, accentSensitiveUsernames: true }, makeStore());
    try {
      for (const email of ALICES) expect((await app.login(email)).status).toBe(401);
      expect((await app.login('alice@example.com', { password: PASSWORD })).status).toBe(200);
      // One spelling, in two cases, still shares its lock; NFKC still applies (U+212B Angstrom sign is Å).
      for (const email of ['Álice@x.com', 'álice@x.com', 'ÁLICE@x.com', 'álice@x.com', 'Álice@X.COM']) await app.login(email);
      expect((await app.login('a\u0301lice@x.com')).code).toBe('login_locked');
      for (let i = 0; i < 5; i++) await app.login(i % 2 === 0 ? '\u212Blice@x.com' : 'ålice@x.com');
      expect((await app.login('Ålice@x.com')).code).toBe('login_locked');
      expect((await app.login('alice@x.com')).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it.skipIf(!available)('with caseSensitiveUsernames, accents fold but case is kept', async () => {
    const app = await startLoginApp({ ...LOCK, caseSensitiveUsernames: true }, makeStore());
    try {
      for (const email of ['Álice@x.com', 'Àlice@x.com', 'Âlice@x.com', 'Älice@x.com', 'Ãlice@x.com']) await app.login(email);
      expect((await app.login('Alice@x.com')).code).toBe('login_locked');
      expect((await app.login('alice@x.com')).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('accentSensitiveUsernames is validated', () => {
  it('a value that is not a boolean is a ShieldConfigError naming the option', async () => {
    const error = await startLoginApp({ accentSensitiveUsernames: 'yes' as unknown as boolean }, new MemoryStore()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShieldConfigError);
    expect(String((error as Error).message)).toContain('credentials.accentSensitiveUsernames');
  });
});
