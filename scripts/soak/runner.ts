/**
 * The fault soak (issue [5]): repeated rotation runs over a large fleet, each in a child process
 * the soak may SIGKILL at a random moment, against the emulator living in this process, with
 * random faults on every action and someone else acting on the fleet. After every run the
 * invariants of issue [2] are checked against the emulator's actual passwords; at the end the
 * faults stop, the locks expire, one clean run goes, and every eligible instance's secret must
 * hold its actual password. See docs/soak.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_CREDENTIAL,
  type Emulator,
  type InstanceRecord,
  startEmulator,
} from '../../src/emulator';
import { createRandom, type Random } from '../../src/emulator/random';
import { ChildRun } from './child-run';
import { type ConvergenceSummary, ConvergenceTracker } from './convergence';
import { type Disturbance, Disturber } from './disturb';
import {
  CallLogTally,
  emptyFaultCounts,
  FAULT_RATES,
  type FaultCounts,
  faultRunFaults,
  normalLimits,
  ResetFailureWatch,
  THROTTLE,
  throttledLimits,
} from './faults';
import {
  type InitialPasswords,
  isEligible,
  isManaged,
  snapshotPasswords,
  soakFleet,
} from './fleet';
import {
  inSync,
  lostUsers,
  SECRET_PREFIX,
  summarizeVersions,
  type VersionSummary,
} from './invariants';
import { LeakScanner } from './leaks';
import type { ChildConfig, ChildMessage, Sabotage } from './protocol';

export interface SoakOptions {
  readonly runs: number;
  readonly instances: number;
  readonly seed: number;
  readonly regions: readonly string[];
  /** Emulated ms per real ms, for the emulator and the rotator alike. */
  readonly scale: number;
  /** Fraction of fault runs killed. */
  readonly killRate: number;
  /** ROTATION_LOCK_TTL_SECONDS (the minimum, 5, unless a diagnosis needs another). */
  readonly lockTtlSeconds: number;
  /** Progress lines (never a password). */
  readonly log: (line: string) => void;
  /** Where to keep each run's output (audit log and stderr, passwords redacted), if anywhere. */
  readonly logDir?: string;
  /** A deliberately broken rotator (fault runs only), to prove the soak catches it. */
  readonly sabotage?: Sabotage;
}

