/**
 * Weak signals for paranoia levels 2 to 4: patterns that are common in attacks but also appear in legitimate
 * input, so each adds less than a critical match (several are needed to reach the default threshold).
 */
import { isPlainMask } from './char-classes.js';
import { AMBIGUOUS_COMMANDS } from './cmdi-commands.js';
import { SEVERITY, type Category, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids and the paranoia level each starts at. */
export const WEAK_SIGNAL_RULES = {
  nullByte: { id: 'generic-null-byte', paranoia: 2, category: 'traversal' },
  sqlComment: { id: 'sqli-comment-sequence', paranoia: 2, category: 'sqli' },
  sqlKeywords: { id: 'sqli-keyword-pair', paranoia: 3, category: 'sqli' },
  htmlTag: { id: 'xss-html-tag', paranoia: 2, category: 'xss' },
  shellCommand: { id: 'cmdi-separator-word-command', paranoia: 2, category: 'cmdi' },
  templateBraces: { id: 'ssti-template-braces', paranoia: 3, category: 'ssti' },
  dotDot: { id: 'traversal-dot-dot', paranoia: 3, category: 'traversal' },
} as const satisfies Record<string, { id: string; paranoia: number; category: Category }>;

const SQL_COMMENT = /(?:--|#|\/\*)/;
const SQL_KEYWORD_PAIR = /\b(?:select|union|insert|update|delete|drop)\b[^\n]{0,40}\b(?:from|into|table|where|select)\b/;
const HTML_TAG = /<\/?[a-z][a-z0-9-]{0,20}(?:[\s\/>]|$)/;
const SHELL_WORD = /[;|&`]\s*([a-z]{1,12})\b/;

function weak(rule: { id: string; category: Category }, severity: number): RuleHit {
  return { ruleId: rule.id, category: rule.category, severity };
}

/** Creates the weak-signal detector; it returns nothing at paranoia 1. */
export function createWeakSignalDetector(): Detector {
  return {
    category: 'sqli',
    // At paranoia 3, keyword pairs (`delete from`, `drop table`) need no syntax character.
    // The keywords of SQL_KEYWORD_PAIR a plain value can hold (`select` and `union` make a value not plain).
    readsPlainValues: { words: ['insert', 'update', 'delete', 'drop'] },
    detect(value: InspectedValue, paranoia: number): RuleHit | undefined {
      if (paranoia < 2) return undefined;
      const s = value.lower;
      const r = WEAK_SIGNAL_RULES;
      // Every other signal needs a character a plain value cannot have (NUL, `<`, a quote, a separator, braces, `..`).
      if (isPlainMask(value.mask)) return paranoia >= 3 && SQL_KEYWORD_PAIR.test(s) ? weak(r.sqlKeywords, SEVERITY.warning) : undefined;
      if (s.indexOf('\0') !== -1) return weak(r.nullByte, SEVERITY.error);
      if (s.indexOf('<') !== -1 && HTML_TAG.test(s)) return weak(r.htmlTag, SEVERITY.warning);
      if (/['"]/.test(s) && SQL_COMMENT.test(s)) return weak(r.sqlComment, SEVERITY.warning);
      const shell = SHELL_WORD.exec(s);
      if (shell && AMBIGUOUS_COMMANDS.has(shell[1]!)) return weak(r.shellCommand, SEVERITY.warning);
      if (paranoia < 3) return undefined;
      if (SQL_KEYWORD_PAIR.test(s)) return weak(r.sqlKeywords, SEVERITY.warning);
      if (s.indexOf('{{') !== -1 || s.indexOf('${') !== -1) return weak(r.templateBraces, SEVERITY.notice);
      if (s.indexOf('..') !== -1 && /\.\.[\/\\]/.test(s)) return weak(r.dotDot, SEVERITY.notice);
      return undefined;
    },
  };
}
