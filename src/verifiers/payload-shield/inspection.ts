/**
 * One inspection pass over a request's values (the `Inspection` walk behind `inspectPayload`): normalisation,
 * detectors with anomaly scoring, exclusions, virtual patches and the per-request budget (the verdict types are in verdict.ts).
 */
import { HEADER_CACHE_MAX_VALUE, QUIET_KEY_MAX_LENGTH, QUIET_KEYS_MAX, type CompiledPayloadOptions } from './compile.js';
import type { LimitViolation, PayloadLimits } from './limits.js';
import { formatLocation, type PathSegment } from './location.js';
import { normalise } from './normalise.js';
import { CH } from './char-classes.js';
import { isPlainValue } from './plain-values.js';
import { scannedWords, scanValue } from './value-scan.js';
import { ValueUnderInspection } from './value-under-inspection.js';
import { detectPollutionKey, detectPollutionValue } from './prototype-pollution.js';
import { SEVERITY, type Detector, type LocatedHit, type LocationKind, type RuleHit, type ValueRole } from './types.js';
import { isSecretOperator, ORM_RULES } from './orm.js';
import { isSchemaPropertyName } from './json-schema-names.js';
import { MEMO_MIN_LENGTH, memoDepth, ValueMemo } from './value-memo.js';

/** The parts of a request the payload shield reads (a `ShieldRequest` satisfies it). */
export interface PayloadRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The header lines as received, when the adapter has them (see `ShieldRequest.rawHeaders`): what the header limits count. */
  readonly rawHeaders?: readonly string[];
  /** The trailer lines after a chunked body, when it had any (see `ShieldRequest.rawTrailers`): inspected as headers. */
  readonly rawTrailers?: readonly string[];
  readonly query?: string | Readonly<Record<string, unknown>>;
  /** Holds the query the framework parsed for the handler (see `ShieldRequest.parsedQueryFrom`). */
  readonly parsedQueryFrom?: { readonly query?: unknown };
  readonly params?: Readonly<Record<string, string | readonly string[]>>;
  /** Before routing (Express, Koa): the pattern of the route that will run (see `ShieldRequest.findRoute`). */
  findRoute?(): string | undefined;
}

/** Values longer than this read the clock before they are inspected. */
const CLOCK_EVERY_CHARS = 2048;
/** Characters inspected before the time budget applies. */
const CLOCK_FLOOR = 16 * 1024;
const NO_DETECTORS: readonly Detector[] = Object.freeze([]);
const NO_RULE_HITS: readonly RuleHit[] = Object.freeze([]);
// `%`, `&` and `\` start every encoding `normalise` undoes.
const ENCODING_CHARS = CH.percent | CH.amp | CH.backslash;

/** One pass over a request: every value through normalisation and the detectors, within the budget. */
export class Inspection {
  score = 0;
  hits: LocatedHit[] | undefined;
  violation: LimitViolation | undefined;
  /** The budget that ran out with `budgetExhausted: 'allow'`: detectors stop, structural limits still deny. */
  budgetSpent: LimitViolation | undefined;
  stopped = false;
  /** While a second reading of the same values is walked: the rules the first reading found, not counted again. */
  private foundBefore: ReadonlySet<string> | undefined;
  /** Walking a first reading a second will follow: the rules exclusions dropped (see `walkSecondReading`). */
  excludedInto: Set<string> | undefined;
  private bytes = 0;
  /** Characters of the body's keys and strings admitted so far (a lower bound of its size in bytes). */
  private bodyChars = 0;
  /** Strings inspected since the clock was last read: reading it for every string would cost more than it saves. */
  private sinceClock = 0;
  private readonly deadline: number;
  private readonly segments: PathSegment[] = [];
  /**
   * The object keys among `segments` (array indices left out): the depth detectors read. An array around a value
   * (`{"url": ["http://..."]}`, a batch `[{...}]`) nests it no deeper for the resource-document rule (ssrf.ts).
   */
  private keyDepth = 0;
  private root = '';
  private readonly limits: PayloadLimits;

