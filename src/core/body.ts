/**
 * Body helpers for the framework-free core. The shield inspects the body the application's parser produced and
 * never parses one for the app; `readRawBody` reads bytes within a limit where an adapter must (multipart fields),
 * `parseBody` is kept for direct use (tests, the detection benchmark). Errors are `BodyError`s with a stable denial
 * code, which the core turns into a deny (not into `shield_unavailable`).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ShieldDenyError } from './errors.js';

/** Why a body could not be read or parsed; `code` is the denial code the core answers with. */
export class BodyError extends ShieldDenyError {
  declare readonly code: 'payload_too_large' | 'payload_malformed' | 'unsupported_media_type';

  constructor(code: BodyError['code'], message: string) {
    super(code, message);
    this.name = 'BodyError';
  }
}

function declaredLength(stream: Readable): number | undefined {
  const headers = (stream as Partial<IncomingMessage>).headers;
  const raw = headers?.['content-length'];
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * Reads a request stream completely. Rejects with `BodyError('payload_too_large')` when the declared
 * Content-Length or the bytes actually received exceed `limitBytes` (it stops buffering at once), and rejects
 * instead of hanging when the client aborts or the stream errors.
 */
export function readRawBody(stream: Readable, limitBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const declared = declaredLength(stream);
    if (declared !== undefined && declared > limitBytes) {
      // Drain nothing: the caller answers 413 and the connection is closed or discarded by the framework.
      stream.pause();
      reject(new BodyError('payload_too_large', `declared body of ${declared} bytes exceeds ${limitBytes}`));
      return;
    }
    if (stream.readableEnded) {
      // Already consumed by someone else: nothing more will arrive.
      resolve(Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('aborted', onAborted);
      stream.off('close', onClose);
    };
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      chunks.length = 0;
      reject(error);
    };
    const onData = (chunk: Buffer | string): void => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += buffer.length;
      if (received > limitBytes) {
        stream.pause();
        fail(new BodyError('payload_too_large', `body exceeds ${limitBytes} bytes`));
        return;
      }
      chunks.push(buffer);
    };
    const onEnd = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    };
    const onError = (error: Error): void => fail(error);
    const onAborted = (): void => fail(new Error('request aborted before the body was complete'));
    // 'close' without 'end' means the peer went away; without this the promise could wait forever.
    const onClose = (): void => fail(new Error('request closed before the body was complete'));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('aborted', onAborted);
    stream.on('close', onClose);
    if (stream.destroyed) onClose();
    else stream.resume();
  });
}

/** The media type of a Content-Type header: lower case, parameters dropped. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** True for `application/json` and any `+json` suffix type (`application/problem+json`). */
export function isJsonType(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

function isTextualType(type: string): boolean {
  return (
    type.startsWith('text/') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/graphql' ||
    type === 'application/x-ndjson'
  );
}

/**
 * True for the media types the shield reads and inspects itself: JSON, URL-encoded forms and textual types (XML
 * for XXE). Anything else (multipart uploads, binary) is left in its stream for the application's own parser; the
 * payload shield still checks its declared size and media type.
 */
export function isInspectableType(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return isJsonType(type) || type === 'application/x-www-form-urlencoded' || isTextualType(type);
}

/** Turns a URL-encoded form body into a value; the composition root supplies the payload shield's parser. */
export type FormParser = (text: string) => unknown;

/** Without a form parser: flat keys on a null-prototype object, repeated keys as arrays (no `__proto__` pollution). */
const flatForm: FormParser = (text) => {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of new URLSearchParams(text)) {
    const prior = out[key];
    out[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
};

/**
 * Parses raw body bytes by content type: empty → undefined; JSON (and `+json`) → the parsed value (bad JSON throws
 * `BodyError('payload_malformed')`); `application/x-www-form-urlencoded` → `parseForm` (by default flat keys on a
 * null-prototype object, repeated keys as arrays, so `__proto__` can never pollute); other textual types → string;
 * anything else → the Buffer itself.
 */
export function parseBody(raw: Buffer, contentType: string | undefined, parseForm: FormParser = flatForm): unknown {
  if (raw.length === 0) return undefined;
  const type = mediaType(contentType);
  if (isJsonType(type)) {
    const text = raw.toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new BodyError('payload_malformed', 'body is not valid JSON');
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return parseForm(raw.toString('utf8'));
  }
  if (isTextualType(type)) return raw.toString('utf8');
  return raw;
}

/** The `charset` parameter of a Content-Type header, lower case and unquoted; undefined without one. */
function charsetOf(contentType: string): string | undefined {
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq !== -1 && param.slice(0, eq).trim().toLowerCase() === 'charset') return param.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return undefined;
}

/** `bytes` in the charset `label` (WHATWG labels: utf-16le, latin1...), one leading BOM dropped; undefined for an unknown label. */
function decodeAs(bytes: Uint8Array, label: string): string | undefined {
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return undefined;
  }
}

/** A text as the handler reads it under `type`: JSON parsed (the text itself when it does not parse), a form's fields, else the text. */
function textAsRead(text: string, type: string): unknown {
  if (isJsonType(type)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return type === 'application/x-www-form-urlencoded' ? flatForm(text) : text;
}

/**
 * The body a check inspects when the app's parser left it as bytes (`express.raw()`, raw-body in a Koa route): under a
 * media type the shield reads ({@link isInspectableType}: JSON, a form, text), the handler reads those bytes as that
 * type, so the check reads them so too: JSON parsed (the text when it does not parse), a form's fields (flat keys,
 * null prototypes), text as one value. The bytes are read as UTF-8 (as `buffer.toString()` and `JSON.parse(buffer)`
 * read them) and, when another charset is declared and reads them differently, in that charset too: then both
 * readings, as a two-element array. Any other body, bytes under another media type included, is returned as it is
 * (bytes are checked for their size only). A view for the check: the handler's body is never changed.
 */
export function bodyAsRead(body: unknown, contentType: string | string[] | undefined): unknown {
  if (!(body instanceof Uint8Array) || typeof contentType !== 'string' || !isInspectableType(contentType)) return body;
  const type = mediaType(contentType);
  const utf8 = decodeAs(body, 'utf-8') as string;
  const charset = charsetOf(contentType);
  const declared = charset === undefined || charset === 'utf-8' || charset === 'utf8' ? undefined : decodeAs(body, charset);
  const read = textAsRead(utf8, type);
  return declared === undefined || declared === utf8 ? read : [read, textAsRead(declared, type)];
}
