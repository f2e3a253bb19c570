/**
 * Rotation benchmark (a script that prints figures, not a timed test): `npm run bench`.
 *
 *   npm run bench [-- --only <regexp>] [--time-scale N] [--naive-time-scale N] [--json] [--smoke]
 *
 * Each run starts the emulator in this process with realistic settings (the documented rate
 * limits, 30–80 ms per call and resets of 20–40 s RUNNING / 5–10 s STOPPED, all in emulated
 * time), then forks a fresh runner process that invokes the handler on the emulator's clock, so
 * that the peak RSS is the rotator's own. Figures are in EMULATED seconds unless said otherwise.
 * Then the bundle's size and its cold start. See docs/benchmark.md.
 *
 * Exits 1 only on a crash or a wrong result (a rotated instance whose newest secret version is
 * not its actual password, or fewer rotated than eligible instances); never on timing.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBundle, type ColdStart, measureColdStart } from './lib/coldstart';
import {
  callsTable,
  coldStartLines,
  fmt,
  phaseLines,
  runsTable,
  speedups,
  targetLines,
} from './lib/format';
import { buildRunner, label, type RunFigures, runScenario } from './lib/scenario';
import type { PasswordScope, RunMode, Scenario } from './lib/types';

// The SDK sends everything through http_proxy when set (facts §5.3); keep it on 127.0.0.1.
for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy']) {
  delete process.env[name];
}

const ROOT = resolve(__dirname, '..');

/**
 * Default time scales (emulated ms per real ms), chosen so that the default benchmark takes under
 * 5 minutes on the 2-core machine here while staying faithful: a calibration (docs/benchmark.md,
 * "Time scale") found 5000/6 runs 10–25 % slower in emulated time at 5x than at 2x (the rotator's
 * pacing timers and CPU bursts stretch), and 1000/3 runs the same at 1x, 2x and 5x.
 */
const CONCURRENT_SCALES: Record<number, number> = { 100: 5, 1000: 5, 5000: 2 };
const NAIVE_SCALES: Record<PasswordScope, number> = { group: 50, instance: 250 };
const SMOKE = { instances: 200, regions: 2, scope: 'group' as PasswordScope, timeScale: 20 };

const USAGE = `Usage: npm run bench -- [options]

  --only RE              run only the runs whose label matches RE (case-insensitive), e.g.
                         "5000/6", "instance naive", "cold|bundle"; labels are
                         "<instances>/<regions> <group|instance> <concurrent|naive>", "bundle",
                         "cold-start". Without --only: every concurrent run, the naive
                         baseline of 5000/6, the bundle and the cold start; with it, also the
                         naive baseline of the smaller fleets when the pattern matches them
  --time-scale N         emulated ms per real ms for the concurrent runs (default 5, and 2 for
                         the 5000-instance fleet)
  --naive-time-scale N   the same for the naive baseline runs (default ${NAIVE_SCALES.group} for the
                         group scope, ${NAIVE_SCALES.instance} for the instance scope)
  --json                 end with one JSON line of every figure
  --calls-dir DIR        write each run's call log (parameters redacted) to DIR/<run>.jsonl,
                         with t = emulated seconds since the run started
  --runner-node-args=F   Node flags for the rotation runner, e.g. "--max-old-space-size=200"
                         (a memory cap like SCF's) or "--cpu-prof --cpu-prof-dir=/tmp/prof"
  --smoke                the CI size: ${SMOKE.instances} instances, ${SMOKE.regions} regions, ${SMOKE.scope} scope; no bundle or cold start
  --help                 this text
`;

interface Options {
  readonly only: RegExp | undefined;
  readonly timeScale: number | undefined;
  readonly naiveTimeScale: number | undefined;
  readonly json: boolean;
  readonly smoke: boolean;
  readonly callsDir: string | undefined;
  readonly runnerNodeArgs: readonly string[];
  readonly help: boolean;
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || text.trim() === '') {
    throw new Error(`--${name} must be a positive number, got "${text}"`);
  }
  return value;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      only: { type: 'string' },
      'calls-dir': { type: 'string' },
      'runner-node-args': { type: 'string' },
      'time-scale': { type: 'string' },
      'naive-time-scale': { type: 'string' },
      json: { type: 'boolean' },
      smoke: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return {
    only: values.only === undefined ? undefined : new RegExp(values.only, 'i'),
    timeScale: positive('time-scale', values['time-scale']),
    naiveTimeScale: positive('naive-time-scale', values['naive-time-scale']),
    json: values.json === true,
    callsDir: values['calls-dir'],
    runnerNodeArgs: (values['runner-node-args'] ?? '').split(' ').filter((a) => a !== ''),
    smoke: values.smoke === true,
    help: values.help === true,
  };
}

function scenarios(options: Options): Scenario[] {
  if (options.smoke) {
    return [
      {
        instances: SMOKE.instances,
        regions: SMOKE.regions,
        scope: SMOKE.scope,
        mode: 'concurrent',
        timeScale: options.timeScale ?? SMOKE.timeScale,
      },
    ];
  }
  const fleets: Array<[number, number]> = [
    [100, 1],
    [1000, 3],
    [5000, 6],
  ];
  const list: Scenario[] = [];
  const add = (instances: number, regions: number, scope: PasswordScope, mode: RunMode) =>
    list.push({
      instances,
      regions,
      scope,
      mode,
      timeScale:
        mode === 'naive'
          ? (options.naiveTimeScale ?? NAIVE_SCALES[scope])
          : (options.timeScale ?? CONCURRENT_SCALES[instances] ?? 2),
    });
  for (const [instances, regions] of fleets) {
    for (const scope of ['group', 'instance'] as const)
      add(instances, regions, scope, 'concurrent');
  }
  for (const [instances, regions] of fleets) {
    for (const scope of ['group', 'instance'] as const) add(instances, regions, scope, 'naive');
  }
  // The naive baseline of the smaller fleets runs only when --only asks for it.
  return list.filter((s) =>
    options.only ? options.only.test(label(s)) : s.mode === 'concurrent' || s.instances === 5000,
  );
}

