/**
 * The names a multipart part goes by, read from its header lines as sent. Parsers disagree on a part that names itself
 * twice: busboy (the shield's reader, and multer's) takes `filename*` over `filename` and the first `name`, and
 * ignores `name*`; @fastify/busboy (behind @fastify/multipart) takes `filename`, the last `name`, and `name*`. A
 * part is placed under every name it gives and every file name it gives is read, so that no parser's reading of the
 * part goes uninspected (a bare host under `name="a"; name*=utf-8''url`, a traversal in `filename` behind a benign
 * `filename*`). Each spelling is decoded in the ways those parsers decode it (a quoted string's escapes undone or kept,
 * an extended value's charset), so the list may hold more than one reading of one parameter.
 */
import { MIMEType } from 'node:util';

/** The names and file names one part's Content-Disposition gives, every spelling. */
export interface PartSpellings {
  readonly names: readonly string[];
  readonly filenames: readonly string[];
}

/**
 * A parameter: `;`, a name, an optional `*`, `=`, then a quoted string or a token (up to the next `;`). Linear: no two
 * white-space runs can share the same spaces (`[ \t]*(\*?)[ \t]*` took quadratic time on a long run without `=`).
 */
const PARAM = /;[ \t]*([^ \t=;*]+)[ \t]*(?:(\*)[ \t]*)?=[ \t]*(?:"((?:[^"\\]|\\.)*)"?|([^;]*))/g;

/** Header text (bytes as latin1) as UTF-8, as both parsers read parameters without a charset. */
const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');

/** An RFC 8187 extended value (`utf-8'en'%61.png`) decoded: UTF-8 or latin1 as named, any other charset as UTF-8. */
function extended(value: string): string[] {
  const match = /^([^']*)'[^']*'(.*)$/.exec(value.trim());
  if (match === null) return [utf8(value.trim())];
  const bytes = Buffer.from((match[2] as string).replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  const charset = (match[1] as string).toLowerCase();
  return charset === 'latin1' || charset === 'iso-8859-1' ? [bytes.toString('latin1')] : [bytes.toString('utf8')];
}

/** The readings of one parameter value: a quoted string with its escapes undone, `\\` and `\"` only, or kept. */
function readings(quoted: string | undefined, token: string | undefined, star: boolean): string[] {
  if (star) return extended(quoted ?? token ?? '');
  if (quoted === undefined) return [utf8((token ?? '').trim())];
  return [quoted.replace(/\\(.)/g, '$1'), quoted.replace(/\\([\\"])/g, '$1'), quoted].map(utf8);
}

/** Every spelling of `name` and `filename` in a part's header block (its first Content-Disposition line). */
function spellingsOf(head: string): PartSpellings {
  const names: string[] = [];
  const filenames: string[] = [];
  const line = head
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')
    .find((l) => /^content-disposition[ \t]*:/i.test(l));
  if (line !== undefined) {
    for (const [, key, star, quoted, token] of line.slice(line.indexOf(':') + 1).matchAll(PARAM)) {
      const lower = (key as string).toLowerCase();
      const into = lower === 'name' ? names : lower === 'filename' ? filenames : undefined;
      if (into !== undefined) for (const reading of readings(quoted, token, star !== undefined)) if (!into.includes(reading)) into.push(reading);
    }
  }
  return { names, filenames };
}

/**
 * Per part of a multipart body, in order, the spellings of its names: one entry per delimiter line (`--boundary` at
 * the start or after CRLF) less the closing one, as many as a parser may see parts. busboy skips a part whose
 * Content-Disposition it cannot read without a word, while more lenient parsers (@fastify/busboy) hand it to the app:
 * a caller refuses a body with more entries than busboy reported parts. Undefined without a usable boundary.
 */
export function partSpellings(bytes: Buffer, contentType: string | undefined): PartSpellings[] | undefined {
  let boundary: string | null = null;
  try {
    boundary = new MIMEType(contentType ?? '').params.get('boundary');
  } catch {
    return undefined;
  }
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  const starts: number[] = [];
  if (bytes.subarray(0, delimiter.length - 2).equals(delimiter.subarray(2))) starts.push(delimiter.length - 2);
  for (let at = bytes.indexOf(delimiter); at !== -1; at = bytes.indexOf(delimiter, at + delimiter.length)) starts.push(at + delimiter.length);
  const out: PartSpellings[] = [];
  for (let i = 0; i < starts.length - 1; i++) {
    const lineEnd = bytes.indexOf('\r\n', starts[i]);
    const headEnd = lineEnd === -1 ? -1 : bytes.indexOf('\r\n\r\n', lineEnd);
    out.push(headEnd === -1 ? { names: [], filenames: [] } : spellingsOf(bytes.toString('latin1', lineEnd + 2, headEnd)));
  }
  return out;
}
