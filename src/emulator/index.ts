import type { AddressInfo } from 'node:net';
import { type CallRecord, SecretSink } from './calllog';
import { type AppliedChaos, ChaosEngine, type ChaosOptions } from './chaos';
import { createClock } from './clock';
import { createCvm } from './cvm';
import { type FleetInput, loadFleet } from './cvm/fleet';
import type { CvmState } from './cvm/model';
import { createRandom } from './random';
import { DEFAULT_RATE_LIMITS, RateLimiter } from './ratelimit';
import { createScf, type ScfFunctions, type ScfState } from './scf';
import { createEmulatorServer } from './server';
import { createSsm } from './ssm';
import { DEFAULT_SSM_LIMITS, type SsmLimits, type SsmState } from './ssm/model';
import type { Credential, FaultOptions, ResetTiming } from './types';

export type { CallRecord } from './calllog';
export type {
  AppliedChaos,
  ChaosAnswer,
  ChaosMutation,
  ChaosOptions,
  ChaosPath,
  ChaosRule,
} from './chaos';
export type { FleetInput, FleetSpec } from './cvm/fleet';
export type { CvmState, InstanceRecord, InstanceSeed } from './cvm/model';
export type {
  ScfFunction,
  ScfFunctions,
  ScfInvocation,
  ScfInvocationContext,
  ScfState,
} from './scf';
export type { SecretRecord, SsmState } from './ssm/model';
export type { Credential, FaultOptions, ResetTiming } from './types';

/** The key pair the emulator accepts when none is configured. Not a real Tencent key. */
export const DEFAULT_CREDENTIAL: Credential = {
  secretId: 'AKIDEMULATOR00000000000000000000000',
  secretKey: 'emulator-secret-key-000000000000',
};

/** Sub-second by default so tests are quick; benchmarks pass tens of seconds. */
export const DEFAULT_RESET_TIMING: ResetTiming = {
  stopped: [50, 150],
  running: [150, 400],
  restartAfterForceStop: true,
};

export interface EmulatorOptions {
  /** 0 (default) picks a free port. The server always binds 127.0.0.1. */
  port?: number;
  credentials?: Credential[];
  /** `'demo'`, `'none'` (default), a JSON file path, a generator spec or a list of instances. */
  fleet?: FleetInput;
  /** true (default): the documented limits; false: off; an object: overrides per action. */
  rateLimits?: boolean | Record<string, number>;
  /** Real milliseconds added to every call: a fixed number or [min, max]. Default 0. */
  latencyMs?: number | readonly [number, number];
  /** Emulated milliseconds per real millisecond (default 1). */
  timeScale?: number;
  resetTiming?: Partial<ResetTiming>;
  faults?: FaultOptions;
  /** The misbehaving mode: corrupts success answers of chosen actions (./chaos.ts). Default off. */
  chaos?: ChaosOptions;
  /** Seed of the PRNG behind fleets, latency and faults (default 1). */
  seed?: number;
  /** SSM quotas; defaults are the real ones (1000 secrets, 10 versions, 32 KB). */
  ssmLimits?: Partial<SsmLimits>;
  /** Calls kept in the call log (oldest dropped first). Default 200,000. */
  callLogLimit?: number;
  /** SCF functions `Invoke` can run, keyed by name (namespace `default`) or `namespace/name`. */
  functions?: ScfFunctions;
}

export interface EmulatorState {
  readonly cvm: CvmState;
  readonly ssm: SsmState;
  /** SCF Invoke: `invocations()` and `settle()` (await background invocations before asserting). */
  readonly scf: ScfState;
  /** Mutable: tests change faults while the emulator runs. */
  faults: FaultOptions;
  /**
   * Mutable: the misbehaving mode, or undefined for none. Assigning a new object restarts its
   * PRNG and `times` counters; mutating the assigned object in place has no defined effect.
   */
  chaos: ChaosOptions | undefined;
  /** Every corruption chaos applied over the emulator's life, oldest first. */
  chaosApplied(): readonly AppliedChaos[];
  /** Mutable: documented limits, overrides, or undefined for none. */
  rateLimits: Record<string, number> | undefined;
  latencyMs: readonly [number, number];
  readonly credentials: Credential[];
  /** Every call, parameters redacted. */
  calls(): readonly CallRecord[];
  /** Every password or secret string the emulator received, for leak scans. */
  receivedSecrets(): string[];
  /** Emulated now, ms. */
  now(): number;
}