/** Everything a reader needs to replay and understand one failure; no password inside. */
export interface Finding {
  readonly kind:
    | 'password-lost'
    | 'out-of-sync-after-clean-run'
    | 'leak'
    | 'run-timeout'
    | 'child-failed';
  readonly run: number;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface RunSummary {
  readonly run: number;
  readonly clean: boolean;
  readonly scope: 'group' | 'instance';
  readonly killedAtMs?: number;
  readonly status?: string;
  readonly errors?: readonly string[];
  readonly reasons?: Readonly<Record<string, number>>;
  /** `lock.lost` events of the run, by why. */
  readonly locksLost: Readonly<Record<string, number>>;
  readonly rotated: number;
  readonly outOfSync: number;
  readonly lost: number;
  readonly disturbances: number;
  readonly resetFailures: number;
  readonly calls: number;
  readonly durationMs: number;
}

export interface SoakResult {
  readonly seed: number;
  readonly emulatorSeed: number;
  readonly runs: number;
  readonly instances: number;
  readonly regions: readonly string[];
  readonly scale: number;
  readonly lockTtlSeconds: number;
  /** Instances rotated, summed over the fault runs. */
  readonly rotated: number;
  readonly rotatedInCleanRun: number;
  readonly cleanRunStatus: string;
  readonly faults: FaultCounts;
  readonly kills: number;
  readonly killsPlanned: number;
  /** Distinct instances whose rotator-set password was, at some check, in no version. */
  readonly passwordsLost: number;
  /** Of which found by the sampler during a run (not only after it). */
  readonly passwordsLostMidRun: number;
  readonly outOfSyncAfterCleanRun: number;
  readonly convergence: ConvergenceSummary;
  /** Distinct passwords found in any output of any run. */
  readonly leaks: number;
  readonly instancesDeleted: number;
  readonly runTimeouts: number;
  readonly durationMs: number;
  readonly perRun: readonly RunSummary[];
  readonly findings: readonly Finding[];
}

/** The function's time limit in emulated ms (SCF's maximum). */
const TIME_LIMIT_MS = 900_000;
/** Previous passwords kept: small, so pruning happens in most runs. */
const KEEP_VERSIONS = 2;
/** Emulated reset durations: long enough for kills and external acts to land mid-reset. */
const RESET_TIMING = {
  stopped: [1_000, 4_000] as const,
  running: [3_000, 10_000] as const,
  restartAfterForceStop: true,
};
/** Real ms between invariant samples while a run goes, and between reset-failure scans. */
const SAMPLE_EVERY_MS = 250;
const FAILURE_SCAN_EVERY_MS = 15;
/** The child pauses this long (real ms) at these steps so the soak's acts land before the reset. */
const PAUSE_STEPS = ['discovered', 'pending.persisted'];
const PAUSE_MS = 25;
/** First guess of a run's duration (real ms), before one has completed. */
const FIRST_RUN_ESTIMATE_MS = 3_000;
const MAX_FINDINGS_PER_KIND = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The emulator clock's real start, so the child's clock can equal the emulator's. */
function emulatorRealStart(emulator: Emulator, scale: number): number {
  if (scale === 1) return 0;
  for (;;) {
    const before = Date.now();
    const emulated = emulator.state.now();
    if (Date.now() === before) return Math.round((before * scale - emulated) / (scale - 1));
  }
}

/** A seed for run `run`'s own random choices, independent of how many draws earlier runs made. */
const runSeed = (seed: number, run: number) =>
  (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(run, 0xc2b2ae35)) >>> 0;

interface RunPlan {
  readonly run: number;
  readonly clean: boolean;
  readonly scope: 'group' | 'instance';
  /** Kill at this fraction of the expected run duration. */
  readonly killAt?: number;
  readonly throttleAt?: number;
  readonly throttleMs?: number;
  readonly timerActAt?: number;
}

interface RunState {
  readonly plan: RunPlan;
  readonly disturbed: Set<string>;
  readonly resetFailed: Set<string>;
  readonly disturbances: Disturbance[];
  readonly lines: string[];
  readonly output: string[];
  startedAt: number | undefined;
  finished: Extract<ChildMessage, { type: 'finished' }> | undefined;
  rejected: string | undefined;
  persistedSeen: number;
  resetFailures: number;
  killedAtMs: number | undefined;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const { seed, scale } = options;
  const emulatorSeed = seed;
  const random = createRandom(seed ^ 0x50a4);
  const emulator = await startEmulator({
    fleet: soakFleet(options.instances, options.regions),
    seed: emulatorSeed,
    timeScale: scale,
    resetTiming: RESET_TIMING,
    rateLimits: true,
    callLogLimit: 20_000_000,
  });
  try {
    return await new Soak(emulator, options, random, emulatorSeed, started).run();
  } finally {
    await emulator.close();
  }
}

class Soak {
  private readonly initial: InitialPasswords;
  private readonly managed: Set<string>;
  private readonly tally: CallLogTally;
  private readonly failures: ResetFailureWatch;
  private readonly leaks: LeakScanner;
  private readonly convergence: ConvergenceTracker;
  private readonly faults = emptyFaultCounts();
  private readonly findings: Finding[] = [];
  private readonly perRun: RunSummary[] = [];
  private readonly lost = new Set<string>();
  private readonly lostMidRun = new Set<string>();
  private readonly realStart: number;
  private readonly completedDurations: Array<{ scope: 'group' | 'instance'; ms: number }> = [];
  private rotated = 0;
  private kills = 0;
  private killsPlanned = 0;
  private deleted = 0;
  private timeouts = 0;
  private leakCount = 0;

  constructor(
    private readonly emulator: Emulator,
    private readonly options: SoakOptions,
    private readonly random: Random,
    private readonly emulatorSeed: number,
    private readonly startedAt: number,
  ) {
    const records = emulator.state.cvm.instances();
    this.initial = snapshotPasswords(records);
    this.managed = new Set(records.filter(isManaged).map((r) => r.InstanceId));
    this.tally = new CallLogTally(emulator);
    this.failures = new ResetFailureWatch(emulator);
    this.leaks = new LeakScanner(() => emulator.state.receivedSecrets());
    this.convergence = new ConvergenceTracker(this.managed);
    this.realStart = emulatorRealStart(emulator, options.scale);
  }

