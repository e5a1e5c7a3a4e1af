/**
 * A jQuery (or `querySelector`) call with a quoted CSS id selector, `$('#id').hide()`, read after the quote is a
 * string `$(` closed and a MySQL `#` comment: the quote-break rule denied it. A quote that opens a call's argument
 * with an id selector closed by the same quote and the call's `)` is script; SQL breaks around it still fire.
 */
import { describe, expect, it } from 'vitest';
import { createSqliDetector } from '../../../src/verifiers/payload-shield/sqli.js';
import { ruleOf } from './helpers.js';

const sqli = createSqliDetector();

const SCRIPTS = [
  "$('#id').hide()",
  '$("#menu").toggle()',
  "$( '#sidebar' ).show();",
  "jQuery('#main-nav').addClass('open')",
  "document.querySelector('#app')",
  "$('#a').show(); $('#b').hide();",
  "$('#menu li.active').removeClass('active')",
  "$('#id', ctx).hide()",
];

// Quote breaks that look most like the scripts above: each must still fire. (`$('#id')' or '1'='1` and a quote break
// behind a selector are covered in sqli-selector-break.test.ts: read again as databases without `#` comments read them.)
const BREAKS = [
  "admin'#",
  "admin')#",
  "x'#id').hide()",
  "$(' #id').hide()",
  "$('#id' or 1=1)",
  // MySQL's `#` comment ends at a line break: what follows is SQL again.
  "$('#id')\n or 1=1 -- ",
  "f('#x'); drop table users; --",
  "admin\"#",
  "1('#id') union select password from users--",
];

describe('sqli quote break: a quoted id selector as a call argument', () => {
  it('passes jQuery and querySelector calls with a quoted #id selector', () => {
    expect(SCRIPTS.map((s) => [s, ruleOf(sqli, s)])).toEqual(SCRIPTS.map((s) => [s, undefined]));
  });

  it('still denies quote breaks with a # comment that are not that shape', () => {
    expect(BREAKS.map((s) => [s, ruleOf(sqli, s) !== undefined])).toEqual(BREAKS.map((s) => [s, true]));
  });
});
