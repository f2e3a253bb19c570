import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator';
import { testFleet } from '../helpers/fleet';
import { invoke, startTestEmulator } from '../helpers/world';

let emulator: Emulator;
afterEach(async () => {
  await emulator?.close();
});

interface PackEntry {
  userName: string;
  current?: { password: string; versionId: string; status: string };
  pending?: { password: string };
}

/** The newest version of every pack secret in the region, by the contract's rule. */
function newestPacks(
  region: string,
  prefix = 'cvm-password',
): Map<string, { name: string; versionId: string; entries: Record<string, PackEntry> }> {
  const byInstance = new Map<
    string,
    { name: string; versionId: string; entries: Record<string, PackEntry> }
  >();
  for (const secret of emulator.state.ssm.secrets(region)) {
    if (!secret.SecretName.startsWith(`${prefix}-pack-`)) continue;
    const newest = [...secret.versions.values()].sort(
      (a, b) => b.CreateTime - a.CreateTime || (b.VersionId > a.VersionId ? 1 : -1),
    )[0];
    const content = JSON.parse(newest?.SecretString ?? '{}') as {
      entries: Record<string, PackEntry>;
    };
    for (const id of Object.keys(content.entries)) {
      byInstance.set(id, {
        name: secret.SecretName,
        versionId: newest?.VersionId ?? '',
        entries: content.entries,
      });
    }
  }
  return byInstance;
}

function expectPackedNewestIsActual(instanceId: string, region: string): void {
  const pack = newestPacks(region).get(instanceId);
  expect(pack, instanceId).toBeDefined();
  const entry = pack?.entries[instanceId];
  const actual = emulator.state.cvm.actualPassword(instanceId, entry?.userName);
  expect(
    entry?.current?.password === actual,
    `packed newest version holds the actual password of ${instanceId}`,
  ).toBe(true);
  expect(entry?.pending).toBeUndefined();
}

describe('Packed secret layout', () => {
  it('rotates 3,000 instances in one region, beyond the 1000-secret quota, with passwords stored in packs', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 3000, regions: ['ap-guangzhou'] }),
    });

    // Act
    const { report } = await invoke(
      emulator,
      {},
      { ROTATION_SECRET_LAYOUT: 'packed', ROTATION_MAX_INSTANCES: '0' },
    );

    // Assess
    expect(report.status).toBe('succeeded');
    expect(report.counts.rotated).toBe(3000);
    const secrets = emulator.state.ssm.secrets('ap-guangzhou');
    expect(secrets.length).toBeLessThanOrEqual(61); // 60 packs of 50 + the region lock
    const packs = newestPacks('ap-guangzhou');
    for (const entry of report.instances) {
      expectPackedNewestIsActual(entry.instanceId, 'ap-guangzhou');
      expect(entry.secretName).toBe(packs.get(entry.instanceId)?.name);
      expect(entry.versionId).toBe(packs.get(entry.instanceId)?.versionId);
    }
    for (const secret of secrets) {
      for (const v of secret.versions.values())
        expect(Buffer.byteLength(v.SecretString ?? '')).toBeLessThan(32 * 1024);
    }
  });

  it('keeps rotating packs run after run within 10 versions, and recovers a FAILED reset', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 60, runningEvery: 3, regions: ['ap-guangzhou'] }),
      rateLimits: false,
    });
    const env = {
      ROTATION_SECRET_LAYOUT: 'packed',
      ROTATION_FORCE_STOP: 'true',
      ROTATION_KEEP_VERSIONS: '2',
      ROTATION_PASSWORD_SCOPE: 'instance',
    };

    // Act
    for (let run = 0; run < 4; run++) {
      const victim = `ins-${(run * 7).toString(36).padStart(8, '0')}`;
      emulator.state.faults = { failResetFor: [victim] };
      const { report } = await invoke(emulator, {}, env);
      // Assess
      expect(report.instances.find((i) => i.instanceId === victim)?.result).toBe('failed');
      expect(report.counts.rotated).toBe(59);
      for (const entry of report.instances.filter((i) => i.result === 'rotated')) {
        expectPackedNewestIsActual(entry.instanceId, 'ap-guangzhou');
      }
    }
    const packs = emulator.state.ssm
      .secrets('ap-guangzhou')
      .filter((s) => s.SecretName.includes('-pack-'));
    expect(packs).toHaveLength(2);
    // ROTATION_KEEP_VERSIONS=2 previous snapshots plus this run's.
    for (const secret of packs) expect(secret.versions.size).toBe(3);
  });
});
