import { CloudError } from '../../errors';

/**
 * Codes that mean "try again later" and nothing else (facts §4.1, §4.2): throttling, and the
 * internal errors (CVM says `InternalServerError`, SSM `InternalError`). Validation, auth,
 * quota and state errors are never retried.
 */
const TRANSIENT_CODES = new Set([
  'RequestLimitExceeded',
  'RequestLimitExceeded.UinLimitExceeded',
  'RequestLimitExceeded.IPLimitExceeded',
  'RequestLimitExceeded.GlobalRegionUinLimitExceeded',
  'InternalServerError',
  'InternalError',
  'ServiceUnavailable',
]);

export const NETWORK_ERROR = 'NetworkError';

interface SdkException {
  code?: unknown;
  requestId?: unknown;
  message?: unknown;
  httpCode?: unknown;
}

/**
 * Turns whatever the SDK threw into a CloudError that keeps the Tencent `code` and `requestId`.
 * The Node SDK throws `TencentCloudSDKHttpException` with `.code` for API errors and without a
 * code for transport failures and non-200 answers (facts §4.3); those become `NetworkError`.
 * The SDK's message can quote the request URL but never the body, so it carries no secret.
 */
export function toCloudError(error: unknown, action: string, region: string): CloudError {
  if (error instanceof CloudError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkException;
  const code = typeof e.code === 'string' && e.code !== '' ? e.code : NETWORK_ERROR;
  const requestId = typeof e.requestId === 'string' && e.requestId !== '' ? e.requestId : undefined;
  const message = typeof e.message === 'string' ? e.message : String(error);
  return new CloudError(message, {
    code,
    action,
    region,
    transient: code === NETWORK_ERROR || TRANSIENT_CODES.has(code),
    ...(requestId === undefined ? {} : { requestId }),
    cause: error,
  });
}

export const isThrottle = (error: CloudError): boolean =>
  error.code.startsWith('RequestLimitExceeded');
