/**
 * `diffPinSets`: what a new pin set changes, host by host, so a rotation can be reviewed before it is published
 * (a backup promoted, an old pin dropped, enforcement switched off). Pure: no `node:` import.
 */
import type { PinSetHost, PinSetPayload } from './pinset-payload.js';

/** What changes for one host. */
export interface HostPinDiff {
  readonly host: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** Pins that newly appear as current pins (a promoted backup is listed in `promoted`, not here). */
  readonly pinsAdded: readonly string[];
  /** Current pins that disappear entirely. */
  readonly pinsRemoved: readonly string[];
  /** Backup pins that move to the current pins: the rotation's switch. */
  readonly promoted: readonly string[];
  /** Current pins that move to the backups. */
  readonly demoted: readonly string[];
  readonly backupsAdded: readonly string[];
  /** Backups that disappear entirely (not promoted). */
  readonly backupsRemoved: readonly string[];
  readonly enforce?: { from: boolean | undefined; to: boolean | undefined };
  readonly includeSubdomains?: { from: boolean | undefined; to: boolean | undefined };
  readonly expiresAt?: { from: string | undefined; to: string | undefined };
}

/** The difference between two pin sets. */
export interface PinSetDiff {
  readonly version: { from: number | undefined; to: number | undefined };
  /** True when `to` has a lower version than `from`: publishing it would be refused by apps. */
  readonly rollback: boolean;
  readonly hosts: readonly HostPinDiff[];
}

type Hosts = Readonly<Record<string, PinSetHost>>;

/** Compares two pin sets (payloads, or bare host maps); hosts that do not change are left out. */
export function diffPinSets(from: PinSetPayload | Hosts | undefined, to: PinSetPayload | Hosts): PinSetDiff {
  const a = hostsOf(from);
  const b = hostsOf(to);
  const va = versionOf(from);
  const vb = versionOf(to);
  const hosts: HostPinDiff[] = [];
  for (const host of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const d = diffHost(host, Object.hasOwn(a, host) ? a[host] : undefined, Object.hasOwn(b, host) ? b[host] : undefined);
    if (d) hosts.push(d);
  }
  return { version: { from: va, to: vb }, rollback: va !== undefined && vb !== undefined && vb < va, hosts };
}

/** A payload has a numeric `version` beside its `hosts` (a host map's values are objects, whatever its hosts are named). */
function isPayload(value: unknown): value is PinSetPayload {
  if (typeof value !== 'object' || value === null) return false;
  const { version, hosts } = value as Partial<PinSetPayload>;
  return typeof version === 'number' && typeof hosts === 'object' && hosts !== null;
}

function hostsOf(value: PinSetPayload | Hosts | undefined): Hosts {
  if (value === undefined) return {};
  return isPayload(value) ? value.hosts : value;
}

function versionOf(value: PinSetPayload | Hosts | undefined): number | undefined {
  return isPayload(value) && typeof value.version === 'number' ? value.version : undefined;
}

function diffHost(host: string, a: PinSetHost | undefined, b: PinSetHost | undefined): HostPinDiff | undefined {
  const aPins = new Set(a?.pins ?? []);
  const aBackups = new Set(a?.backupPins ?? []);
  const bPins = new Set(b?.pins ?? []);
  const bBackups = new Set(b?.backupPins ?? []);
  const promoted = [...bPins].filter((p) => aBackups.has(p) && !aPins.has(p));
  const pinsAdded = [...bPins].filter((p) => !aPins.has(p) && !aBackups.has(p));
  const pinsRemoved = [...aPins].filter((p) => !bPins.has(p) && !bBackups.has(p));
  const backupsAdded = [...bBackups].filter((p) => !aBackups.has(p) && !aPins.has(p));
  const backupsRemoved = [...aBackups].filter((p) => !bBackups.has(p) && !bPins.has(p));
  const demoted = [...aPins].filter((p) => bBackups.has(p) && !bPins.has(p));
  const diff: { -readonly [K in keyof HostPinDiff]: HostPinDiff[K] } = {
    host,
    change: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed',
    pinsAdded,
    pinsRemoved,
    promoted,
    demoted,
    backupsAdded,
    backupsRemoved,
  };
  if (a?.enforce !== b?.enforce) diff.enforce = { from: a?.enforce, to: b?.enforce };
  if (a?.includeSubdomains !== b?.includeSubdomains) diff.includeSubdomains = { from: a?.includeSubdomains, to: b?.includeSubdomains };
  if (a?.expiresAt !== b?.expiresAt) diff.expiresAt = { from: a?.expiresAt, to: b?.expiresAt };
  const unchanged =
    diff.change === 'changed' &&
    [pinsAdded, pinsRemoved, promoted, demoted, backupsAdded, backupsRemoved].every((l) => l.length === 0) &&
    !diff.enforce &&
    !diff.includeSubdomains &&
    !diff.expiresAt;
  return unchanged ? undefined : diff;
}

/** A human-readable rendering of a diff, one line per change (what `mobile-api-shield pinset diff` prints). */
export function formatPinSetDiff(diff: PinSetDiff): string {
  const lines = [`version ${diff.version.from ?? '-'} → ${diff.version.to ?? '-'}${diff.rollback ? '  (ROLLBACK: apps will refuse it)' : ''}`];
  if (diff.hosts.length === 0) lines.push('no host changes');
  for (const h of diff.hosts) {
    lines.push(`${h.host}: ${h.change}`);
    for (const p of h.promoted) lines.push(`  promoted backup → pin  ${p}`);
    for (const p of h.demoted) lines.push(`  demoted pin → backup  ${p}`);
    for (const p of h.pinsAdded) lines.push(`  + pin     ${p}`);
    for (const p of h.pinsRemoved) lines.push(`  - pin     ${p}`);
    for (const p of h.backupsAdded) lines.push(`  + backup  ${p}`);
    for (const p of h.backupsRemoved) lines.push(`  - backup  ${p}`);
    if (h.enforce) lines.push(`  enforce ${String(h.enforce.from)} → ${String(h.enforce.to)}${h.enforce.to === false ? '  (EMERGENCY: report only)' : ''}`);
    if (h.includeSubdomains) lines.push(`  includeSubdomains ${String(h.includeSubdomains.from)} → ${String(h.includeSubdomains.to)}`);
    if (h.expiresAt) lines.push(`  expiresAt ${h.expiresAt.from ?? '-'} → ${h.expiresAt.to ?? '-'}`);
  }
  return `${lines.join('\n')}\n`;
}
