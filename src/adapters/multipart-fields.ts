/**
 * Multipart field inspection without taking the body from the app (issue 9). When a `multipart/form-data` body
 * reaches the body stage unread (the app's multipart parser, e.g. multer on the route, runs later), the field values
 * are read with busboy from the bytes as Node's HTTP parser pushes them, while those bytes are held back from the
 * request stream; once the shield has decided, they are handed to the stream unchanged, so the app's parser reads
 * the whole body, files included, as if the shield were not there. File contents are skipped, not inspected; a file
 * part's name and file name are (see `placeFile`). Everything held counts against the shield's body limit.
 */
import type { IncomingMessage } from 'node:http';
import type busboy from 'busboy';
import { BodyError, mediaType } from '../core/body.js';
import type { ShieldRequest } from '../core/request.js';
import { bodyConsumed, sentTrailers } from './node-http.js';
import { placeField, type FormFields } from './form-field-names.js';
import { partSpellings, type PartSpellings } from './multipart-spellings.js';

/** Most fields and parts read from one body (busboy stops and the body is refused beyond them). */
const MAX_FIELDS = 1000;

type Busboy = typeof busboy;
let loadedBusboy: Busboy | undefined;
let loadingBusboy: Promise<Busboy> | undefined;

/**
 * busboy (about 23 kB of a bundle) is loaded on the first multipart form the shield reads, not with the adapter: most
 * APIs never take one. Once loaded, no request waits for it again. A failed load rejects that read (the verifier's
 * error: fail closed) and is retried on the next.
 */
function loadBusboy(): Promise<Busboy> {
  loadingBusboy ??= import('busboy').then(
    (module) => (loadedBusboy = module.default),
    (error: unknown) => {
      loadingBusboy = undefined;
      throw error;
    },
  );
  return loadingBusboy;
}

/**
 * Puts a file part where the walk reads it: `{ filename }` under the part's name, as multer names the part
 * (`fieldname`, flat: `body.avatar.filename`; a repeated name makes an array). So the part's name is inspected as a
 * key, and the file name (multer's `originalname`) as a value under a file-name key: every detector reads it, the
 * file-name rules too (`shell.php`). A name sent with a path (`../x/shell.php`) is read whole and as the base name
 * busboy and multer keep (`shell.php`), both: the file-name rules read a name without `/` only. A part that names its
 * file more than once (`filename` and `filename*`) has every name read, in that order.
 */
function placeFile(values: FormFields, name: string | undefined, filenames: readonly (string | undefined)[]): void {
  const file = Object.create(null) as FormFields;
  const read: string[] = [];
  for (const sent of filenames.length === 0 ? [''] : filenames) {
    for (const spelling of [sent ?? '', baseName(sent ?? '')]) if (!read.includes(spelling)) read.push(spelling);
  }
  file.filename = read.length === 1 ? read[0] : read;
  const key = name ?? '';
  const prior = Object.hasOwn(values, key) ? values[key] : undefined;
  if (prior === undefined) values[key] = file;
  else if (Array.isArray(prior)) prior.push(file);
  else values[key] = [prior, file];
}

/** A part busboy read: a field's value, or a file's name (its contents are the app's). */
type ReadPart = { name: string | undefined; value: string } | { name: string | undefined; filename: string | undefined };

/**
 * Places the parts busboy read, each under every name its header gives (`spelled`, in part order; busboy's own name
 * first), a file with every file name it gives: what any parser may hand the app is inspected.
 */
function placeParts(values: FormFields, parts: readonly ReadPart[], spelled: readonly PartSpellings[]): void {
  parts.forEach((part, i) => {
    const names = part.name === undefined ? [] : [part.name];
    for (const other of spelled[i]?.names ?? []) if (!names.includes(other)) names.push(other);
    if (names.length === 0) names.push('');
    for (const name of names) {
      if ('value' in part) placeField(values, name, part.value); // nested as multer nests bracketed names (form-field-names.ts)
      else placeFile(values, name, [part.filename, ...(spelled[i]?.filenames ?? []).filter((f) => f !== part.filename)]);
    }
  });
}

/** The file name after its last `/` or `\` (busboy's reading without `preservePath`, which multer gets). */
function baseName(filename: string): string {
  const base = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  return base === '..' || base === '.' ? '' : base;
}

