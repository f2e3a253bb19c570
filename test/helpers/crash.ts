/**
 * Simulates the rotator's process dying mid-run, for the crash-matrix tests.
 *
 * A {@link Crash} wraps the real cloud ports (through the handler's `wrapPorts` seam) and the
 * protocol's `checkpoint` hook. When it fires (at the nth occurrence of a named step boundary, or
 * as the nth mutating cloud call is sent) the process is "dead":
 *
 * - the call that triggered it (if any) is still sent: it reaches the emulator, its answer is lost;
 * - calls already handed to the ports before the death run to completion at the emulator, but their
 *   answers are never delivered;
 * - nothing new is sent: every later call on a port returns a promise that never settles, so the
 *   rotator never observes anything again (a dead process runs no error path);
 * - a checkpoint that kills throws, so no code after the boundary runs.
 *
 * {@link Crash.drain} waits for the calls that were already on their way, so that the test can
 * then let the emulator settle and look at what the dead run left behind.
 */
import type { Clock, CvmPort, SsmPort } from '../../src/cloud/ports';
import type { Emulator } from '../../src/emulator';
import type { RunOptions } from '../../src/handler';

/** Port methods that change something in the cloud. */
const MUTATING = new Set([
  'resetPassword',
  'createSecret',
  'putValue',
  'updateValue',
  'deleteVersion',
]);

export type KillPoint =
  /** Die at the `occurrence`-th (1-based) call of `checkpoint(step)`. */
  | { readonly kind: 'step'; readonly step: string; readonly occurrence: number }
  /** Die as the `n`-th (1-based) mutating port call of the run is sent. */
  | { readonly kind: 'call'; readonly n: number };

export const describeKillPoint = (point: KillPoint): string =>
  point.kind === 'step' ? `step ${point.step} #${point.occurrence}` : `mutating call #${point.n}`;

/** Thrown from the checkpoint hook when the process "dies" there. */
export class ProcessKilled extends Error {
  constructor(readonly where: string) {
    super(`process killed at ${where}`);
    this.name = 'ProcessKilled';
  }
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export interface CrashOptions {
  readonly kill?: KillPoint;
  /**
   * Called synchronously before every port call and at every step boundary, dead or alive: the
   * place to assert an invariant that must hold "at every moment".
   */
  readonly observe?: (where: string, args?: readonly unknown[]) => void;
}

export class Crash {
  /** Labels of the mutating calls sent, in order (`resetPassword`, `putValue cvm-password-ins-…`). */
  readonly mutatingCalls: string[] = [];
  /** Every checkpoint step seen, in order. */
  readonly steps: string[] = [];
  /** Where the process died, once it has. */
  diedAt: string | undefined;
  /** Resolves with the kill point's description when the process dies. */
  readonly died: Promise<string>;
  private markDied!: (where: string) => void;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly stepCounts = new Map<string, number>();

  constructor(private readonly options: CrashOptions = {}) {
    this.died = new Promise((resolve) => {
      this.markDied = resolve;
    });
  }

  get dead(): boolean {
    return this.diedAt !== undefined;
  }

  /** The handler seams: pass them in `RunOptions`. */
  get seams(): Pick<RunOptions, 'wrapPorts' | 'checkpoint'> {
    return {
      wrapPorts: (ports) => ({
        cvm: this.wrap(ports.cvm, 'cvm'),
        ssm: this.wrap(ports.ssm, 'ssm'),
      }),
      checkpoint: (step) => this.checkpoint(step),
    };
  }

  /** Resolves once every call sent before (or at) the death has been answered by the emulator. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private kill(where: string): void {
    if (this.diedAt !== undefined) return;
    this.diedAt = where;
    this.markDied(where);
  }

  private checkpoint(step: string): void {
    this.options.observe?.(`step ${step}`);
    if (this.dead) throw new ProcessKilled(this.diedAt as string);
    this.steps.push(step);
    const count = (this.stepCounts.get(step) ?? 0) + 1;
    this.stepCounts.set(step, count);
    const kill = this.options.kill;
    if (kill?.kind === 'step' && kill.step === step && kill.occurrence === count) {
      const where = describeKillPoint(kill);
      this.kill(where);
      throw new ProcessKilled(where);
    }
  }

  private wrap<T extends CvmPort | SsmPort>(port: T, service: string): T {
    const handler: ProxyHandler<T> = {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const method = value as (...args: unknown[]) => Promise<unknown>;
        return (...args: unknown[]): Promise<unknown> =>
          this.call(service, property, () => method.apply(target, args), args);
      },
    };
    return new Proxy(port, handler);
  }

  private call(
    service: string,
    method: string,
    send: () => Promise<unknown>,
    args: unknown[],
  ): Promise<unknown> {
    this.options.observe?.(`${service}.${method}`, args);
    if (this.dead) return never();
    let killsNow = false;
    if (MUTATING.has(method)) {
      // A label without any secret: the action and the secret name or instance ids.
      const subject = args[1];
      const label =
        typeof subject === 'string'
          ? `${method} ${subject}`
          : typeof subject === 'object' && subject !== null && 'name' in subject
            ? `${method} ${String((subject as { name: unknown }).name)}`
            : `${method} ${JSON.stringify((subject as { instanceIds?: unknown } | undefined)?.instanceIds ?? [])}`;
      this.mutatingCalls.push(label);
      const kill = this.options.kill;
      killsNow = kill?.kind === 'call' && kill.n === this.mutatingCalls.length;
    }
    const sent = send();
    this.inFlight.add(sent);
    const forget = () => this.inFlight.delete(sent);
    sent.then(forget, forget);
    if (killsNow) {
      this.kill(
        `${describeKillPoint(this.options.kill as KillPoint)} (${this.mutatingCalls.at(-1)})`,
      );
      return never();
    }
    // An answer arriving after the death is never delivered.
    return new Promise((resolve, reject) => {
      sent.then(
        (value) => {
          if (!this.dead) resolve(value);
        },
        (error: unknown) => {
          if (!this.dead) reject(error);
        },
      );
    });
  }
}

/** A rotator clock on emulated time that a test can also move forward. */
export interface EmulatedClock extends Clock {
  /**
   * Moves the rotator's "now" forward by `ms` at once, as if that much time had passed before
   * its next run (e.g. for a dead run's region lock to expire). The emulator's own clock and
   * asynchronous work do not jump: let them settle first.
   */
  advance(ms: number): void;
}

/**
 * The rotator's clock running on the emulator's (possibly accelerated) time: both sides agree on
 * "now", and the rotator's waits (polling, backoff, pacing) shrink by `scale` in real time.
 * Pass the same `scale` as the emulator's `timeScale`.
 */
export function emulatedClock(emulator: Emulator, scale: number): EmulatedClock {
  let offset = 0;
  return {
    now: () => emulator.state.now() + offset,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / scale))),
    scale,
    advance: (ms) => {
      offset += ms;
    },
  };
}
