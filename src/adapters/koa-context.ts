import type { IncomingMessage, ServerResponse } from 'node:http';
// Types only (erased at build): the composition root's decision, typed with the built-in modules.
import type { Decision } from '../shield.js';

/** The parts of a Koa context the adapter reads and writes (Koa 2 and 3). */
export interface KoaLikeContext {
  req: IncomingMessage;
  res: ServerResponse;
  app: { middleware?: unknown };
  method: string;
  url: string;
  originalUrl?: string;
  status: number;
  body: unknown;
  type: string;
  state: Record<string | symbol, unknown> & { shield?: Decision };
  request: { body?: unknown; rawBody?: unknown };
  params?: Record<string, string>;
  set(field: Record<string, string>): void;
}
