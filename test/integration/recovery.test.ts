/**
 * Recovery scenarios of the safety protocol (issue [2]): a verification that times out, someone
 * else operating the instance, lost connections on the reset call, an instance that changes
 * between discovery and reset, and the SCF deadline. Each checks that no password is lost at any
 * point, and that the next run converges on "the newest version holds the actual password".
 *
 * The rotator's clock runs on the emulator's accelerated time (see test/helpers/crash.ts), so
 * reset durations and timeouts of tens of emulated seconds take a fraction of a real second.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CvmPort, SsmPort } from '../../src/cloud/ports';
import { ENV_VARIABLES } from '../../src/config/env';
import type { Emulator, InstanceSeed, ResetTiming } from '../../src/emulator';
import { CloudError } from '../../src/errors';
import type { RunOptions, ScfContext } from '../../src/handler';
import type { RunReport } from '../../src/protocol/report';
import { Crash, type EmulatedClock, emulatedClock } from '../helpers/crash';
import {
  expectNewestIsActual,
  expectSomeVersionIsActual,
  instanceId,
  versionsOf,
} from '../helpers/fleet';
import { context, invoke, mutatingCalls, startTestEmulator } from '../helpers/world';

const REGION = 'ap-guangzhou';
const SCALE = 50;
/** A killed run's region lock (when the rotator has one) is waited out by moving the clock. */
const LOCK_TTL_SECONDS = 60;
const BASE_ENV: Record<string, string> = (ENV_VARIABLES as readonly string[]).includes(
  'ROTATION_LOCK_TTL_SECONDS',
)
  ? { ROTATION_LOCK_TTL_SECONDS: String(LOCK_TTL_SECONDS) }
  : {};

type Ports = { cvm: CvmPort; ssm: SsmPort };

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** `count` Linux instances (root), STOPPED unless listed as RUNNING, all tagged for rotation. */
function linuxFleet(count: number, running: readonly number[] = []): InstanceSeed[] {
  return Array.from({ length: count }, (_, i) => ({
    InstanceId: instanceId(i),
    region: REGION,
    OsName: 'CentOS 7.9 64bit',
    InstanceState: running.includes(i) ? ('RUNNING' as const) : ('STOPPED' as const),
    Tags: { rotation: 'enabled' },
  }));
}

interface Rig {
  readonly emu: Emulator;
  readonly clock: EmulatedClock;
  run(
    event?: unknown,
    env?: Record<string, string>,
    options?: Omit<RunOptions, 'env' | 'write'>,
    ctx?: ScfContext,
  ): Promise<RunReport>;
}

const QUICK_RESETS: Partial<ResetTiming> = { stopped: [400, 1_500], running: [1_000, 3_000] };
/** Far longer than the 10 s verification timeout, even if the machine stalls for a while. */
const SLOW_RESETS: Partial<ResetTiming> = { stopped: [60_000, 90_000], running: [60_000, 90_000] };

async function rig(
  fleet: InstanceSeed[],
  resetTiming: Partial<ResetTiming> = QUICK_RESETS,
): Promise<Rig> {
  const emu = await startTestEmulator({ fleet, rateLimits: false, timeScale: SCALE, resetTiming });
  emulator = emu;
  const clock = emulatedClock(emu, SCALE);
  return {
    emu,
    clock,
    run: async (event = {}, env = {}, options = {}, ctx = context()) =>
      (await invoke(emu, event, { ...BASE_ENV, ...env }, { clock, ...options }, ctx)).report,
  };
}

const resetCalls = (emu: Emulator, id?: string) =>
  emu.state
    .calls()
    .filter(
      (c) =>
        c.action === 'ResetInstancesPassword' &&
        (id === undefined || (c.params.InstanceIds as string[] | undefined)?.includes(id)),
    );

/** Instances whose actual password is in no version of their secret (checked without printing). */
function storedProblems(emu: Emulator, ids: readonly string[], where: string): string[] {
  return ids
    .filter((id) => {
      const actual = emu.state.cvm.actualPassword(id);
      return !versionsOf(emu, REGION, id).some((v) => v.content.password === actual);
    })
    .map((id) => `${where}: the actual password of ${id} is stored nowhere`);
}

const entryOf = (report: RunReport, id: string) =>
  report.instances.find((i) => i.instanceId === id);

