/**
 * Rotation benchmark (a script that prints figures, not a timed test): `npm run bench`.
 *
 *   npm run bench [-- --only <regexp>] [--time-scale N] [--naive-time-scale N] [--json] [--smoke]
 *
 * Each run starts the emulator in this process with realistic settings (the documented rate
 * limits, 30–80 ms per call and resets of 20–40 s RUNNING / 5–10 s STOPPED, all in emulated
 * time), then forks a fresh runner process that invokes the handler on the emulator's clock, so
 * that the peak RSS is the rotator's own. Every runner gets the deployed function's NODE_OPTIONS
 * (serverless.yml). A fan-out run's sub-runs each run in their own runner, started by the
 * emulator's SCF Invoke. Figures are in EMULATED seconds unless said otherwise. Then the bundle's
 * size and its cold start. See docs/benchmark.md.
 *
 * Exits 1 only on a crash or a wrong result (a rotated instance whose newest secret version is
 * not its actual password, or fewer rotated than eligible instances); never on timing.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { clearProxy } from '../src/emulator/proxy';
import { buildBundle, type ColdStart, measureColdStart } from './lib/coldstart';
import { type DeployedNode, deployedNode } from './lib/deploy';
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
import type { PasswordScope, RunMode, Scenario, SecretLayout } from './lib/types';

// The SDK sends everything through http_proxy when set (facts §5.3); keep it on 127.0.0.1.
clearProxy();

const ROOT = resolve(__dirname, '..');

/**
 * Default time scales (emulated ms per real ms), chosen so that the default benchmark takes about
 * 6 minutes on the 2-core machine here while staying faithful: a calibration (docs/benchmark.md,
 * "Time scale") found 5000/6 runs 10–25 % slower in emulated time at 5x than at 2x (the rotator's
 * pacing timers and CPU bursts stretch), 2x within 1–5 % of 1x (fan-out included), and 1000/3
 * the same at 1x, 2x and 5x. The naive group run is 321.9 s at 50x, 294.0 s at 20x and
 * 278–281 s at 10x: at 50x its stretch inflated the speedup over naive (6.6x instead of 5.7x).
 */
const CONCURRENT_SCALES: Record<number, number> = { 100: 5, 1000: 5, 3000: 5, 5000: 2 };
const NAIVE_SCALES: Record<PasswordScope, number> = { group: 10, instance: 250 };
const SMOKE = { instances: 200, regions: 2, scope: 'group' as PasswordScope, timeScale: 20 };
/** The packed layout's fleet: beyond SSM's 1000 secrets in one region (issue [4]). */
const PACKED_FLEET = { instances: 3000, regions: 1 };

