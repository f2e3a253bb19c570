import type { CloudError } from '../../errors';
import type { ApiLimiter } from '../limiter';
import type { Clock } from '../ports';
import { withRetry } from '../retry';
import { toCloudError } from './errors';

export interface CallOptions {
  readonly limiter: ApiLimiter;
  readonly clock: Clock;
  /** Which failures are worth another attempt (never validation, auth or unknown errors). */
  readonly retryable: (error: CloudError) => boolean;
  /** Runs right before each attempt is sent, after pacing (e.g. the region-lock check). */
  readonly beforeSend?: (action: string, region: string) => void;
}

/**
 * One SDK call as every adapter makes it: paced per (action, region), the SDK's exception turned
 * into a CloudError that keeps `code` and `requestId`, and retried with backoff only when
 * `retryable` says so. Each retry queues for pacing again.
 */
export function callTencent<T>(
  action: string,
  region: string,
  fn: () => Promise<T>,
  options: CallOptions,
): Promise<T> {
  return withRetry(
    () =>
      options.limiter.run(action, region, async () => {
        options.beforeSend?.(action, region);
        try {
          return await fn();
        } catch (error) {
          throw toCloudError(error, action, region);
        }
      }),
    options.retryable,
    options.clock,
  );
}