  constructor(
    private readonly options: CompiledPayloadOptions,
    private readonly method: string,
    private readonly path: string,
  ) {
    this.limits = options.limits;
    this.deadline = performance.now() + options.limits.maxInspectMillis;
  }

  get done(): boolean {
    return this.stopped || this.violation !== undefined;
  }

  private location(): string {
    return formatLocation(this.root, this.segments);
  }

  record(hit: RuleHit, location: string = this.location(), forceMonitor = false): void {
    const mode = this.options.modes[hit.category];
    if (mode === 'off') return;
    if (this.foundBefore !== undefined && this.foundBefore.has(hit.ruleId)) return;
    if (this.options.exclusions.size > 0 && this.options.exclusions.excludes(this.method, this.path, hit.ruleId, hit.category, location)) {
      this.excludedInto?.add(hit.ruleId);
      return;
    }
    const monitored = forceMonitor || mode === 'monitor';
    (this.hits ??= []).push({ ...hit, location, monitored });
    if (!monitored) {
      this.score += hit.severity;
      if (this.score >= this.options.threshold) this.stopped = true;
    }
  }

  private clockExpired(): boolean {
    this.sinceClock = 0;
    return performance.now() > this.deadline;
  }

  private violate(limit: keyof PayloadLimits, code: LimitViolation['code'] = 'payload_too_large'): void {
    this.violation ??= { limit, code, location: this.location() };
  }

  /** The value being walked below the current key, set by `walk` while it inspects that key. */
  private keyValue: unknown;

  /** The value being inspected, refilled for each string (see `ValueUnderInspection`). */
  private readonly value = new ValueUnderInspection();

  /** Detector results of this request's longer values, created on the first one. */
  private memo: ValueMemo | undefined;

  /**
   * The location segment at `index`, undefined above the root. Never reads a negative index: `segments[-1]` is a
   * named-property miss that walks the prototype chain, measurably slower on every top-level key.
   */
  private segmentAt(index: number): PathSegment | undefined {
    return index >= 0 ? this.segments[index] : undefined;
  }

  /** True when the current key names a property in a JSON Schema (see `isSchemaPropertyName`). */
  private isSchemaPropertyName(): boolean {
    return isSchemaPropertyName(this.segmentAt(this.segments.length - 2), this.keyValue);
  }

  /**
   * Counts one string against the inspection budget and the string-length limit; false (with the violation
   * recorded) when it must not be inspected.
   */
  private admit(raw: string): boolean {
    // Structural limits first: they deny whatever the budget says.
    if (raw.length > this.limits.maxStringLength) {
      this.violate('maxStringLength');
      return false;
    }
    // A parsed body has no more key and string characters than bytes: past `maxBodyBytes` it outgrew its framing.
    if (this.root === 'body' && (this.bodyChars += raw.length) > this.limits.maxBodyBytes) {
      this.violate('maxBodyBytes');
      return false;
    }
    if (this.budgetSpent !== undefined) return false;
    this.bytes += raw.length;
    if (this.bytes > this.limits.maxInspectBytes) {
      this.spend('maxInspectBytes');
      return false;
    }
    // The time budget is checked between values (every 16th, and before any long one) once the request is past
    // CLOCK_FLOOR characters: below that the worst case is bounded anyway (milliseconds), and an ordinary request
    // must never be denied because a GC pause or a busy CPU stretched its microseconds. One value costs at most
    // what `maxStringLength` characters cost, so the overrun past the deadline is bounded too.
    if (this.bytes > CLOCK_FLOOR && (++this.sinceClock >= 16 || raw.length > CLOCK_EVERY_CHARS) && this.clockExpired()) {
      this.spend('maxInspectMillis');
      return false;
    }
    return true;
  }