const USAGE = `Usage: npm run bench -- [options]

  --only RE              run only the runs whose label matches RE (case-insensitive), e.g.
                         "5000/6", "instance naive", "fanout", "packed", "cold|bundle"; labels
                         are "<instances>/<regions> <group|instance> <concurrent|naive|fanout>"
                         (+ " packed" for the packed layout), "bundle", "cold-start". Without
                         --only: every concurrent run, the fan-out runs of 5000/6, the packed
                         runs of 3000/1, the naive baseline of 5000/6, the bundle and the cold
                         start; with it, also the naive baseline of the smaller fleets when the
                         pattern matches them
  --time-scale N         emulated ms per real ms for the concurrent, fan-out and packed runs
                         (default 5, and 2 for the 5000-instance fleet)
  --naive-time-scale N   the same for the naive baseline runs (default ${NAIVE_SCALES.group} for the
                         group scope, ${NAIVE_SCALES.instance} for the instance scope)
  --json                 end with one JSON line of every figure
  --calls-dir DIR        write each run's call log (parameters redacted) to DIR/<run>.jsonl,
                         with t = emulated seconds since the run started
  --runner-node-args=F   extra Node flags for the rotation runners, e.g.
                         "--cpu-prof --cpu-prof-dir=/tmp/prof"
  --runner-node-options=S
                         NODE_OPTIONS for the rotation runners instead of the deployed
                         function's (serverless.yml inputs.environment.variables.NODE_OPTIONS,
                         today "--max-old-space-size=160"); "" for none
  --smoke                the CI size: ${SMOKE.instances} instances, ${SMOKE.regions} regions, ${SMOKE.scope} scope, then the same
                         through fan-out, and ${SMOKE.instances} in 1 region in the packed layout; no bundle
                         or cold start
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
  readonly runnerNodeOptions: string | undefined;
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
      'runner-node-options': { type: 'string' },
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
    runnerNodeOptions: values['runner-node-options'],
    smoke: values.smoke === true,
    help: values.help === true,
  };
}

function scenarios(options: Options): Scenario[] {
  if (options.smoke) {
    // The CI size, then the same fleet through fan-out, and in the packed layout in one region:
    // each new path of the benchmark is checked for a crash or a wrong result.
    const smoke = (mode: RunMode, layout: SecretLayout, regions: number): Scenario => ({
      instances: SMOKE.instances,
      regions,
      scope: SMOKE.scope,
      mode,
      layout,
      timeScale: options.timeScale ?? SMOKE.timeScale,
    });
    return [
      smoke('concurrent', 'instance', SMOKE.regions),
      smoke('fanout', 'instance', SMOKE.regions),
      smoke('concurrent', 'packed', 1),
    ].filter((s) => !options.only || options.only.test(label(s)));
  }
  const fleets: Array<[number, number]> = [
    [100, 1],
    [1000, 3],
    [5000, 6],
  ];
  const scopes = ['group', 'instance'] as const;
  const list: Scenario[] = [];
  const add = (
    instances: number,
    regions: number,
    scope: PasswordScope,
    mode: RunMode,
    layout: SecretLayout = 'instance',
  ) =>
    list.push({
      instances,
      regions,
      scope,
      mode,
      layout,
      timeScale:
        mode === 'naive'
          ? (options.naiveTimeScale ?? NAIVE_SCALES[scope])
          : (options.timeScale ?? CONCURRENT_SCALES[instances] ?? 2),
    });
  for (const [instances, regions] of fleets) {
    for (const scope of scopes) add(instances, regions, scope, 'concurrent');
  }
  for (const scope of scopes) add(5000, 6, scope, 'fanout');
  for (const scope of scopes) {
    add(PACKED_FLEET.instances, PACKED_FLEET.regions, scope, 'concurrent', 'packed');
  }
  for (const [instances, regions] of fleets) {
    for (const scope of scopes) add(instances, regions, scope, 'naive');
  }
  // The naive baseline of the smaller fleets runs only when --only asks for it.
  return list.filter((s) =>
    options.only ? options.only.test(label(s)) : s.mode !== 'naive' || s.instances === 5000,
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
  nodeOptions: string,
) {
  return {
    runs: runs.map((r) => ({
      instances: r.scenario.instances,
      regions: r.scenario.regions,
      scope: r.scenario.scope,
      mode: r.scenario.mode,
      layout: r.scenario.layout,
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
      heapLimitMb: round(r.result.heapLimitMb, 1),
      callsTotalPerInstance: round(r.totalCalls / Math.max(1, r.eligible), 2),
      callP50EmulatedMs: round(r.callP50EmulatedMs, 1),
      secrets: r.verification.secrets,
      maxSecretBytes: r.verification.maxValueBytes,
      ...(r.scenario.mode === 'fanout'
        ? {
            fanoutRunnerPeakRssMb: round(r.fanoutRunnerRssMb ?? 0, 1),
            subRuns: r.subRuns.map((s) => ({
              region: s.region,
              startSeconds: round(s.startSeconds, 1),
              endSeconds: round(s.endSeconds, 1),
              peakRssMb: round(s.peakRssMb, 1),
              peakHeapMb: round(s.peakHeapMb, 1),
              rotated: s.rotated,
              status: s.status,
            })),
          }
        : {}),
      problems: r.problems,
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
    nodeOptions,
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
  let deployed: DeployedNode;
  try {
    deployed = deployedNode(ROOT);
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const nodeOptions = options.runnerNodeOptions ?? deployed.nodeOptions;
  const nodeOptionsFrom =
    options.runnerNodeOptions === undefined ? deployed.source : '--runner-node-options';
  const nodeLine = `Rotation runners run with NODE_OPTIONS=${JSON.stringify(nodeOptions)} (from ${nodeOptionsFrom}${options.runnerNodeOptions === undefined ? ": the deployed function's" : ", NOT the deployed function's"})${options.runnerNodeArgs.length > 0 ? ` and the flags ${options.runnerNodeArgs.join(' ')}` : ''}.`;
  say(`bench: ${nodeLine}`);
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
        nodeOptions,
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
    const limits = [...new Set(runs.map((r) => fmt(r.result.heapLimitMb)))].join(', ');
    out.push(
      'Rotation runs. Times in EMULATED seconds unless "real"; bound = max over (action, region) of',
      'successful non-polling calls / documented rate + one reset completion (docs/benchmark.md).',
      `${nodeLine} V8 heap limit seen by the runners: ${limits} MB.`,
      ...(runs.some((r) => r.scenario.mode === 'fanout')
        ? [
            'Fan-out runs: from the fan-out start until the last sub-run has finished; each sub-run runs in',
            'its own process (started by the emulated SCF Invoke), and peak RSS is the largest of the sub-runs.',
          ]
        : []),
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
    process.stdout.write(
      `${JSON.stringify(summary(runs, coldStart, bundleBytes, failures, nodeOptions))}\n`,
    );
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