  /** Which fault runs are killed: exactly round(killRate × runs) of them, at random. */
  private killedRuns(): Set<number> {
    const { runs, killRate } = this.options;
    const count = Math.min(runs, Math.round(runs * killRate));
    const order = Array.from({ length: runs }, (_, i) => i + 1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.random.int(0, i);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    return new Set(order.slice(0, count));
  }

  async run(): Promise<SoakResult> {
    const { runs, regions, instances, seed, scale } = this.options;
    const records = this.emulator.state.cvm.instances();
    const running = records.filter((r) => r.InstanceState === 'RUNNING').length;
    const windows = records.filter((r) => r.DefaultLoginUser === 'Administrator').length;
    this.options.log(
      `soak: seed ${seed} (emulator seed ${this.emulatorSeed}); ${runs} fault runs + 1 clean run; ` +
        `${instances} instances in ${regions.join(', ')} (${this.managed.size} managed, ${running} RUNNING, ` +
        `${windows} Windows); time scale ${scale}; lock TTL ${this.options.lockTtlSeconds} s; reproduce with --seed ${seed}`,
    );
    const killed = this.killedRuns();
    this.killsPlanned = killed.size;
    let carriedKill = false;
    for (let run = 1; run <= runs; run++) {
      const plan: RunPlan = {
        run,
        clean: false,
        scope: run % 2 === 1 ? 'group' : 'instance',
        ...(killed.has(run) || carriedKill ? { killAt: 0.02 + this.random.next() * 0.93 } : {}),
        ...(this.random.next() < 0.6
          ? {
              throttleAt: this.random.next(),
              throttleMs: this.random.int(THROTTLE.minMs, THROTTLE.maxMs),
            }
          : {}),
        timerActAt: this.random.next(),
      };
      const summary = await this.runOnce(plan);
      // A run that ended before its kill time passes the kill on to the next run.
      carriedKill = plan.killAt !== undefined && summary.killedAtMs === undefined;
    }

    // The clean run: no faults, locks of killed runs expired, nobody else acting on the fleet.
    this.emulator.state.faults = {};
    this.emulator.state.rateLimits = normalLimits();
    await sleep((this.options.lockTtlSeconds * 1000) / scale + 200);
    const clean = await this.runOnce({ run: runs + 1, clean: true, scope: 'group' });
    const outOfSync = this.checkCleanRun(runs + 1);
    return {
      seed,
      emulatorSeed: this.emulatorSeed,
      runs,
      instances,
      regions,
      scale,
      lockTtlSeconds: this.options.lockTtlSeconds,
      rotated: this.rotated - clean.rotated,
      rotatedInCleanRun: clean.rotated,
      cleanRunStatus: clean.status ?? (clean.killedAtMs === undefined ? 'no report' : 'killed'),
      faults: this.faults,
      kills: this.kills,
      killsPlanned: this.killsPlanned,
      passwordsLost: this.lost.size,
      passwordsLostMidRun: this.lostMidRun.size,
      outOfSyncAfterCleanRun: outOfSync,
      convergence: this.convergence.summary(),
      leaks: this.leakCount,
      instancesDeleted: this.deleted,
      runTimeouts: this.timeouts,
      durationMs: Date.now() - this.startedAt,
      perRun: this.perRun,
      findings: this.findings,
    };
  }

  private addFinding(finding: Finding): void {
    if (this.findings.filter((f) => f.kind === finding.kind).length < MAX_FINDINGS_PER_KIND)
      this.findings.push(finding);
  }

  /**
   * Real ms a run is expected to take: the shortest of the last three completed runs of the same
   * password scope (instance scope makes one reset call per instance and takes longer).
   */
  private expectedRunMs(scope: 'group' | 'instance'): number {
    const same = this.completedDurations.filter((d) => d.scope === scope);
    const recent = (same.length > 0 ? same : this.completedDurations).slice(-3);
    return recent.length > 0 ? Math.min(...recent.map((d) => d.ms)) : FIRST_RUN_ESTIMATE_MS;
  }

  private childConfig(plan: RunPlan): ChildConfig {
    const [home] = this.options.regions;
    return {
      env: {
        TENCENTCLOUD_SECRETID: DEFAULT_CREDENTIAL.secretId,
        TENCENTCLOUD_SECRETKEY: DEFAULT_CREDENTIAL.secretKey,
        TENCENTCLOUD_REGION: home ?? 'ap-guangzhou',
        ROTATION_TAGS: 'rotation=enabled',
        ROTATION_REGIONS: this.options.regions.join(','),
        ROTATION_FORCE_STOP: 'true',
        ROTATION_PASSWORD_SCOPE: plan.scope,
        ROTATION_KEEP_VERSIONS: String(KEEP_VERSIONS),
        ROTATION_LOCK_TTL_SECONDS: String(this.options.lockTtlSeconds),
        ROTATION_SECRET_PREFIX: SECRET_PREFIX,
        ROTATION_CVM_ENDPOINT: this.emulator.url,
        ROTATION_SSM_ENDPOINT: this.emulator.url,
      },
      event: {
        Type: 'Timer',
        TriggerName: 'nightly',
        Time: new Date().toISOString(),
        Message: '',
      },
      context: {
        request_id: `soak-${this.options.seed}-${plan.run}`,
        function_name: 'cvm-password-rotator',
        time_limit_in_ms: TIME_LIMIT_MS,
        memory_limit_in_mb: 256,
        tencentcloud_region: home ?? 'ap-guangzhou',
      },
      clock: { realStart: this.realStart, scale: this.options.scale },
      pauseSteps: plan.clean ? [] : PAUSE_STEPS,
      pauseMs: plan.clean ? 0 : PAUSE_MS,
      ...(this.options.sabotage && !plan.clean ? { sabotage: this.options.sabotage } : {}),
    };
  }

  private disturb(
    state: RunState,
    disturber: Disturber,
    count: number,
    trigger: string,
    region?: string,
  ): void {
    const at = state.startedAt === undefined ? 0 : Date.now() - state.startedAt;
    for (const d of disturber.act(count, trigger, at, region)) {
      state.disturbances.push(d);
      state.disturbed.add(d.instanceId);
      if (d.act === 'delete') {
        this.faults.deletions++;
        this.deleted++;
        this.managed.delete(d.instanceId);
        this.convergence.forget(d.instanceId);
      } else {
        this.faults.externalOperations++;
      }
    }
  }

  private scanFailures(state: RunState, ids?: readonly string[]): void {
    for (const id of this.failures.scan(ids)) {
      state.resetFailures++;
      this.faults.resetFailures++;
      state.disturbed.add(id);
      state.resetFailed.add(id);
    }
  }

  /** Checks "every rotator-set password is stored" over the fleet; records new losses. */
  private checkLost(state: RunState, when: 'mid-run' | 'after-run'): number {
    let count = 0;
    for (const id of this.managed) {
      const record = this.emulator.state.cvm.instance(id);
      if (!record) continue;
      const users = lostUsers(this.emulator, record, this.initial);
      if (users.length === 0) continue;
      count++;
      if (this.lost.has(id)) continue;
      this.lost.add(id);
      if (when === 'mid-run') this.lostMidRun.add(id);
      this.addFinding({
        kind: 'password-lost',
        run: state.plan.run,
        detail: { when, users, ...this.evidence(state, record) },
      });
    }
    return count;
  }

  /** What the soak knows about an instance in this run, without any password. */
  private evidence(state: RunState, record: InstanceRecord): Record<string, unknown> {
    const id = record.InstanceId;
    const versions: VersionSummary[] = summarizeVersions(this.emulator, record);
    const calls = this.emulator.state
      .calls()
      .filter((c) => {
        const p = c.params;
        return (
          (Array.isArray(p.InstanceIds) && p.InstanceIds.includes(id)) ||
          p.SecretName === `${SECRET_PREFIX}-${id}`
        );
      })
      .slice(-40)
      .map((c) => ({
        seq: c.seq,
        at: new Date(c.at).toISOString(),
        action: c.action,
        requestId: c.requestId,
        ...(c.params.VersionId ? { versionId: c.params.VersionId } : {}),
        ...(c.error ? { error: c.error } : {}),
        ...(c.responseDropped ? { responseDropped: true } : {}),
      }));
    const audit = state.lines
      .filter((l) => l.includes(id))
      .slice(-40)
      .map((l) => this.leaks.redact(l.length > 700 ? `${l.slice(0, 700)}…` : l));
    return {
      instanceId: id,
      region: record.region,
      atRunMs: state.startedAt === undefined ? null : Date.now() - state.startedAt,
      emulatedAt: new Date(this.emulator.state.now()).toISOString(),
      state: record.InstanceState,
      userName: record.DefaultLoginUser,
      latestOperation: {
        operation: record.LatestOperation,
        state: record.LatestOperationState,
        requestId: record.LatestOperationRequestId,
      },
      scope: state.plan.scope,
      killedAtMs: state.killedAtMs ?? null,
      killPlannedAt: state.plan.killAt ?? null,
      disturbancesThisRun: state.disturbances.filter((d) => d.instanceId === id),
      resetFailedThisRun: state.resetFailed.has(id),
      versions,
      calls,
      audit,
    };
  }

  private async runOnce(plan: RunPlan): Promise<RunSummary> {
    const state: RunState = {
      plan,
      disturbed: new Set(),
      resetFailed: new Set(),
      disturbances: [],
      lines: [],
      output: [],
      startedAt: undefined,
      finished: undefined,
      rejected: undefined,
      persistedSeen: 0,
      resetFailures: 0,
      killedAtMs: undefined,
    };
    const disturber = new Disturber(
      this.emulator,
      createRandom(runSeed(this.options.seed, plan.run)),
      this.options.instances,
      (id) => this.scanFailures(state, [id]),
    );
    const actRandom = createRandom(runSeed(this.options.seed, plan.run) ^ 0xac7);
    let markStarted: () => void = () => undefined;
    const startedMessage = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    let partial = '';
    const child = new ChildRun({
      onOutput: (text, stream) => {
        state.output.push(text);
        if (stream !== 'stdout') return;
        const parts = (partial + text).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) if (line) state.lines.push(line);
      },
      onMessage: (message) => {
        if (message.type === 'started') {
          state.startedAt = Date.now();
          markStarted();
        } else if (message.type === 'finished') state.finished = message;
        else if (message.type === 'rejected') state.rejected = message.message;
        else if (message.type === 'checkpoint' && !plan.clean) {
          if (message.step === 'discovered') {
            this.disturb(state, disturber, actRandom.int(0, 4), message.step);
          } else if (message.step === 'pending.persisted' && state.persistedSeen++ < 4) {
            if (actRandom.next() < 0.5)
              this.disturb(state, disturber, 1, message.step, message.region);
          }
        }
      },
    });
    const timers: NodeJS.Timeout[] = [];
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      timers.push(t);
    };
    const at = (ms: number, fn: () => void) => {
      timers.push(setTimeout(fn, Math.max(0, ms)));
    };

