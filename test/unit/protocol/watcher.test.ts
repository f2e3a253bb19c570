/**
 * ResetWatcher (src/protocol/watcher.ts) with a plain fake of our CvmPort and a fake Clock whose
 * sleep moves time at once, so polls happen back to back in emulated time.
 */
import { describe, expect, it } from 'vitest';
import type { Clock, CvmPort, InstanceInfo } from '../../../src/cloud/ports';
import { CloudError } from '../../../src/errors';
import { ResetWatcher } from '../../../src/protocol/watcher';

const REGION = 'ap-guangzhou';
const T0 = Date.UTC(2026, 10, 29, 3, 0, 0);
const OURS = 'req-ours';
const BEFORE = 'req-before';

class FakeClock implements Clock {
  readonly scale = 1;
  t = T0;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

function instance(id: string, patch: Partial<InstanceInfo> = {}): InstanceInfo {
  return {
    instanceId: id,
    region: REGION,
    name: id,
    state: 'STOPPED',
    osName: 'CentOS 7.9 64bit',
    imageId: 'img-00000001',
    tags: [],
    stopChargingMode: 'KEEP_CHARGING',
    defaultLoginUser: 'root',
    latestOperation: 'ResetInstancesPassword',
    latestOperationState: 'OPERATING',
    latestOperationRequestId: OURS,
    latestOperationErrorMsg: '',
    ...patch,
  };
}

/** What DescribeInstances answers for an instance at its nth poll (1-based); undefined = absent. */
type Script = (poll: number, id: string) => Partial<InstanceInfo> | undefined | Error;

/** A CvmPort whose describeByIds follows `script`; nothing else may be called. */
class FakeCvm implements CvmPort {
  readonly calls: string[][] = [];
  private readonly polls = new Map<string, number>();
  constructor(private readonly script: Script) {}