export interface Emulator {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `127.0.0.1:PORT`, the SDK's `httpProfile.endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  readonly state: EmulatorState;
  close(): Promise<void>;
}

function latencyRange(value: EmulatorOptions['latencyMs']): readonly [number, number] {
  if (value === undefined) return [0, 0];
  if (typeof value === 'number') return [value, value];
  return value;
}

function resolveLimits(value: EmulatorOptions['rateLimits']): Record<string, number> | undefined {
  if (value === false) return undefined;
  if (value === true || value === undefined) return { ...DEFAULT_RATE_LIMITS };
  return { ...DEFAULT_RATE_LIMITS, ...value };
}

/**
 * Starts a local Tencent Cloud (CVM 2017-03-12, SSM 2019-09-23, SCF 2018-04-16 `Invoke`) on
 * 127.0.0.1 that the real `tencentcloud-sdk-nodejs-*` clients talk to with
 * `httpProfile: { protocol: 'http://', endpoint: emulator.endpoint }`.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = createClock(options.timeScale ?? 1);
  const random = createRandom(options.seed ?? 1);
  const sink = new SecretSink();
  const callLogLimit = options.callLogLimit ?? 200_000;
  const calls: CallRecord[] = [];
  let seq = 0;
  const credentials = [...(options.credentials ?? [DEFAULT_CREDENTIAL])];
  const resetTiming: ResetTiming = { ...DEFAULT_RESET_TIMING, ...options.resetTiming };
  const fleet = await loadFleet(options.fleet ?? 'none', options.seed ?? 1);
  const chaosLog: AppliedChaos[] = [];
  let chaosEngine: ChaosEngine | undefined;
  let chaosFor: ChaosOptions | undefined;

  const state: EmulatorState = {
    cvm: undefined as unknown as CvmState,
    ssm: undefined as unknown as SsmState,
    scf: undefined as unknown as ScfState,
    faults: options.faults ?? {},
    chaos: options.chaos,
    chaosApplied: () => chaosLog,
    rateLimits: resolveLimits(options.rateLimits),
    latencyMs: latencyRange(options.latencyMs),
    credentials,
    calls: () => calls,
    receivedSecrets: () => sink.all(),
    now: () => clock.now(),
  };
  const cvm = createCvm({ clock, random, faults: () => state.faults, resetTiming, fleet });
  const ssm = createSsm({
    clock,
    limits: { ...DEFAULT_SSM_LIMITS, ...options.ssmLimits },
    random: createRandom((options.seed ?? 1) + 1),
  });
  const scf = createScf(options.functions ?? {});
  Object.assign(state, { cvm: cvm.state, ssm: ssm.state, scf: scf.state });

  let limiter: RateLimiter | undefined;
  let limiterFor: Record<string, number> | undefined;
  const server = createEmulatorServer({
    services: [cvm.service, ssm.service, scf.service],
    credentials: () => state.credentials,
    clock,
    random,
    rateLimiter: () => {
      if (state.rateLimits === undefined) return undefined;
      if (limiterFor !== state.rateLimits) {
        limiter = new RateLimiter(clock, state.rateLimits);
        limiterFor = state.rateLimits;
      }
      return limiter;
    },
    faults: () => state.faults,
    chaos: () => {
      if (state.chaos === undefined) return undefined;
      if (chaosFor !== state.chaos) {
        chaosEngine = new ChaosEngine(state.chaos, chaosLog);
        chaosFor = state.chaos;
      }
      return chaosEngine;
    },
    latencyMs: () => state.latencyMs,
    sink,
    record: (call) => {
      calls.push({ ...call, seq: ++seq });
      if (calls.length > callLogLimit) calls.splice(0, calls.length - callLogLimit);
    },
  });
  // Many parallel SDK calls: keep-alive sockets must not pile up behind a small backlog.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    endpoint: `127.0.0.1:${port}`,
    port,
    state,
    close: async () => {
      clock.cancelAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
