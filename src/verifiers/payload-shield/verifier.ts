/**
 * The payload-shield verifier: a body-stage verifier that runs `inspectPayload` with the global options, or with
 * the route's `payload` options merged over them (compiled once per distinct route-options object).
 */
import { BodyError } from '../../core/body.js';
import type { Verifier, VerifierContext, VerifierOutcome } from '../../core/verifier.js';
import { PASS } from '../../core/outcome.js';
import { compilePayloadOptions, type CompiledPayloadOptions } from './compile.js';
import { describeVerdict, inspectPayloadAwaitingSchemas, inspectRequestHead, type PayloadVerdict } from './inspect.js';
import { isPending, type MaybePending } from './schema-check.js';
import {
  mergePayloadOptions,
  payloadShieldOptionsSchema,
  type PayloadRouteOptions,
  type PayloadShieldOptions,
} from './options.js';
import { ENGLISH } from '../../core/zod-locale.js';

/** Name of the verifier (and its key in per-route `verifiers` modes). */
export const PAYLOAD_SHIELD_NAME = 'payload-shield';

function validate(options: PayloadShieldOptions, where: string): PayloadShieldOptions {
  const result = payloadShieldOptionsSchema.safeParse(options, ENGLISH);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`);
    throw new Error(`invalid payload-shield options: ${problems.join('; ')}`);
  }
  // Keep the caller's object (schemas and functions inside must stay the same instances).
  return options;
}

function toOutcome(verdict: PayloadVerdict): VerifierOutcome {
  if (verdict.action === 'deny') return { outcome: 'deny', code: verdict.code, detail: verdict.detail };
  if (verdict.incomplete) {
    const { limit, location } = verdict.incomplete;
    const monitored = verdict.hits.length > 0 ? `; monitored ${describeVerdict(verdict)}` : '';
    return { outcome: 'pass', detail: `inspection incomplete: budget ${limit} exhausted at ${location}${monitored}` };
  }
  if (verdict.hits.length > 0) return { outcome: 'pass', detail: `monitored ${describeVerdict(verdict)}` };
  return PASS;
}

/** The outcome of a verdict, synchronously when no route schema answered with a promise. */
function outcomeOf(verdict: MaybePending<PayloadVerdict>): VerifierOutcome | Promise<VerifierOutcome> {
  return isPending(verdict) ? Promise.resolve(verdict).then(toOutcome) : toOutcome(verdict);
}

/**
 * Creates the payload shield verifier (`name: 'payload-shield'`, `stage: 'body'`). Throws on invalid options.
 * Route options arrive as `ctx.route.payload` (`false` skips the shield on that route).
 */
export function createPayloadShieldVerifier(options: PayloadShieldOptions = {}): Verifier {
  const global = validate(options, 'payload');
  const compiledGlobal = compilePayloadOptions(global);
  const perRoute = new WeakMap<object, CompiledPayloadOptions>();

  function compiledFor(ctx: VerifierContext): CompiledPayloadOptions | false {
    const route = (ctx.route as { payload?: PayloadRouteOptions | false }).payload;
    if (route === false) return false;
    if (route === undefined) return compiledGlobal;
    let compiled = perRoute.get(route);
    if (compiled === undefined) {
      compiled = compilePayloadOptions(mergePayloadOptions(global, validate(route, 'route.payload')));
      perRoute.set(route, compiled);
    }
    return compiled;
  }

  return {
    name: PAYLOAD_SHIELD_NAME,
    stage: 'body',
    // Synchronous when the body is already parsed (the usual case): no promise and no deadline to watch.
    verify(ctx: VerifierContext): VerifierOutcome | Promise<VerifierOutcome> {
      const compiled = compiledFor(ctx);
      if (compiled === false) return { outcome: 'skip', detail: 'payload shield off on this route' };
      const head = inspectRequestHead(ctx.request, compiled);
      if (head) return toOutcome(head);
      const body = ctx.bodyNow !== undefined ? ctx.bodyNow() : ctx.body();
      if (!(body instanceof Promise)) return outcomeOf(inspectPayloadAwaitingSchemas(ctx.request, body, compiled, true));
      return inspectWhenRead(body, ctx, compiled);
    },
  };
}

/**
 * The outcome of a body still being read. Apart from `verify`: its closures there would make V8 allocate a context
 * on every call, the synchronous ones (a parsed body, the usual case) included.
 */
function inspectWhenRead(body: Promise<unknown>, ctx: VerifierContext, compiled: CompiledPayloadOptions): Promise<VerifierOutcome> {
  return body.then(
    (parsed: unknown) => outcomeOf(inspectPayloadAwaitingSchemas(ctx.request, parsed, compiled, true)),
    (error: unknown) => {
      // Oversized or malformed bodies are the client's fault: deny with the body's code, not 503.
      if (error instanceof BodyError) return { outcome: 'deny', code: error.code, detail: 'body rejected: ' + error.code };
      throw error;
    },
  );
}
