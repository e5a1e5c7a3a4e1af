/**
 * JSON text read strictly: bounded nesting and no key twice in one object. `JSON.parse` itself takes any depth and
 * keeps the last of two equal keys; both are traps for the code around it. Code that walks a value recursively (or
 * `JSON.stringify`) overflows the stack on 100,000 nested arrays, and a body with `"nonce"` twice reads as one value
 * to a proxy or WAF in front (many keep the first) and as another to the service (the last): refused, either is
 * ambiguous. Used for the attestation service's request bodies and every JSON input of the CLI.
 */

/** The deepest nesting of objects and arrays {@link parseStrictJson} accepts by default: 64 levels (`[[1]]` is 2). */
export const MAX_JSON_NESTING = 64;

/** Why a JSON text was refused: not JSON at all, nested deeper than the limit, or a key given twice in one object. */
export type JsonTextProblem = 'malformed' | 'too_deep' | 'duplicate_key';

/** The value of a strictly read JSON text, or why it was refused. */
export type StrictJsonResult = { ok: true; value: unknown } | { ok: false; problem: JsonTextProblem };

/**
 * Parses `text` as `JSON.parse` does, then refuses it when objects and arrays nest deeper than `maxNesting` or an
 * object has the same key twice (after unescaping: `"a"` and `"\u0061"` are the same key). Never throws.
 */
export function parseStrictJson(text: string, maxNesting: number = MAX_JSON_NESTING): StrictJsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  const problem = jsonTextProblem(text, maxNesting);
  return problem === undefined ? { ok: true, value } : { ok: false, problem };
}

/**
 * Why a JSON text that `JSON.parse` accepts (the caller parsed it) is refused, or undefined: nesting deeper than
 * `maxNesting` or a key twice in one object. One linear pass without recursion; a text that is not well-formed JSON
 * gets no meaningful answer (but still terminates). White space and a leading BOM are ignored.
 */
export function jsonTextProblem(text: string, maxNesting: number = MAX_JSON_NESTING): 'too_deep' | 'duplicate_key' | undefined {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: find its closing quote (skipping escapes); only a key in key position is recorded.
      let end = i + 1;
      let escaped = false;
      while (end < text.length) {
        const d = text.charCodeAt(end);
        if (d === 0x22) break;
        if (d === 0x5c) {
          escaped = true;
          end += 2;
        } else end++;
      }
      if (expectKey) {
        // expectKey is only ever set with an object on top of the stack.
        const keys = open[open.length - 1] as Set<string>;
        const key = escaped ? keyText(text.slice(i, end + 1)) : text.slice(i + 1, end);
        if (keys.has(key)) return 'duplicate_key';
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (open.length >= maxNesting) return 'too_deep';
      open.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = open.length > 0 && open[open.length - 1] !== null;
    }
  }
  return undefined;
}

/** An escaped key as `JSON.parse` reads it (the raw text when it is not a JSON string: malformed input only). */
function keyText(quoted: string): string {
  try {
    return String(JSON.parse(quoted));
  } catch {
    return quoted;
  }
}

/**
 * True when an already parsed value nests objects and arrays deeper than `maxNesting` (for a body a framework parser
 * produced, whose text is gone). Walked without recursion, stopping at the first container past the limit.
 */
export function jsonValueTooDeep(value: unknown, maxNesting: number = MAX_JSON_NESTING): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    if (depth > maxNesting) return true;
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
  }
  return false;
}
