import { ApiError } from '../errors';

/**
 * The documented SSM input rules, as named constants and checks that throw the codes the real
 * service answers. Sources: facts/tencent-cloud-api.md §3.1/§3.2 (CreateSecret and PutSecretValue
 * docs, https://www.tencentcloud.com/document/api/1078/38656 and /38645).
 */

/** "最长128字节，使用字母、数字或者 - _ 的组合，第一个字符必须为字母或者数字". */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** "最长64 字节，使用字母、数字或者 - _ . 的组合并且以字母或数字开头". */
export const VERSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** CreateSecret: "若为空…则该版本号默认为 SSM_Current". */
export const DEFAULT_VERSION_ID = 'SSM_Current';

/** Description: "最大支持2048字节" (CreateSecret, UpdateDescription). */
export const DESCRIPTION_MAX_BYTES = 2048;

/** DeleteSecret: "0（默认）表示立即删除， 1-30 表示预留的天数". */
export const MAX_RECOVERY_WINDOW_DAYS = 30;

/** ListSecrets: "0或不设置则使用默认值 20". */
export const LIST_DEFAULT_LIMIT = 20;

/**
 * ListSecrets' maximum Limit is undocumented. 100 is the ceiling most API 3.0 list actions use
 * (DescribeInstances, facts §2.1); the emulator refuses more so clients page properly. [I]
 */
export const LIST_MAX_LIMIT = 100;

/** Strict RFC 4648 base64 (padded, standard alphabet): what "使用base64编码" means for SecretBinary. */
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function invalid(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

export function checkSecretName(name: string): string {
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw invalid(
      'The SecretName must be 1-128 characters of letters, digits, - and _, starting with a letter or digit.',
    );
  }
  return name;
}

export function checkVersionId(versionId: string): string {
  if (!VERSION_ID_PATTERN.test(versionId)) {
    throw invalid(
      'The VersionId must be 1-64 characters of letters, digits, -, _ and ., starting with a letter or digit.',
    );
  }
  return versionId;
}

export function checkDescription(description: string): string {
  if (Buffer.byteLength(description, 'utf8') > DESCRIPTION_MAX_BYTES) {
    throw invalid(`The Description must not exceed ${DESCRIPTION_MAX_BYTES} bytes.`);
  }
  return description;
}

/** A secret value as stored: exactly one of the two is non-empty. */
export interface SecretValue {
  SecretString?: string;
  SecretBinary?: string;
}

/**
 * "SecretBinary 和 SecretString 必须且只能设置一个，最大支持32KB字节". An empty string counts as
 * not set, because the API itself answers the unset one as "" (GetSecretValue example,
 * CLI-SSM examples.json) — so "" cannot be told apart from absent. The 32 KB limit is measured in
 * UTF-8 bytes for SecretString and in decoded bytes for SecretBinary.
 */
export function checkSecretValue(params: Record<string, unknown>, maxBytes: number): SecretValue {
  const text = typeof params.SecretString === 'string' ? params.SecretString : '';
  const binary = typeof params.SecretBinary === 'string' ? params.SecretBinary : '';
  if (text !== '' && binary !== '') {
    throw invalid('Only one of SecretString and SecretBinary can be set.');
  }
  if (text === '' && binary === '') {
    throw invalid('One of SecretString and SecretBinary must be set.');
  }
  if (text !== '') {
    if (Buffer.byteLength(text, 'utf8') > maxBytes) {
      throw invalid(`The SecretString must not exceed ${maxBytes} bytes.`);
    }
    return { SecretString: text };
  }
  if (!BASE64_PATTERN.test(binary)) {
    throw invalid('The SecretBinary must be base64 encoded.');
  }
  if (Buffer.from(binary, 'base64').length > maxBytes) {
    throw invalid(`The decoded SecretBinary must not exceed ${maxBytes} bytes.`);
  }
  return { SecretBinary: binary };
}

/** An optional integer parameter restricted to a set of values; `fallback` when absent. */
export function checkEnum(
  params: Record<string, unknown>,
  name: string,
  allowed: readonly number[],
  fallback: number,
): number {
  const value = params[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !allowed.includes(value)) {
    throw invalid(`The ${name} must be one of ${allowed.join(', ')}.`);
  }
  return value;
}