/** A port wrapper that runs `hook` when the first call of `method` rejects (then rethrows). */
function onFirstRejection(method: 'resetPassword', hook: () => void): (ports: Ports) => Ports {
  return (ports) => {
    let fired = false;
    const original = ports.cvm[method].bind(ports.cvm);
    const cvm = Object.create(ports.cvm) as CvmPort;
    cvm[method] = async (...args: Parameters<CvmPort['resetPassword']>) => {
      try {
        return await original(...args);
      } catch (error) {
        if (!fired) {
          fired = true;
          hook();
        }
        throw error;
      }
    };
    return { cvm, ssm: ports.ssm };
  };
}

describe('Recovery: a verification that times out', () => {
  it('reports the instances failed with the pending version kept, then promotes them next run without a second reset', async () => {
    // Prepare: resets of 60–90 emulated seconds; a first rotation with the default timeout.
    const ids = [0, 1, 2, 3].map(instanceId);
    const { emu, run } = await rig(linuxFleet(4), SLOW_RESETS);
    expect((await run()).counts.rotated).toBe(4);
    const resetsBefore = resetCalls(emu).length;

    // Act: verification gives up after 10 s.
    const timedOut = await run({}, { ROTATION_VERIFY_TIMEOUT_SECONDS: '10' });

    // Assess: failed, pending (with its RequestId) kept, the invariant holds before and after
    // the resets end.
    const reset = resetCalls(emu).at(-1);
    for (const id of ids) {
      expect(entryOf(timedOut, id)?.result).toBe('failed');
      expect(entryOf(timedOut, id)?.reason).toMatch(/unverified \(timeout\)/);
      const newest = versionsOf(emu, REGION, id)[0];
      expect(newest?.content.status).toBe('applying');
      expect(newest?.content.requestId).toBe(reset?.requestId);
      expectSomeVersionIsActual(emu, id);
    }
    await emu.state.cvm.settle();
    for (const id of ids) expectSomeVersionIsActual(emu, id);
    const pending = new Map(ids.map((id) => [id, versionsOf(emu, REGION, id)[0]?.versionId]));
    const resetsAfterTimeout = resetCalls(emu).length;
    expect(resetsAfterTimeout).toBe(resetsBefore + 1);

    // Act: the next run.
    const next = await run();

    // Assess: promoted through the recorded RequestId, no reset at all.
    expect(resetCalls(emu)).toHaveLength(resetsAfterTimeout);
    expect(next.status).toBe('succeeded');
    for (const id of ids) {
      expect(entryOf(next, id)?.result).toBe('rotated');
      expect(entryOf(next, id)?.reason).toBe('recovered-unfinished-rotation');
      const newest = expectNewestIsActual(emu, id);
      expect(newest.versionId).toBe(pending.get(id));
      expect(newest.content.status).toBe('current');
    }
  });

  it('re-applies the stored password once when the RequestId could not be recorded', async () => {
    // Prepare: recording the RequestId (UpdateSecret to `applying`) fails for every instance.
    const ids = [0, 1, 2].map(instanceId);
    const { emu, run } = await rig(linuxFleet(3), SLOW_RESETS);
    await run();
    const refuseRecording = (ports: Ports): Ports => {
      const ssm = Object.create(ports.ssm) as SsmPort;
      ssm.updateValue = async (region, input) => {
        if ((JSON.parse(input.value) as { status?: string }).status === 'applying') {
          throw new CloudError('injected', {
            code: 'FailedOperation',
            action: 'UpdateSecret',
            region,
            transient: false,
          });
        }
        return ports.ssm.updateValue(region, input);
      };
      return { cvm: ports.cvm, ssm };
    };

    // Act
    const timedOut = await run(
      {},
      { ROTATION_VERIFY_TIMEOUT_SECONDS: '10' },
      { wrapPorts: refuseRecording },
    );
    await emu.state.cvm.settle();
    const pending = new Map(ids.map((id) => [id, versionsOf(emu, REGION, id)[0]]));
    const resetsBefore = resetCalls(emu).length;
    const next = await run();

    // Assess: unrecorded, so the next run re-applies the same stored password (one group call)
    // and promotes it; no new version, no new password.
    for (const id of ids) {
      expect(entryOf(timedOut, id)?.result).toBe('failed');
      expect(pending.get(id)?.content.status).toBe('pending');
    }
    expect(resetCalls(emu)).toHaveLength(resetsBefore + 1);
    expect(next.status).toBe('succeeded');
    for (const id of ids) {
      expect(entryOf(next, id)?.reason).toBe('recovered-unfinished-rotation');
      expect(expectNewestIsActual(emu, id).versionId).toBe(pending.get(id)?.versionId);
    }
  });
});

