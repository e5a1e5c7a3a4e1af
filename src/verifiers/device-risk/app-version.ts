/**
 * Compares app versions: integers (Android `versionCode`) numerically, dotted versions (`5.10.2`) segment by
 * segment numerically (missing segments count as 0; a non-numeric suffix such as `-beta` is ignored). Returns
 * negative, zero or positive like a sort comparator, or `undefined` when either side is not a version.
 */
export function compareAppVersions(a: string | number, b: string | number): number | undefined {
  const left = segments(a);
  const right = segments(b);
  if (left === undefined || right === undefined) return undefined;
  const n = Math.max(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

const VERSION = /^v?(\d{1,9}(?:\.\d{1,9}){0,5})(?:[-+][0-9A-Za-z.-]{0,64})?$/;

function segments(v: string | number): number[] | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? [v] : undefined;
  if (v.length > 96) return undefined;
  const match = VERSION.exec(v.trim());
  return match ? match[1]!.split('.').map(Number) : undefined;
}
