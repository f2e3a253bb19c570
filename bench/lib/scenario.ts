/**
 * One benchmark run: an emulator in this process with realistic settings, a fresh runner child
 * process for the rotator on the emulator's clock, then the figures from the call log and a
 * check of the result against the emulator's actual passwords.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import {
  DEFAULT_CREDENTIAL,
  type Emulator,
  type FleetSpec,
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

export const label = (s: Pick<Scenario, 'instances' | 'regions' | 'scope' | 'mode'>) =>
  `${s.instances}/${s.regions} ${s.scope} ${s.mode}`;

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
}

/** Busy and total CPU time of the whole machine so far, ms (from os.cpus()). */
function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    const sum = t.user + t.nice + t.sys + t.idle + t.irq;
    total += sum;
    busy += sum - t.idle;
  }
  return { busy, total };
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

function startRunner(file: string, nodeArgs: readonly string[]): ChildProcess {
  return fork(file, [], {
    execArgv: [...nodeArgs],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
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
  /** Node flags for the runner, e.g. `--max-old-space-size=200` or `--cpu-prof`. */
  readonly runnerNodeArgs?: readonly string[];
  readonly seed?: number;
}

export async function runScenario(scenario: Scenario, settings: RunSettings): Promise<RunFigures> {
  const { runnerFile, seed = 1 } = settings;
  const scale = scenario.timeScale;
  const latency = latencyFor(scale);
  const regions = REGIONS.slice(0, scenario.regions);
  const emulator = await startEmulator({
    fleet: fleetFor(scenario),
    rateLimits: true,
    latencyMs: latency,
    timeScale: scale,
    resetTiming: { running: RESET_TIMING.running, stopped: RESET_TIMING.stopped },
    seed,
    callLogLimit: 10_000_000,
  });
  let child: ChildProcess | undefined;
  try {
    const target = eligible(emulator.state, 'rotation', 'enabled');
    child = startRunner(runnerFile, settings.runnerNodeArgs ?? []);
    const ready = await nextMessage(child);
    if (ready.type !== 'ready') throw new Error('the runner did not start');
    const request: RunRequest = {
      type: 'run',
      env: {
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
        // Above ~12x the default 120 s lock TTL is under 10 real seconds (under half a second at
        // the naive runs' 250x), which a GC pause or a busy machine can outlast and so lose the
        // lock for reasons of emulation alone; the longest TTL keeps it held there.
        ...(scale > 12 ? { ROTATION_LOCK_TTL_SECONDS: '3600' } : {}),
      },
      event: {
        Type: 'Timer',
        TriggerName: 'bench',
        Time: new Date(emulator.state.now()).toISOString().replace(/\.\d{3}/, ''),
        Message: '',
      },
      timeLimitMs: scenario.mode === 'naive' ? NAIVE_LIMIT_MS : SCF_LIMIT_MS,
      anchor: anchorOf(emulator, scale),
      sequential: scenario.mode === 'naive',
    };
    const cpu0 = process.cpuUsage();
    const machine0 = machineTimes();
    child.send(request);
    const answer = await nextMessage(child);
    const cpu = process.cpuUsage(cpu0);
    const machine1 = machineTimes();
    if (answer.type === 'error') throw new Error(`the rotation threw: ${answer.message}`);
    if (answer.type !== 'result') throw new Error('the runner answered out of turn');

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
    const verification = verify(emulator.state, answer.rotated, SECRET_PREFIX);
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
      correct:
        verification.wrongPassword === 0 &&
        verification.wrongVersion === 0 &&
        answer.counts.rotated === target.count,
      fits900: emulatedSeconds * 1000 <= SCF_LIMIT_MS,
      rotatorCpuPct: (answer.cpuMs / answer.realMs) * 100,
      emulatorCpuPct: ((cpu.user + cpu.system) / 1000 / answer.realMs) * 100,
      machineCpuPct:
        ((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * 100,
      peakHeapMb: answer.peakHeapBytes / 1024 / 1024,
      callP50EmulatedMs: answer.callP50RealMs * scale,
      latency,
    };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill();
    await emulator.close();
  }
}