/**
 * The body as the walk reads it when a multipart parser ran before the body stage: multer keeps each file's
 * client-sent names outside the body (`req.file`, `req.files`: an array, or an object of arrays for
 * `upload.fields`; formidable and express-fileupload an object of files or arrays by field name), where the walk
 * would never reach them. Each file is placed as `placeFile` places a file part the shield reads itself
 * (`{ filename: originalname }` under `fieldname` or its key; every name in `CLIENT_FILE_NAMES`), beside the body's
 * own keys, so both mountings get the same verdict. `body` itself when there is no file; otherwise a new object: the
 * body, its arrays and the file objects the handler reads are never changed. A file that is not an object is skipped
 * (no names to read); a `fieldname` or file name that is not a string reads as a part without one. A body that is not an
 * object (another parser's string or array) goes under the key `''`, as `placeField` keeps a value it nests over.
 */
export function withUploadedFiles(body: unknown, file: unknown, files: unknown): unknown {
  const uploads: { name: string | undefined; filenames: string[] }[] = [];
  const add = (entry: unknown, key?: string): void => {
    if (!isRecord(entry)) return;
    const { fieldname } = entry;
    const name = typeof fieldname === 'string' ? fieldname : key;
    const filenames: string[] = [];
    for (const property of CLIENT_FILE_NAMES) {
      const value = entry[property];
      if (typeof value === 'string' && !filenames.includes(value)) filenames.push(value);
    }
    uploads.push({ name, filenames });
  };
  add(file);
  if (Array.isArray(files)) for (const entry of files) add(entry);
  else if (isRecord(files)) {
    for (const key of Object.keys(files)) {
      const listed = files[key];
      if (Array.isArray(listed)) for (const entry of listed) add(entry, key);
      else add(listed, key);
    }
  }
  if (uploads.length === 0) return body;
  const view = Object.create(null) as FormFields;
  const fields = isRecord(body) ? body : undefined;
  if (fields !== undefined) for (const key of Object.keys(fields)) view[key] = fields[key];
  else if (body !== undefined && body !== null) view[''] = body;
  // `placeFile` appends to an array already there: the body's own array is copied first, never changed.
  const placed = new Set<string>();
  for (const { name, filenames } of uploads) {
    const key = name ?? '';
    const prior = Object.hasOwn(view, key) ? view[key] : undefined;
    if (!placed.has(key) && Array.isArray(prior)) view[key] = prior.slice();
    placed.add(key);
    placeFile(view, name, filenames);
  }
  return view;
}

/**
 * Where parsers keep the file name the client sent: multer and @koa/multer `originalname`, formidable 2 and 3 (behind
 * koa-body) `originalFilename`, express-fileupload and formidable 1 `name`.
 */
const CLIENT_FILE_NAMES = ['originalname', 'originalFilename', 'name'] as const;

/** A plain object's own keys can be read: not null, an array, a Buffer or a typed array. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** A body being held back from its stream while the shield inspects its fields. */
export interface HeldMultipart {
  /** The field values (null-prototype objects; repeated names become arrays, bracketed names nest as multer nests them), read on first call. */
  fields(): Promise<unknown>;
  /** Hands every held byte (and the end of the body) to the request stream, for the app's parser. */
  release(): void;
  /** Drops the held bytes (the request was refused) and lets the request end. */
  discard(): void;
}

/** True for `multipart/form-data`. */
export function isMultipartForm(contentType: string | string[] | undefined): boolean {
  return typeof contentType === 'string' && mediaType(contentType) === 'multipart/form-data';
}

/**
 * Starts holding back `req`'s body. Nothing is read until `fields()` is called (only a body-stage verifier that needs
 * the body calls it); `release()` or `discard()` must follow either way.
 */
