/**
 * Shared vocabulary of the payload shield: attack categories, severities, where a value sits in the request and
 * what a detector reports. Detectors never see or return more than a rule id: values never leave the detector.
 */

/** Attack classes the shield knows. `limits`, `proto` and `custom` come from structural checks and user rules. */
export const CATEGORIES = [
  'sqli',
  'xss',
  'nosqli',
  'traversal',
  'cmdi',
  'ssti',
  'ssrf',
  'jndi',
  'crlf',
  'ldapi',
  'xxe',
  'ssi',
  'proto',
  'java',
  'php',
  'ssji',
  'rfi',
  'session',
  'scanner',
  'custom',
] as const;

/** One attack class. */
export type Category = (typeof CATEGORIES)[number];

/** Severities as the OWASP Core Rule Set scores them: one critical match reaches the default threshold. */
export const SEVERITY = { critical: 5, error: 4, warning: 3, notice: 2 } as const;

/** Which part of the request a value came from; detectors use it to decide what applies (e.g. CRLF in paths). */
export type LocationKind = 'path' | 'query' | 'body' | 'header' | 'cookie' | 'params';

/** Whether the inspected string is a value or an object key / parameter name. */
export type ValueRole = 'value' | 'key';

/** What a detector receives: one string, already normalised, with enough context to pick its rules. */
export interface InspectedValue {
  /** The string as parsed (JSON string, decoded query value, header value). */
  readonly raw: string;
  /** `raw` after bounded repeated decoding (URL, %u, \\u, HTML entities, overlong UTF-8); `raw` when unchanged. */
  readonly decoded: string;
  /** `decoded` in lower case (computed once, shared by all detectors). */
  readonly lower: string;
  readonly kind: LocationKind;
  readonly role: ValueRole;
  /** The nearest object key or parameter name above the value, lower-cased ('' when none). */
  readonly name: string;
  /** Which syntax characters `decoded` contains (see `char-classes.ts`); detectors skip values lacking theirs. */
  readonly mask: number;
  /** Which gate words `lower` contains (`GATE` bits, see `gate-words.ts`): one pass instead of an `indexOf` each. */
  readonly gates: number;
  /**
   * Object levels below the location root, array indices not counted: 1 for `body.url`, `query.url`, `body.url[0]`
   * and `body[0].url`, 2 for `body.servers[0].url`; 0 for roots.
   */
  readonly depth: number;
}

/** A rule that fired: stable id, its category and severity. Never the value. */
export interface RuleHit {
  readonly ruleId: string;
  readonly category: Category;
  readonly severity: number;
}

/** A detector: one attack class, several rules, linear time in the input length. */
export interface Detector {
  readonly category: Category;
  /**
   * Returns the first rule that fires on this value at this paranoia level, or undefined. Must run in linear time:
   * no backtracking regexes, bounded loops.
   */
  detect(value: InspectedValue, paranoia: number): RuleHit | undefined;
  /** Present on a detector that can fire on a plain value (see `PlainValueReading`); the others never see one. */
  readonly readsPlainValues?: PlainValueReading;
}

/**
 * Which plain values (no syntax character, see `PLAIN_CLASSES`) a detector can fire on: a bare `whoami`, a
 * `JSESSIONID` parameter name, a host under `callback_url`. The inspection unites every detector's declaration
 * into one test and skips detection for the plain values none claims, so a declaration must cover every plain value
 * its detector can fire on (test/verifiers/payload-shield/plain-values.test.ts checks it). Values with a non-ASCII
 * character are always claimed (lower-casing can turn them into ASCII: `\u212A` is `k`).
 */
export interface PlainValueReading {
  /** Character classes (`CH` bits) any of which claims the value (`@`, `%`: no search needed, the mask has them). */
  readonly chars?: number;
  /** Lower-case ASCII substrings any of which claims the value (case-insensitive; found by the scan every value gets, value-scan.ts). */
  readonly words?: readonly string[];
  /**
   * A lower-case pattern without flags for what `chars` and `words` cannot say (tested case-insensitively). Keep it
   * anchored (`^...`), or give `hintNeeds`: the anchored hints are united into one regex that runs over every plain
   * value not claimed otherwise, where a floating alternative costs per character of every value.
   */
  readonly hint?: RegExp;
  /**
   * For an anchored `hint`: how its matches can begin once leading white space is skipped, as one- or two-character
   * starts (lower case; upper-case letters are implied, as hints are tested case-insensitively): `'7'` for a match
   * beginning with 7, `'ht'` for one beginning with `ht`. When every anchored hint gives them, their regex runs only on
   * values that begin with one of them (plain-values.test.ts checks the declarations against generated matches).
   */
  readonly hintStarts?: readonly string[];
  /**
   * A character (not a letter) that every match of `hint` contains, for a hint that is not anchored: the hint then runs
   * apart from the united anchored ones, and only on values that contain it (found by the scan every value gets,
   * where the united regex tried every alternative at every position of a long value).
   */
  readonly hintNeeds?: string;
  /** True for the names (lower case: keys, parameter and header names) under which any plain value may fire. */
  readonly names?: (name: string) => boolean;
  /** Locations where every plain key may fire (a session id as a query parameter name). */
  readonly keysIn?: readonly LocationKind[];
}

/** A rule hit placed in the request: `location` is a path such as `body.items[3].name` or `header.user-agent`. */
export interface LocatedHit extends RuleHit {
  readonly location: string;
  /** True when the category (or the rule's virtual patch) is in monitor mode: recorded, never blocking. */
  readonly monitored: boolean;
}
