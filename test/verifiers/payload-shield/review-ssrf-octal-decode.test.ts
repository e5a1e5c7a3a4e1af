/**
 * SSRF: the normaliser decoded `\NNN` as an octal escape even after another backslash, so the WHATWG backslash form
 * `http:\\127.0.0.1\` (Node reads host 127.0.0.1) became `http:\W.0.0.1\` before the SSRF detector read it; with a
 * single backslash (`http:/\127.0.0.1/`) the decoding is right for JavaScript but not what `fetch` gets, so the
 * SSRF detector reads the value as sent too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../helpers/adapters.js';
import { decodeJsEscapes, normalise } from '../../../src/verifiers/payload-shield/normalise.js';
import { postJson, startExpress, verdicts } from './review-helpers.js';

const PAYLOADS = [
  'http:\\\\127.0.0.1\\',
  'http:/\\127.0.0.1:6379/',
  'https:\\\\127.0.0.1/',
  'http:\\\\172.17.0.1:2375\\containers\\json',
  'http:\\\\100.100.100.200\\latest\\meta-data',
  'http:\\\\2130706433/',
  'http:\\127.0.0.1/',
  'http://\\127.0.0.1/',
];

/** Backslashes before digits that are no internal host: Windows and UNC paths, a public host. */
const BENIGN = [
  'C:\\Users\\2019\\report.docx',
  '\\\\fileserver\\2019\\q3.xlsx',
  'http:\\\\example.com\\123\\x',
  'https://example.com/a\\101b',
];

describe('SSRF backslash authorities whose host starts with octal-looking digits', () => {
  it('the normaliser keeps digits after an escaped backslash and still decodes octal escapes', () => {
    expect(normalise('http:\\\\127.0.0.1\\')).toBe('http:\\\\127.0.0.1\\');
    expect(normalise('\\\\server\\\\2019')).toBe('\\\\server\\\\2019');
    // Odd runs: the last backslash starts the escape; `\u`/`\x` after an even run still decode.
    expect(decodeJsEscapes('\\\\\\127')).toBe('\\\\W');
    expect(decodeJsEscapes('al\\145rt')).toBe('alert');
    expect(decodeJsEscapes('\\\\u003c')).toBe('\\<');
    expect(decodeJsEscapes('\\u003c\\x3e\\u{41}\\145')).toBe('<>Ae');
  });

  it('check() denies them (Node reads the internal host) and allows backslash paths', async () => {
    expect(new URL(PAYLOADS[0]!).hostname).toBe('127.0.0.1');
    expect(new URL(PAYLOADS[3]!).hostname).toBe('172.17.0.1');
    expect(new URL(PAYLOADS[4]!).hostname).toBe('100.100.100.200');
    expect(await verdicts('webhook_url', PAYLOADS)).toEqual(PAYLOADS.map((p) => [p, false]));
    expect(await verdicts('attachment', BENIGN)).toEqual(BENIGN.map((p) => [p, true]));
  });

  describe('over HTTP (express5)', () => {
    let app: RunningApp;
    let port: number;
    beforeAll(async () => ({ app, port } = await startExpress()));
    afterAll(() => app.close());
    it('refuses them in a JSON body', async () => {
      for (const url of PAYLOADS) expect([url, await postJson(port, { image_url: url })]).toEqual([url, 403]);
    });
  });
});
