/**
 * Location paths (`body.items[3].name`, `query.id`, `header.user-agent`): how decisions say where a rule matched
 * without repeating the value. Keys an attacker chose freely are shown only when they are plain identifiers.
 */

/** One step of a path: an object key or an array index. */
export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][\w$-]{0,63}$/;

/** Formats a root and segments as `root.key[3].other`; unusual keys become `[?]` so no payload leaks into logs. */
export function formatLocation(root: string, segments: readonly PathSegment[]): string {
  let out = root;
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += `.${segment}`;
    else out += '[?]';
  }
  return out;
}

/**
 * Compiles a target pattern (`body.user.role`, `body.items[*].name`, `query.*`, `header.x-api-key`) into a matcher.
 * `[*]` matches any index, `*` any one key, and a pattern also matches everything below it (`body.user` covers
 * `body.user.role`). The regex is built from escaped literals and `[^.[\]]*` classes only: linear.
 */
export function compileTarget(pattern: string): (location: string) => boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (pattern.startsWith('[*]', i)) {
      source += '\\[\\d+\\]';
      i += 2;
    } else if (c === '*') {
      source += '[^.[\\]]*';
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\\/-]/g, '\\$&');
    }
  }
  const regex = new RegExp(`^${source}(?:$|[.[])`, 'i');
  return (location) => regex.test(location);
}
