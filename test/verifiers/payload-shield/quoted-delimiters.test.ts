/**
 * Quotes that do not end what they seem to: a `}` or `)` inside a template expression's string literal does not
 * close the expression (SSTI), and a backtick does not quote an HTML attribute value (XSS: browsers end the tag at
 * the `>` inside it, and the markup after it is live).
 */
import { describe, expect, it } from 'vitest';
import { verdicts } from './review-helpers.js';

describe('SSTI: a closing brace inside a string literal does not end the expression', () => {
  it('denies expressions that start with a quoted "}" or ")" as it denies them without', async () => {
    const payloads = ["{{'}'~['id']|map('system')|join}}", "{{'}'~['id','']|sort('passthru')}}", "{{'}'~7*7}}", '${"}"+7*7}', '@(")"+7*7)', "{{'\\'}'~7*7}}"];
    expect(await verdicts('name', payloads)).toEqual(payloads.map((p) => [p, false]));
  });

  it('still passes placeholders whose strings hold braces', async () => {
    const benign = ["{{ 'a } b' }}", 'Hello {{ name }}, see "{x}"', "{{ title }} ('}' marks the end)"];
    expect(await verdicts('name', benign)).toEqual(benign.map((p) => [p, true]));
  });
});

describe('XSS: a backtick is not an attribute quote in HTML', () => {
  it('denies a dangerous tag after an attribute value opened by a backtick, as it denies it alone', async () => {
    const alone = ['<iframe src=//evil.example>', '<base href=//evil.example>', '<svg>'];
    expect(await verdicts('comment', alone)).toEqual(alone.map((p) => [p, false]));
    const payloads = alone.map((tag) => `<b title=\`x>${tag}\``);
    expect(await verdicts('comment', payloads)).toEqual(payloads.map((p) => [p, false]));
  });

  it('still reads a backtick value that closes before any > (old IE quoting)', async () => {
    expect(await verdicts('comment', ['<a href=`javascript:alert(1)`>x</a>'])).toEqual([['<a href=`javascript:alert(1)`>x</a>', false]]);
  });
});
