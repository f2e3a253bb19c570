/**
 * `plan` and `rotate`: the function's own code path (runFromEvent with a manual event), so that
 * what an operator runs by hand at 3 a.m. is exactly what the timer runs every night.
 */
import { randomUUID } from 'node:crypto';
import { runFromEvent, type ScfContext } from '../../handler';
import type { InstanceReport, RunReport } from '../../protocol/report';
import { list, seconds, shellQuote, table } from '../format';
import { type CliIo, EXIT, type ExitCode } from '../io';
import { functionEnv, manualEvent, type SelectionFlags, UsageError } from '../options';
import { ProgressLine } from '../progress';

export interface RotateFlags extends SelectionFlags {
  /** Explicit consent to a tag-selected (fleet-wide) rotation. */
  readonly all?: boolean;
}

/** The skip reason of instances left for the next run by the deadline (src/discovery/eligibility.ts). */
const DEFERRED = 'deferred';

/** Above this many instances, the rotate summary lists only those not rotated. */
const LIST_ALL_UP_TO = 25;

/** SCF's context for a local run: no time limit is given, so the function's 900 s applies. */
export function cliContext(): ScfContext {
  return { request_id: `cli-${randomUUID()}`, function_name: 'cvm-rotator' };
}

function instanceRows(instances: readonly InstanceReport[]): string {
  return table(
    ['REGION', 'INSTANCE', 'USER', 'RESULT', 'REASON'],
    instances.map((i) => [i.region, i.instanceId, i.userName ?? '-', i.result, i.reason ?? '']),
  );
}

function regionErrors(report: RunReport): string {
  return report.errors
    .map((e) => `Region ${e.region} could not be processed: ${e.code}: ${e.message}\n`)
    .join('');
}

/** `plan`: a dry run (discovery and planning, zero mutating calls) shown as a table. */
export async function plan(flags: SelectionFlags, io: CliIo): Promise<ExitCode> {
  const report = await runFromEvent({ ...manualEvent(flags), dryRun: true }, cliContext(), {
    env: functionEnv(io.env, flags.endpoint),
    // The audit lines of a dry run add nothing to the table; region errors are in the report.
    write: () => {},
  });
  const ok = report.counts.failed === 0 && report.errors.length === 0;
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return ok ? EXIT.ok : EXIT.failed;
  }
  const { counts } = report;
  let out = 'Plan (dry run: nothing was changed)\n\n';
  out += report.instances.length > 0 ? instanceRows(report.instances) : 'No instance matched.\n';
  out += `\n${counts.discovered} discovered: ${counts.planned} planned, ${counts.skipped} skipped, ${counts.failed} failed.\n`;
  out += regionErrors(report);
  if (counts.planned > 0) {
    out += flags.instanceIds
      ? `Rotate them with: cvm-rotator rotate --instance-ids ${shellQuote(flags.instanceIds)} --reason …\n`
      : 'Rotate them with: cvm-rotator rotate --all --reason … (or name instances with --instance-ids)\n';
  }
  io.stdout.write(out);
  return ok ? EXIT.ok : EXIT.failed;
}

/**
 * `rotate`: a real run. A rotation selected by tags touches the whole fleet (and with
 * --force-stop shuts machines down), so it needs `--all`; a mistyped command at 3 a.m. must not
 * do that by default. Naming instances is the incident path.
 */
