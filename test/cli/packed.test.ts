/** `show` and `history` with ROTATION_SECRET_LAYOUT=packed (several instances per secret). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator';
import { instanceId, instanceVersions, testFleet } from '../helpers/fleet';
import { invoke, startTestEmulator } from '../helpers/world';
import { operatorEnv, runCli } from './helpers';

let emulator: Emulator;
const ID = instanceId(1); // ap-shanghai, Ubuntu, STOPPED
const REGION = 'ap-shanghai';
const PACKED = { ROTATION_SECRET_LAYOUT: 'packed' };

beforeEach(async () => {
  emulator = await startTestEmulator({
    fleet: testFleet({ count: 6 }),
    resetTiming: { stopped: [5, 20] },
  });
  for (let i = 0; i < 2; i++) {
    const { report } = await invoke(
      emulator,
      {},
      { ...PACKED, ROTATION_REGIONS: 'ap-guangzhou,ap-shanghai' },
    );
    expect(report.status).toBe('succeeded');
  }
});
afterEach(async () => {
  await emulator.close();
});

describe('cvm-rotator show and history with the packed layout', () => {
  it('shows the current version from the pack, and reveals the actual password', async () => {
    // Prepare
    const [newest] = instanceVersions(emulator, REGION, ID, 'packed');

    // Act
    const shown = await runCli(['show', ID], { ...operatorEnv(emulator), ...PACKED });
    const revealed = await runCli(['show', ID, '--reveal', '--json'], {
      ...operatorEnv(emulator),
      ...PACKED,
    });

    // Assess
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Secret\s+cvm-password-pack-0001 \(ap-shanghai\)$/m);
    expect(shown.stdout).toMatch(new RegExp(`^Version\\s+${newest?.versionId} \\(newest\\)$`, 'm'));
    expect(shown.stdout).toMatch(/^Status\s+current$/m);
    expect(revealed.code).toBe(0);
    const password = (JSON.parse(revealed.stdout) as { password?: string }).password;
    expect(password === emulator.state.cvm.actualPassword(ID, 'ubuntu')).toBe(true);
  });

  it("lists the instance's versions across the pack's versions, newest first", async () => {
    // Prepare
    const expected = instanceVersions(emulator, REGION, ID, 'packed').map((v) => v.versionId);

    // Act
    const result = await runCli(['history', ID, '--json'], { ...operatorEnv(emulator), ...PACKED });

    // Assess
    expect(result.code).toBe(0);
    const listed = JSON.parse(result.stdout) as {
      secretName: string;
      versions: Array<{ versionId: string }>;
    };
    expect(listed.secretName).toBe('cvm-password-pack-0001');
    expect(listed.versions.map((v) => v.versionId)).toEqual(expected);
    expect(expected).toHaveLength(2);
    expect(result.stdout).not.toMatch(/password"/);
  });
});
