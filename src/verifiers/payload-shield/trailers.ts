/**
 * Trailer fields: the header lines a chunked HTTP/1.1 body (or an HTTP/2 stream) may send after its last chunk. Node
 * keeps them out of `req.headers` and hands them to a handler in `req.trailers`, so they are client input the header
 * walk never reaches: they are inspected here as header lines are (same detectors and rules), at `trailer.<name>`,
 * and count against the header limits with the headers (`checkTrailerLimits` in limits.ts).
 */
import type { CompiledPayloadOptions } from './compile.js';
import type { Inspection } from './inspection.js';
import type { Detector } from './types.js';

/**
 * Inspects every trailer line (`rawTrailers`: name, value, name, value...) as a header of the same name: every
 * detector under `inspectAllHeaders` (or for a name in `headers`) unless the name is in `ignoreHeaders` or the
 * built-in list; otherwise Log4Shell lookups and CRLF only (`lookupDetectors`), when it holds `${` and
 * `scanAllHeadersForLookups` is on. A `cookie` trailer is the exception: no cookie parser reads it (it is not the
 * cookie header), so a handler reads it as one value, and it is inspected as one. Each line is read alone, and a
 * repeated name also as the one value Node joins its lines into (`, `; `; ` for cookie), which is what
 * `req.trailers` hands the handler.
 */
export function inspectTrailers(
  lines: readonly string[],
  options: CompiledPayloadOptions,
  inspection: Inspection,
  lookupDetectors: readonly Detector[],
): void {
  // Trailers are rare and few (the limits cap them): an object per request that has them costs nothing measurable.
  const joined = joinedTrailers(lines);
  let repeated: Set<string> | undefined;
  for (let i = 0; i + 1 < lines.length && !inspection.done; i += 2) {
    const rawName: unknown = lines[i];
    const value: unknown = lines[i + 1];
    if (typeof rawName !== 'string' || typeof value !== 'string') continue;
    const name = rawName.toLowerCase();
    inspectTrailer(name, value, options, inspection, lookupDetectors);
    // Joined from two lines or more, a value is longer than any one of them: only a repeated name differs.
    if (joined[name] !== value) (repeated ??= new Set()).add(name);
  }
  if (repeated === undefined) return;
  for (const name of repeated) {
    if (inspection.done) return;
    inspectTrailer(name, joined[name]!, options, inspection, lookupDetectors);
  }
}

/**
 * The trailer values by lower-case name, repeated lines joined as Node joins them for `req.trailers` (`, `, or `; `
 * for cookie): what a handler reads, and what a virtual patch with a `trailer.<name>` target tests. Null prototype.
 */
export function joinedTrailers(lines: readonly string[]): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const rawName: unknown = lines[i];
    const value: unknown = lines[i + 1];
    if (typeof rawName !== 'string' || typeof value !== 'string') continue;
    const name = rawName.toLowerCase();
    const prior = out[name];
    out[name] = prior === undefined ? value : `${prior}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

/** One trailer value, by the rule its name's header would follow (see `inspectTrailers`). */
function inspectTrailer(name: string, value: string, options: CompiledPayloadOptions, inspection: Inspection, lookupDetectors: readonly Detector[]): void {
  const cookie = name === 'cookie';
  if (cookie || ((options.inspectAllHeaders || options.headers.has(name)) && !options.ignoredHeaders.has(name))) {
    inspection.at('trailer', name).inspectString(value, 'header', 'value', name);
  } else if (options.scanAllHeadersForLookups && value.indexOf('${') !== -1) {
    inspection.at('trailer', name).inspectString(value, 'header', 'value', name, lookupDetectors);
  }
}
