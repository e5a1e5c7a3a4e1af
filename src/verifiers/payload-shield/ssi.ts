/**
 * Server-side includes and edge-side includes: `<!--#exec cmd=...-->`, `<!--#include virtual=...-->`,
 * `<esi:include src=...>`. An ordinary HTML comment passes.
 */
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the SSI/ESI detector. */
export const SSI_RULES = { directive: 'ssi-directive', esi: 'ssi-esi-tag' } as const;

const SSI_DIRECTIVE = /<!--\s*#\s*(?:exec|include|echo|config|printenv|set|fsize|flastmod|if|elif|else|endif)\b/;
const ESI_TAG = /<\s*esi\s*:\s*(?:include|inline|vars|eval|choose|when|otherwise|try|attempt|except|remove|debug|assign|function)\b/;

/** Creates the SSI/ESI detector. */
export function createSsiDetector(): Detector {
  return {
    category: 'ssi',
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if ((value.mask & CH.lt) === 0) return undefined;
      if (s.indexOf('<!--') !== -1 && SSI_DIRECTIVE.test(s)) return { ruleId: SSI_RULES.directive, category: 'ssi', severity: SEVERITY.critical };
      if (s.indexOf('esi') !== -1 && ESI_TAG.test(s)) return { ruleId: SSI_RULES.esi, category: 'ssi', severity: SEVERITY.critical };
      return undefined;
    },
  };
}
