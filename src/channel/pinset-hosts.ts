/**
 * The `hosts` of a pin-set configuration (host name → pins and options) as the publisher and the CLI read it, and
 * its payload form.
 */
import * as z from 'zod/mini';
import { HOST_PATTERN, type PinSetHost } from './pinset-payload.js';
import { toPinDate, type HostPinConfig } from './validate-pins.js';

const hostConfigSchema = z.strictObject({
    pins: z.array(z.string()).check(z.maxLength(32)),
    backupPins: z.optional(z.array(z.string()).check(z.maxLength(32))),
    includeSubdomains: z.optional(z.boolean()),
    enforce: z.optional(z.boolean()),
    expiresAt: z.optional(z.union([z.string(), z.date()])),
  });

/**
 * The `hosts` of a pin-set configuration (host name → pins and options), as the publisher and the CLI read it. Names
 * are checked on the input, before the record is read: zod's record skips a `__proto__` key, so a host so named would
 * vanish from the set without an error (and the pin rules, which read the output, would never see it).
 */
export const pinSetHostsSchema = z.pipe(
  z.unknown().check(
    z.superRefine((v, ctx) => {
      if (typeof v !== 'object' || v === null) return;
      for (const host of Object.keys(v)) {
        if (!HOST_PATTERN.test(host)) ctx.addIssue({ code: 'custom', message: `host ${JSON.stringify(host)} is not a lower-case DNS host name`, input: v });
      }
    }),
  ),
  z.record(z.string(), hostConfigSchema),
);

/**
 * The `hosts` a publisher signs: `pinSetHostsSchema` with at least one host. A set with none would make every
 * installed app stop pinning every host at its next fetch, which is never what an empty configuration (a template
 * left unfilled, a filter that matched nothing) meant; the emergency switch is a host with `enforce: false`.
 */
export const publishedHostsSchema = pinSetHostsSchema.check(
  z.refine((hosts) => Object.keys(hosts).length > 0, {
    message: 'must name at least one host (a set with none unpins every host in every app; to stop blocking, publish the hosts with enforce: false)',
  }),
);

/** Turns a validated host configuration into its payload form (dates as `yyyy-MM-dd`, defaults explicit). */
export function toPinSetHosts(hosts: Readonly<Record<string, HostPinConfig>>): Record<string, PinSetHost> {
  const out: Record<string, PinSetHost> = {};
  for (const [host, h] of Object.entries(hosts)) {
    const expiresAt = toPinDate(h.expiresAt);
    out[host] = {
      pins: [...h.pins],
      backupPins: [...(h.backupPins ?? [])],
      includeSubdomains: h.includeSubdomains === true,
      enforce: h.enforce !== false,
      ...(expiresAt ? { expiresAt } : {}),
    };
  }
  return out;
}
