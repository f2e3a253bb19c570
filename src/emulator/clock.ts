/**
 * The emulator's notion of time. Asynchronous work (a password reset completing, an instance
 * stopping) and rate-limit buckets run on emulated time, which can run faster than real time
 * (`timeScale`) so that benchmarks of 20–40 s resets finish in minutes. Signature timestamps are
 * always checked against real time, because the SDK stamps requests with the real clock.
 */
export interface Clock {
  /** Emulated milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms` emulated milliseconds. */
  schedule(ms: number, fn: () => void): void;
  /** How many emulated milliseconds pass per real millisecond. */
  readonly timeScale: number;
  /** Cancels everything scheduled (used by `close()`). */
  cancelAll(): void;
}

export function createClock(timeScale = 1): Clock {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new Error(`timeScale must be a positive number, got ${timeScale}`);
  }
  const realStart = Date.now();
  const timers = new Set<NodeJS.Timeout>();
  return {
    timeScale,
    now: () => realStart + (Date.now() - realStart) * timeScale,
    schedule(ms, fn) {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          fn();
        },
        Math.max(0, ms / timeScale),
      );
      timer.unref();
      timers.add(timer);
    },
    cancelAll() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
