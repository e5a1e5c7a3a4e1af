/**
 * Prototype pollution: keys that reach `Object.prototype` when a handler merges or assigns input
 * (`{"__proto__": {...}}`, `a[__proto__][x]=1`, `constructor[prototype][x]=1`, dotted `__proto__.x=1`).
 */
import { isPollutionKey } from './query-parser.js';
import { SEVERITY, type RuleHit } from './types.js';

/** Rule id for a prototype-pollution key. */
export const PROTO_RULE = 'proto-pollution-key';

const HIT: RuleHit = Object.freeze({ ruleId: PROTO_RULE, category: 'proto', severity: SEVERITY.critical });

/** Returns the rule hit when `key` is a prototype-pollution vector. */
export function detectPollutionKey(key: string): RuleHit | undefined {
  return isPollutionKey(key) ? HIT : undefined;
}
