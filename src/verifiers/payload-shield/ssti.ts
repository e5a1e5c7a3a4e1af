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
  /__(?:class|mro|subclasses|globals|builtins|init|import|base|bases|dict|getattribute|reduce)__|\bgetclass\s*\(|\bforname\s*\(|java\.lang\.(?:runtime|processbuilder|system|class)|\bgetruntime\s*\(|freemarker\.template\.utility\.(?:execute|objectconstructor|jythonruntime)|\?new\s*\(|\bt\s*\(\s*java\.|\bos\.(?:system|popen)\s*\(|\bsubprocess\.|\bself\._templatereference__context|\bscriptenginemanager\b|\bnew\s+java\.|\bprocessbuilder\s*\(|\.exec\s*\(|\bnamespace\.__init__|\blipsum\.|\bcycler\.|\bjoiner\.|\burl_for\.|\bget_flashed_messages\.|\brequest\.application\b|\bconfig\.(?:items|from_object|from_pyfile)\s*\(|\bself\.(?:module|template|context|attr|__init__)\b|\bapp\.request\.|\b_self\.env\.|\bregisterundefinedfiltercallback\b|\bfilter\s*\(\s*['"](?:system|exec|passthru|shell_exec)|\bsystem\.diagnostics\.process\b|\bprocessstartinfo\b|\bsystem\.reflection\.assembly\b/;
// Delimited expressions: {{ }}, ${ }, #{ }, *{ }, @( ), <%= %>, {% %}
// Global so the search resumes at lastIndex over the whole value (no per-step slice, no window that hides the tail).
const EXPRESSION_OPEN = /\{\{|\$\{|#\{|\*\{|<%=?|\{%|\$\{\{|@\(|\{#/g;
// `7*'7'` as well as `'7'*7`: both are the Jinja2/Twig string-repetition probe.
const COMPUTING_BODY = /\d\s*[*+\/%-]\s*\d|['"]\s*[*+]\s*\d|\d\s*[*+]\s*['"]|\w\s*\(|\)|\[|__|\bconfig\b|\bself\b|\brequest\b|\bsettings\b|\b(?:for|if|set|import|include|extends|macro|call|with|block|raw|debug)\b|\.\w+\s*\(|\?\w/;
const DIRECTIVE = /<#(?:assign|include|import|if|list|macro|function|setting|global|local)\b|\{php\}|\{\/php\}|\{\$smarty\.|\{(?:system|exec|passthru|shell_exec|eval)\s*\(|\{\{\s*(?:self|config|request|settings|_self|app|lipsum|cycler|joiner|namespace|range|dump)\s*\}\}|#set\s*\(\s*\$|\$class\.inspect|<%=?\s*(?:system|exec|`|%x|io\.popen|file\.read)/;

/** Longest expression body read: a computing expression shows itself well within it. */
const MAX_BODY = 200;
/** End of the last body expressionBody read (exclusive), or -1 when it found no closer within MAX_BODY. */
let bodyEnd = -1;

/**
 * The text of one expression: up to the `}` that closes it at brace depth 0 (`)` for Razor `@(`), outside string
 * literals, so a dict literal (`{{ {}|attr(...) }}`) or a quoted brace (`{{'}'~...}}`) does not end it early. Reads at most MAX_BODY characters: linear per expression.
 */
function expressionBody(s: string, open: number, width: number): string {
  const start = open + width;
  const limit = Math.min(s.length, start + MAX_BODY);
  const razor = s.charCodeAt(open) === 64; /* @( */
  const up = razor ? 40 : 123; /* ( or { */
  const down = razor ? 41 : 125; /* ) or } */
  let depth = 0;
  bodyEnd = -1;
  for (let i = start; i < limit; i++) {
    const c = s.charCodeAt(i);
    // A string literal's braces are text (`{{'}'~['id']|map('system')}}`): skip to its closing quote, escapes read.
    if (c === 39 || c === 34) {
      let j = i + 1;
      while (j < limit && s.charCodeAt(j) !== c) j += s.charCodeAt(j) === 92 ? 2 : 1;
      if (j < limit) {
        i = j;
        continue;
      }
    }
    if (c === up) depth++;
    else if (c === down) {
      if (depth === 0) {
        bodyEnd = i;
        return s.slice(start, i);
      }
      depth--;
    }
  }
  return s.slice(start, limit);
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
      // Razor `@(...)` has neither `{` nor `<`; `a@b.com` and `@name` have no `@(` and still return here.
      if (!hasBrace && !hasAngle && s.indexOf('@(') === -1) return undefined;
      // Every expression is read: the search moves forward only, and a closed body is skipped whole, so the work
      // stays bounded by the value length times MAX_BODY (a count cap would let placeholders hide the last one).
      EXPRESSION_OPEN.lastIndex = 0;
      let m = EXPRESSION_OPEN.exec(s);
      while (m !== null) {
        const at = m.index;
        const body = expressionBody(s, at, m[0].length);
        // `${jndi:...}` belongs to the JNDI detector; `${name}` alone is a placeholder.
        const lookup = m[0] === '${' && /^\s*[a-z:]*:/.test(body);
        if (!lookup && COMPUTING_BODY.test(body)) return hit(SSTI_RULES.expression);
        // Resume past what this body covered: a closed body whole; an unclosed one (no engine evaluates it) up to
        // its last 3 characters, where a following opener may start. A lookup's inner expressions are still read.
        const next = lookup ? at + m[0].length : bodyEnd !== -1 ? bodyEnd + 1 : at + m[0].length + body.length - 3;
        EXPRESSION_OPEN.lastIndex = Math.max(at + m[0].length, next);
        m = EXPRESSION_OPEN.exec(s);
      }
      return undefined;
    },
  };
}
