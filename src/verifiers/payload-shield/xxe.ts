/**
 * XML external entities and XML-borne attacks: DTDs declaring entities (`<!ENTITY x SYSTEM "file:///...">`),
 * external DOCTYPEs, XInclude, and XSLT that calls into the host (`php:function`, `document()`). Plain XML passes.
 */
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the XXE detector. */
export const XXE_RULES = {
  entity: 'xxe-entity-declaration',
  externalDoctype: 'xxe-external-doctype',
  xinclude: 'xxe-xinclude',
  xslt: 'xxe-xslt-injection',
  dataIsland: 'xxe-data-island',
} as const;

const ENTITY = /<!entity\b/;
// One `\s` then a bounded class: `\s+` before `[^>]{0,200}` would backtrack over long runs of spaces.
const EXTERNAL_DOCTYPE = /<!doctype\s[^>\[]{0,200}\b(?:system|public)\b|<!doctype\s[^>]{0,200}\[/;
const XINCLUDE = /<\s*xi\s*:\s*include\b|xmlns\s*:\s*xi\s*=/;
const XSLT = /<\s*xsl\s*:\s*(?:stylesheet|transform|template|value-of|copy-of|include|import)\b|\bphp\s*:\s*function\b|\bxmlns\s*:\s*php\s*=/;
const DATA_ISLAND = /\bdatasrc\s*=|\bdataformatas\s*=|<\s*xml\b[^>]{0,100}\bsrc\s*=/;

/** A critical xxe hit (module-level: no closure allocated per value). */
function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'xxe', severity: SEVERITY.critical };
}

/** Creates the XXE detector. */
export function createXxeDetector(): Detector {
  return {
    category: 'xxe',
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if ((value.mask & CH.lt) === 0) return undefined;
      if (s.indexOf('<!') !== -1) {
        if (ENTITY.test(s)) return hit(XXE_RULES.entity);
        if (EXTERNAL_DOCTYPE.test(s)) return hit(XXE_RULES.externalDoctype);
      }
      if (s.indexOf('xi') !== -1 && XINCLUDE.test(s)) return hit(XXE_RULES.xinclude);
      if ((s.indexOf('xsl') !== -1 || s.indexOf('php') !== -1) && XSLT.test(s)) return hit(XXE_RULES.xslt);
      if (s.indexOf('data') !== -1 && DATA_ISLAND.test(s)) return hit(XXE_RULES.dataIsland);
      return undefined;
    },
  };
}
