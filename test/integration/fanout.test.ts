import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator';
import { runFromEvent, type ScfContext } from '../../src/handler';
import { expectNewestIsActual, testFleet } from '../helpers/fleet';
import { context, envFor, invoke, startTestEmulator, timerEvent } from '../helpers/world';

let emulator: Emulator;
afterEach(async () => {
  await emulator?.state.scf.settle();
  await emulator?.close();
});

const REGIONS = ['ap-guangzhou', 'ap-shanghai', 'ap-beijing'];

describe('Fan-out beyond one invocation', () => {
  it('invokes one asynchronous run per region through SCF, and each rotates its own region', async () => {
    // Prepare: the emulator's SCF runs the real handler for each sub-event, as SCF would.
    const subLines: string[] = [];
    const fleet = testFleet({ count: 30, regions: REGIONS });
    emulator = await startTestEmulator({
      fleet,
      functions: {
        'cvm-password-rotator': {
          timeLimitMs: 900_000,
          handler: (event, ctx) =>
            runFromEvent(event, ctx as ScfContext, {
              env: envFor(emulator, { ROTATION_REGIONS: REGIONS.join(',') }),
              write: (line) => subLines.push(line),
            }),
        },
      },
    });
    const env = {
      ROTATION_REGIONS: REGIONS.join(','),
      ROTATION_FANOUT: 'true',
      ROTATION_SCF_ENDPOINT: emulator.url,
    };

    // Act
    const { report, events } = await invoke(
      emulator,
      timerEvent(),
      env,
      {},
      context({ function_name: 'cvm-password-rotator', namespace: 'default' }),
    );
    await emulator.state.scf.settle();

    // Assess: the fan-out run changed nothing itself and started one run per region.
    expect(report.status).toBe('succeeded');
    expect(report.instances).toHaveLength(0);
    expect(report.fanout?.map((f) => f.region)).toEqual([...REGIONS].sort());
    expect(events.filter((e) => e.event === 'run.fanout.invoked')).toHaveLength(3);
    const invocations = emulator.state.scf.invocations();
    expect(invocations).toHaveLength(3);
    expect(
      invocations.every((i) => i.invocationType === 'Event' && i.resultStatus === 'succeeded'),
    ).toBe(true);
    expect(new Set(invocations.map((i) => i.functionRequestId))).toEqual(
      new Set(report.fanout?.map((f) => f.functionRequestId)),
    );
    for (const seed of fleet) expectNewestIsActual(emulator, seed.InstanceId as string);
    // Each region was rotated under its own lock, and no sub-run fanned out again.
    for (const region of REGIONS)
      expect(emulator.state.ssm.secret(region, 'cvm-password-lock')).toBeDefined();
    const subStarts = subLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.event === 'run.started');
    expect(subStarts).toHaveLength(3);
    expect(subStarts.every((e) => e.mode === undefined && e.trigger === 'manual')).toBe(true);
  });

  it('refuses to fan out without a function name in the SCF context, before any change', async () => {
    // Prepare
    emulator = await startTestEmulator({ fleet: testFleet({ count: 4, regions: REGIONS }) });

    // Act
    const outcome = await invoke(
      emulator,
      timerEvent(),
      {
        ROTATION_REGIONS: REGIONS.join(','),
        ROTATION_FANOUT: 'true',
        ROTATION_SCF_ENDPOINT: emulator.url,
      },
      {},
      context({ function_name: undefined }),
    ).catch((error: unknown) => error as Error);

    // Assess
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(/ROTATION_FANOUT.*function_name/);
    expect(emulator.state.calls()).toHaveLength(0);
  });
});
