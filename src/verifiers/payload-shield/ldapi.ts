/**
 * LDAP filter injection: input that closes the application's filter and opens new clauses
 * (`*)(uid=*))(|(uid=*`, `admin*)((|userpassword=*)`, `*(|(mail=*))`). A lone `*` or a parenthesised remark passes.
 */
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the LDAP injection detector. */
export const LDAPI_RULES = { filterInjection: 'ldapi-filter-injection' } as const;

// Each alternative is a fixed shape with bounded classes: linear.
const FILTER_INJECTION =
  /\(\s*[|&!]\s*\(|\)\s*\(\s*[|&!]?\s*[a-z][\w-]{0,40}\s*[~<>]?=|\*\s*\)\s*\(|\(\s*[|&!]\s*[a-z][\w-]{0,40}\s*[~<>]?=\s*\*|\*\s*\)\s*\)|\(\s*[a-z][\w-]{0,40}\s*=\s*\*\s*\)\s*\)/;

// The absolute TRUE and FALSE filters (`)(&)`, `)(|)`, RFC 4526) appended after closing the application's clause,
// and the fuzzing fragment `*()|&'`.
const ABSOLUTE_FILTER = /\)\s*\(\s*[&|]\s*\)|\*\s*\(\s*\)\s*\|\s*&/;

/** Creates the LDAP injection detector. */
export function createLdapiDetector(): Detector {
  return {
    category: 'ldapi',
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if ((value.mask & CH.paren) === 0) return undefined;
      if (FILTER_INJECTION.test(s) || ABSOLUTE_FILTER.test(s)) return { ruleId: LDAPI_RULES.filterInjection, category: 'ldapi', severity: SEVERITY.critical };
      return undefined;
    },
  };
}
