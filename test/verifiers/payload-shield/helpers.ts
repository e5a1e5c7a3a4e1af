/** Test helpers: build the inputs detectors and the inspector take. */
import { charMask } from '../../../src/verifiers/payload-shield/char-classes.js';
import { ValueUnderInspection } from '../../../src/verifiers/payload-shield/inspection.js';
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
