/**
 * `cvm-rotator show` and `cvm-rotator history` against the emulator. Revealed passwords are
 * compared in memory and never printed (test/setup.ts fails the file if one reaches the output).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator';
import { instanceId, testFleet, versionsOf } from '../helpers/fleet';
import { ssmClient } from '../helpers/sdk';
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
});
afterEach(async () => {
  await emulator.close();
});

/** Rotates the instance `times` times through the handler, as the function would. */
async function rotations(times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const { report } = await invoke(
      emulator,
      { instanceIds: [ID] },
      { ROTATION_REGIONS: 'ap-guangzhou,ap-shanghai' },
    );
    expect(report.status).toBe('succeeded');
  }
}

describe('cvm-rotator show', () => {
  it("shows the current secret's metadata without the password, searching every configured region", async () => {
    // Prepare
    await rotations(2);
    const [newest] = versionsOf(emulator, REGION, ID);
    const password = emulator.state.cvm.actualPassword(ID, 'ubuntu') ?? '';

    // Act
    const result = await runCli(['show', ID], operatorEnv(emulator));

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Instance\s+ins-00000001$/m);
    expect(result.stdout).toMatch(/^Secret\s+cvm-password-ins-00000001 \(ap-shanghai\)$/m);
    expect(result.stdout).toMatch(
      new RegExp(`^Version\\s+${newest?.versionId} \\(newest\\)$`, 'm'),
    );
    expect(result.stdout).toMatch(/^Status\s+current$/m);
    expect(result.stdout).toMatch(/^User\s+ubuntu$/m);
    expect(result.stdout).toMatch(
      new RegExp(`^Rotated at\\s+${String(newest?.content.verifiedAt)}$`, 'm'),
    );
    expect(result.stdout).toMatch(new RegExp(`^Run\\s+${String(newest?.content.runId)}$`, 'm'));
    expect(result.stdout).toMatch(/^Versions kept\s+2$/m);
    expect(password.length).toBeGreaterThan(0);
    expect(`${result.stdout}${result.stderr}`.includes(password)).toBe(false);
    expect(result.stdout).not.toMatch(/^Password/m);
  });

  it('prints the actual password on stdout only with --reveal, with a warning on stderr', async () => {
    // Prepare
    await rotations(1);
    const password = emulator.state.cvm.actualPassword(ID, 'ubuntu') ?? '';

    // Act
    const result = await runCli(
      ['show', ID, '--reveal', '--region', REGION],
      operatorEnv(emulator),
    );
    const json = await runCli(['show', ID, '--reveal', '--json'], operatorEnv(emulator));

    // Assess
    expect(result.code).toBe(0);
    const line = result.stdout.split('\n').find((l) => l.startsWith('Password'));
    expect(line?.replace(/^Password\s+/, '') === password).toBe(true);
    expect(result.stderr.includes(password)).toBe(false);
    expect(result.stderr).toContain(
      'WARNING: the password is now on your screen and in your terminal scrollback',
    );
    expect((JSON.parse(json.stdout) as { password?: string }).password === password).toBe(true);
  });

  it('shows an older version with --version-id, for a rollback', async () => {
    // Prepare
    await rotations(2);
    const [, previous] = versionsOf(emulator, REGION, ID);

    // Act
    const result = await runCli(
      ['show', ID, '--version-id', previous?.versionId ?? '', '--json', '--reveal'],
      operatorEnv(emulator),
    );

    // Assess
    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout) as {
      versionId: string;
      newest: boolean;
      password: string;
    };
    expect(shown.versionId).toBe(previous?.versionId);
    expect(shown.newest).toBe(false);
    expect(shown.password === previous?.content.password).toBe(true);
  });

  it('warns when the newest version is still pending and names the previous current one', async () => {
    // Prepare
    await rotations(1);
    const [current] = versionsOf(emulator, REGION, ID);
    const pending: Record<string, unknown> = {
      ...current?.content,
      status: 'pending',
      password: 'Pending-Pw-123!x',
      runId: 'later',
    };
    delete pending.verifiedAt;
    await ssmClient(emulator, { region: REGION }).PutSecretValue({
      SecretName: `cvm-password-${ID}`,
      VersionId: '29991231T000000000Z-later',
      SecretString: JSON.stringify(pending),
    });

    // Act
    const result = await runCli(['show', ID], operatorEnv(emulator));

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Status\s+pending$/m);
    expect(result.stderr).toContain('the newest version is pending');
    expect(result.stderr).toContain(`--version-id ${current?.versionId}`);
  });

  it('exits 1 when the instance has no secret, and 2 on a malformed instance id or region', async () => {
    // Act
    const missing = await runCli(['show', instanceId(2)], operatorEnv(emulator));
    const malformed = await runCli(['show', 'i-123'], operatorEnv(emulator));
    const badRegion = await runCli(['show', ID, '--region', 'Shanghai'], operatorEnv(emulator));

    // Assess
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `no secret cvm-password-${instanceId(2)} with a version in ap-guangzhou and ap-shanghai`,
    );
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('<instanceId>: "i-123" is not a CVM instance id');
    expect(badRegion.code).toBe(2);
    expect(badRegion.stderr).toContain('--region: "Shanghai" is not a Tencent region id');
  });
});

describe('cvm-rotator history', () => {
  it('lists every version newest first by CreateTime then VersionId, without passwords', async () => {
    // Prepare
    await rotations(3);
    const expected = versionsOf(emulator, REGION, ID);

    // Act
    const result = await runCli(['history', ID], operatorEnv(emulator));
    const json = await runCli(['history', ID, '--json'], operatorEnv(emulator));

    // Assess
    expect(result.code).toBe(0);
    const listed = result.stdout
      .split('\n')
      .filter((l) => /^\d{8}T/.test(l))
      .map((l) => l.split(/\s+/));
    expect(listed.map((cols) => cols[0])).toEqual(expected.map((v) => v.versionId));
    for (const [i, cols] of listed.entries()) {
      expect(cols.slice(2, 5)).toEqual(['current', 'ubuntu', String(expected[i]?.content.runId)]);
      expect(cols[5]).toBe(String(expected[i]?.content.requestId));
    }
    expect(result.stdout).toMatch(/^VERSION\s+CREATED\s+STATUS\s+USER\s+RUN\s+RESET REQUEST$/m);
    for (const v of expected) {
      expect(`${result.stdout}${json.stdout}`.includes(String(v.content.password))).toBe(false);
    }
    const parsed = JSON.parse(json.stdout) as {
      versions: Array<{ versionId: string; createTime: number }>;
    };
    expect(parsed.versions.map((v) => v.versionId)).toEqual(expected.map((v) => v.versionId));
  });

  it('exits 1 when there is nothing to list', async () => {
    // Act
    const result = await runCli(
      ['history', instanceId(3), '--region', 'ap-shanghai'],
      operatorEnv(emulator),
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no secret');
  });
});
