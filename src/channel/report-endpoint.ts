/**
 * `POST /pinning/report`: where apps report pin-validation failures (TrustKit's JSON report, HPKP-style reports).
 * Size-limited, schema-checked, rate-limited per client IP and deduplicated through the `Store`; each new report
 * becomes an `onPinFailure` event. A man-in-the-middle seen by apps shows up here first.
 */
import { createHash, X509Certificate } from 'node:crypto';
import * as z from 'zod/mini';
import { clientIpOptionsSchema, createClientIpResolver, type ClientIpOptions } from '../core/client-ip.js';
import { endpointProblem, type EndpointRequest, type EndpointResponse, type Endpoints } from '../core/endpoints.js';
import { ShieldConfigError } from '../core/errors.js';
import { storeSchema } from '../core/schemas.js';
import { MemoryStore } from '../stores/memory.js';
import type { Store } from '../stores/store.js';
import { spkiPin } from './compute-pins.js';
import { pinSetHostSchema, type PinSetHost } from './pinset-payload.js';
import { knownPinValue, pinFailureReportSchema, validationResultName, type PinFailureReport } from './report-schema.js';
import { ENGLISH } from '../core/zod-locale.js';
import { callHook } from '../core/hooks.js';

/** One pin-validation failure an app reported. Never holds a secret: certificates and pins are public. */
export interface PinFailureEvent {
  readonly format: 'trustkit' | 'hpkp';
  /** The host the app connected to, lower-cased. */
  readonly host: string;
  readonly port: number | undefined;
  /** The pinned domain the host matched (`noted-hostname`). */
  readonly notedHost: string | undefined;
  readonly appId: string | undefined;
  readonly appVersion: string | undefined;
  readonly platform: string | undefined;
  /** Whether the app blocked the connection (TrustKit `enforce-pinning`). */
  readonly enforced: boolean | undefined;
  /** The pins the app held (base64). */
  readonly knownPins: readonly string[];
  /** SPKI pins of the chain the app was served (leaf first), computed here from the reported certificates. */
  readonly servedChainPins: readonly string[];
  /** Subjects of the served chain, leaf first, for humans. */
  readonly servedChainSubjects: readonly string[];
  /** TrustKit's validation result as a name (`no_matching_pin`, `invalid_certificate_chain`, ...). */
  readonly validationResult: string;
  /**
   * True when the served chain has no key of the pins this server publishes for the host (or, without a publisher,
   * of the app's known pins): the app did not talk to us. False when it matches (a stale app pin set, not an attack);
   * undefined when the report carried no readable chain.
   */
  readonly mitmSuspected: boolean | undefined;
  /** The reporting client's IP (as resolved with `trustProxy`). */
  readonly ip: string;
  /** The report's own `date-time`, as sent. */
  readonly reportedAt: string | undefined;
  /** Epoch ms when the server received it. */
  readonly receivedAt: number;
}

/** Counters since start, for dashboards. */
export interface PinReportMetrics {
  received: number;
  accepted: number;
  duplicates: number;
  rateLimited: number;
  invalid: number;
  mitmSuspected: number;
}

/** Options of `createPinReportEndpoint`. */
export interface PinReportOptions extends ClientIpOptions {
  /** Called once per new (non-duplicate) report. Errors it throws are passed to `onError`, never to the client. */
  onPinFailure: (event: PinFailureEvent) => void | Promise<void>;
  /** Counters and dedup keys live here; use the shield's store (Redis for several instances). Default: a MemoryStore. */
  store?: Store;
  /** Path served. Default `/pinning/report`. */
  path?: string;
  /** Largest report body, bytes. Default 32 KiB (a report carries the PEM chain). */
  maxBodyBytes?: number;
  /** Reports per client IP (IPv6 by /64) per window. Default 30 per 60 000 ms. */
  rateLimit?: { max?: number; windowMs?: number };
  /** The same report from the same IP is an event once per this many ms. Default 3 600 000. */
  dedupeWindowMs?: number;
  /** Store key prefix. Default `mas:pinreport:`. */
  keyPrefix?: string;
  /** The pins the server publishes, to tell a MITM from a stale app: a publisher, or a host map. */
  expectedPins?: { current(): Promise<{ payload: { hosts: Readonly<Record<string, PinSetHost>> } }> } | Readonly<Record<string, PinSetHost>>;
  /** Told about store failures and throwing `onPinFailure` hooks. */
  onError?: (error: unknown) => void;
}

