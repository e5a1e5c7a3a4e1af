/**
 * Server-side template injection: template expressions that compute or reach into the runtime
 * (`{{7*7}}`, `${7*7}`, `#{...}`, `{{config.items()}}`, `{{''.__class__.__mro__}}`, FreeMarker `?new()`, Spring
 * `T(java.lang.Runtime)`, Smarty `{php}`). A plain `{{name}}` placeholder or a `${price}` variable passes.
 */
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the SSTI detector. */
export const SSTI_RULES = {
  expression: 'ssti-template-expression',
  introspection: 'ssti-runtime-introspection',
  directive: 'ssti-template-directive',
} as const;

// Python/Java/Ruby object-graph walking used to escape template sandboxes.
const INTROSPECTION =
  /__(?:class|mro|subclasses|globals|builtins|init|import|base|bases|dict|getattribute|reduce)__|\bgetclass\s*\(|\bforname\s*\(|java\.lang\.(?:runtime|processbuilder|system|class)|\bgetruntime\s*\(|freemarker\.template\.utility\.(?:execute|objectconstructor|jythonruntime)|\?new\s*\(|\bt\s*\(\s*java\.|\bos\.(?:system|popen)\s*\(|\bsubprocess\.|\bself\._templatereference__context|\bscriptenginemanager\b|\bnew\s+java\.|\bprocessbuilder\s*\(|\.exec\s*\(|\bnamespace\.__init__|\blipsum\.|\bcycler\.|\bjoiner\.|\burl_for\.|\bget_flashed_messages\.|\brequest\.application\b|\bconfig\.(?:items|from_object|from_pyfile)\s*\(|\bself\.(?:module|template|context|attr|__init__)\b|\bapp\.request\.|\b_self\.env\.|\bregisterundefinedfiltercallback\b|\bfilter\s*\(\s*['"](?:system|exec|passthru|shell_exec)/;
// Delimited expressions: {{ }}, ${ }, #{ }, *{ }, @( ), <%= %>, {% %}
const EXPRESSION_OPEN = /\{\{|\$\{|#\{|\*\{|<%=?|\{%|\$\{\{|@\(|\{#/;
const COMPUTING_BODY = /\d\s*[*+\/%-]\s*\d|['"]\s*[*+]\s*\d|\w\s*\(|\)|\[|__|\bconfig\b|\bself\b|\brequest\b|\bsettings\b|\b(?:for|if|set|import|include|extends|macro|call|with|block|raw|debug)\b|\.\w+\s*\(|\?\w/;
const DIRECTIVE = /<#(?:assign|include|import|if|list|macro|function|setting|global|local)\b|\{php\}|\{\/php\}|\{\$smarty\.|\{(?:system|exec|passthru|shell_exec|eval)\s*\(|\{\{\s*(?:self|config|request|settings|_self|app|lipsum|cycler|joiner|namespace|range|dump)\s*\}\}|#set\s*\(\s*\$|\$class\.inspect|<%=?\s*(?:system|exec|`|%x|io\.popen|file\.read)/;

function expressionBody(s: string, open: number, width: number): string {
  const start = open + width;
  const close = s.indexOf('}', start);
  const end = close === -1 ? Math.min(s.length, start + 200) : Math.min(close, start + 200);
  return s.slice(start, end);
}

/** A critical ssti hit (module-level: no closure allocated per value). */
function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'ssti', severity: SEVERITY.critical };
}

/** Creates the SSTI detector. */
export function createSstiDetector(): Detector {
  return {
    category: 'ssti',
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if (s.length < 4 || (value.mask & (CH.brace | CH.lt | CH.paren | CH.hash)) === 0) return undefined;
      const hasBrace = s.indexOf('{') !== -1;
      const hasAngle = s.indexOf('<') !== -1;
      if ((hasBrace || s.indexOf('__') !== -1 || s.indexOf('(') !== -1) && INTROSPECTION.test(s)) return hit(SSTI_RULES.introspection);
      if ((hasBrace || hasAngle || s.indexOf('#') !== -1) && DIRECTIVE.test(s)) return hit(SSTI_RULES.directive);
      if (!hasBrace && !hasAngle) return undefined;
      let searched = 0;
      let m = EXPRESSION_OPEN.exec(s);
      let offset = 0;
      while (m !== null && searched < 16) {
        searched++;
        const at = offset + m.index;
        const body = expressionBody(s, at, m[0].length);
        // `${jndi:...}` belongs to the JNDI detector; `${name}` alone is a placeholder.
        if (!(m[0] === '${' && /^\s*[a-z:]*:/.test(body)) && COMPUTING_BODY.test(body)) return hit(SSTI_RULES.expression);
        offset = at + m[0].length;
        m = EXPRESSION_OPEN.exec(s.slice(offset, offset + 4096));
      }
      return undefined;
    },
  };
}