  async describeByIds(region: string, ids: readonly string[]): Promise<readonly InstanceInfo[]> {
    expect(region).toBe(REGION);
    expect(ids.length).toBeLessThanOrEqual(100);
    this.calls.push([...ids]);
    const out: InstanceInfo[] = [];
    for (const id of ids) {
      const poll = (this.polls.get(id) ?? 0) + 1;
      this.polls.set(id, poll);
      const answer = this.script(poll, id);
      if (answer instanceof Error) throw answer;
      if (answer) out.push(instance(id, answer));
    }
    return out;
  }
  describeByTags(): never {
    throw new Error('not used');
  }
  describeImages(): never {
    throw new Error('not used');
  }
  resetPassword(): never {
    throw new Error('the watcher never resets');
  }
}

function watcher(script: Script) {
  const clock = new FakeClock();
  const cvm = new FakeCvm(script);
  const pollErrors: unknown[] = [];
  const w = new ResetWatcher(cvm, REGION, clock, (error) => pollErrors.push(error));
  return { w, clock, cvm, pollErrors };
}

const ID = 'ins-00000001';

describe('ResetWatcher', () => {
  it('reports success once our RequestId shows SUCCESS for ResetInstancesPassword', async () => {
    // Prepare
    const { w, clock, cvm } = watcher((poll) =>
      poll < 3 ? {} : { latestOperationState: 'SUCCESS' },
    );

    // Act
    const outcome = await w.wait(ID, OURS, BEFORE, T0 + 60_000);

    // Assess: three polls, backing off from 1 s.
    expect(outcome.kind).toBe('success');
    expect(outcome.kind === 'success' && outcome.instance.instanceId).toBe(ID);
    expect(cvm.calls).toHaveLength(3);
    expect(clock.sleeps).toEqual([1_000, 1_500, 2_000]);
  });

  it('caps the polling interval at 2 s', async () => {
    // Prepare
    const { w, clock } = watcher((poll) => (poll < 8 ? {} : { latestOperationState: 'SUCCESS' }));

    // Act
    await w.wait(ID, OURS, BEFORE, T0 + 600_000);

    // Assess
    expect(Math.max(...clock.sleeps)).toBe(2_000);
    expect(clock.sleeps.slice(-3)).toEqual([2_000, 2_000, 2_000]);
  });

  it('reports FAILED with the API message, or a default one when the message is empty', async () => {
    // Prepare
    const failed = watcher(() => ({
      latestOperationState: 'FAILED',
      latestOperationErrorMsg: 'agent did not confirm',
    }));
    const silent = watcher(() => ({ latestOperationState: 'FAILED', latestOperationErrorMsg: '' }));

    // Act
    const withMessage = await failed.w.wait(ID, OURS, BEFORE, T0 + 60_000);
    const withoutMessage = await silent.w.wait(ID, OURS, BEFORE, T0 + 60_000);

    // Assess
    expect(withMessage).toMatchObject({ kind: 'failed', message: 'agent did not confirm' });
    expect(withoutMessage.kind).toBe('failed');
    expect(withoutMessage.kind === 'failed' && withoutMessage.message).not.toBe('');
  });

  it('reports overwritten when another operation replaced ours in LatestOperation*', async () => {
    // Prepare
    const { w } = watcher((poll) =>
      poll === 1
        ? {}
        : {
            latestOperation: 'StartInstances',
            latestOperationState: 'OPERATING',
            latestOperationRequestId: 'req-someone-else',
          },
    );

    // Act
    const outcome = await w.wait(ID, OURS, BEFORE, T0 + 60_000);

    // Assess
    expect(outcome.kind).toBe('overwritten');
    expect(outcome.kind === 'overwritten' && outcome.instance.latestOperationRequestId).toBe(
      'req-someone-else',
    );
  });

  it('keeps waiting while the API still shows the previous RequestId (lag), then sees ours', async () => {
    // Prepare
    const { w, cvm } = watcher((poll) =>
      poll <= 2
        ? { latestOperationState: 'SUCCESS', latestOperationRequestId: BEFORE }
        : { latestOperationState: 'SUCCESS' },
    );

    // Act
    const outcome = await w.wait(ID, OURS, BEFORE, T0 + 60_000);

    // Assess
    expect(outcome.kind).toBe('success');
    expect(cvm.calls).toHaveLength(3);
  });

  it('treats a previous RequestId as lag even when there was none before (null)', async () => {
    // Prepare: an instance never operated on shows no LatestOperation at first.
    const { w } = watcher((poll) =>
      poll === 1
        ? { latestOperation: null, latestOperationState: null, latestOperationRequestId: null }
        : { latestOperationState: 'SUCCESS' },
    );

    // Act / Assess
    expect((await w.wait(ID, OURS, null, T0 + 60_000)).kind).toBe('success');
  });

  it('does not take SUCCESS of another action carrying our RequestId for a reset', async () => {
    // Prepare
    const { w } = watcher(() => ({
      latestOperation: 'StopInstances',
      latestOperationState: 'SUCCESS',
    }));

    // Act / Assess
    expect((await w.wait(ID, OURS, BEFORE, T0 + 20_000)).kind).toBe('timeout');
  });

  it('reports gone when the instance no longer exists', async () => {
    // Prepare
    const { w } = watcher((poll) => (poll === 1 ? {} : undefined));

    // Act / Assess
    expect((await w.wait(ID, OURS, BEFORE, T0 + 60_000)).kind).toBe('gone');
  });

  it('times out at `until` while the reset stays OPERATING, polling a bounded number of times', async () => {
    // Prepare
    const { w, clock, cvm } = watcher(() => ({}));

    // Act
    const outcome = await w.wait(ID, OURS, BEFORE, T0 + 30_000);

    // Assess
    expect(outcome.kind).toBe('timeout');
    expect(clock.now()).toBeGreaterThanOrEqual(T0 + 30_000);
    expect(clock.now()).toBeLessThan(T0 + 30_000 + 2_000);
    // 1 s, 1.5 s, then every 2 s: at most 16 polls in 30 s.
    expect(cvm.calls.length).toBeLessThanOrEqual(16);
  });

  it('keeps waiting through failed polls, and times out if they never stop failing', async () => {
    // Prepare
    const throttled = new CloudError('slow down', {
      code: 'RequestLimitExceeded',
      action: 'DescribeInstances',
      region: REGION,
      transient: true,
    });
    const flaky = watcher((poll) => (poll <= 2 ? throttled : { latestOperationState: 'SUCCESS' }));
    const broken = watcher(() => throttled);

    // Act
    const recovered = await flaky.w.wait(ID, OURS, BEFORE, T0 + 60_000);
    const gaveUp = await broken.w.wait(ID, OURS, BEFORE, T0 + 20_000);

    // Assess
    expect(recovered.kind).toBe('success');
    expect(flaky.pollErrors).toHaveLength(2);
    expect(gaveUp.kind).toBe('timeout');
    expect(broken.pollErrors.length).toBeGreaterThan(0);
  });

  it('without a RequestId, waits only until no operation is in progress', async () => {
    // Prepare
    const { w } = watcher((poll) =>
      poll < 3
        ? {
            latestOperation: 'StartInstances',
            latestOperationState: 'OPERATING',
            latestOperationRequestId: 'req-x',
          }
        : {
            latestOperation: 'StartInstances',
            latestOperationState: 'SUCCESS',
            latestOperationRequestId: 'req-x',
            state: 'RUNNING',
          },
    );

    // Act
    const outcome = await w.wait(ID, undefined, null, T0 + 60_000);

    // Assess
    expect(outcome.kind).toBe('success');
    expect(outcome.kind === 'success' && outcome.instance.state).toBe('RUNNING');
  });

  it('polls every waiting instance of the region together, at most 100 ids per call', async () => {
    // Prepare
    const ids = Array.from({ length: 150 }, (_, i) => `ins-${String(i).padStart(8, '0')}`);
    const { w, cvm } = watcher((poll) => (poll < 2 ? {} : { latestOperationState: 'SUCCESS' }));

    // Act
    const outcomes = await Promise.all(ids.map((id) => w.wait(id, OURS, BEFORE, T0 + 60_000)));

    // Assess: two rounds of two calls (100 + 50), not 300 calls.
    expect(outcomes.every((o) => o.kind === 'success')).toBe(true);
    expect(cvm.calls.map((c) => c.length)).toEqual([100, 50, 100, 50]);
  });

  it('settles each waiter on its own verdict when instances of one poll differ', async () => {
    // Prepare
    const verdicts: Record<string, Partial<InstanceInfo> | undefined> = {
      'ins-0000000a': { latestOperationState: 'SUCCESS' },
      'ins-0000000b': { latestOperationState: 'FAILED', latestOperationErrorMsg: 'no' },
      'ins-0000000c': undefined,
      'ins-0000000d': { latestOperationRequestId: 'req-other', latestOperation: 'RebootInstances' },
    };
    const { w } = watcher((_poll, id) => verdicts[id]);

    // Act
    const outcomes = await Promise.all(
      Object.keys(verdicts).map((id) => w.wait(id, OURS, BEFORE, T0 + 60_000)),
    );

    // Assess
    expect(outcomes.map((o) => o.kind)).toEqual(['success', 'failed', 'gone', 'overwritten']);
  });

  it('ends an earlier wait on the same instance as a timeout when a new wait replaces it', async () => {
    // Prepare
    const { w } = watcher((poll) => (poll < 2 ? {} : { latestOperationState: 'SUCCESS' }));

    // Act
    const first = w.wait(ID, 'req-first', BEFORE, T0 + 60_000);
    const second = w.wait(ID, OURS, BEFORE, T0 + 60_000);

    // Assess
    expect((await first).kind).toBe('timeout');
    expect((await second).kind).toBe('success');
  });

  it('starts polling again for a wait that comes after the loop has stopped', async () => {
    // Prepare
    const { w, cvm } = watcher(() => ({ latestOperationState: 'SUCCESS' }));

    // Act
    const first = await w.wait(ID, OURS, BEFORE, T0 + 60_000);
    const second = await w.wait('ins-00000002', OURS, BEFORE, T0 + 60_000);

    // Assess
    expect([first.kind, second.kind]).toEqual(['success', 'success']);
    expect(cvm.calls).toEqual([[ID], ['ins-00000002']]);
  });
});