/** The report endpoint: mount it with `expressEndpoints` / `koaEndpoints` / `fastifyEndpoints`. */
export interface PinReportEndpoint extends Endpoints {
  readonly metrics: Readonly<PinReportMetrics>;
}

const optionsSchema = z.strictObject({
    onPinFailure: z.custom<PinReportOptions['onPinFailure']>((v) => typeof v === 'function', 'must be a function'),
    store: z.optional(storeSchema),
    path: z._default(z.string().check(z.regex(/^\/[A-Za-z0-9._~\/-]*$/)), '/pinning/report'),
    maxBodyBytes: z._default(z.number().check(z.int(), z.minimum(1024), z.maximum(1_048_576)), 32_768),
    rateLimit: z._default(z.strictObject({ max: z._default(z.number().check(z.int(), z.positive(), z.maximum(1_000_000)), 30), windowMs: z._default(z.number().check(z.int(), z.minimum(1000), z.maximum(86_400_000)), 60_000) }), { max: 30, windowMs: 60_000 }),
    dedupeWindowMs: z._default(z.number().check(z.int(), z.minimum(1000), z.maximum(604_800_000)), 3_600_000),
    keyPrefix: z._default(z.string().check(z.maxLength(64)), 'mas:pinreport:'),
    expectedPins: z.optional(
      z.union([
        z.custom<{ current: () => Promise<never> }>((v) => typeof (v as { current?: unknown })?.current === 'function', 'must be a publisher'),
        z.record(z.string(), pinSetHostSchema),
      ])),
    onError: z.optional(z.custom<(error: unknown) => void>((v) => typeof v === 'function', 'must be a function')),
    ...clientIpOptionsSchema.shape,
  });

const NO_CONTENT: EndpointResponse = Object.freeze({ status: 204, headers: Object.freeze({ 'cache-control': 'no-store' }), body: undefined });

/**
 * Builds the pin-failure report endpoint. A store failure answers 503 (the report is not silently lost: apps retry);
 * a bad report 422 `payload_invalid`; too many from one IP 429 `too_many_reports` with `Retry-After`.
 */
