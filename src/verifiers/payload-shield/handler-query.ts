/**
 * The query the handler reads. The payload shield parses the raw query string itself (bracket keys, repeats and
 * pollution as sent), but the handler reads the framework's parse, which a query-parser setting or a custom parser
 * can shape differently (`qs` with `comma` or `allowDots`, Express 5's flat `simple` parser, Fastify 4 ending the
 * query at `;`). When the two differ, the handler's reading is inspected too and the `query` schema checks it.
 */
import type { PayloadRequest } from './inspection.js';

/**
 * The framework's parsed query when it differs from the shield's own parse (`own`, undefined for an empty query),
 * else undefined. Read only here: Express 5 and Koa parse on reading `query`. A framework query that is not an
 * object (a custom parser's string, say) is returned as is, to be inspected as a value.
 */
export function handlerQueryIfDifferent(request: PayloadRequest, own: Readonly<Record<string, unknown>> | undefined, maxDepth: number): unknown {
  const holder = request.parsedQueryFrom;
  if (holder === undefined) return undefined;
  const parsed = holder.query;
  if (parsed === undefined || parsed === null) return undefined;
  if (own === undefined) return isEmptyObject(parsed) ? undefined : parsed;
  return sameParse(own, parsed, maxDepth) ? undefined : parsed;
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return false;
  return true;
}

/**
 * True when `other` holds the same strings under the same keys and indices as `own`. The cost is bounded by `own`
 * (the shield's parse, itself bounded by the query limits): counting `other`'s keys stops at one more than `own`
 * has, and past `maxDepth` the two count as different (the walk then reports the depth).
 */
function sameParse(own: unknown, other: unknown, depthLeft: number): boolean {
  if (own === other) return true;
  if (typeof own !== 'object' || own === null || typeof other !== 'object' || other === null) return false;
  if (depthLeft <= 0) return false;
  if (Array.isArray(own)) {
    if (!Array.isArray(other) || other.length !== own.length) return false;
    for (let i = 0; i < own.length; i++) if (!sameParse(own[i], other[i], depthLeft - 1)) return false;
    return true;
  }
  if (Array.isArray(other)) return false;
  const mine = own as Record<string, unknown>;
  const theirs = other as Record<string, unknown>;
  let count = 0;
  for (const key in mine) if (Object.prototype.hasOwnProperty.call(mine, key)) count++;
  for (const key in theirs) {
    if (!Object.prototype.hasOwnProperty.call(theirs, key)) continue;
    if (--count < 0 || !Object.prototype.hasOwnProperty.call(mine, key)) return false;
    if (!sameParse(mine[key], theirs[key], depthLeft - 1)) return false;
  }
  return count === 0;
}
