/**
 * The SQL injection detector's plain-words gate: one pass that proves no reading of a value can hold SQL, so the
 * detector skips its three readings (bare, after `'`, after `"`) of names, addresses and product names with quotes.
 * It lexes words and numbers exactly as `SqlTokenizer` does (the functions and tables below are the tokenizer's).
 */
import { isDigit, isSpace, isWordChar, isWordStart, numberEnd } from './sql-chars.js';
import {
  DOTTED_PACKAGES,
  KEYWORD_TABLE,
  MAX_KEYWORD_LENGTH,
  T_KEYWORD,
  T_NUMBER,
  T_OPERATOR,
  T_VARIABLE,
} from './sql-tokenizer.js';
import { extendWordHash, type WordTable } from './word-table.js';

/**
 * Keywords no rule fires on alone (see `onlyPlainWords`): other keywords (`k`, but `case`, which starts a CASE
 * expression), literals (`1`) and functions without parentheses (`v`); a word operator (`o`: `in`, `is`, `like`)
 * unless it is the first token after a quote. Logic, statements and clauses (`&`, `E`, `S`, `U`, `F`, `W`, `B`, `I`)
 * never are.
 */
function plainKeyword(type: number, word: string, afterQuote: boolean): boolean {
  if (type === T_KEYWORD) return word !== 'case';
  if (type === T_OPERATOR) return !afterQuote;
  return type === T_NUMBER || type === T_VARIABLE;
}

/**
 * True when no context `read` can give `s` (lower-cased) a token other than a name, a number, a string, `.`, `,`, a
 * `:`, a `-` between two word characters, or a keyword no rule fires on without another kind of token (`k`, `1`,
 * `v` classes but `case`; an `o` word operator not right after a quote), and none of its names is in `names`: so no
 * rule of the SQL injection detector can fire. Every context's text starts at the value's start or right after a
 * quote, so `s` is read here with each quote ending a token: any word any context reads is read here, the same way
 * (`readWord`'s lexing). The first token after a quote is the only place an operator alone matters. A `::` fails
 * the gate: the tokenizer drops the cast `::type`, which can move an operator next to a quote.
 */
export function onlyPlainWords(s: string, names: readonly WordTable<unknown>[]): boolean {
  const n = s.length;
  let i = 0;
  let afterQuote = false;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 39 || c === 34) {
      afterQuote = true;
      i++;
    } else if (isSpace(c)) {
      i++;
    } else if (c === 58 && s.charCodeAt(i + 1) === 58) {
      // `::type` is a cast the tokenizer drops: the token after it may then follow a quote.
      return false;
    } else if (c === 44 || c === 58 || (c === 46 && !isDigit(s.charCodeAt(i + 1)))) {
      afterQuote = false;
      i++;
    } else if (isDigit(c) || c === 46) {
      afterQuote = false;
      i = numberEnd(s, i);
    } else if (isWordStart(c)) {
      let hash = 0;
      let j = i;
      for (; j < n && isWordChar(s.charCodeAt(j)); j++) hash = extendWordHash(hash, s.charCodeAt(j));
      const keyword = j - i <= MAX_KEYWORD_LENGTH ? KEYWORD_TABLE.find(s, i, j, hash) : -1;
      if (keyword !== -1 && !plainKeyword(KEYWORD_TABLE.value(keyword), KEYWORD_TABLE.word(keyword), afterQuote)) return false;
      if (DOTTED_PACKAGES.find(s, i, j, hash) !== -1) return false;
      for (const table of names) if (table.find(s, i, j, hash) !== -1) return false;
      afterQuote = false;
      i = j;
    } else if (c === 45 && i > 0 && isWordChar(s.charCodeAt(i - 1)) && isWordChar(s.charCodeAt(i + 1))) {
      i++;
    } else {
      return false;
    }
  }
  return true;
}