export function createPinReportEndpoint(options: PinReportOptions): PinReportEndpoint {
  const parsed = optionsSchema.safeParse(options, ENGLISH);
  if (!parsed.success) {
    throw new ShieldConfigError(parsed.error.issues.map((i) => ({ path: `pinReport.${i.path.join('.')}`, message: i.message })));
  }
  const o = parsed.data;
  const store: Store = o.store ?? new MemoryStore();
  const ips = createClientIpResolver({ trustProxy: o.trustProxy, ipv4Prefix: o.ipv4Prefix, ipv6Prefix: o.ipv6Prefix, proxyHeader: o.proxyHeader });
  const metrics: PinReportMetrics = { received: 0, accepted: 0, duplicates: 0, rateLimited: 0, invalid: 0, mitmSuspected: 0 };
  const expected = options.expectedPins;

  async function expectedFor(host: string): Promise<readonly string[] | undefined> {
    if (!expected) return undefined;
    const hosts = typeof expected.current === 'function' ? (await (expected as { current(): Promise<{ payload: { hosts: Readonly<Record<string, PinSetHost>> } }> }).current()).payload.hosts : (expected as Readonly<Record<string, PinSetHost>>);
    for (let name = host; ; ) {
      const entry = Object.hasOwn(hosts, name) ? hosts[name] : undefined;
      if (entry && (name === host || entry.includeSubdomains)) return [...entry.pins, ...(entry.backupPins ?? [])];
      const dot = name.indexOf('.');
      if (dot === -1) return undefined;
      name = name.slice(dot + 1);
    }
  }

  async function handle(request: EndpointRequest): Promise<EndpointResponse> {
    try {
      return await answer(request);
    } catch (error) {
      // A store that cannot answer: the mount answers 503 (rethrown); this endpoint's own `onError` hears it too.
      callHook(o.onError, error);
      throw error;
    }
  }

  async function answer(request: EndpointRequest): Promise<EndpointResponse> {
    metrics.received++;
    const client = ips.resolve(request.ip, request.headers, request.frameworkIp);
    const ipKey = ips.aggregationKey(client.ip);
    const rate = await store.increment(`${o.keyPrefix}rate:${ipKey}`, o.rateLimit.windowMs);
    if (rate.count > o.rateLimit.max) {
      metrics.rateLimited++;
      return endpointProblem(429, 'too_many_reports', 'Too many reports', { 'retry-after': String(Math.max(1, Math.ceil(rate.ttlMs / 1000))) });
    }
    const report = pinFailureReportSchema.safeParse(request.body, ENGLISH);
    if (!report.success) {
      metrics.invalid++;
      return endpointProblem(422, 'payload_invalid', 'Request failed validation');
    }
    const event = await toEvent(report.data, client.ip, expectedFor);
    const dedupeKey = createHash('sha256')
      .update(JSON.stringify([ipKey, event.host, event.port, event.servedChainPins, [...event.knownPins].sort(), event.validationResult, event.appId, event.appVersion]))
      .digest('base64url');
    if (!(await store.setIfAbsent(`${o.keyPrefix}seen:${dedupeKey}`, '1', o.dedupeWindowMs))) {
      metrics.duplicates++;
      return NO_CONTENT;
    }
    metrics.accepted++;
    if (event.mitmSuspected) metrics.mitmSuspected++;
    try {
      await options.onPinFailure(event);
    } catch (error) {
      callHook(o.onError, error);
    }
    return NO_CONTENT;
  }

  return { routes: [{ method: 'POST', path: o.path }], maxBodyBytes: o.maxBodyBytes, handle, metrics };
}

async function toEvent(
  report: PinFailureReport,
  ip: string,
  expectedFor: (host: string) => Promise<readonly string[] | undefined>,
): Promise<PinFailureEvent> {
  const format = report['app-bundle-id'] !== undefined || report['validation-result'] !== undefined ? 'trustkit' : 'hpkp';
  const chain = report['served-certificate-chain'] ?? report['validated-certificate-chain'] ?? [];
  const servedChainPins: string[] = [];
  const servedChainSubjects: string[] = [];
  for (const pem of chain) {
    try {
      const certificate = new X509Certificate(pem);
      servedChainPins.push(spkiPin(certificate));
      servedChainSubjects.push(certificate.subject.split('\n').join(', '));
    } catch {
      // An unreadable certificate is left out; the event still carries what could be read.
    }
  }
  const host = report.hostname.toLowerCase();
  const knownPins = report['known-pins'].map(knownPinValue);
  const reference = (await expectedFor(host)) ?? knownPins;
  const mitmSuspected = servedChainPins.length === 0 ? undefined : !servedChainPins.some((p) => reference.includes(p));
  return {
    format,
    host,
    port: report.port,
    notedHost: report['noted-hostname']?.toLowerCase(),
    appId: report['app-bundle-id'],
    appVersion: report['app-version'],
    platform: report['app-platform'],
    enforced: report['enforce-pinning'],
    knownPins,
    servedChainPins,
    servedChainSubjects,
    validationResult: validationResultName(report['validation-result']),
    mitmSuspected,
    ip,
    reportedAt: report['date-time'],
    receivedAt: Date.now(),
  };
}