export function holdMultipart(req: IncomingMessage, limitBytes: number): HeldMultipart {
  const originalPush = req.push;
  let reading: Promise<unknown> | undefined;
  let settled = false;

  function restore(): void {
    if (settled) return;
    settled = true;
    req.push = originalPush;
  }

  function read(busboy: Busboy): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      // Released or discarded while busboy was loading: the body is no longer the shield's to read.
      if (settled) {
        reject(new BodyError('payload_malformed', 'multipart body released before it was read'));
        return;
      }
      const held: Buffer[] = [];
      heldChunks = held;
      let size = 0;
      let ended = false;
      let parsed = false;
      let failed = false;
      const partsRead: ReadPart[] = [];
      const fed: Buffer[] = [];
      const values: FormFields = Object.create(null) as FormFields;
      const onGone = (): void => fail(new BodyError('payload_malformed', 'request closed before the body was complete'));
      const fail = (error: BodyError): void => {
        if (failed) return;
        failed = true;
        req.off('close', onGone);
        reject(error);
      };
      let parser: busboy.Busboy;
      try {
        parser = busboy({
          headers: req.headers as busboy.BusboyConfig['headers'],
          defParamCharset: 'utf8',
          // The file name as sent: multer hands the handler its base name, other parsers may keep the path.
          preservePath: true,
          limits: { fieldSize: limitBytes, fields: MAX_FIELDS, parts: MAX_FIELDS, fieldNameSize: 200 },
        });
      } catch {
        fail(new BodyError('payload_malformed', 'multipart body without a usable boundary'));
        return;
      }
      const done = (): void => {
        if (!parsed || !ended || failed) return;
        const spelled = partSpellings(Buffer.concat(fed), req.headers['content-type']);
        if (spelled === undefined || spelled.length > partsRead.length) return fail(new BodyError('payload_malformed', 'multipart part the shield could not read'));
        placeParts(values, partsRead, spelled);
        req.off('close', onGone);
        resolve(values);
      };
      parser.on('field', (name, value, info) => {
        if (info.valueTruncated || info.nameTruncated) return fail(new BodyError('payload_too_large', 'multipart field over the limit'));
        // A charset busboy has no decoder for (`utf-16be`, `shift_jis`...): it hands no value, while other parsers
        // (@fastify/busboy) hand the app the bytes as UTF-8. Nothing to inspect is not a pass.
        if (typeof value !== 'string') return fail(new BodyError('unsupported_media_type', 'multipart field in a charset the shield cannot read'));
        partsRead.push({ name, value });
      });
      parser.on('file', (name, stream, info) => {
        stream.resume(); // file contents stay the app's business
        partsRead.push({ name, filename: info.filename });
      });
      parser.on('fieldsLimit', () => fail(new BodyError('payload_too_large', 'too many multipart fields')));
      parser.on('partsLimit', () => fail(new BodyError('payload_too_large', 'too many multipart parts')));
      parser.on('error', () => fail(new BodyError('payload_malformed', 'malformed multipart body')));
      parser.on('close', () => {
        parsed = true;
        done();
      });
      const feed = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limitBytes) return fail(new BodyError('payload_too_large', `body exceeds ${limitBytes} bytes`));
        fed.push(chunk);
        if (!failed) parser.write(chunk);
      };
      const finish = (): void => {
        ended = true;
        if (!failed) parser.end();
        done();
      };
      // Bytes already buffered in the stream are copied (read and put straight back); later ones are held.
      const buffered = req.readableLength > 0 ? (req.read() as Buffer | null) : null;
      if (buffered !== null) {
        req.unshift(buffered);
        feed(buffered);
      }
      if (req.complete) finish();
      // Gone before this read began (the client hung up while an earlier verifier ran): 'close' came already.
      else if (req.destroyed) onGone();
      else {
        req.push = function heldPush(chunk: unknown): boolean {
          if (chunk === null) {
            endHeld = true;
            finish();
          } else if (Buffer.isBuffer(chunk)) {
            held.push(chunk);
            feed(chunk);
          }
          return true;
        };
        req.once('close', onGone);
      }
    });
  }

  let heldChunks: Buffer[] = [];
  let endHeld = false;

  return {
    fields() {
      return (reading ??= loadedBusboy ? read(loadedBusboy) : loadBusboy().then(read));
    },
    release() {
      if (settled) return;
      restore();
      for (const chunk of heldChunks) originalPush.call(req, chunk);
      if (endHeld) originalPush.call(req, null);
      heldChunks = [];
    },
    discard() {
      if (settled) return;
      restore();
      heldChunks = [];
      if (endHeld) originalPush.call(req, null);
      // Drain the rest, as Node does for a request nobody reads: a stalled body would stall a kept-alive socket.
      req.resume();
    },
  };
}

/**
 * For a check that judges the body now: when the body is an unread multipart form, starts holding it and lets the
 * core read its fields on demand (`request.unparsedBody`). The caller releases or discards it once decided. A stream
 * a parser already read to its end (a parser that kept the form where the shield does not look) has no bytes left to
 * hold: left unparsed, so it is refused 415 like any body the shield cannot read.
 */
export function holdUnparsedMultipart(req: IncomingMessage, request: ShieldRequest, limitBytes: number): HeldMultipart | undefined {
  if (request.bodyUnparsed !== true || !isMultipartForm(req.headers['content-type']) || bodyConsumed(req)) return undefined;
  const held = holdMultipart(req, limitBytes);
  // The fields are read to the end of the body, where any trailer fields arrive: they join the view for the payload
  // shield, which inspects them once the body is read (the view was built before they existed).
  request.unparsedBody = () => held.fields().then((fields) => withTrailers(request, req, fields));
  return held;
}

/** Puts the trailer lines `req` ended with on `request` (see `ShieldRequest.rawTrailers`), then hands `fields` on. */
function withTrailers(request: ShieldRequest, req: IncomingMessage, fields: unknown): unknown {
  request.rawTrailers = sentTrailers(req, req.headers);
  return fields;
}
