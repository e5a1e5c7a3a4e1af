/**
 * A conservative check that a user-supplied regular expression cannot backtrack catastrophically. It rejects
 * backreferences, lookarounds and any quantified group that itself contains a quantifier (`(a+)+`, `(a|a?)*`,
 * `(\w+\s?){2,}`), the shapes behind exponential matching. Inputs tested against user regexes are also capped.
 */

/** Characters of a value a user regex sees at most: bounds even polynomial patterns. */
export const USER_REGEX_INPUT_CAP = 4096;

/** Returns why `regex` is unsafe, or undefined when it passes the check. */
export function unsafeRegexReason(regex: RegExp): string | undefined {
  const src = regex.source;
  if (/\\[1-9]|\\k</.test(src)) return 'backreferences are not allowed';
  if (/\(\?<?[=!]/.test(src)) return 'lookarounds are not allowed';
  // Walk the pattern, tracking for each open group whether it contains a quantifier.
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(') {
      stack.push(false);
      continue;
    }
    const quantifier = c === '*' || c === '+' || c === '{' || (c === '?' && src[i - 1] !== '(');
    if (c === ')') {
      const hadQuantifier = stack.pop() ?? false;
      const next = src[i + 1];
      const groupQuantified = next === '*' || next === '+' || next === '{' || next === '?';
      if (hadQuantifier && groupQuantified) return 'nested quantifiers are not allowed';
      if (stack.length > 0 && (hadQuantifier || groupQuantified)) stack[stack.length - 1] = true;
      continue;
    }
    if (quantifier && stack.length > 0) stack[stack.length - 1] = true;
  }
  return undefined;
}
