import type { ShieldRequest } from './request.js';
import type { ResolvedRouteOptions } from './route-options.js';
import type { Verifier } from './verifier.js';

/** The request as `onDecision` sees it: enough to log and correlate, with every credential and proof masked. */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  /** The socket address the adapter saw (the Decision has the resolved client IP). */
  readonly ip: string;
  /** Headers: the allow-listed ones in clear, every other value replaced by `[redacted]`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Headers that carry credentials or single-use proofs in any deployment (masked even when allow-listed). */
export const ALWAYS_REDACTED = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'approov-token',
  'x-firebase-appcheck',
  'x-attestation-token',
  'x-play-integrity',
  'x-app-attest-assertion',
] as const;

/**
 * Headers shown in clear by default: protocol and content metadata, proxies' forwarding headers and tracing ids,
 * none of which carries a credential. Every other header is masked (an allow-list, because a deny-list misses the
 * header nobody thought of: `x-password`, `x-session`, a binding header). Extend it with `logHeaders`.
 * `referer` is not here: its URL may hold a query with a token.
 */
export const LOGGED_HEADERS = [
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'forwarded',
  'host',
  'if-modified-since',
  'if-none-match',
  'origin',
  'pragma',
  'te',
  'traceparent',
  'tracestate',
  'transfer-encoding',
  'user-agent',
  'via',
  'x-correlation-id',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'x-request-id',
] as const;

const REDACTED = '[redacted]';

/** What a {@link Redactor} is built from. */
export interface RedactorOptions {
  /** Headers to show in clear on top of {@link LOGGED_HEADERS} (`logHeaders`). */
  logHeaders: readonly string[];
  /** Headers always masked, allow-listed or not (`redactHeaders`, the token and device headers). */
  redactHeaders: readonly string[];
  /** The shield's verifiers: each may name the headers it reads as credential or binding input per route. */
  verifiers: readonly Verifier[];
}

/** Builds the request view `onDecision` gets; one per shield. */
export interface Redactor {
  /** The logged view of `request` under `route` (the route's credential and binding headers masked too). */
  redact(request: ShieldRequest, route: ResolvedRouteOptions | undefined): LoggedRequest;
}

/**
 * A header is shown in clear only when it is allow-listed and no verifier reads it as a credential or binding input
 * (globally or on the request's route): a route binding tokens to `user-agent` masks `user-agent` there.
 */
export function createRedactor(options: RedactorOptions): Redactor {
  const allowed = new Set<string>([...LOGGED_HEADERS, ...options.logHeaders]);
  for (const name of ALWAYS_REDACTED) allowed.delete(name);
  for (const name of options.redactHeaders) allowed.delete(name);
  const declaring = options.verifiers.filter((v) => v.sensitiveHeaders !== undefined);
  const global = shownFor(allowed, declaring, EMPTY_ROUTE);
  // Route option objects are built once per route: the shown set is computed once per route too.
  const byRoute = new WeakMap<object, ReadonlySet<string>>();

  function shownFor(base: ReadonlySet<string>, verifiers: readonly Verifier[], route: ResolvedRouteOptions): ReadonlySet<string> {
    let shown: Set<string> | undefined;
    for (const verifier of verifiers) {
      let names: readonly string[];
      try {
        names = verifier.sensitiveHeaders?.(route) ?? [];
      } catch {
        // A verifier that cannot say what it reads: show nothing but the protocol basics rather than guess.
        return new Set(['content-type', 'content-length']);
      }
      for (const name of names) {
        if (!base.has(name)) continue;
        shown ??= new Set(base);
        shown.delete(name);
      }
    }
    return shown ?? base;
  }

  return {
    redact(request, route) {
      let shown = global;
      if (route !== undefined && declaring.length > 0) {
        const cached = byRoute.get(route);
        if (cached !== undefined) shown = cached;
        else byRoute.set(route, (shown = shownFor(global, declaring, route)));
      }
      const headers: Record<string, string | string[] | undefined> = {};
      for (const name of Object.keys(request.headers)) {
        headers[name] = shown.has(name) ? request.headers[name] : REDACTED;
      }
      return { method: request.method, path: request.path, ip: request.ip, headers };
    },
  };
}

const EMPTY_ROUTE: ResolvedRouteOptions = Object.freeze({});