describe('Recovery: someone else operates the instance after our reset', () => {
  it('reports it overwritten, keeps the pending version, and re-applies it once forceStop allows', async () => {
    // Prepare: three STOPPED instances in one batch; after our reset ends, someone starts one of
    // them before our first poll.
    const victim = instanceId(1);
    const { emu, run } = await rig(linuxFleet(3));
    await run();
    const resetsBefore = resetCalls(emu).length;
    const startVictimBeforeFirstPoll = (ports: Ports): Ports => {
      let done = false;
      const cvm = Object.create(ports.cvm) as CvmPort;
      cvm.describeByIds = async (region, instanceIds) => {
        if (!done && resetCalls(emu).length > resetsBefore) {
          done = true;
          await emu.state.cvm.settle();
          emu.state.cvm.externalOperation(victim, 'StartInstances');
        }
        return ports.cvm.describeByIds(region, instanceIds);
      };
      return { cvm, ssm: ports.ssm };
    };

    // Act
    const overwritten = await run({}, {}, { wrapPorts: startVictimBeforeFirstPoll });

    // Assess: failed as overwritten, the others rotated, the password stored.
    expect(entryOf(overwritten, victim)?.result).toBe('failed');
    expect(entryOf(overwritten, victim)?.reason).toMatch(/overwritten/);
    expect(overwritten.counts.rotated).toBe(2);
    const pending = versionsOf(emu, REGION, victim)[0];
    expect(pending?.content.status).toBe('applying');
    await emu.state.cvm.settle();
    expectSomeVersionIsActual(emu, victim);
    expect(emu.state.cvm.instance(victim)?.InstanceState).toBe('RUNNING');

    // Act: the next run without forceStop cannot re-apply to a RUNNING instance.
    const blocked = await run();

    // Assess
    expect(entryOf(blocked, victim)?.result).toBe('failed');
    expect(entryOf(blocked, victim)?.reason).toMatch(/running-without-force-stop/);
    expect(versionsOf(emu, REGION, victim)[0]?.versionId).toBe(pending?.versionId);
    expectSomeVersionIsActual(emu, victim);
    const victimResets = resetCalls(emu, victim).length;

    // Act: with forceStop.
    const forced = await run({ forceStop: true, reason: 'recover overwritten reset' });

    // Assess: the stored password re-applied (one reset), promoted, no new password.
    expect(entryOf(forced, victim)?.result).toBe('rotated');
    expect(resetCalls(emu, victim)).toHaveLength(victimResets + 1);
    const newest = expectNewestIsActual(emu, victim);
    expect(newest.versionId).toBe(pending?.versionId);
    expect(forced.status).toBe('succeeded');
  });
});

