/**
 * Cross-site scripting detector. It reads HTML the way a browser's tokenizer would (tags, attributes with quoted,
 * unquoted and `/`-separated values) and flags what executes: script-capable tags, event-handler attributes,
 * `javascript:`/`vbscript:`/`data:text/html` URLs, CSS expressions; plus attribute breakouts and JS sinks without
 * any tag. `<3`, `a < b` and `<a href="/foo">` are not markup that executes, so they pass.
 */
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the XSS detector. */
export const XSS_RULES = {
  scriptTag: 'xss-script-tag',
  dangerousTag: 'xss-dangerous-tag',
  eventHandler: 'xss-event-handler',
  scriptUrl: 'xss-script-url',
  cssExpression: 'xss-css-expression',
  attributeBreakout: 'xss-attribute-breakout',
  jsSink: 'xss-js-sink',
  markupDeclaration: 'xss-markup-declaration',
  encodedProbe: 'xss-encoded-markup-probe',
} as const;

/** Tags that run script or load active content on their own. */
const DANGEROUS_TAGS = new Set([
  'script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'svg', 'math', 'meta', 'base', 'link',
  'style', 'xml', 'xss', 'import', 'isindex', 'template', 'portal', 'animate', 'set', 'handler', 'listener',
  'layer', 'ilayer', 'bgsound', 'vmlframe', 'xmp', 'namespace', 'xsl', 'stylesheet', 'noembed', 'noframes',
]);

/** Attributes whose value is a URL the browser may navigate to or execute. */
const URL_ATTRIBUTES = new Set([
  'href', 'src', 'action', 'formaction', 'data', 'background', 'dynsrc', 'lowsrc', 'xlink:href', 'poster',
  'codebase', 'code', 'srcdoc', 'content', 'from', 'to', 'values', 'by', 'ping', 'cite', 'longdesc', 'manifest',
  'icon', 'datasrc', 'archive', 'profile', 'classid', 'xmlns', 'folder', 'style', 'value', 'location',
]);

/** Closing tags that end a raw-text context the input may be sitting in (`</script>`, `</textarea>`): breakouts. */
const BREAKOUT_CLOSERS = new Set([
  'script', 'style', 'title', 'textarea', 'xmp', 'noscript', 'iframe', 'noembed', 'noframes', 'template', 'svg',
  'math', 'plaintext', 'html', 'head', 'body',
]);

/** Attributes that are dangerous whatever their value: they change namespaces, styles or animation targets. */
const DANGEROUS_ATTRIBUTES = new Set(['style', 'formaction', 'attributename', 'srcdoc', 'xlink:href', 'seamless', 'datafld', 'dataformatas']);

const SCRIPT_SCHEMES = ['javascript:', 'vbscript:', 'livescript:', 'mocha:', 'data:text/html', 'data:image/svg', 'data:application/', 'jar:'];

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0;
}

/** Removes whitespace and control characters browsers ignore inside a scheme (`java\tscript:`). */
function compactScheme(value: string): string {
  let out = '';
  for (let i = 0; i < value.length && out.length < 24; i++) {
    const c = value.charCodeAt(i);
    if (c <= 32 || c === 0x7f || c === 0xad || (c >= 0x200b && c <= 0x200f) || c === 0xfeff) continue;
    out += value[i];
  }
  return out;
}