    await child.ready;
    this.emulator.state.faults = plan.clean ? {} : faultRunFaults();
    this.emulator.state.rateLimits = normalLimits();
    const expected = this.expectedRunMs(plan.scope);
    child.start(this.childConfig(plan));
    every(FAILURE_SCAN_EVERY_MS, () => this.scanFailures(state));
    every(SAMPLE_EVERY_MS, () => this.checkLost(state, 'mid-run'));
    const exitedBeforeStart = await Promise.race([
      startedMessage.then(() => false),
      child.exited.then(() => true),
    ]);
    if (!exitedBeforeStart) {
      if (plan.killAt !== undefined) {
        at(plan.killAt * expected * 0.9, () => {
          if (child.kill()) state.killedAtMs = Date.now() - (state.startedAt ?? Date.now());
        });
      }
      if (plan.throttleAt !== undefined && plan.throttleMs !== undefined) {
        const ms = plan.throttleMs;
        at(plan.throttleAt * expected, () => {
          this.faults.throttleBursts++;
          this.emulator.state.rateLimits = throttledLimits();
          at(ms, () => {
            this.emulator.state.rateLimits = normalLimits();
          });
        });
      }
      if (plan.timerActAt !== undefined) {
        at(plan.timerActAt * expected, () => this.disturb(state, disturber, 1, 'timer'));
      }
      // SCF would end the invocation at its time limit; a run past it (plus slack) is a finding.
      at(TIME_LIMIT_MS / this.options.scale + 15_000, () => {
        if (child.kill()) {
          this.timeouts++;
          this.addFinding({
            kind: 'run-timeout',
            run: plan.run,
            detail: { limitMs: TIME_LIMIT_MS / this.options.scale + 15_000 },
          });
        }
      });
    }
    const exit = await child.exited;
    const durationMs = Date.now() - (state.startedAt ?? Date.now());
    for (const t of timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.emulator.state.rateLimits = normalLimits();
    if (state.killedAtMs !== undefined) this.kills++;
    else if (state.finished) this.completedDurations.push({ scope: plan.scope, ms: durationMs });

    // Let requests the dead child already sent finish (latency spikes included), then let every
    // asynchronous reset and external operation end before looking.
    await sleep(FAULT_RATES.latencySpike.ms + 60);
    await this.emulator.state.cvm.settle();
    this.scanFailures(state);
    const calls = this.tally.take(this.faults);

    if (state.rejected !== undefined || (!state.finished && state.killedAtMs === undefined)) {
      this.addFinding({
        kind: 'child-failed',
        run: plan.run,
        detail: {
          exit,
          rejected: state.rejected ?? null,
          stderr: this.leaks.redact(state.output.join('').slice(-4000)),
        },
      });
    }

    // Invariants after the run.
    const lostNow = this.checkLost(state, 'after-run');
    let outOfSync = 0;
    for (const id of [...this.managed]) {
      const record = this.emulator.state.cvm.instance(id);
      if (!record) {
        this.managed.delete(id);
        this.convergence.forget(id);
        continue;
      }
      const synced = inSync(this.emulator, record);
      if (!synced && isEligible(record)) outOfSync++;
      this.convergence.observe(
        id,
        plan.run,
        state.disturbed.has(id) || state.killedAtMs !== undefined,
        synced,
      );
    }

    // Leaks: the whole output of the run, against every password the emulator ever received.
    const output = state.output.join('');
    const leaked = this.leaks.count(output);
    if (this.options.logDir) {
      mkdirSync(this.options.logDir, { recursive: true });
      const file = join(this.options.logDir, `run-${String(plan.run).padStart(4, '0')}.log`);
      writeFileSync(file, leaked > 0 ? this.leaks.redact(output) : output);
    }
    if (leaked > 0) {
      this.leakCount += leaked;
      this.addFinding({ kind: 'leak', run: plan.run, detail: { distinctPasswords: leaked } });
    }

    const rotated =
      state.finished?.counts.rotated ??
      state.lines.filter((l) => l.includes('"event":"instance.rotated"')).length;
    this.rotated += rotated;
    const summary: RunSummary = {
      run: plan.run,
      clean: plan.clean,
      scope: plan.scope,
      ...(state.killedAtMs !== undefined ? { killedAtMs: state.killedAtMs } : {}),
      ...(state.finished
        ? {
            status: state.finished.status,
            errors: state.finished.errors,
            reasons: state.finished.reasons,
          }
        : {}),
      locksLost: countLocksLost(state.lines),
      rotated,
      outOfSync,
      lost: lostNow,
      disturbances: state.disturbances.length,
      resetFailures: state.resetFailures,
      calls,
      durationMs,
    };
    this.perRun.push(summary);
    this.options.log(formatRun(summary, this.options.runs));
    return summary;
  }

