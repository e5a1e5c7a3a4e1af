import { randomBytes, generateKeyPairSync, createHash } from 'node:crypto';
import { CompactEncrypt, CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createPlayIntegrityVerifier,
  isDeviceLevel,
  PlayIntegrityError,
  verifyPlayIntegrityToken,
  type PlayIntegrityOptions,
  type PlayIntegrityPayload,
} from '../../../src/attestation/play-integrity/index.js';
import { TestMemoryStore } from '../memory-store.js';
import { CERT_DIGEST, genuinePayload, PACKAGE, playKeys, playToken } from './token-factory.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const NONCE = createHash('sha256').update('POST\n/pay\nbody').digest('base64url');
const keys = playKeys();

function verifier(over: Partial<PlayIntegrityOptions> = {}) {
  return createPlayIntegrityVerifier({
    packageName: PACKAGE,
    decryptionKey: keys.decryptionKey,
    verificationKey: keys.verificationKey,
    certificateDigests: [CERT_DIGEST],
    ...over,
  });
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (error instanceof PlayIntegrityError) return error.reason;
    throw error;
  }
  return 'passed';
}

type Mutator = (p: PlayIntegrityPayload) => void;
const mutate = (fn: Mutator): PlayIntegrityPayload => {
  const p = genuinePayload(NOW, { nonce: NONCE });
  fn(p);
  return p;
};

describe('Play Integrity: genuine tokens', () => {
  it('a classic (nonce) verdict verifies and reports the implied levels', async () => {
    const token = await playToken(keys, genuinePayload(NOW, { nonce: NONCE }));
    const result = await verifier().verify(token, { nonce: NONCE, now: NOW });
    expect(result.via).toBe('local');
    expect(result.levels).toEqual(['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY']);
    expect(result.issuedAt).toBe(NOW - 1000);
    expect(result.payload.appIntegrity?.versionCode).toBe('420');
  });

  it('a standard (requestHash) verdict verifies', async () => {
    const token = await playToken(keys, genuinePayload(NOW, { requestHash: 'req-hash-1' }));
    await expect(verifier().verify(token, { requestHash: 'req-hash-1', now: NOW })).resolves.toMatchObject({
      issuedAt: NOW - 1000,
    });
  });

  it('a padded expected nonce matches an unpadded one', async () => {
    const nonce = Buffer.from('sixteen bytes!!!').toString('base64url');
    const token = await playToken(keys, genuinePayload(NOW, { nonce }));
    await expect(verifier().verify(token, { nonce: `${nonce}==`, now: NOW })).resolves.toBeDefined();
  });

  it('hex certificate digests in the configuration match Google\'s base64url form', async () => {
    const hex = Buffer.from(CERT_DIGEST, 'base64url').toString('hex').toUpperCase().match(/../g)!.join(':');
    const token = await playToken(keys, genuinePayload(NOW, { nonce: NONCE }));
    await expect(verifier({ certificateDigests: [hex] }).verify(token, { nonce: NONCE, now: NOW })).resolves.toBeDefined();
  });

  it('the one-shot helper verifies too', async () => {
    const token = await playToken(keys, genuinePayload(NOW, { nonce: NONCE }));
    await expect(
      verifyPlayIntegrityToken(token, {
        packageName: PACKAGE,
        decryptionKey: keys.decryptionKey,
        verificationKey: keys.verificationKey,
        nonce: NONCE,
        now: NOW,
      }),
    ).resolves.toMatchObject({ via: 'local' });
  });
});