const wanted = (options: Options, name: string) =>
  !options.smoke && (!options.only || options.only.test(name));

const round = (n: number, digits: number) => Number(n.toFixed(digits));

function summary(
  runs: readonly RunFigures[],
  coldStart: ColdStart | null,
  bundleBytes: number | null,
  failures: readonly string[],
) {
  return {
    runs: runs.map((r) => ({
      instances: r.scenario.instances,
      regions: r.scenario.regions,
      scope: r.scenario.scope,
      mode: r.scenario.mode,
      wallSeconds: round(r.wallSeconds, 2),
      emulatedSeconds: round(r.emulatedSeconds, 1),
      lowerBoundSeconds: round(r.bound.seconds, 1),
      ratio: round(r.ratio, 3),
      peakRssMb: round(r.peakRssMb, 1),
      callsPerInstance: r.callsPerInstance,
      timeScale: r.scenario.timeScale,
      fits900: r.fits900,
      eligible: r.eligible,
      rotated: r.result.counts.rotated,
      correct: r.correct,
      bottleneck: r.bound.bottleneck ?? null,
      completionSeconds: r.bound.completionSeconds,
      throttled: r.throttled,
      rotatorCpuPct: round(r.rotatorCpuPct, 1),
      emulatorCpuPct: round(r.emulatorCpuPct, 1),
      machineCpuPct: round(r.machineCpuPct, 1),
      peakHeapMb: round(r.peakHeapMb, 1),
      callP50EmulatedMs: round(r.callP50EmulatedMs, 1),
      phases: r.phases.map((p) => ({
        action: p.action,
        calls: p.calls,
        errors: p.errors,
        first: round(p.first, 2),
        last: round(p.last, 2),
      })),
    })),
    coldStartMs: coldStart ? round(coldStart.medianMs, 1) : null,
    coldStart: coldStart
      ? {
          requireMs: round(coldStart.requireMs, 1),
          invokeMs: round(coldStart.invokeMs, 1),
          nodeBootMs: round(coldStart.nodeBootMs, 1),
          samples: coldStart.samples.map((s) => round(s, 1)),
        }
      : null,
    bundleBytes,
    speedups: speedups(runs).map((s) => ({ ...s, speedup: round(s.speedup, 2) })),
    failures,
    node: process.version,
  };
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const say = (text: string) => process.stderr.write(`${text}\n`);
  const started = performance.now();
  const runs: RunFigures[] = [];
  const failures: string[] = [];
  const runner = await buildRunner();
  process.on('exit', runner.remove);
  for (const scenario of scenarios(options)) {
    const name = label(scenario);
    say(`bench: ${name} at ${scenario.timeScale}x ...`);
    try {
      const figures = await runScenario(scenario, {
        runnerFile: runner.file,
        ...(options.callsDir ? { callsDir: options.callsDir } : {}),
        runnerNodeArgs: options.runnerNodeArgs,
      });
      runs.push(figures);
      if (!figures.correct) failures.push(`${name}: wrong result`);
      say(
        `bench: ${name}: ${fmt(figures.emulatedSeconds, 1)} emulated s (${fmt(figures.wallSeconds, 1)} real s), ${figures.result.counts.rotated}/${figures.eligible} rotated, ${figures.correct ? 'ok' : 'WRONG'}`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${name}: ${message}`);
      say(`bench: ${name} crashed: ${message}`);
    }
  }

  let bundleBytes: number | null = null;
  let coldStart: ColdStart | null = null;
  try {
    if (wanted(options, 'bundle') || wanted(options, 'cold-start')) {
      say('bench: building dist/ ...');
      bundleBytes = buildBundle(ROOT);
    }
    if (wanted(options, 'cold-start')) {
      say('bench: cold start ...');
      coldStart = await measureColdStart(ROOT);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`bundle/cold start: ${message}`);
    say(`bench: bundle/cold start failed: ${message}`);
  }

  const out: string[] = [];
  if (runs.length > 0) {
    out.push(
      'Rotation runs. Times in EMULATED seconds unless "real"; bound = max over (action, region) of',
      'successful non-polling calls / documented rate + one reset completion (docs/benchmark.md).',
      '',
      runsTable(runs),
      '',
      callsTable(runs),
      '',
      'Where the time goes (emulated seconds since the run started):',
      ...runs.map(phaseLines),
      '',
    );
  }
  const extra = coldStartLines(bundleBytes, coldStart);
  if (extra !== '') out.push(extra, '');
  if (!options.smoke) out.push(targetLines(runs, bundleBytes, coldStart?.medianMs ?? null), '');
  out.push(
    `Total real time ${fmt((performance.now() - started) / 1000, 1)} s, Node ${process.version}. This machine is shared and noisy: compare ratios, not absolute real times.`,
  );
  if (failures.length > 0) out.push(`FAILED: ${failures.join('; ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(summary(runs, coldStart, bundleBytes, failures))}\n`);
  }
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
