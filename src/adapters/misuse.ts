/**
 * One clear line for the two mistakes every middleware library sees: mounting the factory instead of what it returns
 * (`app.use(expressShield)`), and calling it without the shield. Without this check the framework's request object
 * would be read as the shield and the error would be an obscure "x is not a function" on the first request.
 */
import type { Shield } from '../shield.js';

/** Whether `value` is a shield made by `createShield()` (duck-typed: adapters only need these two methods). */
function isShield(value: unknown): value is Shield {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Shield).check === 'function' &&
    typeof (value as Shield).parseRouteOptions === 'function'
  );
}

/**
 * Throws a TypeError naming the right call when `shield` is not a shield. `usage` is the correct mounting line.
 * When the factory itself was mounted, the framework calls it with its request/context, which is what this
 * recognises to say "call it" rather than "pass a shield".
 */
export function assertShield(shield: unknown, factory: string, usage: string): asserts shield is Shield {
  if (isShield(shield)) return;
  const mountedUncalled =
    typeof shield === 'object' && shield !== null && ('method' in shield || 'req' in shield || 'headers' in shield);
  throw new TypeError(
    mountedUncalled
      ? `${factory} was mounted without being called: use ${usage}`
      : `${factory} needs the shield returned by createShield(): use ${usage}`,
  );
}
