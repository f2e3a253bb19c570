import type { Clock, CvmPort, InstanceInfo } from '../cloud/ports';

export type ResetOutcome =
  | { readonly kind: 'success'; readonly instance: InstanceInfo }
  | { readonly kind: 'failed'; readonly instance: InstanceInfo; readonly message: string }
  /** Another operation replaced ours in LatestOperation*: whether ours applied is unknown. */
  | { readonly kind: 'overwritten'; readonly instance: InstanceInfo }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'gone' };

interface Waiter {
  readonly instanceId: string;
  /** The reset's RequestId, or undefined to wait only until no operation is in progress. */
  readonly requestId: string | undefined;
  /** LatestOperationRequestId before our call: seeing it again means the API lags, not overwrite. */
  readonly before: string | null;
  readonly until: number;
  readonly resolve: (outcome: ResetOutcome) => void;
}

/**
 * Resets take 5–40 s (facts §1.2); polling every 1–2 s finds a completion within two seconds and
 * costs about one DescribeInstances call per second per region (100 ids a call) of the 40 allowed.
 */
const FIRST_POLL_MS = 1_000;
const MAX_POLL_MS = 2_000;
/** DescribeInstances takes at most 100 InstanceIds (facts §2.1). */
const IDS_PER_CALL = 100;

/**
 * Verifies asynchronous resets for one region. ResetInstancesPassword only answers a RequestId;
 * success is `LatestOperation = ResetInstancesPassword`, `LatestOperationRequestId = ours` and
 * `LatestOperationState = SUCCESS` in DescribeInstances (facts §1.2, gotcha 1). All waiters of a
 * region share one polling loop that asks for up to 100 instances per call, so thousands of
 * pending resets cost tens of calls per round, not thousands.
 */
export class ResetWatcher {
  private readonly waiters = new Map<string, Waiter>();
  private running = false;
  private delay = FIRST_POLL_MS;

  constructor(
    private readonly cvm: CvmPort,
    private readonly region: string,
    private readonly clock: Clock,
    private readonly onPollError: (error: unknown) => void,
  ) {}

  /** Resolves when the reset `requestId` on `instanceId` ends, is overwritten, or `until` passes. */
  wait(
    instanceId: string,
    requestId: string | undefined,
    before: string | null,
    until: number,
  ): Promise<ResetOutcome> {
    return new Promise((resolve) => {
      this.waiters.get(instanceId)?.resolve({ kind: 'timeout' });
      this.waiters.set(instanceId, { instanceId, requestId, before, until, resolve });
      this.delay = FIRST_POLL_MS;
      if (!this.running) {
        this.running = true;
        void this.loop();
      }
    });
  }

  private async loop(): Promise<void> {
    try {
      while (this.waiters.size > 0) {
        await this.clock.sleep(this.delay);
        this.delay = Math.min(MAX_POLL_MS, this.delay * 1.5);
        await this.pollOnce();
      }
    } finally {
      this.running = false;
    }
  }

  private async pollOnce(): Promise<void> {
    const ids = [...this.waiters.keys()];
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) chunks.push(ids.slice(i, i + IDS_PER_CALL));
    await Promise.all(
      chunks.map(async (chunk) => {
        let found: readonly InstanceInfo[];
        try {
          found = await this.cvm.describeByIds(this.region, chunk);
        } catch (error) {
          // Keep waiting: a failed poll says nothing about the reset. `until` still bounds it.
          this.onPollError(error);
          this.expire(chunk);
          return;
        }
        const byId = new Map(found.map((i) => [i.instanceId, i]));
        for (const id of chunk) this.judge(id, byId.get(id));
      }),
    );
  }

  private expire(ids: readonly string[]): void {
    const now = this.clock.now();
    for (const id of ids) {
      const waiter = this.waiters.get(id);
      if (waiter && now >= waiter.until) this.settle(waiter, { kind: 'timeout' });
    }
  }

  private settle(waiter: Waiter, outcome: ResetOutcome): void {
    if (this.waiters.get(waiter.instanceId) === waiter) this.waiters.delete(waiter.instanceId);
    waiter.resolve(outcome);
  }

  private judge(id: string, instance: InstanceInfo | undefined): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    if (!instance) {
      this.settle(waiter, { kind: 'gone' });
      return;
    }
    const state = instance.latestOperationState;
    if (waiter.requestId === undefined) {
      if (state !== 'OPERATING') this.settle(waiter, { kind: 'success', instance });
    } else if (instance.latestOperationRequestId === waiter.requestId) {
      if (state === 'SUCCESS' && instance.latestOperation === 'ResetInstancesPassword') {
        this.settle(waiter, { kind: 'success', instance });
      } else if (state === 'FAILED') {
        this.settle(waiter, {
          kind: 'failed',
          instance,
          message: instance.latestOperationErrorMsg || 'the reset ended FAILED',
        });
      }
    } else if (instance.latestOperationRequestId !== waiter.before) {
      this.settle(waiter, { kind: 'overwritten', instance });
    }
    if (this.waiters.get(id) === waiter && this.clock.now() >= waiter.until) {
      this.settle(waiter, { kind: 'timeout' });
    }
  }
}