  /** The budget ran out: a denial (`budgetExhausted: 'deny'`), or the rest of the walk checks structure only. */
  private spend(limit: 'maxInspectBytes' | 'maxInspectMillis'): void {
    if (this.options.budgetExhausted === 'deny') this.violate(limit);
    else this.budgetSpent ??= { limit, code: 'payload_too_large', location: this.location() };
  }

  /** A body key in `quietBodyKeys`: only the budget, the limits and the custom rules apply (see there). */
  private inspectQuietKey(raw: string): void {
    if (!this.done && this.admit(raw) && this.options.customRules.length > 0) this.applyCustomRules(raw, raw);
  }

  /**
   * Runs the detectors (or `detectors`) on one string. `nameClaims`: whether `name` claims plain values (see
   * `PlainValues.claimsName`), when the caller knows it (a quiet key does).
   */
  inspectString(raw: string, kind: LocationKind, role: ValueRole, name: string, detectors = this.options.detectors, nameClaims?: boolean): void {
    if (this.done || !this.admit(raw)) return;
    let polluting = false;
    if (this.options.prototypePollution) {
      // The opt-in schema exemption is only looked up for the rare key that is a pollution vector (a value's is in
      // detectPollutionValue); a value is read if a property path or a JSON document (a first character decides).
      const pollution = role === 'key' ? detectPollutionKey(raw) : detectPollutionValue(raw, name, this.options.schemaPropertyNames);
      if (pollution) polluting = true;
      if (pollution && !(role === 'key' && this.options.schemaPropertyNames && this.isSchemaPropertyName())) {
        this.record(pollution);
        if (this.done) return;
      }
    }
    const custom = this.options.customRules;
    const cached = kind === 'header' && detectors === this.options.detectors && raw.length <= HEADER_CACHE_MAX_VALUE && this.options.cachedHeaders.has(name);
    if (cached) {
      this.inspectCachedHeader(raw, name);
      if (custom.length > 0 && !this.done) this.applyCustomRules(raw, this.scanDecoded(raw));
      return;
    }
    const decoded = this.scanDecoded(raw);
    const mask = this.mask;
    const plain = isPlainValue(mask, this.words);
    const active = this.detectorsFor(plain, decoded, mask, this.words, name, kind, role, detectors, nameClaims);
    let fired = false;
    if (active.length > 0) {
      const depth = this.segments.length;
      // The request path: its detectors depend on the string alone; the last one's hits are kept across requests.
      const pathVerdict =
        kind === 'path' && depth === 0 && detectors === this.options.detectors && raw.length <= HEADER_CACHE_MAX_VALUE ? this.options.lastPathVerdict : undefined;
      // A value seen before in this request (same kind, role, name, depth class) replays its hits (see value-memo.ts).
      // Only values under an object key: documents repeat whole objects, and an array of one repeated dense string
      // stays what the inspection budget is measured and tested with (an attacker varies the elements anyway).
      const memoable = active === this.options.detectors && raw.length >= MEMO_MIN_LENGTH && typeof this.segmentAt(depth - 1) === 'string';
      const memo = memoable ? (this.memo ??= new ValueMemo()) : undefined;
      const lastPath = pathVerdict?.last;
      const keyDepth = this.keyDepth;
      const remembered = lastPath !== undefined && lastPath.raw === raw ? lastPath.hits : memo?.recall(raw, kind, role, name, memoDepth(keyDepth));
      if (remembered !== undefined) {
        fired = remembered.length > 0;
        for (const hit of remembered) {
          this.record(hit);
          if (this.done) return;
        }
      } else {
        const value = this.value.fill(raw, decoded, kind, role, name, mask, keyDepth);
        const paranoia = this.options.paranoia;
        let found: RuleHit[] | undefined;
        for (const detector of active) {
          const hit = detector.detect(value, paranoia);
          if (hit) {
            fired = true;
            if (memo || pathVerdict) (found ??= []).push(hit);
            this.record(hit);
            if (this.done) return;
          }
        }
        memo?.remember(raw, kind, role, name, memoDepth(keyDepth), found ?? NO_RULE_HITS);
        if (pathVerdict) pathVerdict.last = { raw, hits: found ?? NO_RULE_HITS };
      }
    }
    if (plain && !fired) this.rememberIfQuietKey(raw, decoded, name, role, kind, polluting, detectors);
    if (custom.length > 0) this.applyCustomRules(raw, decoded);
  }

