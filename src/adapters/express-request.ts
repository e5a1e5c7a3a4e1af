import type { IncomingMessage, ServerResponse } from 'node:http';
// Types only (erased at build): the composition root's decision, typed with the built-in modules.
import type { Decision } from '../shield.js';

/** The parts of an Express request the adapter reads and writes. */
export interface ExpressLikeRequest extends IncomingMessage {
  originalUrl?: string;
  /** The mount path of the router (or sub-application) the request is in, as matched (`/api`); `''` at the root. */
  baseUrl?: string;
  body?: unknown;
  /** Express 5 gives a `*splat` parameter as an array of segments. */
  params?: Record<string, string | string[]>;
  app?: unknown;
  shield?: Decision;
}

/**
 * An Express middleware (Express 4 and 5). Structural, so the package needs no Express types, yet assignable to
 * Express's own `RequestHandler` (`const h: RequestHandler = expressShield(shield)`); test/types proves it.
 */
export type ExpressShieldMiddleware = (
  req: ExpressLikeRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;
