/**
 * What the benchmark's parent (bench/run.ts, which hosts the emulator) and its rotation runner
 * (bench/lib/runner.ts, a fresh child process per run) say to each other over IPC.
 */

export type PasswordScope = 'group' | 'instance';
/**
 * `concurrent`: one invocation, the production protocol. `naive`: one invocation, one batch at a
 * time per region. `fanout`: ROTATION_FANOUT=true, one invocation that invokes one sub-run per
 * region through the emulator's SCF, each sub-run in its own runner process.
 */
export type RunMode = 'concurrent' | 'naive' | 'fanout';
/** ROTATION_SECRET_LAYOUT: one secret per instance (default), or up to 50 instances per secret. */
export type SecretLayout = 'instance' | 'packed';

/** One benchmark run: a fleet, a scope, a mode and a secret layout, at a time scale. */
export interface Scenario {
  readonly instances: number;
  readonly regions: number;
  readonly scope: PasswordScope;
  readonly mode: RunMode;
  readonly layout: SecretLayout;
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

/** The SCF context the runner hands `runFromEvent` (the fields src/handler.ts reads). */
export interface RunContext {
  readonly request_id: string;
  readonly function_name: string;
  readonly time_limit_in_ms: number;
  readonly memory_limit_in_mb: number;
  readonly namespace?: string;
  readonly function_version?: string;
  readonly tencentcloud_region?: string;
}

/** Parent → runner: invoke the handler once. */
export interface RunRequest {
  readonly type: 'run';
  readonly env: Record<string, string>;
  readonly event: unknown;
  readonly context: RunContext;
  readonly anchor: ClockAnchor;
  readonly sequential: boolean;
}

/** One rotated instance, as the run report names it (no secret in it). */
export interface RotatedEntry {
  readonly instanceId: string;
  readonly region: string;
  /** The secret and version the report names: the instance's own, or its pack's (packed layout). */
  readonly secretName: string;
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
  /** Sub-runs a fan-out run invoked (its report's `fanout`); 0 for a rotating run. */
  readonly fanout: number;
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
  /** What the runner saw: NODE_OPTIONS from its environment, and V8's heap size limit, MB. */
  readonly nodeOptions: string;
  readonly heapLimitMb: number;
}

export interface RunFailure {
  readonly type: 'error';
  readonly message: string;
}

export type RunnerMessage = RunResult | RunFailure | { readonly type: 'ready' };
