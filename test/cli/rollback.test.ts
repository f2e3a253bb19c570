/**
 * `cvm-rotator rollback` against the emulator: an older stored password goes back on the instance
 * through the same protocol, and becomes the newest version. Passwords are compared in memory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator';
import { expectNewestIsActual, instanceId, testFleet, versionsOf } from '../helpers/fleet';
import { invoke, startTestEmulator } from '../helpers/world';
import { operatorEnv, runCli } from './helpers';

let emulator: Emulator;
const ID = instanceId(1); // ap-shanghai, Ubuntu, STOPPED
const REGION = 'ap-shanghai';

beforeEach(async () => {
  emulator = await startTestEmulator({
    fleet: testFleet({ count: 4 }),
    resetTiming: { stopped: [5, 20] },
  });
  for (let i = 0; i < 3; i++) {
    const { report } = await invoke(
      emulator,
      { instanceIds: [ID] },
      { ROTATION_REGIONS: 'ap-guangzhou,ap-shanghai' },
    );
    expect(report.status).toBe('succeeded');
  }
});
afterEach(async () => {
  await emulator.close();
});

describe('cvm-rotator rollback', () => {
  it('puts the previous verified password back on the instance and stores it as the newest version', async () => {
    // Prepare
    const [current, previous] = versionsOf(emulator, REGION, ID);

    // Act
    const result = await runCli(
      ['rollback', ID, '--reason', 'INC-9 app still uses old password'],
      operatorEnv(emulator),
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`Rolled back ${ID} to the password of version ${previous?.versionId}`),
    );
    const newest = expectNewestIsActual(emulator, ID);
    expect(newest.versionId).not.toBe(current?.versionId);
    expect(newest.content.rollbackOf).toBe(previous?.versionId);
    expect(newest.content.password === previous?.content.password).toBe(true);
    expect(newest.content.status).toBe('current');
  });

  it('rolls back to a named older version', async () => {
    // Prepare
    const oldest = versionsOf(emulator, REGION, ID).at(-1);

    // Act
    const result = await runCli(
      ['rollback', ID, '--version-id', String(oldest?.versionId)],
      operatorEnv(emulator),
    );

    // Assess
    expect(result.code).toBe(0);
    const newest = expectNewestIsActual(emulator, ID);
    expect(newest.content.password === oldest?.content.password).toBe(true);
  });

  it('refuses an unknown version or the newest one with exit code 2, changing nothing', async () => {
    // Prepare
    const before = versionsOf(emulator, REGION, ID).map((v) => v.versionId);
    const resetsBefore = emulator.state
      .calls()
      .filter((c) => c.action === 'ResetInstancesPassword').length;

    // Act
    const unknown = await runCli(
      ['rollback', ID, '--version-id', 'no-such-version'],
      operatorEnv(emulator),
    );
    const newest = await runCli(
      ['rollback', ID, '--version-id', String(before[0])],
      operatorEnv(emulator),
    );

    // Assess
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no version no-such-version/);
    expect(newest.code).toBe(2);
    expect(newest.stderr).toMatch(/already the newest/);
    expect(versionsOf(emulator, REGION, ID).map((v) => v.versionId)).toEqual(before);
    expect(emulator.state.calls().filter((c) => c.action === 'ResetInstancesPassword').length).toBe(
      resetsBefore,
    );
  });
});
