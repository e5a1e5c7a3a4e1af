/**
 * The framework-free inspection of one request: structural limits, prototype pollution, schemas, injection
 * detectors with anomaly scoring, exclusions and virtual patches. The verifier and the detection benchmark both
 * call `inspectPayload`; nothing here knows about a web framework.
 */
import { mediaType } from '../../core/body.js';
import { declaresBody, headerText } from '../../core/request.js';
import type { CompiledPayloadOptions } from './compile.js';
import { checkHeaderLimits, checkTrailerLimits, nestedBeyond } from './limits.js';
import { inspectTrailers, joinedTrailers } from './trailers.js';
import { formatLocation, type PathSegment } from './location.js';
import { normalise } from './normalise.js';
import { parseQueryString } from './query-parser.js';
import { handlerQueryIfDifferent } from './handler-query.js';
import { unroutedParams } from './unrouted-params.js';
import { resolveTarget } from './virtual-patches.js';
import { firstCookieValues, jsonCookieValue, parseCookies, type CookiePairs } from './cookies.js';
import { checkSchemas, isPending, type MaybePending } from './schema-check.js';

import { contentTypeAllowed } from './content-types.js';
import { Inspection, type PayloadRequest } from './inspection.js';
import { describeHits, limitDeny, NO_HITS, type PayloadVerdict } from './verdict.js';
import { createJndiDetector } from './jndi.js';
import { createCrlfDetector } from './crlf.js';
import type { Detector } from './types.js';

export type { PayloadRequest } from './inspection.js';
export type { PayloadVerdict } from './verdict.js';

/** The detectors for headers outside the inspected set: Log4Shell lookups and CRLF only. */
const HEADER_ONLY_DETECTORS: readonly Detector[] = [createJndiDetector(), createCrlfDetector()];

/** Checks that need no body: URL length, header limits, declared body size, content type. */
export function inspectRequestHead(request: PayloadRequest, options: CompiledPayloadOptions): PayloadVerdict | undefined {
  const limits = options.limits;
  const queryLength = typeof request.query === 'string' ? request.query.length + 1 : 0;
  if (request.path.length + queryLength > limits.maxUrlLength) {
    return limitDeny({ limit: 'maxUrlLength', code: 'payload_too_large', location: 'path' });
  }
  const headerViolation = checkHeaderLimits(request.headers, limits, request.rawHeaders);
  if (headerViolation) return limitDeny(headerViolation);
  const declared = headerText(request.headers['content-length']);
  const length = declared !== undefined && /^\d{1,16}$/.test(declared.trim()) ? Number(declared) : undefined;
  if (length !== undefined && length > limits.maxBodyBytes) {
    return limitDeny({ limit: 'maxBodyBytes', code: 'payload_too_large', location: 'body' });
  }
  if (options.contentTypes && declaresBody(request.headers)) {
    const type = mediaType(headerText(request.headers['content-type']));
    if (!contentTypeAllowed(type, options.contentTypes)) {
      return { action: 'deny', code: 'unsupported_media_type', detail: 'content type not allowed on this route', score: 0, hits: NO_HITS };
    }
  }
  return undefined;
}

/**
 * Inspects a request and its parsed body (undefined when there is none; a string for text/XML bodies; a Buffer for
 * binary ones). Returns `deny` with the deny code and a value-free detail, or `allow` with any monitored matches.
 * `skipHead` skips `inspectRequestHead` when the caller already ran it before reading the body. Synchronous: a route
 * schema whose validator answers with a Promise throws a TypeError here (the shield's verifier awaits it).
 */
export function inspectPayload(
  request: PayloadRequest,
  body: unknown,
  options: CompiledPayloadOptions,
  skipHead = false,
): PayloadVerdict {
  const verdict = inspectPayloadAwaitingSchemas(request, body, options, skipHead);
  if (!isPending(verdict)) return verdict;
  verdict.catch(() => {});
  throw new TypeError('inspectPayload: a route schema validated asynchronously; use the shield (its verifier awaits it)');
}

/**
 * `inspectPayload`, except that a route schema answering with a Promise makes the verdict a Promise (the verifier's
 * path). Synchronous validators keep it synchronous.
 */
