/**
 * The CLI as an operator runs it: a child process (`tsx src/cli/main.ts`, the source of the
 * `cvm-rotator` bin) with its own environment, its exit code observed from outside. The child's
 * output is kept in memory only. The last test runs the whole local loop with no test code in
 * between: `cvm-rotator emulator` in one process, `invoke` and `history` in others.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIAL, type Emulator } from '../../src/emulator';
import { expectNewestIsActual, instanceId, testFleet } from '../helpers/fleet';
import { mutatingCalls, startTestEmulator } from '../helpers/world';
import { CLI_ENTRY, childEnv, operatorEnv, ROOT, spawnCli, TSX_CLI } from './helpers';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const children: ChildProcess[] = [];
const tempDirs: string[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('cvm-rotator as a child process', () => {
  it('rotates, then exits 0; exits 2 on a configuration error and on a usage error', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 2 }),
      resetTiming: { stopped: [5, 20] },
    });
    const env = operatorEnv(emulator);

    // Act
    const [rotated, badConfig, badUsage] = await Promise.all([
      spawnCli(['rotate', '--instance-ids', instanceId(0), '--reason', 'INC-e2e'], env),
      spawnCli(['plan'], { ...env, ROTATION_PASSWORD_SCOPE: 'fleet' }),
      spawnCli(['history'], env),
    ]);

    // Assess
    expect(rotated.code, rotated.stderr).toBe(0);
    const events = rotated.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string });
    expect(events.at(-1)?.event).toBe('run.finished');
    expect(rotated.stderr).toMatch(/: succeeded: 1 rotated, 0 failed, 0 skipped of 1 discovered/);
    expectNewestIsActual(emulator, instanceId(0));
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain(
      'ROTATION_PASSWORD_SCOPE: must be one of "group", "instance"',
    );
    expect(badUsage.code).toBe(2);
    expect(badUsage.stderr).toContain("missing required argument 'instanceId'");
    expect(mutatingCalls(emulator)).toBeGreaterThan(0);
  });

  it('runs the local loop: `emulator` serves the function, `invoke` runs it, `history` sees the rotation', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'cvm-rotator-e2e-'));
    tempDirs.push(dir);
    const fleetFile = join(dir, 'fleet.json');
    writeFileSync(fleetFile, JSON.stringify(testFleet({ count: 2 })));
    const server = spawn(
      process.execPath,
      [
        TSX_CLI,
        CLI_ENTRY,
        'emulator',
        '--port',
        '0',
        '--fleet',
        fleetFile,
        '--reset-ms',
        '5-20,20-40',
      ],
      { cwd: ROOT, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(server);
    let banner = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      banner += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((done) => server.on('exit', (code) => done(code)));
    const url = await waitFor(() => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner);
      return match && banner.includes('Press Ctrl+C') ? match[1] : undefined;
    });
    const env = {
      TENCENTCLOUD_SECRET_ID: DEFAULT_CREDENTIAL.secretId,
      TENCENTCLOUD_SECRET_KEY: DEFAULT_CREDENTIAL.secretKey,
      TENCENTCLOUD_REGION: 'ap-guangzhou',
      ROTATION_REGIONS: 'ap-guangzhou,ap-shanghai',
      ROTATION_TAGS: 'rotation=enabled',
    };
    const id = instanceId(1);

    // Act
    const invoked = await spawnCli(
      ['invoke', '--endpoint', url, '--instance-ids', id, '--reason', 'INC-local', '--json'],
      env,
    );
    // Asynchronous: the version appears `pending`, then `applying`, then `current`.
    const history = await waitFor(async () => {
      const result = await spawnCli(['history', id, '--endpoint', url, '--json'], env);
      return result.code === 0 && result.stdout.includes('"status": "current"')
        ? result
        : undefined;
    });
    server.kill('SIGTERM');

    // Assess
    expect(banner).toContain('SCF: function cvm-password-rotator (namespace default');
    expect(banner).not.toContain(DEFAULT_CREDENTIAL.secretKey);
    expect(invoked.code, invoked.stderr).toBe(0);
    const { functionRequestId } = JSON.parse(invoked.stdout) as { functionRequestId: string };
    expect(functionRequestId).toMatch(/^[0-9a-f-]{36}$/);
    const versions = (JSON.parse(history.stdout) as { versions: Array<{ status: string }> })
      .versions;
    expect(versions.map((v) => v.status)).toEqual(['current']);
    expect(banner).toContain(`"requestId":"${functionRequestId}"`);
    expect(await exited).toBe(0);
  });
});

/** Polls until `probe` returns a value (30 s at most). */
async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out waiting');
}
