/**
 * The time evidence is judged at: `now` (epoch ms or a Date), or the clock when it is absent.
 *
 * Every validity and freshness check compares with this time, and any comparison with NaN is false: a NaN (a
 * `Date.parse` of a missing header, an Invalid Date) would switch all of them off and accept expired certificates,
 * receipts and stale verdicts. So a time that is not a finite number throws a TypeError, the caller's mistake rather
 * than a verdict on the client's evidence: the attestation service answers it 503 and the device verifier fails
 * closed, as for any other "cannot decide". Infinite times are refused too (they only ever pass by accident).
 */
export function judgementTime(now: number | Date | undefined, where: string): number {
  if (now === undefined) return Date.now();
  const ms: unknown = now instanceof Date ? now.getTime() : now;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new TypeError(`${where}: now must be a finite time (epoch ms or a valid Date)`);
  return ms;
}
