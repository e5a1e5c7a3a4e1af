/**
 * A copy of a request's body bytes taken as Node's HTTP parser pushes them into the request stream, for parsers
 * without a raw-body hook (koa-bodyparser, @koa/bodyparser). The stream itself is untouched: the app's parser reads
 * it as always. Taken only for requests a verifier asks about (device body binding), up to a limit.
 */
import type { IncomingMessage } from 'node:http';

const TAP = Symbol('mobile-api-shield.raw-tap');

interface Tap {
  readonly chunks: Buffer[];
  size: number;
  over: boolean;
  ended: boolean;
}

type Tapped = IncomingMessage & { [TAP]?: Tap };

/**
 * Starts copying the bytes pushed into `req` from now on. Does nothing when some bytes are already buffered or read
 * (the copy would be incomplete, so there is none and the verifier treats the body as unseen).
 */
export function tapRawBody(req: IncomingMessage, limitBytes: number): void {
  const tapped = req as Tapped;
  if (tapped[TAP] !== undefined || req.readableLength > 0 || req.readableEnded) return;
  const tap: Tap = { chunks: [], size: 0, over: false, ended: false };
  tapped[TAP] = tap;
  const push = req.push;
  req.push = function tappedPush(this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) tap.ended = true;
    else if (!tap.over && Buffer.isBuffer(chunk)) {
      tap.size += chunk.length;
      if (tap.size > limitBytes) {
        tap.over = true;
        tap.chunks.length = 0;
      } else tap.chunks.push(chunk);
    }
    return push.call(this, chunk, encoding);
  };
}

/** The tapped bytes, once the stream ended within the limit; undefined otherwise. */
export function tappedRawBody(req: IncomingMessage): Buffer | undefined {
  const tap = (req as Tapped)[TAP];
  if (tap === undefined || tap.over || !tap.ended) return undefined;
  return tap.chunks.length === 1 ? tap.chunks[0] : Buffer.concat(tap.chunks, tap.size);
}
