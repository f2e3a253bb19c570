import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator';
import { expectNewestIsActual, instanceId, testFleet, versionsOf } from '../helpers/fleet';
import { invoke, mutatingCalls, startTestEmulator, timerEvent } from '../helpers/world';

let emulator: Emulator;
afterEach(async () => {
  await emulator?.close();
});

describe('Rotation through the handler, against the emulator', () => {
  it('rotates a mixed fleet of 260 instances in 2 regions and stores every actual password', async () => {
    // Prepare
    const fleet = testFleet({
      count: 260,
      runningEvery: 4,
      excludeEvery: 13,
      stopChargingEvery: 17,
      busyEvery: 19,
      shutdownEvery: 23,
      untaggedEvery: 29,
    });
    emulator = await startTestEmulator({ fleet });
    const before = new Map(
      fleet.map((s) => [
        s.InstanceId as string,
        emulator.state.cvm.actualPassword(s.InstanceId as string),
      ]),
    );

    // Act
    const { report, events } = await invoke(emulator, timerEvent(), {
      ROTATION_REGIONS: 'ap-guangzhou,ap-shanghai',
    });

    // Assess
    expect(report.status).toBe('succeeded');
    const tagged = fleet.filter((s) => !Array.isArray(s.Tags) && s.Tags && 'rotation' in s.Tags);
    expect(report.counts.discovered).toBe(tagged.length);
    const rotated = report.instances.filter((i) => i.result === 'rotated');
    expect(rotated.length).toBe(report.counts.rotated);
    expect(rotated.length).toBeGreaterThan(100);
    for (const entry of rotated) {
      const newest = expectNewestIsActual(emulator, entry.instanceId);
      expect(entry.versionId).toBe(newest.versionId);
      expect(entry.secretName).toBe(`cvm-password-${entry.instanceId}`);
      expect(newest.content.status).toBe('current');
      expect(
        before.get(entry.instanceId) === emulator.state.cvm.actualPassword(entry.instanceId),
      ).toBe(false);
    }
    const reasons = new Map(
      report.instances.filter((i) => i.result === 'skipped').map((i) => [i.instanceId, i.reason]),
    );
    for (const seed of tagged) {
      const id = seed.InstanceId as string;
      const tags = seed.Tags as Record<string, string>;
      if ('rotation-exclude' in tags) expect(reasons.get(id)).toBe('excluded-by-tag');
      else if (seed.LatestOperationState === 'OPERATING')
        expect(reasons.get(id)).toBe('operation-in-progress');
      else if (seed.InstanceState === 'RUNNING')
        expect(reasons.get(id)).toBe('running-without-force-stop');
      else if (seed.InstanceState === 'SHUTDOWN')
        expect(reasons.get(id)).toBe('state-not-resettable:SHUTDOWN');
      else if (seed.StopChargingMode === 'STOP_CHARGING')
        expect(reasons.get(id)).toBe('stopped-in-stop-charging-mode');
      else
        expect(
          rotated.some((r) => r.instanceId === id),
          id,
        ).toBe(true);
    }
    // Running instances were not touched without forceStop.
    for (const seed of fleet.filter((s) => s.InstanceState === 'RUNNING')) {
      expect(emulator.state.cvm.actualPassword(seed.InstanceId as string)).toBe(
        before.get(seed.InstanceId as string),
      );
    }
    // Group scope: one password per (region, OS family, user); batches never mix Linux and Windows.
    const resets = emulator.state
      .calls()
      .filter((c) => c.action === 'ResetInstancesPassword' && !c.error);
    for (const call of resets) {
      const ids = call.params.InstanceIds as string[];
      expect(ids.length).toBeLessThanOrEqual(100);
      const families = new Set(
        ids.map((id) => /Windows/.test(emulator.state.cvm.instance(id)?.OsName ?? '')),
      );
      expect(families.size).toBe(1);
    }
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('run.started');
    expect(names.at(-1)).toBe('run.finished');
    expect(names).toContain('batch.reset.requested');
    expect(names).toContain('instance.rotated');
    expect(names).toContain('instance.skipped');
    for (const e of events) expect(e.schemaVersion).toBe(1);
  });

  it('resets running instances with ForceStop only when forceStop is on', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 20, runningEvery: 2, regions: ['ap-guangzhou'] }),
    });

    // Act
    const off = await invoke(emulator, {});
    const on = await invoke(emulator, { forceStop: true, reason: 'INC-42' });

    // Assess
    expect(off.report.counts.rotated).toBe(10);
    expect(off.report.counts.skipped).toBe(10);
    expect(on.report.counts.rotated).toBe(20);
    const forced = emulator.state
      .calls()
      .filter((c) => c.action === 'ResetInstancesPassword' && c.params.ForceStop === true);
    expect(forced.length).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) expectNewestIsActual(emulator, instanceId(i));
    // A force-stopped instance comes back RUNNING (the emulator's default, facts §1.2).
    expect(emulator.state.cvm.instance(instanceId(1))?.InstanceState).toBe('RUNNING');
  });

  it('gives every instance its own password and its own reset call in instance scope', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 12, regions: ['ap-guangzhou'] }),
    });

    // Act
    const { report } = await invoke(emulator, {}, { ROTATION_PASSWORD_SCOPE: 'instance' });

    // Assess
    expect(report.counts.rotated).toBe(12);
    const passwords = new Set(
      Array.from({ length: 12 }, (_, i) => emulator.state.cvm.actualPassword(instanceId(i))),
    );
    expect(passwords.size).toBe(12);
    const resets = emulator.state
      .calls()
      .filter((c) => c.action === 'ResetInstancesPassword' && !c.error);
    expect(resets.length).toBe(12);
    for (const call of resets) expect((call.params.InstanceIds as string[]).length).toBe(1);
  });

  it('plans without a single mutating call in a dry run', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 30, runningEvery: 3, excludeEvery: 7 }),
    });
    const before = emulator.state.cvm.actualPassword(instanceId(0));

    // Act
    const { report } = await invoke(
      emulator,
      { dryRun: true },
      { ROTATION_REGIONS: 'ap-guangzhou,ap-shanghai' },
    );

    // Assess
    expect(report.dryRun).toBe(true);
    expect(mutatingCalls(emulator)).toBe(0);
    expect(report.counts.planned).toBeGreaterThan(0);
    expect(report.counts.rotated).toBe(0);
    expect(
      report.instances
        .filter((i) => i.result === 'planned')
        .every((i) => i.reason === 'would-reset'),
    ).toBe(true);
    expect(emulator.state.cvm.actualPassword(instanceId(0))).toBe(before);
  });

  it('rotates exactly the named instances of a manual event and reports unknown ones failed', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 10, regions: ['ap-guangzhou'] }),
    });
    const named = [instanceId(1), instanceId(2), 'ins-zzzzzzzz'];

    // Act
    const { report, events } = await invoke(emulator, {
      instanceIds: named,
      reason: 'INC-7 leaked key',
    });

    // Assess
    expect(report.status).toBe('partial');
    expect(report.counts.rotated).toBe(2);
    expect(report.instances.find((i) => i.instanceId === 'ins-zzzzzzzz')?.result).toBe('failed');
    expect(report.instances.find((i) => i.instanceId === 'ins-zzzzzzzz')?.reason).toMatch(
      /not-found/,
    );
    expect(versionsOf(emulator, 'ap-guangzhou', instanceId(3))).toHaveLength(0);
    const started = events.find((e) => e.event === 'run.started');
    expect(started?.trigger).toBe('manual');
    expect(started?.reason).toBe('INC-7 leaked key');
  });

  it('keeps the previous password current when a reset ends FAILED', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 6, regions: ['ap-guangzhou'] }),
    });
    await invoke(emulator, {});
    const victim = instanceId(0);
    const previous = versionsOf(emulator, 'ap-guangzhou', victim)[0];
    emulator.state.faults = { failResetFor: [victim] };

    // Act
    const { report, events } = await invoke(emulator, {});

    // Assess
    const entry = report.instances.find((i) => i.instanceId === victim);
    expect(entry?.result).toBe('failed');
    expect(entry?.reason).toMatch(/^reset-failed/);
    expect(report.status).toBe('partial');
    const newest = expectNewestIsActual(emulator, victim);
    expect(newest.versionId).toBe(previous?.versionId);
    expect(events.some((e) => e.event === 'instance.failed' && e.instanceId === victim)).toBe(true);
  });

  it('converges under throttling and injected internal errors', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 40, regions: ['ap-guangzhou'] }),
      faults: {
        errorRate: {
          DescribeInstances: 0.2,
          PutSecretValue: 0.2,
          CreateSecret: 0.2,
          UpdateSecret: 0.2,
          ListSecretVersionIds: 0.2,
          GetSecretValue: 0.2,
        },
      },
      rateLimits: { CreateSecret: 5, UpdateSecret: 5 },
    });

    // Act
    const { report } = await invoke(emulator, {}, { ROTATION_PASSWORD_SCOPE: 'instance' });

    // Assess
    const calls = emulator.state.calls();
    expect(calls.some((c) => c.error === 'RequestLimitExceeded')).toBe(true);
    expect(
      calls.some((c) => c.error === 'InternalError' || c.error === 'InternalServerError'),
    ).toBe(true);
    expect(report.instances.filter((i) => i.result !== 'rotated').map((i) => i.reason)).toEqual([]);
    expect(report.counts.rotated).toBe(40);
    for (let i = 0; i < 40; i++) expectNewestIsActual(emulator, instanceId(i));
  });

  it('rotates one instance 12 times without an 11th version and keeps the configured history', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 1, regions: ['ap-guangzhou'] }),
    });

    // Act
    for (let run = 0; run < 12; run++) {
      const { report } = await invoke(emulator, {}, { ROTATION_KEEP_VERSIONS: '3' });
      expect(report.counts.rotated).toBe(1);
      expectNewestIsActual(emulator, instanceId(0));
    }

    // Assess
    expect(versionsOf(emulator, 'ap-guangzhou', instanceId(0))).toHaveLength(4);
    expect(emulator.state.calls().some((c) => c.error === 'LimitExceeded')).toBe(false);
  });

  it('fails instances that would exceed the 1000-secret quota before any reset', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 5, regions: ['ap-guangzhou'] }),
      rateLimits: false,
    });
    const { ssmClient } = await import('../helpers/sdk');
    const ssm = ssmClient(emulator);
    // 996 others + the rotator's region lock secret = 997: room for 3 of the 5.
    await Promise.all(
      Array.from({ length: 996 }, (_, i) =>
        ssm.CreateSecret({ SecretName: `other-${i}`, SecretString: 'x' }),
      ),
    );

    // Act
    const { report } = await invoke(emulator, {});

    // Assess
    expect(report.counts.rotated).toBe(3);
    const refused = report.instances.filter((i) => i.result === 'failed');
    expect(refused).toHaveLength(2);
    for (const entry of refused) {
      expect(entry.reason).toMatch(/^secret-quota-exceeded/);
      expect(
        emulator.state
          .calls()
          .some(
            (c) =>
              c.action === 'ResetInstancesPassword' &&
              (c.params.InstanceIds as string[]).includes(entry.instanceId),
          ),
      ).toBe(false);
    }
  });
});
