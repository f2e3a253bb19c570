/**
 * One benchmark run: an emulator in this process with realistic settings, a fresh runner child
 * process for the rotator on the emulator's clock, then the figures from the call log and a
 * check of the result against the emulator's actual passwords.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import {
  DEFAULT_CREDENTIAL,
  type Emulator,
  type FleetSpec,
  type ScfInvocationContext,
  startEmulator,
} from '../../src/emulator';
import {
  callsPerInstance,
  eligible,
  type LowerBound,
  lowerBound,
  type Phase,
  phases,
  type ResetRanges,
  throttled,
  type Verification,
  verify,
} from './analysis';
import { machineTimes } from './machine';
import type { ClockAnchor, RunnerMessage, RunRequest, RunResult, Scenario } from './types';

/** The six regions of the largest fleet, in the order smaller fleets take them. */
export const REGIONS = [
  'ap-guangzhou',
  'ap-shanghai',
  'ap-beijing',
  'ap-chengdu',
  'ap-nanjing',
  'ap-hongkong',
] as const;

/** Reset completion, emulated ms (issue [4]): 20–40 s RUNNING (force stop), 5–10 s STOPPED. */
export const RESET_TIMING: ResetRanges = { running: [20_000, 40_000], stopped: [5_000, 10_000] };
/** Per-call latency, emulated ms. */
export const LATENCY_MS: readonly [number, number] = [30, 80];
/** SCF's synchronous limit, and the 24 h of async-run mode the naive runs are given. */
export const SCF_LIMIT_MS = 900_000;
const NAIVE_LIMIT_MS = 86_400_000;
const SECRET_PREFIX = 'cvm-password';

export const label = (
  s: Pick<Scenario, 'instances' | 'regions' | 'scope' | 'mode'> & { layout?: Scenario['layout'] },
) => `${s.instances}/${s.regions} ${s.scope} ${s.mode}${s.layout === 'packed' ? ' packed' : ''}`;

/** Half RUNNING, half STOPPED, all tagged, the five public OS images, spread evenly. */
export function fleetFor(s: Scenario): FleetSpec {
  return {
    count: s.instances,
    regions: Object.fromEntries(REGIONS.slice(0, s.regions).map((r) => [r, 1])),
    states: { RUNNING: 0.5, STOPPED: 0.5 },
    rotationTag: { Key: 'rotation', Value: 'enabled' },
    extraTags: { env: ['prod', 'staging', 'dev'], team: ['payments', 'data', 'platform', 'web'] },
  };
}

/**
 * Real ms per call for a time scale. Node's timers cannot wait less than 1 ms, so below that the
 * emulator adds no latency and the loopback round trip itself (a few tenths of a real ms, times
 * the scale) stands in for it; the runner's median call time shows what it came to.
 */
export function latencyFor(scale: number): readonly [number, number] | 0 {
  const [min, max] = LATENCY_MS;
  return min / scale >= 1 ? [min / scale, max / scale] : 0;
}

export interface RunFigures {
  readonly scenario: Scenario;
  readonly label: string;
  readonly eligible: number;
  readonly result: RunResult;
  readonly emulatedSeconds: number;
  readonly wallSeconds: number;
  readonly bound: LowerBound;
  readonly ratio: number;
  readonly peakRssMb: number;
  readonly baselineRssMb: number;
  readonly callsPerInstance: Record<string, number>;
  readonly totalCalls: number;
  readonly throttled: number;
  readonly phases: readonly Phase[];
  readonly verification: Verification;
  readonly correct: boolean;
  readonly fits900: boolean;
  /** CPU of the runner (rotator) and of this process (emulator), percent of one core. */
  readonly rotatorCpuPct: number;
  readonly emulatorCpuPct: number;
  /** The whole machine's CPU use during the run, percent of all cores (other work included). */
  readonly machineCpuPct: number;
  readonly peakHeapMb: number;
  /** Median port call (pacing and retries included), emulated ms. */
  readonly callP50EmulatedMs: number;
  readonly latency: readonly [number, number] | 0;
  /** Why the run is wrong besides the verification (a sub-run that failed, a missing one). */
  readonly problems: readonly string[];
  /** Fan-out: one per region's sub-run (each in its own process); empty otherwise. */
  readonly subRuns: readonly SubRun[];
  /** Fan-out: the peak RSS of the fan-out run's own process (it only invokes), MB. */
  readonly fanoutRunnerRssMb: number | undefined;
}

