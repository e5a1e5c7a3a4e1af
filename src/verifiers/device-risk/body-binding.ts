import { decodeDigest, digestMatches } from '../../core/binding-digest.js';
import { declaresBody, headerValue, type ShieldRequest } from '../../core/request.js';
import type { Verifier, VerifierOutcome } from '../../core/verifier.js';
import { PASS } from '../../core/outcome.js';
import type { DeviceRiskOptions } from './options.js';
import { deviceHeaderNames } from './verifier.js';

const untrusted = (detail: string): VerifierOutcome => ({ outcome: 'deny', code: 'device_untrusted', detail });

/**
 * The body-stage half of device integrity. A per-request device proof (a Play Integrity token or an App Attest
 * assertion) covers the canonical request (see `requestBinding`), whose last line BODY_SHA256 is what the app put in
 * the body-hash header;
 * the header stage can only check the proof against the header. This verifier checks the header against the body
 * that arrived, so a proof cannot be replayed in front of another body:
 *
 * - the header must be the base64url SHA-256 of the raw body (compared in constant time);
 * - a non-empty body needs the header (a proof bound to "no body" does not cover one);
 * - when a body parser consumed the body before the shield, the bytes are unknown and the request is refused:
 *   mount the shield before body parsers (Fastify: the adapter captures the bytes for these requests itself).
 *
 * It applies only to requests that carry a per-request proof, so other traffic pays nothing for it.
 */
export function createDeviceBodyBindingVerifier(options: DeviceRiskOptions): Verifier {
  const headers = deviceHeaderNames(options.headers);
  const proofHeaders = [
    ...(options.playIntegrity ? [headers.playIntegrity] : []),
    ...(options.appAttest ? [headers.appAttestAssertion] : []),
  ];
  const carriesProof = (request: ShieldRequest) => proofHeaders.some((name) => request.headers[name] !== undefined);

  return {
    name: 'device-body-binding',
    stage: 'body',
    modeFollows: 'device-risk',
    ...(options.mode !== undefined ? { mode: options.mode } : {}),
    appliesTo(route, request) {
      return proofHeaders.length > 0 && (route as { device?: unknown }).device !== false && carriesProof(request);
    },
    wantsRawBody(request) {
      return proofHeaders.length > 0 && carriesProof(request);
    },
    verify(ctx) {
      const claimed = headerValue(ctx.request, headers.bodyHash);
      const raw = ctx.rawBody?.();
      if (raw === undefined) {
        // Nothing to read (a GET) is fine; a body we never saw the bytes of cannot be matched to the proof.
        if (!declaresBody(ctx.request.headers) && (claimed === undefined || claimed === '')) return PASS;
        return untrusted('body binding unverifiable: the body was parsed before the shield');
      }
      if (raw.length === 0) return claimed === undefined || claimed === '' ? PASS : untrusted('body hash for an empty body');
      if (claimed === undefined || claimed === '') return untrusted('device proof does not cover the body');
      const presented = decodeDigest(claimed, 'base64url');
      if (presented === undefined || !digestMatches(presented, raw)) {
        return untrusted('body differs from the body the device proof covers');
      }
      return PASS;
    },
  };
}