  /** Class mask of the value `scanDecoded` returned last. */
  private mask = 0;
  /** Word groups of the value `scanDecoded` returned last (see value-scan.ts). */
  private words = 0;

  /**
   * The decoded value of `raw`, its class mask and word groups in `mask` and `words`. Most values carry no encoding:
   * decoded (and scanned again) only when the raw value has an escape character.
   */
  private scanDecoded(raw: string): string {
    this.mask = scanValue(raw);
    this.words = scannedWords();
    if ((this.mask & ENCODING_CHARS) === 0) return raw;
    const decoded = normalise(raw, this.options.decodeRounds);
    if (decoded !== raw) {
      this.mask = scanValue(decoded);
      this.words = scannedWords();
    }
    return decoded;
  }

  /**
   * The detectors a value goes to. Values without syntax characters (`plain`) only go to the detectors that read
   * them (a bare `whoami`, a host under `callback_url`, a class name under `@type`), and only when one of those
   * claims the value (see plain-values.ts): most skip detection.
   */
  private detectorsFor(
    plain: boolean,
    decoded: string,
    mask: number,
    words: number,
    name: string,
    kind: LocationKind,
    role: ValueRole,
    detectors: readonly Detector[],
    nameClaims?: boolean,
  ): readonly Detector[] {
    if (!plain) return detectors;
    return detectors === this.options.detectors && this.options.plainValues.claims(decoded, mask, words, name, kind, role, nameClaims)
      ? this.options.plainDetectors
      : NO_DETECTORS;
  }

  /**
   * Adds a plain body key no detector fired on to `quietBodyKeys`: its verdict depends on its text alone. Not a
   * pollution vector (the schema exemption depends on where it is), not decoded, inspected with the full set.
   */
  private rememberIfQuietKey(
    raw: string,
    decoded: string,
    lower: string,
    role: ValueRole,
    kind: LocationKind,
    polluting: boolean,
    detectors: readonly Detector[],
  ): void {
    if (role !== 'key' || kind !== 'body' || polluting || decoded !== raw || detectors !== this.options.detectors || raw.length > QUIET_KEY_MAX_LENGTH) return;
    const quiet = this.options.quietBodyKeys;
    if (quiet.size >= QUIET_KEYS_MAX) quiet.clear();
    quiet.set(raw, { lower, nameClaims: this.options.plainValues.claimsName(lower) });
  }

  /** Virtual patches without a target: every inspected string, decoded and raw. */
  private applyCustomRules(raw: string, decoded: string): void {
    for (const rule of this.options.customRules) {
      if (!rule.route(this.method, this.path)) continue;
      if (rule.test(decoded) || (decoded !== raw && rule.test(raw))) {
        this.record({ ruleId: rule.id, category: 'custom', severity: rule.severity }, this.location(), rule.monitor);
        if (this.done) return;
      }
    }
  }

  /** Runs every detector on a header value once per distinct value (LRU), then records the hits here. */
  private inspectCachedHeader(raw: string, name: string): void {
    const last = this.options.lastHeaderVerdicts.get(name);
    const key = last !== undefined && last.raw === raw ? undefined : `${name}\0${raw}`;
    let hits = key === undefined ? last!.hits : this.options.headerVerdicts.get(key);
    if (hits === undefined) {
      const found: RuleHit[] = [];
      const decoded = this.scanDecoded(raw);
      const mask = this.mask;
      const words = this.words;
      const active = this.detectorsFor(isPlainValue(mask, words), decoded, mask, words, name, 'header', 'value', this.options.detectors);
      const value = this.value.fill(raw, decoded, 'header', 'value', name, mask, 1);
      for (const detector of active) {
        const hit = detector.detect(value, this.options.paranoia);
        if (hit) found.push(hit);
      }
      hits = found;
      this.options.headerVerdicts.set(key!, hits);
    }
    if (key !== undefined) this.options.lastHeaderVerdicts.set(name, { raw, hits });
    for (const hit of hits) {
      this.record(hit);
      if (this.done) return;
    }
  }

