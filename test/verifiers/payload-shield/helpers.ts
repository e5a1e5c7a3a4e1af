/** Test helpers: build the inputs detectors and the inspector take. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { scanValue as charMask } from '../../../src/verifiers/payload-shield/value-scan.js';
import { ValueUnderInspection } from '../../../src/verifiers/payload-shield/value-under-inspection.js';
import { normalise } from '../../../src/verifiers/payload-shield/normalise.js';
import type { Detector, InspectedValue, LocationKind, ValueRole } from '../../../src/verifiers/payload-shield/types.js';
import type { ShieldRequest } from '../../../src/core/request.js';

/** The InspectedValue the inspector would build for `raw`. */
export function valueOf(raw: string, kind: LocationKind = 'body', name = 'q', role: ValueRole = 'value'): InspectedValue {
  const decoded = normalise(raw);
  return new ValueUnderInspection().fill(raw, decoded, kind, role, name, charMask(decoded), 1);
}

/** The rule id a detector reports for `raw`, or undefined. */
export function ruleOf(detector: Detector, raw: string, kind: LocationKind = 'body', name = 'q', paranoia = 1): string | undefined {
  return detector.detect(valueOf(raw, kind, name), paranoia)?.ruleId;
}

/** A ShieldRequest with sensible defaults. */
export function request(overrides: Partial<ShieldRequest> = {}): ShieldRequest {
  return {
    method: 'POST',
    path: '/api/items',
    headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36' },
    ip: '127.0.0.1',
    query: '',
    ...overrides,
  };
}

/**
 * Asserts that `gate` holds for every string of `strings` that `matches` (a gate in front of a pattern must never
 * be narrower than the pattern), over `runs` generated strings of which more than `minMatched` must match: a
 * generator that never reaches the pattern would make the property say nothing.
 */
export function expectGateCovers(strings: fc.Arbitrary<string>, matches: (s: string) => boolean, gate: (s: string) => boolean, runs: number, minMatched: number): void {
  let matched = 0;
  fc.assert(
    fc.property(strings, (s) => {
      if (!matches(s)) return true;
      matched++;
      return gate(s);
    }),
    { numRuns: runs },
  );
  expect(matched).toBeGreaterThan(minMatched);
}

/** `core` with up to `pieces` pieces of `noise` before and after it. */
export function inText(core: fc.Arbitrary<string>, noise: fc.Arbitrary<string>, pieces: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(noise, { maxLength: pieces }), core, fc.array(noise, { maxLength: pieces }))
    .map(([before, c, after]) => before.join('') + c + after.join(''));
}
