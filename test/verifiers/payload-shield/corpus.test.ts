/**
 * Detection targets on the development corpus (../shared/waf-dev/corpus-dev.jsonl), through createShield().check:
 * >= 90% of attacks overall, sqli and xss >= 95%, false positives on benign requests <= 0.5%.
 * Skipped with a message when the corpus is not present next to the project.
 */
import { describe, expect, it } from 'vitest';
import { createShield } from '../../../src/shield.js';
import { corpusAvailable, CORPUS_PATH, loadCorpus, tally, toShieldRequest } from '../../bench/detection-corpus.js';

const available = corpusAvailable();
if (!available) console.warn(`payload-shield corpus test skipped: ${CORPUS_PATH} not found`);

describe.skipIf(!available)('detection targets on the dev corpus (default paranoia)', () => {
  it('meets the detection and false-positive targets', async () => {
    const records = loadCorpus();
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
    expect(caught / attacks).toBeGreaterThanOrEqual(0.9);
    expect(rate('sqli')).toBeGreaterThanOrEqual(0.95);
    expect(rate('xss')).toBeGreaterThanOrEqual(0.95);
    expect(rate('benign')).toBeLessThanOrEqual(0.005);
  }, 120_000);
});
