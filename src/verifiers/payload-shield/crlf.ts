/**
 * CRLF / header injection: a carriage return or line feed followed by a header line (`\r\nSet-Cookie: x`) in a
 * value that may end up in a response header or a log line. Multi-line prose in a JSON body passes: only a header
 * name right after the line break counts there; in the path, the query and headers any CR/LF before `name:` does.
 */
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the CRLF detector. */
export const CRLF_RULES = { headerInjection: 'crlf-header-injection', lineBreak: 'crlf-line-break' } as const;

// `[ \t]*`, not `\s*`: whitespace after the break must not include further line breaks, or a run of CR/LF would
// be rescanned from every break (quadratic).
const KNOWN_HEADER_AFTER_BREAK =
  /[\r\n][ \t]*(?:set-cookie|location|content-type|content-length|content-security-policy|refresh|x-forwarded-for|x-forwarded-host|x-xss-protection|access-control-allow-[a-z-]+|transfer-encoding|host|cache-control|link|x-[a-z-]{1,40}|http\/1\.[01])\s*:/;
const ANY_HEADER_AFTER_BREAK = /[\r\n][a-z][a-z0-9-]{1,40}\s*:/;

/** Creates the CRLF detector. */
export function createCrlfDetector(): Detector {
  return {
    category: 'crlf',
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if ((value.mask & CH.newline) === 0) return undefined;
      if (KNOWN_HEADER_AFTER_BREAK.test(s)) return { ruleId: CRLF_RULES.headerInjection, category: 'crlf', severity: SEVERITY.critical };
      // A line break in the path or in a parameter name has no legitimate use (names and paths are single-line).
      if (value.kind === 'path' || (value.role === 'key' && value.kind !== 'body')) {
        return { ruleId: CRLF_RULES.lineBreak, category: 'crlf', severity: SEVERITY.critical };
      }
      if ((value.kind === 'header' || value.kind === 'query') && ANY_HEADER_AFTER_BREAK.test(s)) {
        return { ruleId: CRLF_RULES.lineBreak, category: 'crlf', severity: SEVERITY.critical };
      }
      return undefined;
    },
  };
}
