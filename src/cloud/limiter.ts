import PQueue from 'p-queue';
import type { Clock } from './ports';

/**
 * Client-side pacing at the documented per-API, per-region limits (facts/tencent-cloud-api.md
 * §4.1), so that a fleet run spends its budget on work instead of `RequestLimitExceeded`
 * answers. Tencent's limits behave like a token bucket; p-queue counts starts per fixed window,
 * so the window is 100 ms with a tenth of the rate: bursts stay well inside one second's bucket.
 */
export const API_RATE_LIMITS: Readonly<Record<string, number>> = {
  DescribeInstances: 40,
  DescribeImages: 40,
  ResetInstancesPassword: 10,
  CreateSecret: 100,
  PutSecretValue: 100,
  GetSecretValue: 300,
  UpdateSecret: 50,
  ListSecretVersionIds: 40,
  ListSecrets: 30,
  DeleteSecretVersion: 50,
  DescribeSecret: 40,
};

const WINDOWS_PER_SECOND = 10;

export class ApiLimiter {
  private readonly queues = new Map<string, PQueue>();

  constructor(
    private readonly clock: Clock,
    /** Fraction of the documented rate to use; a little headroom absorbs clock skew. */
    private readonly headroom = 0.95,
    private readonly limits: Readonly<Record<string, number>> = API_RATE_LIMITS,
  ) {}

  run<T>(action: string, region: string, fn: () => Promise<T>): Promise<T> {
    const key = `${action}|${region}`;
    let queue = this.queues.get(key);
    if (!queue) {
      const rate = (this.limits[action] ?? 20) * this.headroom;
      const perWindow = Math.max(1, Math.floor(rate / WINDOWS_PER_SECOND));
      // Slow APIs (< 10/s) get a longer window so the rate stays right.
      const interval = ((1000 / rate) * perWindow) / this.clock.scale;
      queue = new PQueue({
        intervalCap: perWindow,
        interval: Math.max(1, interval),
        carryoverConcurrencyCount: true,
      });
      this.queues.set(key, queue);
    }
    return queue.add(fn, { throwOnTimeout: true }) as Promise<T>;
  }
}
