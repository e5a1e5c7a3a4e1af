/**
 * LDAP filter injection: input that closes the application's filter and opens new clauses
 * (`*)(uid=*))(|(uid=*`, `admin*)((|userpassword=*)`, `*(|(mail=*))`). A lone `*` or a parenthesised remark passes.
 */
import { CH, skipRegexSpace } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the LDAP injection detector. */
export const LDAPI_RULES = { filterInjection: 'ldapi-filter-injection' } as const;

// Each alternative is a fixed shape with bounded classes: linear.
export const FILTER_INJECTION =
  /\(\s*[|&!]\s*\(|\)\s*\(\s*[|&!]?\s*[a-z][\w-]{0,40}\s*[~<>]?=|\*\s*\)\s*\(|\(\s*[|&!]\s*[a-z][\w-]{0,40}\s*[~<>]?=\s*\*|\*\s*\)\s*\)|\(\s*[a-z][\w-]{0,40}\s*=\s*\*\s*\)\s*\)/;

// The absolute TRUE and FALSE filters (`)(&)`, `)(|)`, RFC 4526) appended after closing the application's clause,
// and the fuzzing fragment `*()|&'`.
export const ABSOLUTE_FILTER = /\)\s*\(\s*[&|]\s*\)|\*\s*\(\s*\)\s*\|\s*&/;

/**
 * A necessary condition for either pattern above on `s` (lower-cased) with character classes `mask`: a `*` or an
 * `=`, or else a `(` followed by `|`, `&` or `!` (the only alternatives with neither, `(|(` and `)(&)`, contain one).
 * A parenthesised remark (`(dog is friendly) & call`) skips both patterns.
 */
export function mayBeFilterInjection(s: string, mask: number): boolean {
  if ((mask & CH.paren) === 0) return false;
  if ((mask & (CH.star | CH.equals)) !== 0) return true;
  return (mask & (CH.pipe | CH.amp | CH.bang)) !== 0 && opensOperator(s);
}

/**
 * A `(` followed by `|`, `&` or `!` after white space (skipped as `skipRegexSpace` does). A loop over the `(`s:
 * cheaper than a regex call on the short values that reach it.
 */
function opensOperator(s: string): boolean {
  for (let open = s.indexOf('('); open !== -1; open = s.indexOf('(', open + 1)) {
    const c = s.charCodeAt(skipRegexSpace(s, open + 1));
    if (c === 124 || c === 38 || c === 33) return true;
  }
  return false;
}

/** Creates the LDAP injection detector. */
export function createLdapiDetector(): Detector {
  return {
    category: 'ldapi',
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if (!mayBeFilterInjection(s, value.mask)) return undefined;
      if (FILTER_INJECTION.test(s) || ABSOLUTE_FILTER.test(s)) return { ruleId: LDAPI_RULES.filterInjection, category: 'ldapi', severity: SEVERITY.critical };
      return undefined;
    },
  };
}
