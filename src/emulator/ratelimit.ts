import type { Clock } from './clock';

/**
 * Documented default limits in requests per second, per API × region × sub-account
 * (facts/tencent-cloud-api.md §4.1; the per-sub-account dimension is an inference the facts
 * mark [I], applied here as per SecretId).
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, number>> = {
  // CVM 2017-03-12
  DescribeInstances: 40,
  DescribeImages: 40,
  ResetInstancesPassword: 10,
  // SSM 2019-09-23
  CreateSecret: 100,
  PutSecretValue: 100,
  GetSecretValue: 300,
  UpdateSecret: 50,
  DescribeSecret: 40,
  ListSecretVersionIds: 40,
  ListSecrets: 30,
  DeleteSecretVersion: 50,
  DeleteSecret: 50,
  EnableSecret: 50,
  DisableSecret: 50,
  RestoreSecret: 50,
  UpdateDescription: 50,
  // SCF 2018-04-16 (Invoke: not in the facts' table; 1000 is the async-run QPS limit, §6)
  Invoke: 1000,
};

/**
 * Token buckets keyed by (action, region, secretId). A bucket holds one second's worth of
 * tokens and refills continuously, so a steady client at the limit is never refused while a
 * burst above it is.
 *
 * Buckets refill on EMULATED time, like every other time-based behaviour of the emulator except
 * signature timestamps: a benchmark that runs the clock 20 times faster runs the rotator's own
 * clock (and its pacing) 20 times faster too, and must meet "10 resets per emulated second" to
 * measure emulated seconds faithfully. A client on the real clock against a scaled emulator is a
 * misconfiguration, not a faithful test.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    public limits: Record<string, number>,
  ) {}

  /** Takes a token; false means the caller must answer `RequestLimitExceeded`. */
  take(action: string, region: string, secretId: string): boolean {
    const rate = this.limits[action];
    if (rate === undefined || rate <= 0) return true;
    const key = `${action}\u0000${region}\u0000${secretId}`;
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: rate, at: now };
    const seconds = (now - bucket.at) / 1000;
    bucket.tokens = Math.min(rate, bucket.tokens + seconds * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