describe('Recovery: a lost connection on ResetInstancesPassword', () => {
  it('re-applies the same stored password when the connection drops before the call is processed', async () => {
    // Prepare
    const ids = [0, 1, 2].map(instanceId);
    const { emu, run } = await rig(linuxFleet(3));
    await run();
    const versionsBefore = versionsOf(emu, REGION, ids[0] as string).length;
    emu.state.faults = {
      failNth: [{ action: 'ResetInstancesPassword', n: resetCalls(emu).length + 1, fault: 'drop' }],
    };

    // Act
    const report = await run();

    // Assess
    expect(resetCalls(emu).filter((c) => c.error === 'DroppedConnection')).toHaveLength(1);
    expect(report.status).toBe('succeeded');
    for (const id of ids) {
      expectNewestIsActual(emu, id);
      expect(versionsOf(emu, REGION, id)).toHaveLength(versionsBefore + 1);
    }
  });

  it('re-applies the same stored password when the call was processed but its answer lost', async () => {
    // Prepare: the first reset of the run applies, its answer never arrives; later ones do.
    const ids = [0, 1, 2].map(instanceId);
    const { emu, run } = await rig(linuxFleet(3));
    await run();
    const versionsBefore = versionsOf(emu, REGION, ids[0] as string).length;
    emu.state.faults = { dropAfterRate: { ResetInstancesPassword: 1 } };
    const restore = onFirstRejection('resetPassword', () => {
      emu.state.faults = {};
    });

    // Act
    const report = await run({}, {}, { wrapPorts: restore });

    // Assess: two processed resets with one password, one new version each.
    expect(resetCalls(emu).filter((c) => c.responseDropped)).toHaveLength(1);
    expect(report.status).toBe('succeeded');
    for (const id of ids) {
      expectNewestIsActual(emu, id);
      expect(versionsOf(emu, REGION, id)).toHaveLength(versionsBefore + 1);
    }
  });

  it('keeps the password stored when every answer of the run is lost, and converges next run', async () => {
    // Prepare
    const ids = [0, 1].map(instanceId);
    const { emu, run } = await rig(linuxFleet(2));
    await run();
    emu.state.faults = { dropAfterRate: { ResetInstancesPassword: 1 } };

    // Act
    const lost = await run();
    await emu.state.cvm.settle();

    // Assess: outcome unknown, pending kept, the applied password stored.
    for (const id of ids) {
      expect(entryOf(lost, id)?.result).toBe('failed');
      expect(entryOf(lost, id)?.reason).toMatch(/^reset-outcome-unknown/);
      expectSomeVersionIsActual(emu, id);
    }
    const pending = new Map(ids.map((id) => [id, versionsOf(emu, REGION, id)[0]?.versionId]));

    // Act
    emu.state.faults = {};
    const next = await run();

    // Assess
    expect(next.status).toBe('succeeded');
    for (const id of ids) expect(expectNewestIsActual(emu, id).versionId).toBe(pending.get(id));
  });

  it('keeps the password of a reset whose answer was lost when the re-applying reset ends FAILED', async () => {
    // Prepare: the first reset applies but its answer is lost; once it has applied, every later
    // reset ends FAILED, which says nothing about the first one.
    const ids = [0, 1, 2].map(instanceId);
    const { emu, run } = await rig(linuxFleet(3));
    await run();
    emu.state.faults = { dropAfterRate: { ResetInstancesPassword: 1 } };
    const failNext = onFirstRejection('resetPassword', () => {
      void emu.state.cvm.settle().then(() => {
        emu.state.faults = { failResetFor: ids };
      });
    });
    const watch = new Crash({
      observe: (where) => problems.push(...storedProblems(emu, ids, where)),
    });
    const problems: string[] = [];

    // Act
    const report = await run(
      {},
      {},
      { ...watch.seams, wrapPorts: (ports) => failNext(watch.seams.wrapPorts?.(ports) ?? ports) },
    );
    await emu.state.cvm.settle();

    // Assess: reported failed, and the actual password (from the first reset) still stored.
    expect(resetCalls(emu).filter((c) => c.responseDropped)).toHaveLength(1);
    expect(resetCalls(emu).filter((c) => !c.error && !c.responseDropped)).toHaveLength(2);
    for (const id of ids) expect(entryOf(report, id)?.result).toBe('failed');
    expect([...problems, ...storedProblems(emu, ids, 'after the run')]).toEqual([]);

    // Act
    emu.state.faults = {};
    const next = await run();

    // Assess
    expect(next.status).toBe('succeeded');
    for (const id of ids) expectNewestIsActual(emu, id);
  });

  it('keeps an unrecorded applied password of a killed run while the resets of the next runs end FAILED', async () => {
    // Prepare: a run dies right after its reset call (RequestId not recorded); the reset applies.
    const ids = [0, 1].map(instanceId);
    const { emu, clock, run } = await rig(linuxFleet(2));
    await run();
    const crash = new Crash({ kill: { kind: 'step', step: 'reset.requested', occurrence: 1 } });
    void run({}, {}, crash.seams).catch(() => undefined);
    await crash.died;
    await crash.drain();
    await emu.state.cvm.settle();
    clock.advance(LOCK_TTL_SECONDS * 1000);
    expect(storedProblems(emu, ids, 'after the kill')).toEqual([]);
    const problems: string[] = [];
    const watch = new Crash({
      observe: (where) => problems.push(...storedProblems(emu, ids, where)),
    });

    // Act: the next two runs re-apply the stored password, and every reset ends FAILED.
    emu.state.faults = { failResetFor: ids };
    const first = await run({}, {}, watch.seams);
    await emu.state.cvm.settle();
    const second = await run({}, {}, watch.seams);
    await emu.state.cvm.settle();

    // Assess: failed, but the actual password stays stored at every moment.
    for (const id of ids) {
      expect(entryOf(first, id)?.result).toBe('failed');
      expect(entryOf(second, id)?.result).toBe('failed');
    }
    expect([...problems, ...storedProblems(emu, ids, 'after the runs')]).toEqual([]);

    // Act: the run after that, with nothing failing.
    emu.state.faults = {};
    const next = await run();

    // Assess
    expect(next.status).toBe('succeeded');
    for (const id of ids) expectNewestIsActual(emu, id);
  });
});

