/**
 * NoSQL (MongoDB) operator injection: operator keys (`{"$ne": ""}`, `user[$gt]=`, `user.$gt=`) and server-side JavaScript
 * (`$where`, `this.password.match(...)`, `;return true`). `$ref`, `$id`, `$schema` and other JSON-Schema / JSON-LD
 * keys are not Mongo operators and pass.
 */
import { CH } from './char-classes.js';
import { GATE } from './gate-words.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the NoSQL injection detector. */
export const NOSQLI_RULES = {
  operatorKey: 'nosqli-operator-key',
  operatorInString: 'nosqli-operator-in-string',
  serverJs: 'nosqli-server-javascript',
} as const;

/** MongoDB query and aggregation operators that change what a query matches or runs. */
export const MONGO_OPERATORS: ReadonlySet<string> = new Set([
  '$ne', '$eq', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$regex', '$options', '$where', '$exists', '$expr',
  '$or', '$and', '$nor', '$not', '$elemmatch', '$size', '$type', '$mod', '$all', '$function', '$accumulator',
  '$jsonschema', '$text', '$search', '$lookup', '$match', '$group', '$project', '$set', '$unset', '$push',
  '$pull', '$inc', '$rename', '$merge', '$out', '$facet', '$graphlookup', '$unionwith', '$natural', '$slice',
  '$bitsallset', '$bitsanyset', '$geowithin', '$near', '$comment_',
  // Update operators: a body handed to `updateOne(filter, req.body)` writes with any of them as `$push` does.
  '$addtoset', '$max', '$min', '$mul', '$setoninsert', '$currentdate', '$pop', '$pullall', '$bit',
  // Pipeline stages that rewrite or copy documents, as `$lookup`/`$merge`/`$out` above.
  '$replaceroot', '$replacewith', '$addfields',
]);

const OPERATOR_IN_STRING = /(?:^|[{,\s"'])\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|expr|or|and|nor|not|elemmatch|function|accumulator)\b\s*["']?\s*:/;
const SERVER_JS =
  /\bthis\s*\.\s*[a-z_$][\w$]*\s*(?:\.\s*(?:match|constructor|length|tostring|valueof)\b|[=!]=|\[)|;\s*return\s+(?:true|false|1|0|this|db)\b|\bdb\s*\.\s*[a-z_$][\w$]*\s*\.\s*(?:find|findone|insert|update|remove|drop|mapreduce|aggregate|count)\s*\(|\bsleep\s*\(\s*\d|\bfunction\s*\(\s*\)\s*\{[^}]{0,200}\breturn\b|^\s*(?:true|1|0)\s*,\s*\$where\b|['"]\s*(?:&&|\|\|)\s*this\b/;

/** Reading the clock in JavaScript (`new Date()`, `Date.now()`), and a loop around it (`do {`, `while (`, `for (`). */
const CLOCK_READ = /\bnew\s+date\s*\(\s*\)|\bdate\s*\.\s*now\s*\(\s*\)/;
const BUSY_LOOP = /\bdo\s*\{|\bwhile\s*\(|\bfor\s*\(/;

/** Bracket segments looked at per key at most (a key of thousands of `[$x]` is bounded work). */
const MAX_BRACKET_SEGMENTS = 16;

/**
 * True when a key spells an operator in bracket syntax (`username[$ne]`, `a[b][$regex]`): a flat form parser
 * (`express.urlencoded({ extended: false })`) leaves it a key, which a `qs`-style parser on the same route, or a
 * later one, expands into `{ username: { $ne: ... } }`. No application names a field so.
 */
function hasBracketOperator(s: string): boolean {
  let from = s.indexOf('[$');
  for (let seen = 0; from !== -1 && seen < MAX_BRACKET_SEGMENTS; seen++) {
    const end = s.indexOf(']', from + 2);
    if (end === -1) return false;
    if (MONGO_OPERATORS.has(s.slice(from + 1, end))) return true;
    from = s.indexOf('[$', end + 1);
  }
  return false;
}

/**
 * True when a key spells an operator in dotted syntax (`username.$ne`, `a.b.$regex`): a query parser with dots on
 * (`qs` with `allowDots`, as Fastify's `querystringParser` may be) expands it into `{ username: { $ne: ... } }`,
 * which the shield's own bracket-only query parse leaves a key. Bounded as `hasBracketOperator`.
 */
function hasDottedOperator(s: string): boolean {
  let from = s.indexOf('.$');
  for (let seen = 0; from !== -1 && seen < MAX_BRACKET_SEGMENTS; seen++) {
    let end = from + 2;
    while (end < s.length && s.charCodeAt(end) !== 46 /* . */ && s.charCodeAt(end) !== 91 /* [ */) end++;
    if (MONGO_OPERATORS.has(s.slice(from + 1, end))) return true;
    from = s.indexOf('.$', end);
  }
  return false;
}

/** Creates the NoSQL injection detector. */
export function createNosqliDetector(): Detector {
  return {
    category: 'nosqli',
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if (value.role === 'key') {
        if (s.charCodeAt(0) === 36 /* $ */ && MONGO_OPERATORS.has(s)) {
          return { ruleId: NOSQLI_RULES.operatorKey, category: 'nosqli', severity: SEVERITY.critical };
        }
        if ((value.mask & (CH.bracket | CH.dollar)) === (CH.bracket | CH.dollar) && hasBracketOperator(s)) {
          return { ruleId: NOSQLI_RULES.operatorKey, category: 'nosqli', severity: SEVERITY.critical };
        }
        if ((value.mask & CH.dollar) !== 0 && hasDottedOperator(s)) {
          return { ruleId: NOSQLI_RULES.operatorKey, category: 'nosqli', severity: SEVERITY.critical };
        }
        return undefined;
      }
      if ((value.mask & (CH.dollar | CH.paren | CH.semicolon | CH.amp | CH.pipe | CH.quote | CH.equals)) === 0) return undefined;
      if ((value.mask & CH.dollar) !== 0 && OPERATOR_IN_STRING.test(s)) {
        return { ruleId: NOSQLI_RULES.operatorInString, category: 'nosqli', severity: SEVERITY.critical };
      }
      if ((value.gates & (GATE.this | GATE.return | GATE.db | GATE.sleep)) !== 0 && SERVER_JS.test(s)) {
        return { ruleId: NOSQLI_RULES.serverJs, category: 'nosqli', severity: SEVERITY.critical };
      }
      // A time-based blind probe for `$where` without `sleep`: a loop that spins on the clock.
      if ((value.gates & GATE.date) !== 0 && CLOCK_READ.test(s) && BUSY_LOOP.test(s)) {
        return { ruleId: NOSQLI_RULES.serverJs, category: 'nosqli', severity: SEVERITY.critical };
      }
      return undefined;
    },
  };
}
