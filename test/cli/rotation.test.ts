/**
 * `cvm-rotator plan` and `cvm-rotator rotate`, run in-process against the emulator: the table,
 * the progress line and the JSON lines, the summary, and the exit codes (0 all rotated, 1 partial
 * or failed, 2 usage or configuration error).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator';
import { expectNewestIsActual, instanceId, testFleet, versionsOf } from '../helpers/fleet';
import { mutatingCalls, startTestEmulator } from '../helpers/world';
import { operatorEnv, runCli } from './helpers';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** 12 instances over two regions: every 4th RUNNING, every 5th excluded by tag. */
async function smallFleet(): Promise<Emulator> {
  emulator = await startTestEmulator({
    fleet: testFleet({ count: 12, runningEvery: 4, excludeEvery: 5 }),
    resetTiming: { stopped: [5, 20], running: [20, 40] },
  });
  return emulator;
}

/** STOPPED, tagged, not excluded: instance 0 (ap-guangzhou) and 1 (ap-shanghai). */
const ROTATABLE = [instanceId(0), instanceId(1)];
/** RUNNING (every 4th: index 3, in ap-shanghai). */
const RUNNING = instanceId(3);

describe('cvm-rotator plan', () => {
  it('shows what would be rotated or skipped, and why, as a table with counts, changing nothing', async () => {
    // Prepare
    const emu = await smallFleet();

    // Act
    const result = await runCli(['plan'], operatorEnv(emu));

    // Assess
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Plan (dry run: nothing was changed)');
    expect(lines.find((l) => l.startsWith('REGION'))).toMatch(
      /^REGION\s+INSTANCE\s+USER\s+RESULT\s+REASON$/,
    );
    const row = (id: string) => lines.find((l) => l.includes(id)) ?? '';
    expect(row(instanceId(0))).toMatch(
      /^ap-guangzhou\s+ins-00000000\s+root\s+planned\s+would-reset$/,
    );
    expect(row(RUNNING)).toMatch(/skipped\s+running-without-force-stop$/);
    expect(row(instanceId(4))).toMatch(/skipped\s+excluded-by-tag$/);
    expect(result.stdout).toContain('12 discovered: 7 planned, 5 skipped, 0 failed.');
    expect(mutatingCalls(emu)).toBe(0);
  });

  it('prints the report as JSON with --json and applies --force-stop and --regions', async () => {
    // Prepare
    const emu = await smallFleet();

    // Act
    const result = await runCli(
      ['plan', '--json', '--force-stop', '--regions', 'ap-shanghai'],
      operatorEnv(emu),
    );

    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      dryRun: boolean;
      instances: Array<{ instanceId: string; region: string; result: string; reason?: string }>;
    };
    expect(report.dryRun).toBe(true);
    expect(new Set(report.instances.map((i) => i.region))).toEqual(new Set(['ap-shanghai']));
    expect(report.instances.find((i) => i.instanceId === RUNNING)).toMatchObject({
      result: 'planned',
      reason: 'would-reset-with-force-stop',
    });
  });

  it('exits 1 when the plan has failures, such as an unknown instance', async () => {
    // Prepare
    const emu = await smallFleet();

    // Act
    const result = await runCli(['plan', '--instance-ids', 'ins-zzzzzzzz'], operatorEnv(emu));

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ins-zzzzzzzz\s+-\s+failed/);
  });
});

