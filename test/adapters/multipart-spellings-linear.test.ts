/**
 * `partSpellings` reads every part's Content-Disposition parameters from the bytes as sent. Its parameter pattern had
 * two white-space runs around an optional `*` that could share the same spaces: a part header with a long run of
 * spaces after a parameter name and no `=` took quadratic time (16,000 spaces 105 ms, 300,000 about half a minute),
 * inside the body limit. A liveness bound, generous as the payload shield's ReDoS tests are, not a speed target.
 */
import { describe, expect, it } from 'vitest';
import { partSpellings } from '../../src/adapters/multipart-spellings.js';

const BOUNDARY = 'SpellingsBoundary';
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`;
const body = (disposition: string): Buffer =>
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\nvalue\r\n--${BOUNDARY}--\r\n`, 'latin1');

describe('partSpellings on a long run of spaces in a part header', () => {
  it('answers within a liveness bound and still reads the parameters around it', () => {
    const started = Date.now();
    const spelled = partSpellings(body(`form-data; a${' '.repeat(300_000)}x; name="note"; name*=utf-8''url`), TYPE);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(spelled).toEqual([{ names: ['note', 'url'], filenames: [] }]);
  });

  it('reads a starred parameter with spaces around the star', () => {
    expect(partSpellings(body(`form-data; name="f"; filename="a.png"; filename *= utf-8''..%2Fetc%2Fpasswd`), TYPE)).toEqual([
      { names: ['f'], filenames: ['a.png', '../etc/passwd'] },
    ]);
  });
});
