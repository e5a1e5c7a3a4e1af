/**
 * The strict RFC 9530 `Content-Digest` parser and the constant-time comparison: what is accepted, every class of
 * malformed value refused with a reason, and a fuzz run proving no input throws.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentDigestMatches, MAX_CONTENT_DIGEST_LENGTH, parseContentDigest } from '../../src/core/content-digest.js';

const body = Buffer.from('{"amount":100,"to":"alice"}');
const sha256 = createHash('sha256').update(body).digest('base64');
const sha512 = createHash('sha512').update(body).digest('base64');

function digests(value: string) {
  const parsed = parseContentDigest(value);
  if (!parsed.ok) throw new Error(`refused: ${parsed.reason}`);
  return parsed.digests;
}

describe('parseContentDigest', () => {
  it('accepts sha-256, sha-512, both, spaces/tabs around commas and unknown algorithms (ignored)', () => {
    expect([...digests(`sha-256=:${sha256}:`).keys()]).toEqual(['sha-256']);
    expect([...digests(`sha-512=:${sha512}:`).keys()]).toEqual(['sha-512']);
    expect([...digests(`sha-256=:${sha256}:,sha-512=:${sha512}:`).keys()]).toEqual(['sha-256', 'sha-512']);
    expect([...digests(`  sha-512=:${sha512}: ,\t sha-256=:${sha256}:`).keys()]).toEqual(['sha-512', 'sha-256']);
    expect([...digests(`md5=:${createHash('md5').update(body).digest('base64')}:, sha-256=:${sha256}:, x-custom=::`).keys()]).toEqual([
      'sha-256',
    ]);
    expect(digests(`sha-256=:${sha256}:`).get('sha-256')).toEqual(createHash('sha256').update(body).digest());
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['bad base64 character', `sha-256=:${sha256.slice(0, -2)}$=:`],
    ['base64url alphabet', `sha-256=:${createHash('sha256').update(body).digest('base64url')}:`],
    ['missing colons', `sha-256=${sha256}`],
    ['missing closing colon', `sha-256=:${sha256}`],
    ['missing opening colon', `sha-256=${sha256}:`],
    ['a string value', `sha-256="${sha256}"`],
    ['a bare key (boolean)', 'sha-256'],
    ['an integer value', 'sha-256=1'],
    ['duplicate keys', `sha-256=:${sha256}:, sha-256=:${sha256}:`],
    ['duplicate unknown keys', `md5=::, md5=::, sha-256=:${sha256}:`],
    ['parameters', `sha-256=:${sha256}:;q=1`],
    ['trailing comma', `sha-256=:${sha256}:,`],
    ['empty member', `sha-256=:${sha256}:,,sha-512=:${sha512}:`],
    ['upper-case key', `SHA-256=:${sha256}:`],
    ['key starting with a digit', `256=:${sha256}:`],
    ['unpadded base64', `sha-256=:${sha256.replace(/=+$/, '')}:`],
    ['too much padding', `sha-256=:${sha256}==:`],
    ['non-canonical last character', `sha-256=:${sha256.slice(0, -2)}B=:`],
    ['sha-256 of the wrong length', `sha-256=:${sha512}:`],
    ['sha-512 of the wrong length', `sha-512=:${sha256}:`],
    ['no supported algorithm', `md5=:${createHash('md5').update(body).digest('base64')}:`],
    ['garbage after the value', `sha-256=:${sha256}: x`],
    ['too many members', Array.from({ length: 9 }, (_, i) => `x${i}=::`).join(',') + `,sha-256=:${sha256}:`],
    ['huge header', `sha-256=:${sha256}:, x=:${'A'.repeat(MAX_CONTENT_DIGEST_LENGTH)}:`],
  ])('refuses %s', (_name, value) => {
    const parsed = parseContentDigest(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/^Content-Digest /);
  });

  it('never throws, and only ever returns digests of the right lengths (fuzz)', () => {
    const alphabet = fc.constantFrom(...'sha-256512=:,; \t"AQZaz09+/=*._'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: alphabet, maxLength: 200 })), (value) => {
        const parsed = parseContentDigest(value);
        if (parsed.ok) for (const [algorithm, bytes] of parsed.digests) expect(bytes.length).toBe(algorithm === 'sha-256' ? 32 : 64);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('contentDigestMatches', () => {
  it('matches the body and refuses any other body, also when one of two digests is wrong', () => {
    expect(contentDigestMatches(digests(`sha-256=:${sha256}:`), body)).toBe(true);
    expect(contentDigestMatches(digests(`sha-256=:${sha256}:, sha-512=:${sha512}:`), body)).toBe(true);
    expect(contentDigestMatches(digests(`sha-256=:${sha256}:`), Buffer.from('{"amount":999,"to":"alice"}'))).toBe(false);
    const otherSha512 = createHash('sha512').update('other').digest('base64');
    expect(contentDigestMatches(digests(`sha-256=:${sha256}:, sha-512=:${otherSha512}:`), body)).toBe(false);
    expect(contentDigestMatches(new Map(), body)).toBe(false);
    const empty = createHash('sha256').update('').digest('base64');
    expect(contentDigestMatches(digests(`sha-256=:${empty}:`), Buffer.alloc(0))).toBe(true);
  });
});
