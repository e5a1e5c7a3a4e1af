/**
 * Ported from the payload review (review-payload2-ssti). Before the fix: (1) `expressionBody` ends an expression at its first `}`, so a dict literal (`{}`) at the start of a Jinja2/
 * Twig expression hides the rest of it; (2) only the first 16 delimited expressions of a value are looked at, so 16
 * placeholders hide a 17th that computes; (3) Razor `@(...)` is listed in EXPRESSION_OPEN but unreachable: the
 * detector returns before the loop for values with neither `{` nor `<`.
 */
import { describe, expect, it } from 'vitest';
import { checkBody, verdicts } from './review-helpers.js';

describe('SSTI expressions the detector never reads', () => {
  it('a dict literal at the start of the expression does not hide it', async () => {
    // Controls: the same expressions on a string literal are denied (ssti-template-expression).
    expect((await checkBody({ template: "{{ ''|attr(request.args.a) }}" })).allowed).toBe(false);
    expect((await checkBody({ template: '{{ 7*7 }}' })).allowed).toBe(false);
    const payloads = [
      '{{ {}|attr(request.args.a) }}',
      '{{ {}|attr(request.args.u*2~request.args.c~request.args.u*2) }}',
      "{{ {'a':1}|attr(request.args.c)|attr(request.args.g)(request.args.b)|attr(request.args.p)(request.args.cmd)|attr(request.args.r)() }}",
      '{{ {}|length + 7*7 }}',
    ];
    expect(await verdicts('template', payloads)).toEqual(payloads.map((p) => [p, false]));
  });

  it('16 placeholders do not hide the expression after them', async () => {
    const payloads = ['{{a}}'.repeat(16) + '{{7*7}}', '{{a}}'.repeat(16) + '{{ request.args }}', '${a}'.repeat(16) + '${7*7}'];
    expect(await verdicts('template', payloads)).toEqual(payloads.map((p) => [p, false]));
  });

  it('Razor @(...) expressions are read', async () => {
    const payloads = ['@(7*7)', '@(System.Diagnostics.Process.Start("cmd.exe","/c whoami"))', '@System.Diagnostics.Process.Start("notepad")'];
    expect(await verdicts('template', payloads)).toEqual(payloads.map((p) => [p, false]));
  });

  it('email addresses, @ mentions, placeholders and parenthesised asides still pass', async () => {
    const benign = ['mail jane.doe@example.com (work)', 'thanks @alice (and @bob)!', 'ping me @(work) tomorrow', 'Hello {{ name }}, your order ${orderId} shipped', '{{a}}'.repeat(40)];
    expect(await verdicts('template', benign)).toEqual(benign.map((p) => [p, true]));
  });

  it("the Jinja2/Twig probe {{7*'7'}} (in waf-dev as ssti) is denied like {{'7'*7}}", async () => {
    expect((await checkBody({ template: "{{'7'*7}}" })).allowed).toBe(false);
    expect((await checkBody({ template: "{{7*'7'}}" })).allowed).toBe(false);
  });
});
