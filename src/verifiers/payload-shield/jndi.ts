/**
 * JNDI / Log4Shell lookups: `${jndi:ldap://...}` and its obfuscations (`${${lower:j}ndi:...}`,
 * `${${::-j}${::-n}di:...}`, `${${env:X:-j}ndi...}`), and the other Log4j lookups that leak data (`${env:AWS_...}`,
 * `${sys:...}`, `${java:version}`). A `${name}` placeholder passes.
 */
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the JNDI detector. */
export const JNDI_RULES = { jndi: 'jndi-lookup', lookup: 'jndi-log4j-lookup' } as const;

const LOOKUP_PREFIX = /\$\{\s*(?:jndi|env|sys|java|lower|upper|ctx|main|date|base64|bundle|k8s|docker|spring|web|log4j|marker|sd|map|event|jvmrunargs|\$\{|::-|[a-z]*:[^}]{0,40}:-)/;
const NESTED_DEFAULT = /\$\{[^${}]{0,60}:-([^${}]{0,10})\}|\$\{(?:lower|upper):([^${}]{0,10})\}/g;

/** Resolves nested `${x:-y}` / `${lower:y}` lookups to `y`, innermost first, a bounded number of times. */
export function resolveLog4jNesting(input: string): string {
  let current = input.length > 4096 ? input.slice(0, 4096) : input;
  for (let round = 0; round < 8; round++) {
    const next = current.replace(NESTED_DEFAULT, (_m, a: string | undefined, b: string | undefined) => a ?? b ?? '');
    if (next === current) break;
    current = next;
  }
  return current;
}

/** Creates the JNDI/Log4Shell detector. */
export function createJndiDetector(): Detector {
  return {
    category: 'jndi',
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if ((value.mask & (CH.dollar | CH.brace)) !== (CH.dollar | CH.brace)) return undefined;
      const at = s.indexOf('${');
      if (at === -1) return undefined;
      const resolved = resolveLog4jNesting(s.slice(at));
      if (/\$\{\s*jndi\s*:/.test(resolved) || /jndi\s*:\s*(?:ldaps?|rmi|dns|iiop|corba|nds|nis|http)/.test(resolved)) {
        return { ruleId: JNDI_RULES.jndi, category: 'jndi', severity: SEVERITY.critical };
      }
      if (LOOKUP_PREFIX.test(s)) return { ruleId: JNDI_RULES.lookup, category: 'jndi', severity: SEVERITY.critical };
      return undefined;
    },
  };
}