describe('Recovery: an instance changes between discovery and reset', () => {
  it.each([
    { change: 'deleted', result: 'failed', reason: /^instance-gone$/ },
    {
      change: 'started',
      result: 'skipped',
      reason: /operation-in-progress \(changed since discovery\)/,
    },
  ] as const)(
    'rotates the rest of the batch when one instance is $change after its password was stored',
    async ({ change, result, reason }) => {
      // Prepare: five instances in one batch; the change happens once the pending versions are stored.
      const ids = [0, 1, 2, 3, 4].map(instanceId);
      const victim = instanceId(2);
      const { emu, run } = await rig(linuxFleet(5));
      await run();
      const before = versionsOf(emu, REGION, victim).map((v) => v.versionId);
      const password = emu.state.cvm.actualPassword(victim);
      let changed = false;
      const checkpoint = (step: string) => {
        if (step !== 'pending.persisted' || changed) return;
        changed = true;
        if (change === 'deleted') emu.state.cvm.removeInstance(victim);
        else emu.state.cvm.externalOperation(victim, 'StartInstances');
      };

      // Act
      const report = await run({}, {}, { checkpoint });

      // Assess: the refused batch was re-checked; the victim is reported with the reason, its
      // pending version removed (never applied); every other instance rotated.
      expect(changed).toBe(true);
      expect(resetCalls(emu).some((c) => c.error !== undefined)).toBe(true);
      expect(entryOf(report, victim)?.result).toBe(result);
      expect(entryOf(report, victim)?.reason).toMatch(reason);
      expect(versionsOf(emu, REGION, victim).map((v) => v.versionId)).toEqual(before);
      for (const id of ids.filter((i) => i !== victim)) {
        expect(entryOf(report, id)?.result).toBe('rotated');
        expectNewestIsActual(emu, id);
      }
      expect(
        resetCalls(emu).filter(
          (c) => !c.error && (c.params.InstanceIds as string[]).includes(victim),
        ),
      ).toHaveLength(1);
      if (change === 'started') {
        await emu.state.cvm.settle();
        expect(emu.state.cvm.actualPassword(victim) === password).toBe(true);
        expectNewestIsActual(emu, victim);
      }
    },
  );
});

describe('Recovery: the SCF deadline', () => {
  it('defers batches that cannot finish in time without touching them, and the next run continues', async () => {
    // Prepare: three STOPPED and three RUNNING instances, one batch each (instance scope). With
    // 60 s of SCF time and a 10 s margin, a STOPPED batch fits (first estimate 20 s), a RUNNING
    // one (60 s with ForceStop) does not.
    const running = [1, 3, 5];
    const ids = [0, 1, 2, 3, 4, 5].map(instanceId);
    const { emu, run } = await rig(linuxFleet(6, running));
    const env = { ROTATION_PASSWORD_SCOPE: 'instance', ROTATION_FORCE_STOP: 'true' };
    await run({}, env);
    const before = new Map(
      ids.map((id) => [id, versionsOf(emu, REGION, id).map((v) => v.versionId)]),
    );
    const resetsBefore = resetCalls(emu).length;
    const mutatingBefore = mutatingCalls(emu);

    // Act
    const short = await run(
      {},
      { ...env, ROTATION_DEADLINE_MARGIN_SECONDS: '10' },
      {},
      context({ time_limit_in_ms: 60_000 }),
    );

    // Assess: the RUNNING ones skipped as deferred, with nothing stored or reset for them.
    const deferred = running.map(instanceId);
    for (const id of ids) {
      const entry = entryOf(short, id);
      if (deferred.includes(id)) {
        expect(entry?.result).toBe('skipped');
        expect(entry?.reason).toBe('deferred');
        expect(versionsOf(emu, REGION, id).map((v) => v.versionId)).toEqual(before.get(id));
        expect(resetCalls(emu, id).slice(resetsBefore)).toHaveLength(0);
        expectNewestIsActual(emu, id);
      } else {
        expect(entry?.result).toBe('rotated');
      }
    }
    expect(mutatingCalls(emu)).toBeGreaterThan(mutatingBefore);

    // Act: the next run, with the full time.
    const next = await run({}, env);

    // Assess
    expect(next.status).toBe('succeeded');
    expect(next.counts.rotated).toBe(6);
    for (const id of ids) expectNewestIsActual(emu, id);
  });
});
