/**
 * ORM filter injection: query-builder syntax that lets a client filter on a secret column and leak it one character
 * at a time. Django-style lookups in parameter names (`password__startswith=a`, `user__password__regex=^a`),
 * Prisma/Sequelize-style operator objects under a secret field (`{"password": {"startsWith": "a"}}`,
 * `{"resetToken": {"$like": "a%"}}`), and HQL functions that only exist in Hibernate queries (`elements(`,
 * `indices(` after a quote break is left to the SQL detector). `price__gte=10` passes: only secret columns count.
 */
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the ORM detector. */
export const ORM_RULES = { secretLookup: 'sqli-orm-secret-lookup' } as const;

const SECRET = '(?:password|passwd|pass_hash|password_hash|secret|token|reset_token|resettoken|api_?key|apikey|salt|otp|totp_secret|mfa_secret|hash)';
const LOOKUP = '(?:startswith|istartswith|endswith|iendswith|contains|icontains|regex|iregex|gt|gte|lt|lte|like|ilike|in|range)';
// `password__startswith`, `user__password__regex`, `filter[password][startsWith]`-style keys flattened by the parser.
const DJANGO_KEY = new RegExp(`(?:^|__)${SECRET}__${LOOKUP}$`);
const OPERATOR_KEYS = new Set(['startswith', 'endswith', 'contains', 'regex', 'like', 'ilike', '$like', '$ilike', '$regexp', '$startswith', '$substring', '$gt', '$gte', '$lt', '$lte', 'gt', 'gte', 'lt', 'lte', 'search']);
const SECRET_NAME = new RegExp(`^${SECRET}$`);

/** Creates the ORM filter injection detector (keys only). */
export function createOrmDetector(): Detector {
  return {
    category: 'sqli',
    // Django-style lookups (`password__startswith`) are plain keys.
    readsPlainValues: { words: ['__'] },
    detect(value: InspectedValue): RuleHit | undefined {
      if (value.role !== 'key' || value.raw.length > 80) return undefined;
      const s = value.lower;
      if (s.indexOf('__') !== -1 && DJANGO_KEY.test(s)) return { ruleId: ORM_RULES.secretLookup, category: 'sqli', severity: SEVERITY.critical };
      return undefined;
    },
  };
}

/**
 * True when `lowerKey` (a key already lower-cased: the walk lower-cases every key once) is a filter operator applied
 * to the secret column `parent` (`{"password": {"startsWith": ...}}`).
 */
export function isSecretOperator(parent: string, lowerKey: string): boolean {
  return OPERATOR_KEYS.has(lowerKey) && SECRET_NAME.test(parent.toLowerCase().replace(/[-\s]/g, '_'));
}
