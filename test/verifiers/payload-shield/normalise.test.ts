import { describe, expect, it } from 'vitest';
import { decodeHtmlEntities, decodeJsEscapes, decodeLenientUtf8, normalise, percentDecode } from '../../../src/verifiers/payload-shield/normalise.js';

describe('normalisation', () => {
  it('percent-decodes without throwing on malformed input', () => {
    expect(percentDecode('50% off %zz %')).toBe('50% off %zz %');
    expect(percentDecode('a%20b+c', true)).toBe('a b c');
    expect(percentDecode('%E2%82%AC')).toBe('€');
  });
  it('decodes %uXXXX and overlong UTF-8', () => {
    expect(percentDecode('%u003cscript%u003e')).toBe('<script>');
    expect(percentDecode('%c0%ae%c0%ae%c0%af')).toBe('../');
    expect(decodeLenientUtf8([0xc0, 0x2e])).toBe('.');
  });
  it('decodes HTML entities with and without semicolons and padding', () => {
    expect(decodeHtmlEntities('&lt;&#60;&#x3C;&#X00003c&#0000060;&colon;&unknown;')).toBe('<<<<<:&unknown;');
  });
  it('finds an entity after any number of plain ampersands, and leaves prose ampersands alone', () => {
    expect(decodeHtmlEntities('dog & cat && bird &&lt;script&GT;')).toBe('dog & cat && bird &<script>');
    expect(decodeHtmlEntities('a & b &\u00e9 &; &1 AT&T')).toBe('a & b &\u00e9 &; &1 AT&T');
    expect(decodeHtmlEntities('&&&#x3c;')).toBe('&&<');
  });
  it('decodes JS escapes', () => {
    expect(decodeJsEscapes('\\u003c\\x3e\\u{41}\\145')).toBe('<>Ae');
  });
  it('undoes stacked encodings within the round limit', () => {
    expect(normalise('%253Cscript%253E')).toBe('<script>');
    expect(normalise('%25252e', 2)).toBe('%2e');
  });
  it('returns the same string when nothing is encoded', () => {
    const s = 'plain value';
    expect(normalise(s)).toBe(s);
  });
});
