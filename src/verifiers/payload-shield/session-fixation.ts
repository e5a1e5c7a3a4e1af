/**
 * Session fixation: a request that tries to plant a session id the attacker knows. A session id passed as a URL
 * parameter or path parameter of the server platforms that accept them (`JSESSIONID`, `PHPSESSID`,
 * `ASPSESSIONID...`, `;jsessionid=` in the path), and values that would set a cookie where they are reflected
 * (`document.cookie=`, `<meta http-equiv="Set-Cookie"`, a `Set-Cookie:` header line).
 */
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the session fixation detector. */
export const SESSION_RULES = { sessionParameter: 'session-fixation-id-parameter', cookieSet: 'session-fixation-cookie-set' } as const;

// Platform session-cookie names; a generic `session_id` / `sid` parameter is too common in APIs to count.
const SESSION_PARAM = /^(?:jsessionid|phpsessid|aspsessionid[a-z]{0,12}|asp\.net_sessionid|cfid|cftoken)$/;
const PATH_SESSION = /;\s*(?:jsessionid|phpsessid|sessionid)\s*=/;
const COOKIE_SET = /\.\s*cookie\s*=|http-equiv\s*=\s*['"]?\s*set-cookie|(?:^|[\r\n;])\s*set-cookie\s*:/;

function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'session', severity: SEVERITY.critical };
}

/** Creates the session fixation detector. */
export function createSessionFixationDetector(): Detector {
  return {
    category: 'session',
    // A `JSESSIONID` query key; `set-cookie:` smuggled into a value.
    readsPlainValues: { keysIn: ['query'], words: ['cookie'] },
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if (value.kind === 'path') return s.indexOf(';') !== -1 && PATH_SESSION.test(s) ? hit(SESSION_RULES.sessionParameter) : undefined;
      // A session id in the URL: the query string is where fixation links carry it (cookies and bodies are not).
      if (value.kind === 'query' && value.role === 'key' && SESSION_PARAM.test(s)) {
        return hit(SESSION_RULES.sessionParameter);
      }
      if (s.indexOf('cookie') !== -1 && COOKIE_SET.test(s)) return hit(SESSION_RULES.cookieSet);
      return undefined;
    },
  };
}