describe('Play Integrity: every check fails in turn', () => {
  const cases: Array<[string, Mutator, Partial<PlayIntegrityOptions>, string]> = [
    ['wrong requestPackageName', (p) => (p.requestDetails!.requestPackageName = 'com.evil.clone'), {}, 'package_mismatch'],
    ['wrong appIntegrity.packageName', (p) => (p.appIntegrity!.packageName = 'com.evil.clone'), {}, 'package_mismatch'],
    ['nonce of another request', (p) => (p.requestDetails!.nonce = 'b3RoZXItcmVxdWVzdC1ub25jZQ'), {}, 'nonce_mismatch'],
    ['no nonce nor requestHash', (p) => delete p.requestDetails!.nonce, {}, 'binding_missing'],
    ['stale timestamp', (p) => (p.requestDetails!.timestampMillis = String(NOW - 121_000)), {}, 'stale_timestamp'],
    ['timestamp from the future', (p) => (p.requestDetails!.timestampMillis = String(NOW + 60_000)), {}, 'future_timestamp'],
    ['missing timestamp', (p) => delete p.requestDetails!.timestampMillis, {}, 'malformed_payload'],
    ['non-numeric timestamp', (p) => (p.requestDetails!.timestampMillis = '12e5'), {}, 'malformed_payload'],
    ['no requestDetails', (p) => delete p.requestDetails, {}, 'malformed_payload'],
    ['unrecognised version', (p) => (p.appIntegrity!.appRecognitionVerdict = 'UNRECOGNIZED_VERSION'), {}, 'app_unrecognized'],
    ['unevaluated app', (p) => (p.appIntegrity = { appRecognitionVerdict: 'UNEVALUATED' }), {}, 'app_unrecognized'],
    ['unknown signing certificate', (p) => (p.appIntegrity!.certificateSha256Digest = ['AAAA']), {}, 'certificate_digest_mismatch'],
    ['old versionCode', (p) => (p.appIntegrity!.versionCode = '399'), { minVersionCode: 400 }, 'version_too_old'],
    ['no device level', (p) => (p.deviceIntegrity!.deviceRecognitionVerdict = []), {}, 'device_integrity_insufficient'],
    ['basic only', (p) => (p.deviceIntegrity!.deviceRecognitionVerdict = ['MEETS_BASIC_INTEGRITY']), {}, 'device_integrity_insufficient'],
    ['virtual only', (p) => (p.deviceIntegrity!.deviceRecognitionVerdict = ['MEETS_VIRTUAL_INTEGRITY']), {}, 'device_integrity_insufficient'],
    ['device (strong required)', () => undefined, { requirements: { deviceLevel: 'MEETS_STRONG_INTEGRITY' } }, 'device_integrity_insufficient'],
    ['LEVEL_4 activity', (p) => (p.deviceIntegrity!.recentDeviceActivity = { deviceActivityLevel: 'LEVEL_4' }), { requirements: { maxDeviceActivityLevel: 'LEVEL_2' } }, 'device_activity_excessive'],
    ['unevaluated activity (a limit set)', (p) => (p.deviceIntegrity!.recentDeviceActivity = { deviceActivityLevel: 'UNEVALUATED' }), { requirements: { maxDeviceActivityLevel: 'LEVEL_4' } }, 'device_activity_excessive'],
    ['no activity level (a limit set)', (p) => delete p.deviceIntegrity!.recentDeviceActivity, { requirements: { maxDeviceActivityLevel: 'LEVEL_4' } }, 'device_activity_excessive'],
    ['unlicensed', (p) => (p.accountDetails = { appLicensingVerdict: 'UNLICENSED' }), { requirements: { licensed: true } }, 'app_unlicensed'],
    ['Play Protect high risk', (p) => (p.environmentDetails!.playProtectVerdict = 'HIGH_RISK'), { requirements: { playProtect: true } }, 'play_protect_risk'],
    ['Play Protect no data (strict)', (p) => (p.environmentDetails!.playProtectVerdict = 'NO_DATA'), { requirements: { playProtect: true } }, 'play_protect_risk'],
    ['a screen-capturing app', (p) => (p.environmentDetails!.appAccessRiskVerdict = { appsDetected: ['KNOWN_INSTALLED', 'UNKNOWN_CAPTURING'] }), { requirements: { noRiskyApps: true } }, 'app_access_risk'],
    ['appsDetected not an array (a string)', (p) => (p.environmentDetails!.appAccessRiskVerdict = { appsDetected: 'UNKNOWN_CAPTURING' as unknown as string[] }), { requirements: { noRiskyApps: true } }, 'app_access_risk'],
  ];

  it.each(cases)('%s', async (_name, fn, options, reason) => {
    const token = await playToken(keys, mutate(fn));
    expect(await reasonOf(verifier(options).verify(token, { nonce: NONCE, now: NOW }))).toBe(reason);
  });

  it('a requestHash token checked against another request hash fails', async () => {
    const token = await playToken(keys, genuinePayload(NOW, { requestHash: 'hash-of-request-A' }));
    expect(await reasonOf(verifier().verify(token, { requestHash: 'hash-of-request-B', now: NOW }))).toBe(
      'request_hash_mismatch',
    );
    expect(await reasonOf(verifier().verify(token, { nonce: 'hash-of-request-A', now: NOW }))).toBe('request_hash_mismatch');
  });

  it.each([
    [['MEETS_STRONG_INTEGRITY'], 'MEETS_STRONG_INTEGRITY', 'passed'],
    [['MEETS_STRONG_INTEGRITY'], 'MEETS_BASIC_INTEGRITY', 'passed'],
    [['MEETS_DEVICE_INTEGRITY', 'MEETS_BASIC_INTEGRITY'], 'MEETS_DEVICE_INTEGRITY', 'passed'],
    [['MEETS_BASIC_INTEGRITY'], 'MEETS_BASIC_INTEGRITY', 'passed'],
    [['MEETS_VIRTUAL_INTEGRITY'], 'MEETS_VIRTUAL_INTEGRITY', 'passed'],
    [['MEETS_VIRTUAL_INTEGRITY'], 'MEETS_BASIC_INTEGRITY', 'device_integrity_insufficient'],
    [[], 'none', 'passed'],
    [[], 'MEETS_VIRTUAL_INTEGRITY', 'device_integrity_insufficient'],
    [['SOMETHING_NEW'], 'MEETS_BASIC_INTEGRITY', 'device_integrity_insufficient'],
  ] as const)('device labels %j against %s: %s', async (labels, required, expected) => {
    const token = await playToken(keys, mutate((p) => (p.deviceIntegrity!.deviceRecognitionVerdict = [...labels])));
    const v = verifier({ requirements: { deviceLevel: required } });
    expect(await reasonOf(v.verify(token, { nonce: NONCE, now: NOW }))).toBe(expected);
  });

  it('Play Protect NO_DATA passes when allowed', async () => {
    const token = await playToken(keys, mutate((p) => (p.environmentDetails!.playProtectVerdict = 'NO_DATA')));
    const v = verifier({ requirements: { playProtect: { allowNoData: true } } });
    expect(await reasonOf(v.verify(token, { nonce: NONCE, now: NOW }))).toBe('passed');
  });

  it.each(['LEVEL_1', 'LEVEL_2'])('device activity %s passes a LEVEL_2 limit', async (level) => {
    const token = await playToken(keys, mutate((p) => (p.deviceIntegrity!.recentDeviceActivity = { deviceActivityLevel: level })));
    const v = verifier({ requirements: { maxDeviceActivityLevel: 'LEVEL_2' } });
    expect(await reasonOf(v.verify(token, { nonce: NONCE, now: NOW }))).toBe('passed');
  });

  it('with app recognition not required, an unrecognised app passes the app checks', async () => {
    const token = await playToken(keys, mutate((p) => (p.appIntegrity = { appRecognitionVerdict: 'UNEVALUATED' })));
    const v = verifier({ requirements: { appRecognized: false }, certificateDigests: undefined });
    expect(await reasonOf(v.verify(token, { nonce: NONCE, now: NOW }))).toBe('passed');
  });

  it('with a minimum versionCode, a verdict without a versionCode is refused even when recognition is not required', async () => {
    const token = await playToken(keys, mutate((p) => (p.appIntegrity = { appRecognitionVerdict: 'UNEVALUATED' })));
    const v = verifier({ requirements: { appRecognized: false }, minVersionCode: 400, certificateDigests: undefined });
    expect(await reasonOf(v.verify(token, { nonce: NONCE, now: NOW }))).toBe('version_too_old');
  });

  it('a label named like an Object.prototype member is not a device level (and does not hide the real labels)', async () => {
    const labels = ['toString', 'MEETS_DEVICE_INTEGRITY'];
    const token = await playToken(keys, mutate((p) => (p.deviceIntegrity = { deviceRecognitionVerdict: labels })));
    expect(await reasonOf(verifier().verify(token, { nonce: NONCE, now: NOW }))).toBe('passed');
    expect(isDeviceLevel('toString')).toBe(false);
    expect(isDeviceLevel('constructor')).toBe(false);
  });
});