/** One fan-out sub-run: emulated seconds since the fan-out run started. */
export interface SubRun {
  readonly region: string;
  readonly startSeconds: number;
  readonly endSeconds: number;
  readonly peakRssMb: number;
  readonly peakHeapMb: number;
  readonly rotated: number;
  readonly status: string;
}

/** The same clock as the emulator's: sampled where Date.now() does not tick in between. */
function anchorOf(emulator: Emulator, scale: number): ClockAnchor {
  for (;;) {
    const before = Date.now();
    const emulated = emulator.state.now();
    if (Date.now() === before) return { real: before, emulated, scale };
  }
}

/**
 * Bundles the runner (and with it the handler, as scripts/build.mjs bundles dist/index.js) into
 * one CommonJS file in a temporary directory, so that it runs under plain `node`: the TypeScript
 * loader alone would add about 37 MB to the RSS being measured. Returns the file and a cleanup.
 */
export async function buildRunner(): Promise<{ file: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'cvm-rotator-bench-'));
  const file = join(dir, 'runner.js');
  await build({
    entryPoints: [join(__dirname, 'runner.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    minify: true,
    keepNames: true,
    logLevel: 'warning',
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts runner processes and keeps track of them: each `run` is a fresh child process with the
 * deployed function's NODE_OPTIONS in its environment (as SCF sets it) and `nodeArgs` on its
 * command line. `killAll` ends every child still alive; a child also exits by itself when this
 * process goes away (IPC disconnect).
 */
export class Runners {
  private readonly live = new Set<ChildProcess>();

  constructor(
    private readonly file: string,
    private readonly nodeArgs: readonly string[],
    private readonly nodeOptions: string,
  ) {}

  private start(): ChildProcess {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS;
    if (this.nodeOptions !== '') env.NODE_OPTIONS = this.nodeOptions;
    const child = fork(this.file, [], {
      execArgv: [...this.nodeArgs],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.live.add(child);
    child.once('exit', () => this.live.delete(child));
    return child;
  }

  /** One invocation in a fresh runner: resolves to its figures, rejects if it threw or died. */
  async run(request: RunRequest): Promise<RunResult> {
    const child = this.start();
    try {
      const ready = await nextMessage(child);
      if (ready.type !== 'ready') throw new Error('the runner did not start');
      child.send(request);
      const answer = await nextMessage(child);
      if (answer.type === 'error') throw new Error(`the rotation threw: ${answer.message}`);
      if (answer.type !== 'result') throw new Error('the runner answered out of turn');
      if (answer.nodeOptions !== this.nodeOptions) {
        throw new Error(
          `the runner ran with NODE_OPTIONS=${JSON.stringify(answer.nodeOptions)}, not ${JSON.stringify(this.nodeOptions)}`,
        );
      }
      return answer;
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
  }

  killAll(): void {
    for (const child of this.live) child.kill();
  }
}

function nextMessage(child: ChildProcess): Promise<RunnerMessage> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`the runner exited (${signal ?? code}) before answering`));
    child.once('exit', onExit);
    child.once('message', (message: RunnerMessage) => {
      child.off('exit', onExit);
      resolve(message);
    });
  });
}

export interface RunSettings {
  /** The bundled runner (buildRunner). */
  readonly runnerFile: string;
  /** When set, the run's call log (parameters redacted by the emulator) goes to DIR/<label>.jsonl. */
  readonly callsDir?: string;
  /** Node flags for the runner, e.g. `--cpu-prof`. */
  readonly runnerNodeArgs?: readonly string[];
  /** NODE_OPTIONS for every runner: the deployed function's (serverless.yml). */
  readonly nodeOptions: string;
  readonly seed?: number;
}

const median = (values: readonly number[]) =>
  Float64Array.from(values).sort()[Math.floor(values.length / 2)] ?? 0;

/** The region a fan-out sub-event names (`{"regions":["ap-shanghai"],…}`). */
function regionOf(event: unknown): string {
  if (typeof event === 'object' && event !== null && 'regions' in event) {
    const regions: unknown = event.regions;
    if (Array.isArray(regions) && typeof regions[0] === 'string') return regions[0];
  }
  return '?';
}

/**
 * A fan-out run's figures as one: from the fan-out run's start to the end of its last sub-run,
 * every sub-run's rotated instances, the largest sub-run RSS and heap, the CPU of all of them.
 */
function mergeFanout(top: RunResult, subs: readonly SubRunResult[], scale: number): RunResult {
  const results = subs.map((s) => s.result);
  const emulatedEnd = Math.max(top.emulatedEnd, ...results.map((r) => r.emulatedEnd));
  const reasons: Record<string, number> = { ...top.reasons };
  for (const r of results) {
    for (const [k, n] of Object.entries(r.reasons)) reasons[k] = (reasons[k] ?? 0) + n;
  }
  const sum = (f: (r: RunResult) => number) => results.reduce((acc, r) => acc + f(r), 0);
  const max = (f: (r: RunResult) => number) => Math.max(0, ...results.map(f));
  const statuses = new Set(results.map((r) => r.status));
  return {
    ...top,
    status:
      statuses.size === 1 && statuses.has('succeeded') && top.status === 'succeeded'
        ? 'succeeded'
        : [...new Set([top.status, ...statuses])].join('/'),
    counts: {
      discovered: top.counts.discovered + sum((r) => r.counts.discovered),
      rotated: top.counts.rotated + sum((r) => r.counts.rotated),
      failed: top.counts.failed + sum((r) => r.counts.failed),
      skipped: top.counts.skipped + sum((r) => r.counts.skipped),
    },
    reasons,
    regionErrors: top.regionErrors + sum((r) => r.regionErrors),
    rotated: [...top.rotated, ...results.flatMap((r) => r.rotated)],
    emulatedEnd,
    // The shared clock makes emulated / scale the real time between the two instants.
    realMs: (emulatedEnd - top.emulatedStart) / scale,
    maxRssKb: max((r) => r.maxRssKb),
    baselineRssKb: max((r) => r.baselineRssKb),
    peakHeapBytes: max((r) => r.peakHeapBytes),
    cpuMs: top.cpuMs + sum((r) => r.cpuMs),
    loopDelayP99Ms: max((r) => r.loopDelayP99Ms),
    callP50RealMs: median(results.map((r) => r.callP50RealMs)),
    logLines: top.logLines + sum((r) => r.logLines),
    heapLimitMb: max((r) => r.heapLimitMb),
  };
}

interface SubRunResult {
  readonly region: string;
  readonly result: RunResult;
}

/** The SCF function the fan-out run invokes (its own name, as in production). */
export const FUNCTION_NAME = 'cvm-password-rotator';

export async function runScenario(scenario: Scenario, settings: RunSettings): Promise<RunFigures> {
  const { runnerFile, seed = 1 } = settings;
  const scale = scenario.timeScale;
  const latency = latencyFor(scale);
  const regions = REGIONS.slice(0, scenario.regions);
  const fanout = scenario.mode === 'fanout';
  const runners = new Runners(runnerFile, settings.runnerNodeArgs ?? [], settings.nodeOptions);
  const subs: SubRunResult[] = [];
  const subFailures: string[] = [];
  let env: Record<string, string> = {};
  // Assigned below, before anything can invoke the function.
  let emulator: Emulator | undefined;

  /**
   * The SCF function the fan-out run invokes: each sub-event runs in its OWN fresh runner process,
   * on the same emulated clock and with the same NODE_OPTIONS, so the sub-runs run in parallel
   * like separate SCF instances.
   */
  const subRun = async (event: unknown, ctx: ScfInvocationContext) => {
    const region = regionOf(event);
    if (!emulator) throw new Error('the emulator is not running');
    try {
      const result = await runners.run({
        type: 'run',
        env,
        event,
        context: {
          request_id: ctx.request_id,
          function_name: ctx.function_name,
          namespace: ctx.namespace,
          function_version: ctx.function_version,
          tencentcloud_region: ctx.tencentcloud_region,
          // The emulator's timer is in real ms (SCF_LIMIT_MS / scale); the function's is emulated.
          time_limit_in_ms: SCF_LIMIT_MS,
          memory_limit_in_mb: ctx.memory_limit_in_mb,
        },
        anchor: anchorOf(emulator, scale),
        sequential: false,
      });
      subs.push({ region, result });
      return { status: result.status };
    } catch (error) {
      subFailures.push(`${region}: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  };

  emulator = await startEmulator({
    fleet: fleetFor(scenario),
    rateLimits: true,
    latencyMs: latency,
    timeScale: scale,
    resetTiming: { running: RESET_TIMING.running, stopped: RESET_TIMING.stopped },
    seed,
    callLogLimit: 10_000_000,
    ...(fanout
      ? {
          functions: {
            [FUNCTION_NAME]: {
              handler: subRun,
              // Real ms: the emulator marks an invocation `timeout` after SCF's 900 emulated s.
              timeLimitMs: Math.ceil(SCF_LIMIT_MS / scale),
              memoryMb: 256,
            },
          },
        }
      : {}),
  });
  try {
    const target = eligible(emulator.state, 'rotation', 'enabled');
    env = {
      TENCENTCLOUD_SECRETID: DEFAULT_CREDENTIAL.secretId,
      TENCENTCLOUD_SECRETKEY: DEFAULT_CREDENTIAL.secretKey,
      TENCENTCLOUD_REGION: regions[0] ?? 'ap-guangzhou',
      ROTATION_REGIONS: regions.join(','),
      ROTATION_TAGS: 'rotation=enabled',
      ROTATION_FORCE_STOP: 'true',
      ROTATION_PASSWORD_SCOPE: scenario.scope,
      ROTATION_SECRET_PREFIX: SECRET_PREFIX,
      ROTATION_MAX_INSTANCES: '0',
      ROTATION_VERIFY_TIMEOUT_SECONDS: '3600',
      ROTATION_CVM_ENDPOINT: emulator.url,
      ROTATION_SSM_ENDPOINT: emulator.url,
      ...(scenario.layout === 'packed' ? { ROTATION_SECRET_LAYOUT: 'packed' } : {}),
      // The same environment for the fan-out run and its sub-runs, as for one deployed function:
      // a sub-run names one region, so it rotates instead of fanning out again.
      ...(fanout ? { ROTATION_FANOUT: 'true', ROTATION_SCF_ENDPOINT: emulator.url } : {}),
      // Above ~12x the default 120 s lock TTL is under 10 real seconds (under half a second at
      // the naive runs' 250x), which a GC pause or a busy machine can outlast and so lose the
      // lock for reasons of emulation alone; the longest TTL keeps it held there.
      ...(scale > 12 ? { ROTATION_LOCK_TTL_SECONDS: '3600' } : {}),
    };
    const request: RunRequest = {
      type: 'run',
      env,
      event: {
        Type: 'Timer',
        TriggerName: 'bench',
        Time: new Date(emulator.state.now()).toISOString().replace(/\.\d{3}/, ''),
        Message: '',
      },
      context: {
        request_id: 'bench',
        function_name: FUNCTION_NAME,
        namespace: 'default',
        function_version: '$DEFAULT',
        tencentcloud_region: regions[0] ?? 'ap-guangzhou',
        time_limit_in_ms: scenario.mode === 'naive' ? NAIVE_LIMIT_MS : SCF_LIMIT_MS,
        memory_limit_in_mb: 256,
      },
      anchor: anchorOf(emulator, scale),
      sequential: scenario.mode === 'naive',
    };
    const cpu0 = process.cpuUsage();
    const machine0 = machineTimes();
    const top = await runners.run(request);
    const problems: string[] = [];
    let answer = top;
    let subRuns: SubRun[] = [];
    if (fanout) {
      // Every sub-run (each in its own process) has finished: the fan-out run is over.
      await emulator.state.scf.settle();
      const invocations = emulator.state.scf.invocations();
      if (top.fanout !== regions.length) {
        problems.push(
          `the fan-out run invoked ${top.fanout} sub-runs for ${regions.length} regions`,
        );
      }
      const bad = invocations.filter(
        (i) => i.status !== 'succeeded' || i.resultStatus !== 'succeeded',
      );
      if (invocations.length !== top.fanout || bad.length > 0) {
        problems.push(
          `${invocations.length} SCF invocations, ${bad.length} not succeeded (${bad.map((i) => `${i.status}/${i.resultStatus ?? i.error ?? '?'}`).join(', ')})`,
        );
      }
      problems.push(...subFailures.map((f) => `sub-run ${f}`));
      answer = mergeFanout(top, subs, scale);
      subRuns = subs
        .map(({ region, result }) => ({
          region,
          startSeconds: (result.emulatedStart - top.emulatedStart) / 1000,
          endSeconds: (result.emulatedEnd - top.emulatedStart) / 1000,
          peakRssMb: result.maxRssKb / 1024,
          peakHeapMb: result.peakHeapBytes / 1024 / 1024,
          rotated: result.counts.rotated,
          status: result.status,
        }))
        .sort((a, b) => a.region.localeCompare(b.region));
    }
    const cpu = process.cpuUsage(cpu0);
    const machine1 = machineTimes();

    const calls = emulator.state.calls();
    if (settings.callsDir) {
      mkdirSync(settings.callsDir, { recursive: true });
      const file = join(
        settings.callsDir,
        `${label(scenario).replace(/[^A-Za-z0-9]+/g, '-')}.jsonl`,
      );
      const start = answer.emulatedStart;
      const lines = calls.map((c) => JSON.stringify({ ...c, t: (c.at - start) / 1000 }));
      writeFileSync(file, `${lines.join('\n')}\n`);
    }
    const emulatedSeconds = (answer.emulatedEnd - answer.emulatedStart) / 1000;
    const bound = lowerBound(calls, target.running > 0, RESET_TIMING);
    const verification = verify(emulator.state, answer.rotated, SECRET_PREFIX, scenario.layout);
    return {
      scenario,
      label: label(scenario),
      eligible: target.count,
      result: answer,
      emulatedSeconds,
      wallSeconds: answer.realMs / 1000,
      bound,
      ratio: bound.seconds > 0 ? emulatedSeconds / bound.seconds : 0,
      peakRssMb: answer.maxRssKb / 1024,
      baselineRssMb: answer.baselineRssKb / 1024,
      callsPerInstance: callsPerInstance(calls, target.count),
      totalCalls: calls.length,
      throttled: throttled(calls),
      phases: phases(calls, answer.emulatedStart),
      verification,
      problems,
      correct:
        problems.length === 0 &&
        verification.wrongPassword === 0 &&
        verification.wrongVersion === 0 &&
        verification.pendingLeft === 0 &&
        answer.counts.rotated === target.count,
      fits900: emulatedSeconds * 1000 <= SCF_LIMIT_MS,
      rotatorCpuPct: (answer.cpuMs / answer.realMs) * 100,
      emulatorCpuPct: ((cpu.user + cpu.system) / 1000 / answer.realMs) * 100,
      machineCpuPct:
        ((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * 100,
      peakHeapMb: answer.peakHeapBytes / 1024 / 1024,
      callP50EmulatedMs: answer.callP50RealMs * scale,
      latency,
      subRuns,
      fanoutRunnerRssMb: fanout ? top.maxRssKb / 1024 : undefined,
    };
  } finally {
    runners.killAll();
    await emulator.close();
  }
}
