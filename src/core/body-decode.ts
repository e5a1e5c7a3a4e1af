/**
 * Removes `Content-Encoding` from body bytes a verifier needs (device body binding hashes the body the app sent,
 * before any request-compression interceptor such as OkHttp's or URLSession's gzipped it). The limit applies to the
 * *decoded* bytes, so a decompression bomb stops at the limit instead of filling memory.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { BodyError } from './body.js';

/** The content codings the shield decodes (the same set body-parser, co-body and Fastify plugins accept). */
const DECODERS: Readonly<Record<string, (input: Buffer, maxOutputLength: number) => Buffer>> = {
  gzip: (input, maxOutputLength) => gunzipSync(input, { maxOutputLength }),
  'x-gzip': (input, maxOutputLength) => gunzipSync(input, { maxOutputLength }),
  deflate: (input, maxOutputLength) => inflateSync(input, { maxOutputLength }),
  br: (input, maxOutputLength) => brotliDecompressSync(input, { maxOutputLength }),
};

/** The codings a Content-Encoding header lists, lower-case, in the order they were applied (`identity` dropped). */
function codingsOf(contentEncoding: string | readonly string[]): string[] {
  const header = typeof contentEncoding === 'string' ? contentEncoding : contentEncoding.join(',');
  return header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c.length > 0 && c !== 'identity');
}

/** True when {@link decodeContentEncoding} can undo every coding the header lists (or it lists none). */
export function isDecodableContentEncoding(contentEncoding: string | readonly string[] | undefined): boolean {
  if (contentEncoding === undefined) return true;
  return codingsOf(contentEncoding).every((coding) => Object.hasOwn(DECODERS, coding));
}

/**
 * Decodes `bytes` as described by a Content-Encoding header (`gzip`, `deflate`, `br`, `identity`, or a list of
 * them applied in order). Throws `BodyError('payload_too_large')` when the decoded bytes would exceed `limitBytes`,
 * `BodyError('unsupported_media_type')` for an unknown coding, `BodyError('payload_malformed')` for corrupt data.
 */
export function decodeContentEncoding(bytes: Buffer, contentEncoding: string | string[] | undefined, limitBytes: number): Buffer {
  if (contentEncoding === undefined) return checked(bytes, limitBytes);
  // Codings are listed in the order they were applied: undo them from the last.
  const codings = codingsOf(contentEncoding);
  let out = bytes;
  for (let i = codings.length - 1; i >= 0; i--) {
    const decode = Object.hasOwn(DECODERS, codings[i] as string) ? DECODERS[codings[i] as string] : undefined;
    if (decode === undefined) throw new BodyError('unsupported_media_type', `unsupported content-encoding ${JSON.stringify(codings[i]).slice(0, 40)}`);
    try {
      out = decode(out, limitBytes + 1);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
        throw new BodyError('payload_too_large', `decoded body exceeds ${limitBytes} bytes`);
      }
      throw new BodyError('payload_malformed', 'body could not be decoded');
    }
  }
  return checked(out, limitBytes);
}

function checked(bytes: Buffer, limitBytes: number): Buffer {
  if (bytes.length > limitBytes) throw new BodyError('payload_too_large', `decoded body exceeds ${limitBytes} bytes`);
  return bytes;
}
