/**
 * Bodies a parser keeps outside `req.body` on Express: express-formidable parses JSON, urlencoded and multipart
 * bodies (and, by a substring of the media type, anything whose type contains `json`, `urlencoded`, `multipart` or
 * `octet-stream`) into `req.fields`, with the files in `req.files`, and never sets `req.body`. The handler reads
 * `req.fields`, so the body stage reads it as the body (what the framework parsed, never a second parse).
 */
import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream';
import { bodyAsRead } from '../core/body.js';
import { withUploadedFiles } from './multipart-fields.js';

/** The request properties express-formidable sets (`Object.assign(req, { fields, files, express_formidable })`). */
export interface ParsedFieldsRequest {
  body?: unknown;
  fields?: unknown;
  files?: unknown;
  express_formidable?: unknown;
}

/** How formidable 1 recognises a multipart type: anywhere in the header, any case. */
const MULTIPART = /multipart/i;

/**
 * The types formidable 1 parses (`_parseContentType`: a substring, any case); any other type, or none, is an error it
 * hands to `next(err)`, so no handler runs with its `req.fields`.
 */
const FORMIDABLE_TYPES = /octet-stream|urlencoded|multipart|json/i;

/**
 * True when express-formidable may have parsed a body of this type, so the body stage reads `req.fields`: a regex test
 * on the header instead of a property read (a missing property of an Express request costs a full lookup) for the
 * other types (`express.text()`, `express.raw()` under their own types, XML, ...).
 */
export function formidableMayParse(contentType: string | string[] | undefined): boolean {
  return typeof contentType === 'string' && FORMIDABLE_TYPES.test(contentType);
}

/** A plain object's own keys can be read: not null, an array, a Buffer or a typed array. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** A record with no own key: body-parser 1 (Express 4) sets `req.body = {}` for a type it does not parse. */
function isEmptyRecord(value: unknown): boolean {
  if (!isRecord(value)) return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null;
}

/**
 * True when express-formidable has parsed this request's multipart body (`req.express_formidable.parsed`, set with
 * `req.fields`). Asked only for a declared body whose stream is not at its end: formidable's multipart parser calls
 * back at the closing boundary, before Node marks the request complete, so the stream looks unread although the form
 * was parsed. Its other parsers call back at the end of the stream. The request is read only for a type formidable
 * reads as multipart (`/multipart/i`, as formidable matches it): a missing property of an Express request costs a
 * full lookup, and every body the global middleware sees before the parser comes here.
 */
export function formidableParsed(req: ParsedFieldsRequest, contentType: string | string[] | undefined): boolean {
  if (typeof contentType !== 'string' || !MULTIPART.test(contentType)) return false;
  const marker = req.express_formidable;
  return isRecord(marker) && marker.parsed === true && isRecord(req.fields);
}

/**
 * True when express-formidable parsed a chunked form whose stream Node has not yet read to its end (see
 * `formidableParsed`): the trailer fields a chunked body may send come after the last chunk, so they are not there
 * yet. The body stage waits for the end (`whenStreamEnds`) before it judges the request. One header lookup for
 * any other request.
 */
export function formidableAwaitsEnd(req: IncomingMessage & ParsedFieldsRequest, headers: IncomingMessage['headers']): boolean {
  return headers['transfer-encoding'] !== undefined && !req.complete && formidableParsed(req, headers['content-type']);
}

/**
 * Calls `then` once `req` has been read to its end (its trailer fields are then in `rawTrailers`); never when the
 * client went away first (nothing is left to answer).
 */
export function whenStreamEnds(req: IncomingMessage, then: () => void): void {
  finished(req, { writable: false }, (error) => {
    if (error === undefined || error === null) then();
  });
}

/**
 * The fields as the handler reads them. formidable stores each key with `fields[key] = value`, so a JSON body's
 * `__proto__` key becomes the prototype of `req.fields` (`req.fields.q` then reads an inherited value the walk of own
 * keys would miss): such a prototype is put under the key `__proto__` of a copy, where the walk reads it.
 */
function fieldsAsRead(fields: Record<string, unknown>): Record<string, unknown> {
  const proto = Object.getPrototypeOf(fields) as unknown;
  if (proto === Object.prototype || proto === null) return fields;
  const view = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(fields)) view[key] = fields[key];
  view['__proto__'] = fieldsAsRead(proto as Record<string, unknown>);
  return view;
}

/**
 * The body the stage inspects when `req.fields` holds a parser's record (`fields`, read by the caller): the fields,
 * with the client-sent names of the files in `req.files` placed as `withUploadedFiles` places them
 * (`body.<field>.filename`). When `req.body` holds something else too (a middleware set it; not body-parser's empty
 * `{}`), the handler may read either: both are inspected, as `[body, fields]`. `undefined` when `fields` is not a
 * record (not a parser's result): the caller reads `req.body` as usual.
 */
export function withParsedFields(req: ParsedFieldsRequest, fields: unknown, contentType: string | string[] | undefined): unknown {
  if (!isRecord(fields)) return undefined;
  const parsed = withUploadedFiles(fieldsAsRead(fields), undefined, req.files);
  const body = req.body;
  if (body === undefined || body === null || body === fields || isEmptyRecord(body)) return parsed;
  return [bodyAsRead(body, contentType), parsed];
}
