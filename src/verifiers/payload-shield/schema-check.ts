/**
 * The route schemas (`schemas: { body, query, params }`), run through the Standard Schema v1 interface. A validator
 * may answer with a Promise (an async refinement): the answer is then a Promise too, which the verifier awaits under
 * the shield's verifier deadline (a validator that never settles ends as `shield_unavailable`, fail closed).
 */
import { MAX_DETAIL_HITS, NO_HITS, type PayloadVerdict } from './verdict.js';
import { formatLocation } from './location.js';
import type { StandardSchemaIssue, StandardSchemaProps, StandardSchemaResult } from './standard-schema.js';

type Part = 'body' | 'query' | 'params';
type Schemas = { readonly [part in Part]?: StandardSchemaProps };

/** A verdict now, or later when a validator answered asynchronously. */
export type MaybePending<T> = T | Promise<T>;

/** True for a Promise or any other thenable (a validator may use its own Promise implementation). */
export function isPending<T>(value: MaybePending<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

const ignore = (): void => {};

function keyOf(segment: PropertyKey | { readonly key: PropertyKey }): string | number {
  const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
  return typeof key === 'number' ? key : String(key);
}

function schemaDeny(part: Part, issues: readonly StandardSchemaIssue[]): PayloadVerdict {
  // Path and, from zod, the issue code (`body.items[1].qty:invalid_type`): where and what kind, never the value.
  const paths = issues.slice(0, MAX_DETAIL_HITS).map((issue) => {
    const code = (issue as { code?: unknown }).code;
    const where = formatLocation(part, (issue.path ?? []).map(keyOf));
    return typeof code === 'string' ? `${where}:${code}` : where;
  });
  return { action: 'deny', code: 'payload_invalid', detail: `schema failed at ${[...new Set(paths)].join(',')}`, score: 0, hits: NO_HITS };
}

function verdictOf(part: Part, result: StandardSchemaResult<unknown>): PayloadVerdict | undefined {
  if (typeof result !== 'object' || result === null) {
    // Not a Standard Schema answer: the validator is broken, so nothing was decided (an error fails closed).
    throw new TypeError(`the ${part} schema's validate answered neither a value nor issues`);
  }
  return result.issues !== undefined ? schemaDeny(part, result.issues) : undefined;
}

/**
 * Validates body, query and params with the route's schemas: undefined when all pass, else the 422 verdict of the
 * first that fails (body, then query, then params), or a Promise of either when a validator answered with one.
 */
export function checkSchemas(
  schemas: Schemas,
  values: { readonly [part in Part]: unknown },
): MaybePending<PayloadVerdict | undefined> {
  let pending: Promise<PayloadVerdict | undefined>[] | undefined;
  for (const part of ['body', 'query', 'params'] as const) {
    const schema = schemas[part];
    if (schema === undefined) continue;
    const result = schema.validate(values[part]);
    if (isPending(result)) {
      (pending ??= []).push(Promise.resolve(result).then((r) => verdictOf(part, r)));
      continue;
    }
    const verdict = verdictOf(part, result);
    if (verdict !== undefined) {
      // Decided: a validator still running can no longer change the answer; its failure must not go unhandled.
      for (const p of pending ?? []) p.catch(ignore);
      return verdict;
    }
  }
  if (pending === undefined) return undefined;
  return Promise.all(pending).then((verdicts) => verdicts.find((v) => v !== undefined));
}