/** True when a URL-ish value starts with a script-executing scheme once whitespace tricks are removed. */
export function hasScriptScheme(value: string): boolean {
  const compact = compactScheme(value.length > 256 ? value.slice(0, 256) : value).replace(/^['"`(]+/, '');
  for (const scheme of SCRIPT_SCHEMES) if (compact.startsWith(scheme)) return true;
  return false;
}

function isEventHandlerName(name: string): boolean {
  return name.length > 3 && name.length < 40 && name.charCodeAt(0) === 111 && name.charCodeAt(1) === 110 && /^on[a-z]+$/.test(name);
}

function isTagNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/**
 * Where the last scanTag call stopped: just past the tag's unquoted `>`, or at the `<` of a following tag. detect()
 * resumes its `<` search there so every character is scanned once (module-level: no allocation per tag).
 */
let tagEnd = 0;
/** Quote characters (bit per `"`, `'`, `` ` ``) known to have no closing occurrence left: later searches would rescan the tail. */
let openQuotes = 0;
/** markupDeclaration's cursors: the next `-->` at or after the last comment (-1: none left) and the text tested so far. */
let commentClose = 0;
let commentSeen = 0;

/**
 * True when the backtick-quoted value starting at `at` holds a `>` before its closing backtick. Browsers do not quote
 * with backticks (only old IE did): there the `>` ends the tag, and the markup after it is live
 * (`` <b title=`x><iframe src=//evil.example>` ``), so the value is read unquoted. Scans at most up to the closing
 * backtick, and the unquoted reading then stops at that `>`: each character is read a bounded number of times.
 */
function backtickHoldsTagEnd(s: string, at: number): boolean {
  for (let i = at + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 96) return false;
    if (c === 62) return true;
  }
  return false;
}

function quoteBit(q: number): number {
  return q === 34 ? 1 : q === 39 ? 2 : 4;
}

/** True when the `<` at `at` starts a tag, end tag or declaration: there an unquoted attribute list ends. */
function startsMarkup(s: string, at: number): boolean {
  const c = s.charCodeAt(at + 1);
  return isTagNameStart(c) || c === 33 || c === 63 || (c === 47 && isTagNameStart(s.charCodeAt(at + 2)));
}

/**
 * Scans one tag starting after `<`; returns a rule id when it executes script, else undefined, and sets tagEnd.
 * The tag ends at an unquoted `>`; a quoted value may hold `<` (`alt="<3"`), so only an unquoted `<` that starts
 * markup ends it early (that `<` is then scanned as its own tag). An unterminated quote ends at the next `<`.
 */
function scanTag(s: string, start: number): string | undefined {
  const end = s.length;
  let i = start;
  tagEnd = end;
  if (s.charCodeAt(i) === 47 /* / */) i++;
  const nameStart = i;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (isSpace(c) || c === 47 || c === 62 /* > */ || c === 60 /* < */) break;
    i++;
  }
  const tag = s.slice(nameStart, i);
  const colon = tag.indexOf(':');
  const local = colon === -1 ? tag : tag.slice(colon + 1);
  const prefix = colon === -1 ? '' : tag.slice(0, colon);
  if (local === 'script' || tag.startsWith('script')) return XSS_RULES.scriptTag;
  const closing = s.charCodeAt(start) === 47;
  if (closing) {
    // An end tag carries no attributes worth reading; resume right after its name (no `>` search to rescan).
    tagEnd = i;
    return BREAKOUT_CLOSERS.has(local) || BREAKOUT_CLOSERS.has(prefix) ? XSS_RULES.dangerousTag : undefined;
  }
  const dangerous = DANGEROUS_TAGS.has(local) || prefix === 'svg' || prefix === 'xsl' || prefix === 'xml' || prefix === 'math';
  // Attributes until `>` (or the end of the value: an unclosed tag still executes in many sinks).
  while (i < end) {
    let c = s.charCodeAt(i);
    if (c === 62) {
      tagEnd = i + 1;
      break;
    }
    if (c === 60 && startsMarkup(s, i)) {
      tagEnd = i;
      break;
    }
    if (isSpace(c) || c === 47 || c === 34 || c === 39 || c === 60) {
      i++;
      continue;
    }
    const attrStart = i;
    while (i < end) {
      c = s.charCodeAt(i);
      if (isSpace(c) || c === 47 || c === 62 || c === 61 /* = */ || c === 60) break;
      i++;
    }
    const attr = s.slice(attrStart, i);
    while (i < end && isSpace(s.charCodeAt(i))) i++;
    let value = '';
    if (s.charCodeAt(i) === 61) {
      i++;
      while (i < end && isSpace(s.charCodeAt(i))) i++;
      const q = s.charCodeAt(i);
      if ((q === 34 || q === 39 || q === 96) && !(q === 96 && backtickHoldsTagEnd(s, i))) {
        const close = (openQuotes & quoteBit(q)) !== 0 ? -1 : s.indexOf(String.fromCharCode(q), i + 1);
        let stop = close;
        if (close === -1) {
          // Unterminated: the value runs to the next `<` as before, so markup after it is still scanned.
          openQuotes |= quoteBit(q);
          const lt = s.indexOf('<', i + 1);
          stop = lt === -1 ? end : lt;
        }
        value = s.slice(i + 1, stop);
        i = close === -1 ? stop : stop + 1;
      } else {
        const vStart = i;
        while (i < end && !isSpace(s.charCodeAt(i)) && s.charCodeAt(i) !== 62 && s.charCodeAt(i) !== 60) i++;
        value = s.slice(vStart, i);
      }
    }
    if (isEventHandlerName(attr)) return XSS_RULES.eventHandler;
    if (DANGEROUS_ATTRIBUTES.has(attr) || attr.startsWith('xmlns') || attr.startsWith('ev:')) return XSS_RULES.dangerousTag;
    if (URL_ATTRIBUTES.has(attr) && hasScriptScheme(value)) return XSS_RULES.scriptUrl;
    if (attr === 'style' && /expression\s*\(|-moz-binding|behavior\s*:|javascript:/.test(value)) return XSS_RULES.cssExpression;
    if (attr === 'srcdoc' && value.indexOf('<') !== -1) return XSS_RULES.dangerousTag;
    if (attr.length === 0 && i < end && s.charCodeAt(i) !== 60) i++;
  }
  if (local === 'style' && /expression\s*\(|-moz-binding|javascript:|@import/.test(s.slice(i, Math.min(i + 200, end)))) {
    return XSS_RULES.cssExpression;
  }
  return dangerous ? XSS_RULES.dangerousTag : undefined;
}

/**
 * `<!doctype>`, `<!attlist>`, IE conditional comments (`<!--[if`), comments hiding backticks or imports, and
 * processing instructions that import behaviours (`<?import`, `<?xml-stylesheet`, `<?xml:namespace`). A whole XML
 * body may start with `<?xml version ...?>`; that alone is fine.
 */
function markupDeclaration(s: string, lt: number, xmlBody: boolean): string | undefined {
  const head = s.slice(lt, lt + 24);
  if (head.startsWith('<!--')) {
    const from = lt + 4;
    // Cached `-->` position: `<!--` repeated without `-->` would otherwise rescan the tail once per comment.
    if (commentClose !== -1 && commentClose < from) commentClose = s.indexOf('-->', from);
    const body = s.slice(from, Math.min(commentClose === -1 ? s.length : commentClose, from + 512));
    if (/^\s*\[if/.test(body)) return XSS_RULES.markupDeclaration;
    // Overlapping comment bodies: test only text no earlier comment covered (32 chars back for a straddling match).
    const fresh = Math.max(0, commentSeen - from - 32);
    commentSeen = Math.max(commentSeen, from + body.length);
    return /`|\bimport\b|<\s*(?:script|svg|img|iframe)/.test(fresh === 0 ? body : body.slice(fresh)) ? XSS_RULES.markupDeclaration : undefined;
  }
  if (/^<!(?:doctype|attlist|element)\b/.test(head)) return xmlBody && head.startsWith('<!doctype') ? undefined : XSS_RULES.markupDeclaration;
  if (/^<!\[cdata\[/.test(head)) return xmlBody ? undefined : XSS_RULES.markupDeclaration;
  // `<?xml-stylesheet href="feed.xsl"?>` in the prolog of an XML document is ordinary; one that points at script,
  // or one anywhere else, imports behaviour. `<?php` is PHP's business (php-open-tag), not markup a browser runs.
  if (head.startsWith('<?xml-stylesheet')) {
    const window = s.slice(lt, lt + 1024);
    const end = window.indexOf('?>');
    const pi = end === -1 ? window.slice(0, 256) : window.slice(0, end);
    return xmlBody && s.startsWith('<?xml') && !hasScriptScheme(pi.slice(pi.indexOf('href') + 5)) && !/(?:javascript|vbscript|data)\s*:/.test(pi)
      ? undefined
      : XSS_RULES.markupDeclaration;
  }
  if (/^<\?(?:import|xml:namespace|=|\s)/.test(head)) return XSS_RULES.markupDeclaration;
  if (/^<!\[(?:if|endif)/.test(head)) return XSS_RULES.markupDeclaration;
  return undefined;
}

// A value that is only an encoded angle bracket (`&#x3c;`, `\x3C`, `&LT;`): a probe for unfiltered markup.
const ENCODED_PROBE = /^\s*[<>]{1,2}\s*$/;
// `(alert)(1)`, `a=alert,a(1)`, `[1].find(alert)`: the function referenced as a value.
const SINK_REFERENCE = /[(,=\[]\s*(?:alert|prompt|confirm|eval)\s*[),\]]/;
// `top['al\x65rt'](1)`, `window["eval"]`: global properties looked up by string.
const GLOBAL_LOOKUP = /\b(?:top|window|self|parent|frames|globalthis|document|this)\s*\[\s*['"`]/;

// `" onmouseover=`, `'autofocus onfocus=`, `/onload=`: an event handler right after a quote or tag-like separator.
// The quoted value may start with white space (`onerror=" location=name"`); `(?:["'`]\s*)?` keeps it unambiguous.
const BREAKOUT_HANDLER = /(?:^|["'`\/\s;])on[a-z]{3,30}\s*=\s*(?:["'`]\s*)?[^\s"'`]/;
// JS execution sinks; calls need a paren or template literal right after the name (`Red alert (level 2)` is prose).
const JS_SINK =
  /\b(?:alert|prompt|confirm|eval|settimeout|setinterval|execscript|fromcharcode|atob|importscripts)(?:\(|`)|\bdocument\s*\.\s*(?:cookie|domain|write|location)|\bwindow\s*\.\s*location|\.innerhtml\s*=|\bnew\s+function\s*\(|\bconstructor\s*\(\s*["'`]|\bsrcdoc\s*=|\bjavascript\s*:/;

/** A critical xss hit (module-level: no closure allocated per value). */
function hitRule(ruleId: string): RuleHit {
  return { ruleId, category: 'xss', severity: SEVERITY.critical };
}

/** Creates the XSS detector (paranoia 1 rules; critical severity). */
export function createXssDetector(): Detector {
  return {
    category: 'xss',
    // `vbscript:...` and UTF-7 markup (`+ADw-script+AD4-`) have no syntax character.
    readsPlainValues: { words: ['script', 'data', 'jar', 'mocha', '+ad'] },
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if ((value.mask & (CH.lt | CH.gt | CH.colon | CH.equals | CH.paren | CH.backtick | CH.bracket)) === 0 && s.indexOf('+ad') === -1) return undefined;
      // Every `<` is looked at, but the search resumes past the previous tag's end: linear in the value however
      // many `<` it holds (a cap on the count would let 64 stray `<` hide the tag after them).
      openQuotes = 0;
      commentClose = 0;
      commentSeen = 0;
      let lt = s.indexOf('<');
      while (lt !== -1) {
        let from = lt + 1;
        const next = s.charCodeAt(lt + 1);
        if (next === 33 /* ! */ || next === 63 /* ? */) {
          const rule = markupDeclaration(s, lt, value.kind === 'body');
          if (rule) return hitRule(rule);
        } else if (isTagNameStart(next) || (next === 47 && isTagNameStart(s.charCodeAt(lt + 2)))) {
          const rule = scanTag(s, lt + 1);
          if (rule) return hitRule(rule);
          if (tagEnd > from) from = tagEnd;
        }
        lt = s.indexOf('<', from);
      }
      if (s.indexOf(':') !== -1 && (s.indexOf('script') !== -1 || s.indexOf('data') !== -1 || s.indexOf('jar') !== -1 || s.indexOf('mocha') !== -1) && hasScriptScheme(s)) {
        return hitRule(XSS_RULES.scriptUrl);
      }
      if (s.indexOf('on') !== -1 && s.indexOf('=') !== -1 && BREAKOUT_HANDLER.test(s)) {
        return hitRule(XSS_RULES.attributeBreakout);
      }
      if ((value.mask & (CH.paren | CH.backtick | CH.equals)) !== 0 && JS_SINK.test(s)) {
        return hitRule(XSS_RULES.jsSink);
      }
      if (s.indexOf('expression') !== -1 && /expression\s*\(/.test(s) && /[{:;]/.test(s)) return hitRule(XSS_RULES.cssExpression);
      if (value.raw.length !== value.decoded.length && ENCODED_PROBE.test(s)) return hitRule(XSS_RULES.encodedProbe);
      // UTF-7 markup (`+ADw-script+AD4-`): browsers that sniff UTF-7 read it as `<script>`.
      if (s.indexOf('+ad') !== -1 && /\+ad[w4]-/.test(s)) return hitRule(XSS_RULES.encodedProbe);
      if ((value.mask & (CH.paren | CH.bracket)) !== 0 && SINK_REFERENCE.test(s)) return hitRule(XSS_RULES.jsSink);
      // GLOBAL_LOOKUP needs a `[` and a quote or backtick after it: prose with parentheses skips its scan.
      if ((value.mask & CH.bracket) !== 0 && (value.mask & (CH.quote | CH.backtick)) !== 0 && GLOBAL_LOOKUP.test(s)) return hitRule(XSS_RULES.jsSink);
      return undefined;
    },
  };
}
