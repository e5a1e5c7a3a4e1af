/**
 * PHP filter-chain filter names (`convert.iconv.UTF8.CSISO2022KR`, `convert.base64-decode`): the pieces
 * `php://filter` chain generators build their payloads from, sent alone (LFI lists: php-filter-iconv). Plain values
 * (no syntax character), so the PHP detector must claim them. Names that only share a word pass.
 */
import { describe, expect, it } from 'vitest';
import { createPhpDetector, FILTER_CHAIN, PHP_RULES } from '../../../src/verifiers/payload-shield/php.js';
import { unsafeRegexReason } from '../../../src/verifiers/payload-shield/safe-regex.js';
import { ruleOf } from './helpers.js';
import { checkBody, verdicts } from './review-helpers.js';

const ATTACKS = [
  'convert.iconv.437.CP930',
  'convert.iconv.IBM1390.IBM939',
  'convert.iconv.L1.utf7',
  'convert.iconv.VISCII.MSZ_7795.3',
  'convert.iconv.UTF8/UTF16',
  'convert.iconv.UTF8.CSISO2022KR|convert.base64-decode|convert.iconv.UTF8.UTF7',
  'convert.base64-decode',
  'convert.quoted-printable-encode',
  'resource=x|convert.iconv.CP1255.CP1256',
];

describe('php filter-chain filter names', () => {
  it('are denied in a JSON body and in the query, as php-filter-chain', async () => {
    expect(await verdicts('path', ATTACKS)).toEqual(ATTACKS.map((a) => [a, false]));
    for (const a of ATTACKS) expect((await checkBody({}, {}, `file=${encodeURIComponent(a)}`)).allowed, a).toBe(false);
    expect((await checkBody({ path: 'convert.iconv.L1.utf7' })).detail).toContain('php-filter-chain@body.path');
    for (const a of ATTACKS) expect(ruleOf(createPhpDetector(), a), a).toBe(PHP_RULES.filterChain);
  });

  it('are read as plain values under a name that claims no plain value', async () => {
    // `path` and `file` send every plain value to the detectors by name; `note` and `q` do not. The Java detector's
    // dotted-name hint claims these too: with it off, the PHP detector's own claim must.
    expect((await checkBody({ note: 'convert.iconv.L1.utf7' })).detail).toContain('php-filter-chain@body.note');
    expect((await checkBody({}, {}, 'q=convert.iconv.437.CP930')).detail).toContain('php-filter-chain@query.q');
    const javaOff = { categories: { java: 'off' } } as const;
    expect((await checkBody({ note: 'convert.iconv.L1.utf7' }, javaOff)).detail).toContain('php-filter-chain@body.note');
    expect((await checkBody({}, javaOff, 'q=convert.base64-decode')).detail).toContain('php-filter-chain@query.q');
  });

  it('passes names and prose that only share its words', async () => {
    const benign = [
      'convert.iconv',
      'convert.js',
      'currency-convert.v2',
      'please convert. iconv.a.b later',
      'Convert.ToBase64String(bytes)',
      'convert.base64',
      'iconv.utf8.utf16',
      'reconvert.iconv.a.b',
    ];
    expect(await verdicts('path', benign)).toEqual(benign.map((b) => [b, true]));
  });

  it('has no nested quantifier, backreference or lookaround', () => {
    expect(unsafeRegexReason(FILTER_CHAIN)).toBeUndefined();
  });
});