  /** Walks a parsed value (JSON, form, query object), checking limits, keys and every string. */
  walk(value: unknown, kind: LocationKind, name: string, depth: number): void {
    if (this.done) return;
    if (typeof value === 'string') {
      this.inspectString(value, kind, 'value', name);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth >= this.limits.maxDepth) return this.violate('maxDepth');
    if (Array.isArray(value)) {
      if (value.length > this.limits.maxArrayLength) return this.violate('maxArrayLength');
      for (let i = 0; i < value.length && !this.done; i++) {
        this.segments.push(i);
        this.walk(value[i], kind, name, depth + 1);
        this.segments.pop();
      }
      return;
    }
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return;
    const record = value as Record<string, unknown>;
    let keys = 0;
    for (const key in record) {
      if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
      if (++keys > this.limits.maxKeys) return this.violate('maxKeys');
      this.segments.push(key);
      this.keyDepth++;
      this.keyValue = record[key];
      // Lower-cased once: it names the key's own inspection and the value below it.
      const quiet = kind === 'body' ? this.options.quietBodyKeys.get(key) : undefined;
      const lowerKey = quiet !== undefined ? quiet.lower : key.toLowerCase();
      if (quiet !== undefined) this.inspectQuietKey(key);
      else this.inspectString(key, kind, 'key', lowerKey);
      // `{"password": {"startsWith": "a"}}`: a filter operator on a secret column leaks it character by character.
      const parent = this.segmentAt(this.segments.length - 2);
      if (!this.done && typeof parent === 'string' && this.options.modes.sqli !== 'off' && isSecretOperator(parent, lowerKey)) {
        this.record({ ruleId: ORM_RULES.secretLookup, category: 'sqli', severity: SEVERITY.critical });
      }
      // Numbers, booleans and null below a key need no call: only strings and objects are inspected. A string below a
      // quiet key takes the key's name answer with it (one lookup fewer per value).
      const child = this.keyValue;
      if (!this.done) {
        if (typeof child === 'string') this.inspectString(child, kind, 'value', lowerKey, this.options.detectors, quiet?.nameClaims);
        else if (typeof child === 'object' && child !== null) this.walk(child, kind, lowerKey, depth + 1);
      }
      this.segments.pop();
      this.keyDepth--;
      if (this.done) return;
    }
  }

  /**
   * Walks a second reading of values already walked (the handler's parse of the query beside the shield's own):
   * a rule that hits in both readings counts once; the hits recorded since `firstFrom` are the first reading's, and
   * `excluded` the rules an exclusion dropped there (its locations differ: `filter[name]` beside `filter.name`).
   */
  walkSecondReading(value: unknown, kind: LocationKind, firstFrom: number, excluded?: ReadonlySet<string>): void {
    const found = new Set<string>(excluded);
    const hits = this.hits ?? [];
    for (let i = firstFrom; i < hits.length; i++) found.add(hits[i]!.ruleId);
    this.foundBefore = found;
    try {
      this.walk(value, kind, '', 0);
    } finally {
      this.foundBefore = undefined;
    }
  }

  /** Sets the location root (`body`, `query`...) for the values inspected next. */
  at(root: string, segment?: PathSegment): this {
    this.root = root;
    // Emptied by popping: `length = 0` drops the backing store, and the next push allocated a new one (per header).
    while (this.segments.length > 0) this.segments.pop();
    // One segment at most (a header or cookie name), passed alone: no array per header per request.
    if (segment !== undefined) this.segments.push(segment);
    this.keyDepth = typeof segment === 'string' ? 1 : 0;
    return this;
  }
}

