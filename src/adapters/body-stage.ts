/**
 * What the Express and Koa body-stage middlewares share: the mark that lets the global middleware find them, and
 * the rule that decides whether a body can be left to them. The body stage runs after the application's own body
 * parser and inspects exactly what that parser produced; the global middleware, mounted before the parser, runs
 * the header stage only when a body stage is mounted to finish the check, and otherwise judges the body as
 * unparsed (415 where a body-stage verifier applies), so a body never reaches a handler uninspected because the
 * body stage was forgotten.
 */
import type { Shield } from '../core/shield.js';
import { callHook } from '../core/hooks.js';

/** Marks a body-stage middleware with the shield it finishes checks for. */
export const BODY_STAGE = Symbol.for('mobile-api-shield.body-stage');

/** Marks `middleware` as the body stage of `shield`. */
export function markBodyStage<T extends object>(middleware: T, shield: Shield): T {
  Object.defineProperty(middleware, BODY_STAGE, { value: shield });
  return middleware;
}

/** True when `handler` is a body-stage middleware of this shield. */
export function isBodyStageOf(handler: unknown, shield: Shield): boolean {
  return (handler as { [BODY_STAGE]?: Shield } | null | undefined)?.[BODY_STAGE] === shield;
}

const MAX_DEPTH = 8;

/**
 * Searches a middleware tree (Express router stacks and route stacks, Koa `app.middleware` and @koa/router layers)
 * for a body-stage middleware of this shield. Only a found one is cached (per app), so one mounted after the first
 * request is still found later; an app without one pays a walk of its stack per request that has a body.
 */
export function createBodyStageFinder(children: (node: unknown) => readonly unknown[] | undefined): (root: unknown, shield: Shield) => boolean {
  const found = new WeakMap<object, WeakSet<Shield>>();
  function search(node: unknown, shield: Shield, depth: number): boolean {
    if (isBodyStageOf(node, shield)) return true;
    if (depth > MAX_DEPTH) return false;
    let list: readonly unknown[] | undefined;
    try {
      list = children(node);
    } catch {
      return false;
    }
    if (list === undefined) return false;
    for (const child of list) if (search(child, shield, depth + 1)) return true;
    return false;
  }
  return (root, shield) => {
    if (root === null || (typeof root !== 'object' && typeof root !== 'function')) return false;
    if (found.get(root)?.has(shield)) return true;
    if (!search(root, shield, 0)) return false;
    let shields = found.get(root);
    if (!shields) found.set(root, (shields = new WeakSet()));
    shields.add(shield);
    return true;
  };
}

const warnedNoBodyStage = new WeakSet<Shield>();

/** The error `onError` receives (once per shield) when bodies arrive and no body stage of the shield is mounted. */
export class BodyStageMissingWarning extends Error {
  readonly code = 'body_stage_missing';

  constructor(mount: string) {
    super(`a request body arrived before any parser, and no ${mount} is mounted after your body parser: bodies are refused 415 wherever body checks apply`);
    this.name = 'BodyStageMissingWarning';
  }
}

/**
 * Called by a global middleware that judges a body as unparsed because no body stage is mounted: tells `onError`
 * once, so an app upgraded without adding the body stage sees why its bodies are refused.
 */
export function warnNoBodyStage(shield: Shield, mount: string): void {
  if (!shield.hasBodyStage || warnedNoBodyStage.has(shield)) return;
  warnedNoBodyStage.add(shield);
  callHook(shield.config.onError, new BodyStageMissingWarning(mount), { verifier: 'adapter', reference: '' });
}
