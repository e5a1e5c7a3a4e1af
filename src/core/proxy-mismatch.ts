/**
 * The "framework trusts proxies, the shield does not" warning. Behind a load balancer the framework may know the
 * real client (Express `trust proxy`, Koa `app.proxy`, Fastify `trustProxy`) while the shield, left at its own
 * `trustProxy: false`, keys every counter on the balancer's address: one attacker then locks everybody out. The
 * shield cannot tell a misconfiguration from a spoofing client on one request, so it says so once, through
 * `onError`, and carries on with its own resolution.
 */
import type { ShieldRequest } from './request.js';
import { callHook } from './hooks.js';

/** The error handed to `onError` (once per shield) when the two trust settings disagree. */
export class ProxyTrustMismatchWarning extends Error {
  readonly code = 'proxy_trust_mismatch';

  constructor(header: string) {
    super(
      `forwarding header "${header}" arrived from a peer the shield does not trust, while the framework is ` +
        "configured to trust proxies: set the shield's trustProxy to 'framework' (recommended) or to your proxies",
    );
    this.name = 'ProxyTrustMismatchWarning';
  }
}

type OnError = (error: unknown, info: { verifier: string; reference: string }) => void;

/**
 * Builds the once-only check the core runs for requests whose adapter reports a proxy-trusting framework and whose
 * client the shield did not take from a trusted proxy. Does nothing under `trustProxy: 'framework'`.
 */
export function createProxyMismatchWarning(
  trustProxy: unknown,
  onError: OnError | undefined,
): (request: ShieldRequest, reference: string) => void {
  let warned = trustProxy === 'framework' || onError === undefined;
  return (request, reference) => {
    if (warned) return;
    const { headers } = request;
    const header = headers['x-forwarded-for'] !== undefined ? 'x-forwarded-for' : headers.forwarded !== undefined ? 'forwarded' : undefined;
    if (header === undefined) return;
    warned = true;
    callHook(onError, new ProxyTrustMismatchWarning(header), { verifier: 'client-ip', reference });
  };
}
