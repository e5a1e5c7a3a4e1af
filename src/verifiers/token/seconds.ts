const SPAN_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Converts the config's seconds-or-span (`300`, `'5m'`) to seconds; NaN for text that is not a span. */
export function toSeconds(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(value.trim());
  if (!match) return Number.NaN;
  // The schema admits s/sec/seconds, m/min/minutes, h/hr/hours and d/day/days: the first letter decides.
  const factor = SPAN_UNITS[(match[2] as string)[0]?.toLowerCase() ?? ''] ?? Number.NaN;
  return Number(match[1]) * factor;
}