export function inspectPayloadAwaitingSchemas(
  request: PayloadRequest,
  body: unknown,
  options: CompiledPayloadOptions,
  skipHead = false,
): MaybePending<PayloadVerdict> {
  if (!skipHead) {
    const head = inspectRequestHead(request, options);
    if (head) return head;
  }
  const limits = options.limits;
  // Trailer lines arrive after the body, so after the head checks: counted with the headers (`checkTrailerLimits`).
  const trailers = request.rawTrailers;
  if (trailers !== undefined) {
    const over = checkTrailerLimits(request.headers, limits, request.rawHeaders, trailers);
    if (over) return limitDeny(over);
  }
  const method = request.method.toUpperCase();
  const inspection = new Inspection(options, method, request.path);

  // Body size when the body came already read (string or Buffer).
  if ((typeof body === 'string' || Buffer.isBuffer(body)) && body.length > limits.maxBodyBytes) {
    return limitDeny({ limit: 'maxBodyBytes', code: 'payload_too_large', location: 'body' });
  }

  // Query: parse a raw string here so bracket keys, repeats and pollution are seen exactly as sent.
  let query: Readonly<Record<string, unknown>> | undefined;
  if (typeof request.query === 'string') {
    if (request.query.length > 0) {
      const parsed = parseQueryString(request.query, { maxParams: limits.maxQueryParams, maxDepth: 5, maxArrayIndex: 20 });
      if (parsed.truncated) return limitDeny({ limit: 'maxQueryParams', code: 'payload_too_large', location: 'query' });
      if (parsed.maxRepeats > limits.maxParamRepeats) {
        return limitDeny({ limit: 'maxParamRepeats', code: 'payload_malformed', location: 'query' });
      }
      query = parsed.value;
    }
  } else {
    query = request.query;
  }
  // The query the handler reads, when the framework's parse differs from the one above (see handler-query.ts).
  const handlerQuery = handlerQueryIfDifferent(request, query, limits.maxDepth);
  // Before routing the router has not filled the parameters yet: the ones the handler will read (unrouted-params.ts).
  const params = request.params ?? (request.findRoute !== undefined ? unroutedParams(request, options.namesParams) : undefined);

  // Schemas (422) win over pattern matching: a request of the wrong shape is rejected whatever it contains. A
  // synchronous failure returns before any detector runs; an asynchronous answer is awaited after them. The query
  // schema checks the query the handler reads.
  const { schemas } = options;
  // The depth limit before the schemas: a recursive one would follow any depth a client sends (a stack overflow).
  if (schemas.body && nestedBeyond(body, limits.maxDepth)) return limitDeny({ limit: 'maxDepth', code: 'payload_too_large', location: 'body' });
  const schemaVerdict =
    schemas.body || schemas.query || schemas.params
      ? checkSchemas(schemas, { body, query: handlerQuery ?? query ?? {}, params: params ?? {} })
      : undefined;
  if (schemaVerdict !== undefined && !isPending(schemaVerdict)) return schemaVerdict;
  const verdict = inspectValues(request, body, query, handlerQuery, params, options, inspection, method);
  return schemaVerdict === undefined ? verdict : schemaVerdictOr(schemaVerdict, verdict);
}

/** The schemas' pending answer, else the detectors' verdict (apart, so that the synchronous path allocates no context). */
function schemaVerdictOr(schemaVerdict: Promise<PayloadVerdict | undefined>, verdict: PayloadVerdict): Promise<PayloadVerdict> {
  return schemaVerdict.then((deny) => deny ?? verdict);
}

