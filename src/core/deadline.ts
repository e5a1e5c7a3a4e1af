/**
 * Per-verifier timeouts without a timer per request. A `setTimeout` per pending verify costs more than the verify
 * itself on the cached path; instead pending promises join one set, and a single unref'd interval (running only
 * while something is pending) rejects those whose deadline has passed. Timeouts fire within `tickMs` of their
 * deadline, which is plenty for limits measured in seconds.
 */
export class DeadlineWatch {
  private readonly pending = new Set<Pending>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly tickMs = 25) {}

  /** Resolves or rejects as `promise` does, or rejects with `onTimeout()` once `timeoutMs` have passed. */
  race<T>(promise: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: Date.now() + timeoutMs, reject, onTimeout };
      this.pending.add(entry);
      if (this.timer === undefined) this.start();
      promise.then(
        (value) => {
          this.pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.pending.delete(entry);
          reject(error);
        },
      );
    });
  }

  private start(): void {
    this.timer = setInterval(() => this.sweep(), this.tickMs);
    this.timer.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const entry of this.pending) {
      if (entry.deadline > now) continue;
      this.pending.delete(entry);
      entry.reject(entry.onTimeout());
    }
    if (this.pending.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

interface Pending {
  readonly deadline: number;
  readonly reject: (error: unknown) => void;
  readonly onTimeout: () => Error;
}
