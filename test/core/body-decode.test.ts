import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BodyError } from '../../src/core/body.js';
import { decodeContentEncoding } from '../../src/core/body-decode.js';

const text = Buffer.from(JSON.stringify({ to: 'bob', amount: 25 }));
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof BodyError ? error.code : `not a BodyError: ${String(error)}`;
  }
};

describe('decodeContentEncoding', () => {
  it('decodes gzip, x-gzip, deflate, br and identity', () => {
    expect(decodeContentEncoding(gzipSync(text), 'gzip', 1000)).toEqual(text);
    expect(decodeContentEncoding(gzipSync(text), 'x-gzip', 1000)).toEqual(text);
    expect(decodeContentEncoding(deflateSync(text), 'Deflate', 1000)).toEqual(text);
    expect(decodeContentEncoding(brotliCompressSync(text), 'br', 1000)).toEqual(text);
    expect(decodeContentEncoding(text, 'identity', 1000)).toBe(text);
    expect(decodeContentEncoding(text, undefined, 1000)).toBe(text);
  });
  it('undoes stacked codings from the last applied', () => {
    expect(decodeContentEncoding(brotliCompressSync(gzipSync(text)), 'gzip, br', 1000)).toEqual(text);
  });
  it('refuses a decompression bomb by the limit on decoded bytes', () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    expect(codeOf(() => decodeContentEncoding(bomb, 'gzip', 1024 * 1024))).toBe('payload_too_large');
    expect(codeOf(() => decodeContentEncoding(brotliCompressSync(Buffer.alloc(5_000_000)), 'br', 1000))).toBe('payload_too_large');
    expect(codeOf(() => decodeContentEncoding(Buffer.alloc(2000), undefined, 1000))).toBe('payload_too_large');
  });
  it('refuses unknown codings and corrupt data with their codes', () => {
    expect(codeOf(() => decodeContentEncoding(text, 'compress', 1000))).toBe('unsupported_media_type');
    expect(codeOf(() => decodeContentEncoding(text, 'gzip', 1000))).toBe('payload_malformed');
  });
});
