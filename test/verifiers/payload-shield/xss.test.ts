import { describe, expect, it } from 'vitest';
import { createXssDetector } from '../../../src/verifiers/payload-shield/xss.js';
import { ruleOf } from './helpers.js';

const xss = createXssDetector();

describe('XSS detector', () => {
  it.each([
    ['<script>alert(1)</script>', 'xss-script-tag'],
    ['<ScRiPt src=//evil.example/x.js>', 'xss-script-tag'],
    ['<img src=x onerror=alert(1)>', 'xss-event-handler'],
    ['<img/src/onerror=alert(1)>', 'xss-event-handler'],
    ['<svg onload=alert(1)', 'xss-event-handler'],
    ['<a href="jav&#x09;ascript:alert(1)">x</a>', 'xss-script-url'],
    ['<iframe src="data:text/html,<b>x</b>">', 'xss-script-url'],
    ['javascript:alert(document.cookie)', 'xss-script-url'],
    ['" onmouseover="alert(1)', 'xss-attribute-breakout'],
    ["';alert(String.fromCharCode(88))//", 'xss-js-sink'],
    ['<div style="width: expression(alert(1))">', 'xss-dangerous-tag'],
    ['%3Cscript%3Ealert(1)%3C/script%3E', 'xss-script-tag'],
    ['&lt;script&gt;alert(1)&lt;/script&gt;', 'xss-script-tag'],
    ['\\u003cimg src=x onerror=alert(1)\\u003e', 'xss-event-handler'],
    ['</textarea><b>', 'xss-dangerous-tag'],
    ['<!--[if gte IE 4]><script>alert(1)</script><![endif]-->', 'xss-markup-declaration'],
    ["top['al\\x65rt'](1)", 'xss-js-sink'],
  ])('flags %s', (input, rule) => {
    expect(ruleOf(xss, input)).toBe(rule);
  });

  it.each([
    'I <3 this app',
    'a < b and b > c',
    'BLAH <A HREF="/FOO.HTML">FOO</A>',
    '<b>bold</b> and <i>italic</i>',
    'Turn the alarm on at 7',
    'The script was great',
    'see https://example.com/path?x=1',
    'email me: someone@example.com',
    'Red alert (level 2)',
    'C:\\Users\\me\\Documents',
  ])('passes %s', (input) => {
    expect(ruleOf(xss, input)).toBeUndefined();
  });
});
