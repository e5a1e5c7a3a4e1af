import { createHash } from 'node:crypto';
import type { LRUCache } from 'lru-cache';
import { createExpiringCache } from '../../core/expiring-cache.js';
import { CREDENTIAL_DEFAULTS, type BreachedPasswordOptions } from './options.js';

/** The range API could not be asked (network, timeout, bad status, oversize or malformed answer). */
export class BreachedPasswordLookupError extends Error {
  constructor(reason: string) {
    super(`breached-password lookup failed: ${reason}`);
    this.name = 'BreachedPasswordLookupError';
  }
}

/** Padded answers are about 800-1000 lines of 40 bytes; anything far larger is not the range API. */
const MAX_RESPONSE_BYTES = 256 * 1024;
const PREFIX_LENGTH = 5;

/**
 * A client of Have I Been Pwned's k-anonymity range API (`GET <baseUrl>/range/<5 hex>`). Only the first five hex
 * characters of the password's SHA-1 leave the process; the answer lists every known suffix under that prefix (with
 * `Add-Padding: true`, padded with zero-count decoys so its size does not reveal the prefix either). Answers are
 * cached per prefix, and concurrent lookups of one prefix share one request.
 */
export class BreachedPasswordChecker {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly cache: LRUCache<string, string>;
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(options: BreachedPasswordOptions = {}) {
    const defaults = CREDENTIAL_DEFAULTS.breachedPassword;
    this.baseUrl = (options.baseUrl ?? defaults.baseUrl).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
    this.cache = createExpiringCache<string, string>({ max: options.cacheEntries ?? defaults.cacheEntries, ttl: options.cacheTtlMs ?? defaults.cacheTtlMs });
  }

  /** How many times the password appears in known breaches (0 when never). Rejects when the API cannot answer. */
  async breachCount(password: string): Promise<number> {
    const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = sha1.slice(0, PREFIX_LENGTH);
    const suffix = sha1.slice(PREFIX_LENGTH);
    const body = await this.range(prefix);
    return countFor(body, suffix);
  }

  private range(prefix: string): Promise<string> {
    const cached = this.cache.get(prefix);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.inFlight.get(prefix);
    if (pending === undefined) {
      pending = this.fetchRange(prefix).finally(() => this.inFlight.delete(prefix));
      this.inFlight.set(prefix, pending);
    }
    return pending;
  }

  private async fetchRange(prefix: string): Promise<string> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/range/${prefix}`, {
        headers: { 'Add-Padding': 'true', 'User-Agent': 'mobile-api-shield' },
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const name = error instanceof Error ? error.name : 'error';
      throw new BreachedPasswordLookupError(name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : name);
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new BreachedPasswordLookupError(`status ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_RESPONSE_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      throw new BreachedPasswordLookupError('response too large');
    }
    let text: string;
    try {
      text = await readLimited(response, MAX_RESPONSE_BYTES);
    } catch (error) {
      if (error instanceof BreachedPasswordLookupError) throw error;
      throw new BreachedPasswordLookupError(error instanceof Error ? error.name : 'read error');
    }
    // A well-formed answer starts with a 35-hex suffix and a colon; anything else (an HTML error page from a proxy)
    // must not be cached as "no breach".
    if (text.length > 0 && !/^[0-9A-Fa-f]{35}:\d/.test(text)) throw new BreachedPasswordLookupError('malformed response');
    const normalised = `\n${text.toUpperCase().replace(/\r/g, '')}`;
    this.cache.set(prefix, normalised);
    return normalised;
  }
}

async function readLimited(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BreachedPasswordLookupError('response too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The count on the `SUFFIX:COUNT` line of a normalised answer (lines preceded by `\n`), or 0. */
function countFor(body: string, suffix: string): number {
  const at = body.indexOf(`\n${suffix}:`);
  if (at === -1) return 0;
  let i = at + 1 + suffix.length + 1;
  let count = 0;
  for (; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c < 48 || c > 57) break;
    count = count * 10 + (c - 48);
  }
  return count;
}
