import pRetry, { AbortError } from 'p-retry';
import { CloudError } from '../errors';
import type { Clock } from './ports';

export interface RetryPolicy {
  /** Retries after the first attempt for internal and network errors. */
  readonly retries: number;
  /**
   * Retries for throttling. `RequestLimitExceeded` means only "not now", and the limits are
   * per API and region (facts §4.1), so it earns a longer budget than a failing backend.
   */
  readonly throttleRetries: number;
  /** First backoff, ms (rotator time; divided by the clock's scale). */
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  retries: 6,
  throttleRetries: 20,
  minTimeoutMs: 200,
  maxTimeoutMs: 8_000,
};

const isThrottling = (error: CloudError) => error.code.startsWith('RequestLimitExceeded');

/**
 * Runs `fn`, retrying only errors the caller marks transient, with capped, jittered exponential
 * backoff (p-retry). Unknown errors and validation or auth errors are thrown at once: retrying
 * them only hides bugs and burns the rate limit (style.md §2.5).
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  shouldRetry: (error: CloudError) => boolean,
  clock: Clock,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  let failures = 0;
  return pRetry(
    async () => {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof CloudError && shouldRetry(error)) {
          if (!isThrottling(error) && ++failures > policy.retries) throw new AbortError(error);
          throw error;
        }
        throw new AbortError(error as Error);
      }
    },
    {
      retries: policy.throttleRetries + policy.retries,
      factor: 2,
      minTimeout: policy.minTimeoutMs / clock.scale,
      maxTimeout: policy.maxTimeoutMs / clock.scale,
      randomize: true,
    },
  );
}