describe('Play Integrity: cryptography and malformed tokens', () => {
  it('a token for another app\'s AES key fails to decrypt', async () => {
    const other = playKeys();
    const token = await playToken({ aes: other.aes, signingKey: keys.signingKey }, genuinePayload(NOW, { nonce: NONCE }));
    expect(await reasonOf(verifier().verify(token, { nonce: NONCE, now: NOW }))).toBe('decrypt_failed');
  });

  it('a JWS signed by another EC key fails the signature', async () => {
    const other = playKeys();
    const token = await playToken({ aes: keys.aes, signingKey: other.signingKey }, genuinePayload(NOW, { nonce: NONCE }));
    expect(await reasonOf(verifier().verify(token, { nonce: NONCE, now: NOW }))).toBe('bad_signature');
  });

  it('tampered ciphertext, tag, IV or encrypted key fail to decrypt', async () => {
    const token = await playToken(keys, genuinePayload(NOW, { nonce: NONCE }));
    const parts = token.split('.');
    for (const index of [1, 2, 3, 4]) {
      const copy = [...parts];
      const segment = copy[index]!;
      copy[index] = (segment[0] === 'A' ? 'B' : 'A') + segment.slice(1);
      expect(await reasonOf(verifier().verify(copy.join('.'), { nonce: NONCE, now: NOW }))).toBe('decrypt_failed');
    }
  });

  it('a JWS whose payload was swapped after signing fails the signature', async () => {
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(genuinePayload(NOW, { nonce: 'x' }))))
      .setProtectedHeader({ alg: 'ES256' })
      .sign(keys.signingKey);
    const [header, , signature] = jws.split('.');
    const forgedBody = Buffer.from(JSON.stringify(genuinePayload(NOW, { nonce: NONCE }))).toString('base64url');
    const token = await new CompactEncrypt(new TextEncoder().encode(`${header}.${forgedBody}.${signature}`))
      .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM' })
      .encrypt(keys.aes);
    expect(await reasonOf(verifier().verify(token, { nonce: NONCE, now: NOW }))).toBe('bad_signature');
  });

  it('other JWE algorithms are refused (no algorithm confusion)', async () => {
    const token = await playToken(keys, genuinePayload(NOW, { nonce: NONCE }), { jwe: { alg: 'dir', enc: 'A256GCM' } });
    expect(await reasonOf(verifier().verify(token, { nonce: NONCE, now: NOW }))).toBe('decrypt_failed');
  });

  it('other JWS algorithms are refused', async () => {
    const hsKey = randomBytes(32);
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(genuinePayload(NOW, { nonce: NONCE }))))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(hsKey);
    const token = await new CompactEncrypt(new TextEncoder().encode(jws))
      .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM' })
      .encrypt(keys.aes);
    expect(await reasonOf(verifier().verify(token, { nonce: NONCE, now: NOW }))).toBe('bad_signature');
  });

  it('a non-JSON or non-object payload is malformed', async () => {
    for (const body of ['not json', '[1,2]', 'null']) {
      const jws = await new CompactSign(new TextEncoder().encode(body)).setProtectedHeader({ alg: 'ES256' }).sign(keys.signingKey);
      const token = await new CompactEncrypt(new TextEncoder().encode(jws))
        .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM' })
        .encrypt(keys.aes);
      expect(await reasonOf(verifier().verify(token, { nonce: NONCE, now: NOW }))).toBe('malformed_payload');
    }
  });

  it.each([
    ['empty', ''],
    ['not compact', 'hello world'],
    ['three segments', 'a.b.c'],
    ['oversized', 'A'.repeat(20_000)],
    ['non-base64url characters', 'a.b.c.d.e<script>'],
  ])('garbage (%s) is malformed or undecryptable, never a crash', async (_n, token) => {
    expect(['malformed_token', 'decrypt_failed']).toContain(await reasonOf(verifier().verify(token, { nonce: NONCE, now: NOW })));
  });

  it('replay protection accepts a token once', async () => {
    const store = new TestMemoryStore(() => NOW);
    const v = verifier({ replay: { store } });
    const token = await playToken(keys, genuinePayload(NOW, { nonce: NONCE }));
    expect(await reasonOf(v.verify(token, { nonce: NONCE, now: NOW }))).toBe('passed');
    expect(await reasonOf(v.verify(token, { nonce: NONCE, now: NOW }))).toBe('replayed');
  });

  it('replay protection is keyed by the verdict: the same token re-spelled (base64url padding bits) is refused', async () => {
    const store = new TestMemoryStore(() => NOW);
    const v = verifier({ replay: { store } });
    const token = await playToken(keys, genuinePayload(NOW, { nonce: NONCE }));
    expect(await reasonOf(v.verify(token, { nonce: NONCE, now: NOW }))).toBe('passed');
    // The tag (16 bytes, 22 characters) ends in 4 bits that carry no data: flipping the last one re-spells it.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const parts = token.split('.');
    const tag = parts[4]!;
    parts[4] = tag.slice(0, -1) + alphabet[alphabet.indexOf(tag.at(-1)!) ^ 1];
    const respelled = parts.join('.');
    expect(respelled).not.toBe(token);
    expect(await reasonOf(v.verify(respelled, { nonce: NONCE, now: NOW }))).toBe('replayed');
  });

  it('two devices whose verdicts are identical (same request, same millisecond) are two tokens, each accepted once', async () => {
    const store = new TestMemoryStore(() => NOW);
    const v = verifier({ replay: { store } });
    const payload = genuinePayload(NOW, { nonce: NONCE });
    const phoneA = await playToken(keys, payload);
    const phoneB = await playToken(keys, payload);
    expect(await reasonOf(v.verify(phoneA, { nonce: NONCE, now: NOW }))).toBe('passed');
    expect(await reasonOf(v.verify(phoneB, { nonce: NONCE, now: NOW }))).toBe('passed');
    expect(await reasonOf(v.verify(phoneA, { nonce: NONCE, now: NOW }))).toBe('replayed');
  });

  it('replay protection with a decoder is keyed by the token decoded: a re-spelling is refused, another token is not', async () => {
    const store = new TestMemoryStore(() => NOW);
    const payload = genuinePayload(NOW, { nonce: NONCE });
    const v = createPlayIntegrityVerifier({ packageName: PACKAGE, decoder: async () => payload, replay: { store } });
    const token = await playToken(keys, payload);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const parts = token.split('.');
    parts[4] = parts[4]!.slice(0, -1) + alphabet[alphabet.indexOf(parts[4]!.at(-1)!) ^ 1];
    await expect(v.verify(token, { nonce: NONCE, now: NOW })).resolves.toMatchObject({ via: 'decoder' });
    await expect(v.verify(parts.join('.'), { nonce: NONCE, now: NOW })).rejects.toMatchObject({ reason: 'replayed' });
    await expect(v.verify(await playToken(keys, payload), { nonce: NONCE, now: NOW })).resolves.toMatchObject({ via: 'decoder' });
  });

  it('an invalid token does not burn a replay slot', async () => {
    const store = new TestMemoryStore(() => NOW);
    const v = verifier({ replay: { store } });
    const token = await playToken(keys, genuinePayload(NOW, { nonce: NONCE }));
    expect(await reasonOf(v.verify(token, { nonce: 'other', now: NOW }))).toBe('nonce_mismatch');
    expect(store.calls.setIfAbsent).toBe(0);
  });
});

