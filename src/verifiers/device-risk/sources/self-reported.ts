import type { DeviceSignal } from '../signals.js';
import { DEVICE_SIGNALS } from '../signals.js';

/**
 * Names accepted in the self-reported signals header, lower-cased: the normalised names, plus freeRASP's threat
 * names so a freeRASP callback can be forwarded as is.
 */
const NAMES: ReadonlyMap<string, DeviceSignal> = new Map<string, DeviceSignal>([
  ...DEVICE_SIGNALS.map((s) => [s.toLowerCase(), s] as [string, DeviceSignal]),
  ['privilegedaccess', 'rooted'],
  ['root', 'rooted'],
  ['jailbreak', 'jailbroken'],
  ['debug', 'debugger'],
  ['simulator', 'emulator'],
  ['appintegrity', 'tampered'],
  ['hooks', 'hooked'],
  ['frida', 'hooked'],
  ['devicebinding', 'deviceBindingChanged'],
  ['passcode', 'passcodeNotSet'],
  ['devmode', 'developerMode'],
]);

/** A report is a short comma-separated list; anything longer is cut off rather than parsed. */
const MAX_HEADER_LENGTH = 512;
const MAX_ENTRIES = 32;

/**
 * Parses the self-reported signals header (`rooted, hooks, simulator`). Unknown names are ignored; the result can
 * only ever add signals (see `addSelfReported`).
 */
export function parseSelfReportedSignals(header: string | undefined): DeviceSignal[] {
  if (header === undefined || header.length === 0) return [];
  const text = header.length > MAX_HEADER_LENGTH ? header.slice(0, MAX_HEADER_LENGTH) : header;
  const out: DeviceSignal[] = [];
  let count = 0;
  for (const part of text.split(',')) {
    if (++count > MAX_ENTRIES) break;
    const signal = NAMES.get(part.trim().toLowerCase());
    if (signal !== undefined && !out.includes(signal)) out.push(signal);
  }
  return out;
}
