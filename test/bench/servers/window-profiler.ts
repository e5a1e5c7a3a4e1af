/**
 * CPU profile of one measured window only (not start-up, token minting or warm-up), through the inspector of the
 * process itself. Used when the bench runs with --profile; the sampling costs a few percent, so numbers of a
 * profiled run are not compared with unprofiled ones.
 */
import { Session, type Profiler } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from './library.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Starts and stops the V8 sampling profiler of this process around a window. */
export class WindowProfiler {
  readonly #session = new Session();
  #running = false;

  constructor(private readonly intervalUs = 100) {
    this.#session.connect();
  }

  /** Starts sampling (no-op when already sampling). */
  async start(): Promise<void> {
    if (this.#running) return;
    await this.#session.post('Profiler.enable');
    await this.#session.post('Profiler.setSamplingInterval', { interval: this.intervalUs });
    await this.#session.post('Profiler.start');
    this.#running = true;
  }

  /** Stops sampling and writes the profile (Chrome DevTools .cpuprofile format) to `file`. */
  async stop(file: string): Promise<void> {
    if (!this.#running) return;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(await this.take()));
  }

  /** Stops sampling and returns the profile. */
  async take(): Promise<Profiler.Profile> {
    this.#running = false;
    const { profile } = await this.#session.post('Profiler.stop');
    return profile;
  }

  /** Disconnects from the inspector (a profiler made for one measurement). */
  close(): void {
    this.#session.disconnect();
  }
}

/** The project's own code as the profiler names it: the built package (`dist/`) and the sources (`src/`, tsx). */
const LIBRARY_URLS = [pathToFileURL(path.join(PROJECT_ROOT, 'dist')).href + '/', pathToFileURL(path.join(PROJECT_ROOT, 'src')).href + '/'];

/**
 * Busy (non-idle) sampled time, and the part of it that belongs to the library's own code (`<root>/dist/` or `src/`):
 * a sample counts when the nearest frame on its stack that has a file URL outside Node's internals is in it, so
 * node:crypto called by the shield counts, and the framework code an adapter's `next()` runs does not. Work the
 * shield causes inside the framework (extra hooks, promise machinery) is not counted either: a lower bound of the
 * shield's cost, apart from the host's spread that a difference of two totals carries.
 */
export function shieldShare(profile: Profiler.Profile): { shieldUs: number; busyUs: number } {
  const parent = new Map<number, number>();
  const byId = new Map<number, Profiler.ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const inShield = new Map<number, boolean>();
  const isShield = (id: number): boolean => {
    const known = inShield.get(id);
    if (known !== undefined) return known;
    const url = byId.get(id)?.callFrame.url ?? '';
    const up = parent.get(id);
    // Node internals (node:...) and native frames (no URL) belong to whoever called them.
    const userland = url.startsWith('file://');
    const value = userland ? LIBRARY_URLS.some((prefix) => url.startsWith(prefix)) : up !== undefined && isShield(up);
    inShield.set(id, value);
    return value;
  };
  let shieldUs = 0;
  let busyUs = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i += 1) {
    const name = byId.get(samples[i]!)?.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') continue;
    const us = deltas[i] ?? 0;
    busyUs += us;
    if (isShield(samples[i]!)) shieldUs += us;
  }
  return { shieldUs, busyUs };
}

/** A file-name-safe form of a scenario or case name. */
export function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
}
