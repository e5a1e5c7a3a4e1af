import { contentDigestMatches } from '../../core/content-digest.js';
import { declaresBody } from '../../core/request.js';
import type { Verifier, VerifierOutcome } from '../../core/verifier.js';
import { PASS } from '../../core/outcome.js';
import { bindingExempt, bindingHeaderValue, CONTENT_DIGEST_HEADER, contentDigestOf, createBindingResolver } from './binding.js';
import type { ResolvedTokenOptions } from './config.js';
import { generic } from './generic-errors.js';
import { TOKEN_VERIFIER } from './token-verifier.js';

/** Name of the body-stage half of token binding in Decision results and per-route `verifiers` modes. */
export const TOKEN_BODY_DIGEST_VERIFIER = 'token-body-digest';

const EMPTY = Buffer.alloc(0);
const mismatch = (detail: string): VerifierOutcome => ({ outcome: 'deny', code: 'token_binding_mismatch', detail });

/**
 * The body-stage half of token binding. A binding that lists `content-digest` makes the token cover the RFC 9530
 * `Content-Digest` value (the header stage checks that, and the field's syntax); this verifier checks the value
 * against the body, so a bound token cannot be replayed in front of another body:
 *
 * - the digest is recomputed over the body's bytes as the handler's parser read them and compared in constant time;
 *   every supported algorithm presented (sha-256, sha-512) must match;
 * - a body sent with a `Content-Encoding` is refused: the field covers the encoded bytes, which the shield does
 *   not see once the parser has decoded them;
 * - a body whose bytes were not captured (Express without `captureRawBody()`) is refused, never assumed to match.
 *
 * It applies only on routes whose binding lists `content-digest`, so other traffic pays nothing for it.
 */
export function createTokenBodyDigestVerifier(options: ResolvedTokenOptions): Verifier {
  const bindingFor = createBindingResolver(options.binding);

  function verify(ctx: Parameters<Verifier['verify']>[0]): VerifierOutcome {
    // A token the header stage exempted from the binding (no claim, `allowMissingClaim`) binds no body either.
    const binding = bindingFor(ctx.route);
    if (binding !== undefined && ctx.attestation !== undefined && bindingExempt(binding, ctx.attestation.claims)) return PASS;
    // Not `headerValue`: a hand-built request's non-string value must refuse, not throw (failOpen would pass that).
    const value = bindingHeaderValue(ctx.request, CONTENT_DIGEST_HEADER);
    if (value === undefined || value === '') return mismatch('Content-Digest absent');
    if (value === null) return mismatch('Content-Digest malformed');
    const parsed = contentDigestOf(ctx, value);
    if (!parsed.ok) return { outcome: 'deny', code: 'content_digest_invalid', detail: parsed.reason };
    const encoding = bindingHeaderValue(ctx.request, 'content-encoding');
    if (encoding === null || (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity')) {
      return mismatch('Content-Digest over an encoded body cannot be recomputed');
    }
    let raw = ctx.rawBody?.();
    if (raw === undefined) {
      // No body at all (a GET) is the empty content; a body we never saw the bytes of cannot be matched.
      if (declaresBody(ctx.request.headers)) return mismatch('body bytes unavailable (Express: captureRawBody())');
      raw = EMPTY;
    }
    return contentDigestMatches(parsed.digests, raw) ? PASS : mismatch('Content-Digest differs from the body');
  }

  return {
    name: TOKEN_BODY_DIGEST_VERIFIER,
    stage: 'body',
    mode: options.mode,
    // A route that enforces the token enforces its body half too (unless the route names this verifier).
    modeFollows: TOKEN_VERIFIER,
    failOpen: options.failOpen,
    appliesTo: (route) => route.token !== false && bindingFor(route)?.bindsContentDigest === true,
    // Looked at before the route is known: any request carrying the field may be on a route that binds it.
    wantsRawBody: (request) => request.headers[CONTENT_DIGEST_HEADER] !== undefined,
    verify: options.genericErrors ? (ctx) => generic(verify(ctx)) : verify,
  };
}