  /** After the clean run: every eligible instance's newest version holds its actual password. */
  private checkCleanRun(run: number): number {
    let outOfSync = 0;
    for (const record of this.emulator.state.cvm.instances()) {
      if (!isEligible(record) || inSync(this.emulator, record)) continue;
      outOfSync++;
      this.addFinding({
        kind: 'out-of-sync-after-clean-run',
        run,
        detail: {
          instanceId: record.InstanceId,
          region: record.region,
          versions: summarizeVersions(this.emulator, record),
          latestOperation: {
            operation: record.LatestOperation,
            state: record.LatestOperationState,
            requestId: record.LatestOperationRequestId,
          },
        },
      });
    }
    return outOfSync;
  }
}

function countLocksLost(lines: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    if (!line.includes('"event":"lock.lost"')) continue;
    const why = /"why":"([^"]*)"/.exec(line)?.[1] ?? 'lost';
    out[why] = (out[why] ?? 0) + 1;
  }
  return out;
}

export function formatRun(s: RunSummary, runs: number): string {
  const name = s.clean ? 'clean run' : `run ${String(s.run).padStart(String(runs).length)}/${runs}`;
  const fate =
    s.killedAtMs !== undefined
      ? `KILLED at ${(s.killedAtMs / 1000).toFixed(2)}s`
      : `${s.status ?? 'no report'}${s.errors && s.errors.length > 0 ? ` (${s.errors.join(' ')})` : ''}`;
  const locks = Object.entries(s.locksLost)
    .map(([why, count]) => `${why} ${count}`)
    .join(', ');
  const reasons = Object.entries(s.reasons ?? {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  return (
    `${name} ${s.scope.padEnd(8)} ${fate}; rotated ${s.rotated}, out of sync ${s.outOfSync}, ` +
    `lost ${s.lost}; ${s.disturbances} external acts, ${s.resetFailures} reset failures, ` +
    `${s.calls} calls; ${(s.durationMs / 1000).toFixed(1)}s${reasons ? ` [${reasons}]` : ''}` +
    (locks ? ` locks lost: ${locks}` : '')
  );
}
