/**
 * `npm run soak [-- --runs N --instances N --seed N --json]`: the fault soak of issue [5].
 * `npm run soak:ci`: the short one CI runs (`--ci`: 8 runs over 150 instances).
 *
 * Prints one line per run and a summary; with --json, the runs go to stderr and stdout ends with
 * one JSON object `{ runs, rotated, faults, kills, passwordsLost, outOfSyncAfterCleanRun,
 * maxRunsToConverge, … }`. Exits 1 when a password was lost, a secret is out of sync after the
 * clean run, or a password appeared in any output; 2 on bad flags. Never prints a password.
 * See docs/soak.md.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { totalFaults } from './soak/faults';
import { soakRegions } from './soak/fleet';
import { SABOTAGES, type Sabotage } from './soak/protocol';
import { type Finding, runSoak, type SoakResult } from './soak/runner';

const USAGE = `Usage: npm run soak -- [options]

  --runs N        fault runs (default 30; --ci: 8)
  --instances N   fleet size (default 500; --ci: 150)
  --seed N        seed of every random choice (default: a random one, printed)
  --regions N     2 or 3 regions (default 3)
  --scale N       emulated ms per real ms for the emulator and the rotator (default 4)
  --kill-rate F   fraction of runs SIGKILLed at a random moment (default 0.2)
  --lock-ttl N    ROTATION_LOCK_TTL_SECONDS (default 20: a killed run's region lock expires
                  within 5 real seconds at scale 4; the minimum, 5, is 1.25 real seconds, which
                  a loaded machine's event loop cannot renew reliably)
  --log-dir DIR   keep each run's output there (audit log and stderr; passwords redacted)
  --sabotage S    break the rotator on purpose (skip-persist | leak) to see the soak fail
  --ci            the short CI soak
  --json          end stdout with one JSON object (progress goes to stderr)
  --help          this text
`;

class UsageError extends Error {}

function integer(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} takes an integer, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`);
  return n;
}

function sabotageFlag(value: string | undefined): Sabotage | undefined {
  if (value === undefined) return undefined;
  const found = SABOTAGES.find((s) => s === value);
  if (!found) throw new UsageError(`--sabotage takes ${SABOTAGES.join(' or ')}, got "${value}"`);
  return found;
}

interface Cli {
  readonly help: boolean;
  readonly json: boolean;
  readonly runs: number;
  readonly instances: number;
  readonly seed: number;
  readonly regions: number;
  readonly scale: number;
  readonly killRate: number;
  readonly logDir: string | undefined;
  readonly lockTtlSeconds: number;
  readonly sabotage: Sabotage | undefined;
}

function parseCli(argv: string[]): Cli {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        runs: { type: 'string' },
        instances: { type: 'string' },
        seed: { type: 'string' },
        regions: { type: 'string' },
        scale: { type: 'string' },
        'kill-rate': { type: 'string' },
        'log-dir': { type: 'string' },
        'lock-ttl': { type: 'string' },
        sabotage: { type: 'string' },
        ci: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const str = (name: string) => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  const ci = values.ci === true;
  const killRateText = str('kill-rate');
  const killRate = killRateText === undefined ? 0.2 : Number(killRateText);
  if (!Number.isFinite(killRate) || killRate < 0 || killRate > 1)
    throw new UsageError('--kill-rate takes a number between 0 and 1');
  return {
    help: values.help === true,
    json: values.json === true,
    runs: integer('runs', str('runs'), ci ? 8 : 30, 1, 10_000),
    instances: integer('instances', str('instances'), ci ? 150 : 500, 10, 1_500),
    seed: integer('seed', str('seed'), randomInt(1, 2 ** 31 - 1), 0, 2 ** 32 - 1),
    regions: integer('regions', str('regions'), 3, 2, 3),
    scale: integer('scale', str('scale'), 4, 1, 100),
    lockTtlSeconds: integer('lock-ttl', str('lock-ttl'), 20, 5, 3600),
    killRate,
    logDir: str('log-dir'),
    sabotage: sabotageFlag(str('sabotage')),
  };
}

const n = (value: number) => value.toLocaleString('en-US');

function summaryLines(r: SoakResult): string[] {
  const f = r.faults;
  const total = totalFaults(f);
  const c = r.convergence;
  const histogram = Object.entries(c.histogram)
    .map(([runs, count]) => `${runs}:${n(count)}`)
    .join(' ');
  const mark = (value: number) => (value === 0 ? '(must be 0: ok)' : '(must be 0: FAILED)');
  return [
    '',
    `Soak finished in ${(r.durationMs / 1000).toFixed(1)} s; seed ${r.seed} (emulator seed ${r.emulatorSeed}); reproduce with --seed ${r.seed} --runs ${r.runs} --instances ${r.instances}`,
    `  runs                    ${r.runs} fault runs + 1 clean run (${r.cleanRunStatus})`,
    `  instances rotated       ${n(r.rotated)} over the fault runs, ${n(r.rotatedInCleanRun)} in the clean run`,
    `  faults injected         ${n(total)}: internal errors ${n(f.internalErrors)}, dropped before processing ${n(f.droppedBefore)}, ` +
      `dropped after processing ${n(f.droppedAfter)}, throttled ${n(f.throttled)} (in ${n(f.throttleBursts)} bursts), ` +
      `reset failures ${n(f.resetFailures)}, external start/stop/reboot ${n(f.externalOperations)}, deletions ${n(f.deletions)}`,
    `  kills                   ${r.kills} (SIGKILL at a random moment; ${r.killsPlanned} planned)`,
    `  passwordsLost           ${r.passwordsLost} ${mark(r.passwordsLost)}${r.passwordsLostMidRun > 0 ? `, ${r.passwordsLostMidRun} seen mid-run` : ''}`,
    `  outOfSyncAfterCleanRun  ${r.outOfSyncAfterCleanRun} ${mark(r.outOfSyncAfterCleanRun)}`,
    `  maxRunsToConverge       ${c.maxRunsToConverge} (${n(c.episodes)} episodes; runs needed → episodes: ${histogram || 'none'})` +
      (c.open > 0
        ? `; ${n(c.open)} instances NEVER converged (out of sync since run ${c.openSince ?? '?'}${c.openLastDisturbance === undefined ? '' : `, last disturbed in run ${c.openLastDisturbance}`})`
        : ''),
    `  leaks                   ${r.leaks} ${mark(r.leaks)} (passwords found in the rotator's output)`,
    ...(r.runTimeouts > 0 ? [`  runs past the time limit ${r.runTimeouts}`] : []),
  ];
}

function jsonSummary(r: SoakResult): Record<string, unknown> {
  const total = totalFaults(r.faults);
  return {
    runs: r.runs,
    rotated: r.rotated,
    faults: total,
    kills: r.kills,
    passwordsLost: r.passwordsLost,
    outOfSyncAfterCleanRun: r.outOfSyncAfterCleanRun,
    maxRunsToConverge: r.convergence.maxRunsToConverge,
    faultBreakdown: r.faults,
    seed: r.seed,
    emulatorSeed: r.emulatorSeed,
    instances: r.instances,
    regions: r.regions,
    scale: r.scale,
    lockTtlSeconds: r.lockTtlSeconds,
    killsPlanned: r.killsPlanned,
    rotatedInCleanRun: r.rotatedInCleanRun,
    cleanRunStatus: r.cleanRunStatus,
    passwordsLostMidRun: r.passwordsLostMidRun,
    leaks: r.leaks,
    convergence: r.convergence,
    instancesDeleted: r.instancesDeleted,
    runTimeouts: r.runTimeouts,
    durationMs: r.durationMs,
    findings: r.findings,
  };
}

function printFindings(findings: readonly Finding[], write: (line: string) => void): void {
  if (findings.length === 0) return;
  write('');
  write(`Findings (${findings.length}; no password inside):`);
  for (const finding of findings) write(JSON.stringify(finding));
}

async function main(): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`soak: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const progress = cli.json ? err : out;
  const result = await runSoak({
    runs: cli.runs,
    instances: cli.instances,
    seed: cli.seed,
    regions: soakRegions(cli.regions),
    scale: cli.scale,
    killRate: cli.killRate,
    lockTtlSeconds: cli.lockTtlSeconds,
    log: progress,
    ...(cli.logDir ? { logDir: cli.logDir } : {}),
    ...(cli.sabotage ? { sabotage: cli.sabotage } : {}),
  });
  for (const line of summaryLines(result)) progress(line);
  printFindings(result.findings, err);
  if (cli.json) out(JSON.stringify(jsonSummary(result)));
  const failed = result.passwordsLost > 0 || result.outOfSyncAfterCleanRun > 0 || result.leaks > 0;
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
