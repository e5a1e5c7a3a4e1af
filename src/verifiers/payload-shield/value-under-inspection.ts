/** The value the detectors read, refilled for each string an inspection sends them (see `ValueUnderInspection`). */
import { gateWordsOf } from './gate-words.js';
import type { InspectedValue, LocationKind, ValueRole } from './types.js';

/**
 * The value the detectors read, built in one place: `lower` from `decoded`, and the gate words from `lower` (the
 * string the detectors test them against). An inspection refills one of these for each string instead of
 * allocating one per string: detection is synchronous and no detector keeps the value past its `detect` call.
 */
export class ValueUnderInspection implements InspectedValue {
  raw = '';
  decoded = '';
  lower = '';
  kind: LocationKind = 'body';
  role: ValueRole = 'value';
  name = '';
  mask = 0;
  gates = 0;
  depth = 0;

  fill(raw: string, decoded: string, kind: LocationKind, role: ValueRole, name: string, mask: number, depth: number): this {
    this.raw = raw;
    this.decoded = decoded;
    this.lower = decoded.toLowerCase();
    this.kind = kind;
    this.role = role;
    this.name = name;
    this.mask = mask;
    this.gates = gateWordsOf(this.lower);
    this.depth = depth;
    return this;
  }
}