export async function rotate(flags: RotateFlags, io: CliIo): Promise<ExitCode> {
  const named = flags.instanceIds !== undefined;
  if (named && flags.all) {
    throw new UsageError(['--all and --instance-ids contradict each other: give one of them']);
  }
  if (!named && !flags.all) {
    throw new UsageError([
      'rotate needs --instance-ids ins-…[,ins-…] (the incident path) or --all (every instance ' +
        'matching ROTATION_TAGS/--tags in ROTATION_REGIONS/--regions); run `cvm-rotator plan` first to see what --all would do',
    ]);
  }
  const env = functionEnv(io.env, flags.endpoint);
  if ((env.ROTATION_DRY_RUN ?? '').trim().toLowerCase() === 'true') {
    io.stderr.write(
      'cvm-rotator: note: ROTATION_DRY_RUN=true is ignored by `rotate` (it rotates); use `plan` for a dry run\n',
    );
  }

  // Terminal: a progress line, then a readable summary. Otherwise: the audit log as JSON lines
  // on stdout (or stderr when --json keeps stdout for the report), the summary on stderr.
  const tty = io.stdout.isTTY === true;
  const started = Date.now();
  const progress = tty ? new ProgressLine(io.stderr, started) : undefined;
  const auditSink = tty ? undefined : flags.json ? io.stderr : io.stdout;
  const summarySink = tty ? io.stdout : io.stderr;
  const removeInterrupt = io.onInterrupt?.(() => {
    progress?.clear();
    io.stderr.write(
      '\ncvm-rotator: interrupted. Every password applied so far is stored in SSM first; the next run ' +
        '(this command again, or the timer) finds unfinished work and reconciles it before anything else.\n',
    );
  });

  let report: RunReport;
  try {
    progress?.start();
    report = await runFromEvent({ ...manualEvent(flags), dryRun: false }, cliContext(), {
      env,
      write: (line) => {
        progress?.onLine(line);
        auditSink?.write(`${line}\n`);
      },
    });
  } finally {
    progress?.clear();
    removeInterrupt?.();
  }

  const code = rotateExitCode(report, named);
  if (flags.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else summarySink.write(rotateSummary(report, flags, named, code));
  return code;
}

/**
 * 0 only when the operator got what was asked: no failure, no region error, nothing deferred
 * to a later run, and, for named instances, every one of them rotated (a named instance skipped
 * because it is running was NOT rotated, and at 3 a.m. that must not look like success).
 */
export function rotateExitCode(report: RunReport, named: boolean): ExitCode {
  if (report.status !== 'succeeded') return EXIT.failed;
  if (report.instances.some((i) => i.result === 'skipped' && i.reason === DEFERRED)) {
    return EXIT.failed;
  }
  if (named && report.instances.some((i) => i.result !== 'rotated')) return EXIT.failed;
  return EXIT.ok;
}

function rotateSummary(
  report: RunReport,
  flags: RotateFlags,
  named: boolean,
  code: ExitCode,
): string {
  const { counts } = report;
  let out = `Run ${report.runId}: ${report.status}: ${counts.rotated} rotated, ${counts.failed} failed, ${counts.skipped} skipped of ${counts.discovered} discovered (${seconds(report.durationMs)})\n`;
  const listAll = named || report.instances.length <= LIST_ALL_UP_TO;
  const shown = listAll ? report.instances : report.instances.filter((i) => i.result !== 'rotated');
  if (shown.length > 0) out += `\n${instanceRows(shown)}`;
  if (!listAll && counts.rotated > 0)
    out += `(${counts.rotated} rotated instances not listed; --json lists all)\n`;
  out += regionErrors(report);
  if (code === EXIT.ok) {
    if (counts.rotated > 0) {
      out += '\nRead a password with: cvm-rotator show <instanceId> --reveal\n';
    }
    return out;
  }

  out += '\nNot everything was rotated:\n';
  const failed = report.instances.filter((i) => i.result === 'failed');
  const notRotated = report.instances.filter((i) => i.result !== 'rotated');
  if (failed.length > 0) {
    out +=
      '- Failed instances: the reason says which password works now; `cvm-rotator show <instanceId>` ' +
      'shows the newest stored version (a pending one is reconciled by the next run).\n';
  }
  if (notRotated.some((i) => i.reason === DEFERRED)) {
    out += '- Deferred instances ran out of time (the 900 s limit): run the same command again.\n';
  }
  if (notRotated.some((i) => i.reason === 'running-without-force-stop')) {
    out +=
      '- Running instances are reset only with --force-stop, which shuts them down (forced if needed): ' +
      'add it to the retry if that is acceptable.\n';
  }
  const retry = named ? notRotated : failed;
  if (retry.length > 0) {
    const ids = retry.map((i) => i.instanceId);
    const reason = flags.reason === undefined ? '' : ` --reason ${shellQuote(flags.reason)}`;
    out += `- Retry: cvm-rotator rotate --instance-ids ${ids.join(',')}${reason}\n`;
  }
  if (report.errors.length > 0) {
    out += `- Regions with errors (${list(report.errors.map((e) => e.region))}): fix the cause above, then run again.\n`;
  }
  return out;
}
