/**
 * CPU profile of one measured window only (not start-up, token minting or warm-up), through the inspector of the
 * process itself. Used when the bench runs with --profile; the sampling costs a few percent, so numbers of a
 * profiled run are not compared with unprofiled ones.
 */
import { Session } from 'node:inspector/promises';
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
    this.#running = false;
    const { profile } = await this.#session.post('Profiler.stop');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
  }
}

/** A file-name-safe form of a scenario or case name. */
export function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
}
