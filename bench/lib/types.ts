/**
 * What the benchmark's parent (bench/run.ts, which hosts the emulator) and its rotation runner
 * (bench/lib/runner.ts, a fresh child process per run) say to each other over IPC.
 */

export type PasswordScope = 'group' | 'instance';
export type RunMode = 'concurrent' | 'naive';

/** One benchmark run: a fleet, a scope and a mode, at a time scale. */
export interface Scenario {
  readonly instances: number;
  readonly regions: number;
  readonly scope: PasswordScope;
  readonly mode: RunMode;
  /** Emulated ms per real ms, for both the emulator and the rotator. */
  readonly timeScale: number;
}

/**
 * A point both processes agree on: `emulated` was the emulator's clock when `Date.now()` read
 * `real`. With the same formula as the emulator's own clock (`Date.now()` times the scale), the
 * runner's `now()` equals the emulator's `state.now()` at every instant.
 */
export interface ClockAnchor {
  readonly real: number;
  readonly emulated: number;
  readonly scale: number;
}

/** Parent → runner: invoke the handler once. */
export interface RunRequest {
  readonly type: 'run';
  readonly env: Record<string, string>;
  readonly event: unknown;
  readonly timeLimitMs: number;
  readonly anchor: ClockAnchor;
  readonly sequential: boolean;
}

/** One rotated instance, as the run report names it (no secret in it). */
export interface RotatedEntry {
  readonly instanceId: string;
  readonly region: string;
  readonly versionId: string;
}

/** Runner → parent: the run's figures. Never a password. */
export interface RunResult {
  readonly type: 'result';
  readonly status: string;
  readonly counts: {
    readonly discovered: number;
    readonly rotated: number;
    readonly failed: number;
    readonly skipped: number;
  };
  /** `reason → count` over failed and skipped instances. */
  readonly reasons: Record<string, number>;
  readonly regionErrors: number;
  readonly rotated: readonly RotatedEntry[];
  /** Emulated ms on the shared clock, at the call and at the answer of runFromEvent. */
  readonly emulatedStart: number;
  readonly emulatedEnd: number;
  readonly realMs: number;
  /** process.resourceUsage().maxRSS after the run, KB; and RSS once the modules were loaded. */
  readonly maxRssKb: number;
  readonly baselineRssKb: number;
  /** Peak of heapUsed, sampled every 50 real ms, bytes. */
  readonly peakHeapBytes: number;
  /** CPU (user + system) the runner spent during the run, ms. */
  readonly cpuMs: number;
  /** Event-loop delay p99 during the run, real ms. */
  readonly loopDelayP99Ms: number;
  /** Median real ms of one port call (pacing queue and retries included). */
  readonly callP50RealMs: number;
  readonly logLines: number;
}

export interface RunFailure {
  readonly type: 'error';
  readonly message: string;
}

export type RunnerMessage = RunResult | RunFailure | { readonly type: 'ready' };