/** Detectors, limits and virtual patches over every value of the request (after the schemas). */
function inspectValues(
  request: PayloadRequest,
  body: unknown,
  query: Readonly<Record<string, unknown>> | undefined,
  handlerQuery: unknown,
  params: PayloadRequest['params'],
  options: CompiledPayloadOptions,
  inspection: Inspection,
  method: string,
): PayloadVerdict {
  inspection.at('path').inspectString(request.path, 'path', 'value', '');
  const queryHitsFrom = inspection.hits?.length ?? 0;
  // A rule both readings of the query find counts once (one an exclusion dropped in the first too): the second
  // reading adds only what the first did not see.
  const excluded = handlerQuery !== undefined && options.exclusions.size > 0 ? new Set<string>() : undefined;
  inspection.excludedInto = excluded;
  if (query) inspection.at('query').walk(query, 'query', '', 0);
  inspection.excludedInto = undefined;
  if (handlerQuery !== undefined) inspection.at('query').walkSecondReading(handlerQuery, 'query', queryHitsFrom, excluded);
  if (params) inspection.at('params').walk(params, 'params', '', 0);

  // Headers: the configured ones with every detector, the rest only for Log4Shell lookups and CRLF.
  let cookies: CookiePairs | undefined;
  for (const name in request.headers) {
    if (inspection.done) break;
    const value = headerText(request.headers[name]);
    if (value === undefined) continue;
    if (name === 'cookie') {
      if (options.cookies) cookies = parseCookies(value);
      continue;
    }
    if ((options.inspectAllHeaders || options.headers.has(name)) && !options.ignoredHeaders.has(name)) {
      inspection.at('header', name).inspectString(value, 'header', 'value', name);
    } else if (options.scanAllHeadersForLookups && value.indexOf('${') !== -1) {
      inspection.at('header', name).inspectString(value, 'header', 'value', name, HEADER_ONLY_DETECTORS);
    }
  }
  // Trailer lines (after a chunked body): the handler reads them in `req.trailers`, so they are inspected as headers.
  if (request.rawTrailers !== undefined && !inspection.done) inspectTrailers(request.rawTrailers, options, inspection, HEADER_ONLY_DETECTORS);
  if (cookies) {
    // Every pair, a repeated name too: the handler reads the first, the shield cannot know which one an attack is in.
    const { names, values } = cookies;
    for (let i = 0; i < names.length && !inspection.done; i++) {
      const name = names[i]!;
      const lower = name.toLowerCase();
      inspection.at('cookie', name).inspectString(name, 'cookie', 'key', lower);
      const value = values[i]!;
      if (!inspection.done) inspection.inspectString(value, 'cookie', 'value', lower);
      // A quoted value reaches the handler unquoted: the `cookie` package strips a pair of quotes, Koa's `cookies` the
      // first and last characters of any value that starts with one. Rules about the whole value need that reading.
      if (!inspection.done && value.length > 1 && value.charCodeAt(0) === 0x22) inspection.inspectString(value.slice(1, -1), 'cookie', 'value', lower);
      // A `j:` JSON cookie reaches the handler as an object (cookie-parser): its keys are inspected as keys.
      const json = inspection.done ? undefined : jsonCookieValue(values[i]!);
      if (json !== undefined) inspection.at('cookie', name).walk(json, 'cookie', lower, 1);
    }
  }

  if (typeof body === 'string') inspection.at('body').inspectString(body, 'body', 'value', '');
  else if (body !== undefined && !Buffer.isBuffer(body)) inspection.at('body').walk(body, 'body', '', 0);

  // A structural limit always denies, and so does an exhausted inspection budget unless configured to let it pass
  // (`budgetSpent`: the walk then went on checking the structural limits only).
  if (inspection.violation) return limitDeny(inspection.violation);
  const spent = inspection.budgetSpent;

  // Virtual patches with a target read exactly that value.
  if (!inspection.stopped && options.targetedPatches.length > 0 && options.modes.custom !== 'off') {
    applyTargetedPatches(request, body, query, handlerQuery, params, cookies, options, inspection, method);
  }

  const hits = inspection.hits ?? NO_HITS;
  if (inspection.score >= options.threshold) {
    return {
      action: 'deny',
      code: 'payload_attack',
      detail: `score ${inspection.score}/${options.threshold}: ${describeHits(hits)}`,
      score: inspection.score,
      hits,
    };
  }
  return spent ? { action: 'allow', score: inspection.score, hits, incomplete: spent } : { action: 'allow', score: inspection.score, hits };
}

/** A one-line, value-free description of the matches in a verdict (for monitor-mode pass details). */
export function describeVerdict(verdict: PayloadVerdict): string {
  return `score ${verdict.score}: ${describeHits(verdict.hits)}`;
}

/**
 * Runs the virtual patches that target one value. A function of its own: its closure (`test`) inside `inspectValues`
 * would make V8 allocate a context on every inspection, patches or not.
 */
function applyTargetedPatches(
  request: PayloadRequest,
  body: unknown,
  query: Readonly<Record<string, unknown>> | undefined,
  handlerQuery: unknown,
  params: PayloadRequest['params'],
  cookies: CookiePairs | undefined,
  options: CompiledPayloadOptions,
  inspection: Inspection,
  method: string,
): void {
  const roots: Record<string, unknown> = {
    body,
    query,
    params,
    header: request.headers,
    trailer: request.rawTrailers !== undefined ? joinedTrailers(request.rawTrailers) : undefined,
    cookie: cookies ? firstCookieValues(cookies) : undefined,
    path: request.path,
  };
  for (const patch of options.targetedPatches) {
    if (inspection.stopped) break;
    if (!patch.route(method, request.path)) continue;
    const target = patch.target!;
    let matchedAny = false;
    const test = (value: unknown, path: readonly PathSegment[]): void => {
      if (inspection.stopped) return;
      let matched = patch.test(value);
      if (!matched && typeof value === 'string') {
        const decoded = normalise(value, options.decodeRounds);
        matched = decoded !== value && patch.test(decoded);
      }
      if (matched) {
        matchedAny = true;
        inspection.record({ ruleId: patch.id, category: 'custom', severity: patch.severity }, formatLocation(target.root, path), patch.monitor);
      }
    };
    resolveTarget(roots[target.root], target.segments, test);
    // The query the handler reads, when it differs: read only when the shield's own reading did not match.
    if (target.root === 'query' && handlerQuery !== undefined && !matchedAny) resolveTarget(handlerQuery, target.segments, test);
  }
}
