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