describe('Play Integrity: configuration and the injected decoder', () => {
  it('rejects keys of the wrong size or type at construction', () => {
    expect(() => verifier({ decryptionKey: randomBytes(16).toString('base64') })).toThrow(/AES-256/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
    expect(() => verifier({ verificationKey: rsa.toString('base64') })).toThrow(/P-256/);
    expect(() => verifier({ verificationKey: 'bm90IGEga2V5' })).toThrow(/SubjectPublicKeyInfo/);
    expect(() => createPlayIntegrityVerifier({ packageName: PACKAGE })).toThrow(/decoder/);
    expect(() => verifier({ verificationKey: undefined })).toThrow(/both/);
  });

  // Only tokens of the compact JWE shape reach a decoder.
  const GOOD = 'good.a.b.c.d';
  const BAD = 'bad.a.b.c.d';

  it('a decoded verdict goes through the same checks, without any key', async () => {
    const seen: string[] = [];
    const v = createPlayIntegrityVerifier({
      packageName: PACKAGE,
      decoder: async (token) => {
        seen.push(token);
        return token === GOOD ? genuinePayload(NOW, { requestHash: 'h1' }) : mutate((p) => (p.appIntegrity!.appRecognitionVerdict = 'UNRECOGNIZED_VERSION'));
      },
    });
    await expect(v.verify(GOOD, { requestHash: 'h1', now: NOW })).resolves.toMatchObject({ via: 'decoder' });
    expect(await reasonOf(v.verify(GOOD, { requestHash: 'h2', now: NOW }))).toBe('request_hash_mismatch');
    expect(await reasonOf(v.verify(BAD, { nonce: NONCE, now: NOW }))).toBe('app_unrecognized');
    expect(seen).toEqual([GOOD, GOOD, BAD]);
  });

  it('a failing decoder rejects with its own error (the shield fails closed), not a verdict', async () => {
    const v = createPlayIntegrityVerifier({
      packageName: PACKAGE,
      decoder: async () => {
        throw new Error('Google unreachable');
      },
    });
    await expect(v.verify(BAD, { nonce: NONCE, now: NOW })).rejects.toThrow('Google unreachable');
    await expect(v.verify(BAD, { nonce: NONCE, now: NOW })).rejects.not.toBeInstanceOf(PlayIntegrityError);
  });

  it('error messages never contain the token', async () => {
    const token = await playToken(keys, mutate((p) => (p.requestDetails!.requestPackageName = 'x')));
    try {
      await verifier().verify(token, { nonce: NONCE, now: NOW });
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(token.slice(0, 20));
    }
  });
});
