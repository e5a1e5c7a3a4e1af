import type { ProblemResponse } from '../core/problem.js';

/** The parts of a Koa context a denial writes. */
export interface KoaAnswerable {
  status: number;
  body: unknown;
  type: string;
  set(field: Record<string, string>): void;
}

/** Answers a denial on a Koa context: the problem's status, headers and problem+json body. */
export function writeKoaProblem(ctx: KoaAnswerable, problem: ProblemResponse): void {
  ctx.status = problem.status;
  ctx.set(problem.headers);
  ctx.body = JSON.stringify(problem.body);
  ctx.type = problem.headers['content-type'] ?? 'application/problem+json';
}

/** The HTTP status an error thrown downstream will become (`ctx.throw(401)`); 500 for anything else. */
export function thrownStatus(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : 500;
}
