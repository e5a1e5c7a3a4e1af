/**
 * Detection targets, measured on the halves nobody tuned on, through createShield().check:
 * - the held half of the development corpus (../shared/waf-dev/corpus-dev.jsonl, split by a hash of the list entry):
 *   >= 90% of attacks overall, sqli and xss >= 95%, false positives on its benign requests <= 0.5%;
 * - the held half of the generated benign corpus (test/bench/benign-corpus.ts, split by a hash of the record id):
 *   false positives <= 0.5%.
 * The development corpus part is skipped with a message when the corpus is not present next to the project.
 */
import { describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import { BENIGN_ROUTES, generateBenignCorpus, splitHalf } from '../../bench/benign-corpus.js';
import { corpusAvailable, CORPUS_PATH, loadCorpus, splitKey, tally, toShieldRequest } from '../../bench/detection-corpus.js';

const available = corpusAvailable();
if (!available) console.warn(`payload-shield corpus test skipped: ${CORPUS_PATH} not found`);

describe.skipIf(!available)('detection targets on the held half of the dev corpus (default paranoia)', () => {
  it('meets the detection and false-positive targets', async () => {
    const records = loadCorpus().filter((r) => splitHalf(splitKey(r)) === 'held');
    const shield = createShield({ payload: {} });
    const flagged: boolean[] = [];
    for (const record of records) flagged.push(!(await shield.check(toShieldRequest(record))).allowed);
    const scores = tally(records, flagged);
    let attacks = 0;
    let caught = 0;
    for (const s of scores.values()) {
      if (s.category === 'benign') continue;
      attacks += s.total;
      caught += s.flagged;
    }
    const rate = (c: string) => scores.get(c)!.flagged / scores.get(c)!.total;
    expect(records.length).toBeGreaterThan(3000);
    expect(caught / attacks).toBeGreaterThanOrEqual(0.9);
    expect(rate('sqli')).toBeGreaterThanOrEqual(0.95);
    expect(rate('xss')).toBeGreaterThanOrEqual(0.95);
    expect(rate('benign')).toBeLessThanOrEqual(0.005);
  }, 120_000);
});

describe('false positives on the held half of the generated benign corpus (default paranoia)', () => {
  it('stays at or below 0.5%', async () => {
    const records = generateBenignCorpus().filter((r) => splitHalf(r.id) === 'held');
    const shield = createShield({ payload: {}, routes: BENIGN_ROUTES });
    let flagged = 0;
    for (const record of records) if (!(await shield.check(toShieldRequest(record))).allowed) flagged++;
    expect(records.length).toBeGreaterThan(11_000);
    expect(flagged / records.length).toBeLessThanOrEqual(0.005);
  }, 240_000);
});

describe('the generated benign corpus', () => {
  it('is deterministic, at least 20,000 requests, and split roughly in half', () => {
    const a = generateBenignCorpus();
    const b = generateBenignCorpus();
    expect(a.length).toBeGreaterThanOrEqual(20_000);
    expect(JSON.stringify(a.slice(0, 200))).toBe(JSON.stringify(b.slice(0, 200)));
    expect(a.map((r) => r.id)).toEqual(b.map((r) => r.id));
    const held = a.filter((r) => splitHalf(r.id) === 'held').length;
    expect(held / a.length).toBeGreaterThan(0.45);
    expect(held / a.length).toBeLessThan(0.55);
  });
});