describe('cvm-rotator rotate', () => {
  it('rotates the named instances with the function code, exits 0 and prints JSON lines then a summary', async () => {
    // Prepare
    const emu = await smallFleet();

    // Act
    const result = await runCli(
      ['rotate', '--instance-ids', ROTATABLE.join(','), '--reason', 'INC-42'],
      operatorEnv(emu),
    );

    // Assess
    expect(result.code).toBe(0);
    for (const id of ROTATABLE) expectNewestIsActual(emu, id);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; reason?: string; trigger?: string });
    expect(events[0]).toMatchObject({ event: 'run.started', trigger: 'manual', reason: 'INC-42' });
    expect(events.filter((e) => e.event === 'instance.rotated')).toHaveLength(2);
    expect(events.at(-1)?.event).toBe('run.finished');
    expect(result.stderr).toMatch(
      /^Run \S+: succeeded: 2 rotated, 0 failed, 0 skipped of 2 discovered/,
    );
    expect(result.stderr).toMatch(/ap-guangzhou\s+ins-00000000\s+root\s+rotated/);
  });

  it('shows a single updating progress line on a terminal, then the summary on stdout', async () => {
    // Prepare
    const emu = await smallFleet();

    // Act
    const result = await runCli(
      ['rotate', '--instance-ids', ROTATABLE.join(',')],
      operatorEnv(emu),
      { stdout: true, stderr: true },
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('\r\u001b[2Krotating… ');
    expect(result.stderr).not.toContain('\n');
    expect(result.stdout).toMatch(/^Run \S+: succeeded: 2 rotated/);
    expect(result.stdout).not.toContain('"schemaVersion"');
  });

  it('prints only the report on stdout with --json, the audit log going to stderr', async () => {
    // Prepare
    const emu = await smallFleet();

    // Act
    const result = await runCli(
      ['rotate', '--json', '--instance-ids', instanceId(0)],
      operatorEnv(emu),
    );

    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { status: string; counts: { rotated: number } };
    expect(report).toMatchObject({ status: 'succeeded', counts: { rotated: 1 } });
    expect(result.stderr).toContain('"event":"run.finished"');
  });

  it('exits 1 on a partial run and names the failed instance and how to retry', async () => {
    // Prepare
    const emu = await smallFleet();
    emu.state.faults = { failResetFor: [ROTATABLE[1] as string] };

    // Act
    const result = await runCli(
      [
        'rotate',
        '--instance-ids',
        ROTATABLE.join(','),
        '--reason',
        'INC-43',
        '--scope',
        'instance',
      ],
      operatorEnv(emu),
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/: partial: 1 rotated, 1 failed/);
    expect(result.stderr).toMatch(
      new RegExp(`${ROTATABLE[1]}\\s+ubuntu\\s+failed\\s+reset-failed`),
    );
    expect(result.stderr).toContain(
      `Retry: cvm-rotator rotate --instance-ids ${ROTATABLE[1]} --reason INC-43`,
    );
    expectNewestIsActual(emu, ROTATABLE[0] as string);
  });

  it('exits 1 when a named instance was skipped, since it was not rotated', async () => {
    // Prepare
    const emu = await smallFleet();

    // Act
    const result = await runCli(
      ['rotate', '--instance-ids', `${instanceId(0)},${RUNNING}`],
      operatorEnv(emu),
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/: succeeded: 1 rotated, 0 failed, 1 skipped/);
    expect(result.stderr).toContain('--force-stop');
  });

  it('rotates the tagged fleet with --all and exits 0 although excluded and running instances are skipped', async () => {
    // Prepare
    const emu = await smallFleet();

    // Act
    const result = await runCli(['rotate', '--all'], operatorEnv(emu));

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/: succeeded: 7 rotated, 0 failed, 5 skipped of 12 discovered/);
    expect(versionsOf(emu, 'ap-guangzhou', instanceId(0))).toHaveLength(1);
  });

  it('refuses a fleet-wide rotation without --all, before any cloud call, with exit 2', async () => {
    // Prepare
    const emu = await smallFleet();

    // Act
    const bare = await runCli(['rotate', '--tags', 'rotation=enabled'], operatorEnv(emu));
    const both = await runCli(
      ['rotate', '--all', '--instance-ids', instanceId(0)],
      operatorEnv(emu),
    );

    // Assess
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('rotate needs --instance-ids');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('contradict');
    expect(emu.state.calls()).toHaveLength(0);
  });

  it('exits 2 on a configuration error, listing every problem on stderr, with no mutating call', async () => {
    // Prepare
    const emu = await smallFleet();
    const env = operatorEnv(emu, { ROTATION_DRYRUN: 'true', ROTATION_KEEP_VERSIONS: '99' });
    delete env.TENCENTCLOUD_SECRET_KEY;

    // Act
    const result = await runCli(['rotate', '--instance-ids', instanceId(0)], env);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cvm-rotator: invalid configuration:');
    expect(result.stderr).toContain(
      '  - unknown variable ROTATION_DRYRUN; did you mean ROTATION_DRY_RUN?',
    );
    expect(result.stderr).toContain(
      '  - ROTATION_KEEP_VERSIONS: must be a whole number from 1 to 8',
    );
    expect(result.stderr).toMatch(/ {2}- credentials: missing/);
    expect(mutatingCalls(emu)).toBe(0);
  });

  it('words event problems in terms of the flags and exits 2', async () => {
    // Prepare
    const emu = await smallFleet();

    // Act
    const result = await runCli(
      ['rotate', '--instance-ids', 'ins-00000000,INS-BAD', '--regions', 'ap-guangzhou,nowhere'],
      operatorEnv(emu),
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--instance-ids item 2: "INS-BAD" is not a CVM instance id');
    expect(result.stderr).toContain('--regions item 2: "nowhere" is not a Tencent region id');
    expect(mutatingCalls(emu)).toBe(0);
  });

  it('exits 2 on usage errors: an unknown flag, a bad choice, a bad endpoint, an unknown command', async () => {
    // Prepare
    const emu = await smallFleet();
    const env = operatorEnv(emu);

    // Act
    const results = await Promise.all([
      runCli(['rotate', '--instance-ids', instanceId(0), '--bogus'], env),
      runCli(['plan', '--scope', 'sideways'], env),
      runCli(['plan', '--endpoint', 'ftp://127.0.0.1:9000/x'], env),
      runCli(['rotat'], env),
      runCli(['plan', 'extra'], env),
    ]);

    // Assess
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(results[0]?.stderr).toContain("unknown option '--bogus'");
    expect(results[1]?.stderr).toContain('sideways');
    expect(results[2]?.stderr).toContain('--endpoint: must be an http(s) base URL');
    expect(results[3]?.stderr).toContain('Did you mean rotate?');
    expect(emu.state.calls()).toHaveLength(0);
  });

  it('ignores ROTATION_DRY_RUN=true, saying so, and accepts the CLI-only ROTATION_SCF_ENDPOINT', async () => {
    // Prepare
    const emu = await smallFleet();
    const env = operatorEnv(emu, {
      ROTATION_DRY_RUN: 'true',
      ROTATION_SCF_ENDPOINT: 'http://127.0.0.1:1',
    });

    // Act
    const result = await runCli(['rotate', '--instance-ids', instanceId(0)], env);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('ROTATION_DRY_RUN=true is ignored by `rotate`');
    expectNewestIsActual(emu, instanceId(0));
  });

  it('exits 0 with help and version', async () => {
    // Act
    const help = await runCli(['--help'], {});
    const version = await runCli(['--version'], {});

    // Assess
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: cvm-rotator');
    expect(help.stdout).toContain('Exit codes:');
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
