/** Credentials for the Tencent SDK clients, taken from the function's environment. */
export interface TencentCredentials {
  readonly secretId: string;
  readonly secretKey: string;
  /** Present for temporary keys, such as the SCF execution role's; the API refuses them without it. */
  readonly token?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/**
 * SCF injects the execution role's temporary keys as `TENCENTCLOUD_SECRETID` /
 * `TENCENTCLOUD_SECRETKEY` / `TENCENTCLOUD_SESSIONTOKEN` (no underscores), while the Node SDK's own
 * environment provider reads `TENCENTCLOUD_SECRET_ID` / `_SECRET_KEY` / `_SESSION_TOKEN`
 * (https://www.tencentcloud.com/document/product/583/32748; facts §5.3, §6). The SDK's default
 * provider would then fall through to the CVM metadata endpoint, so credentials are always passed
 * explicitly, token included. The SCF names win; a set is taken whole, never mixed.
 *
 * Returns undefined when neither set is complete; the caller reports which variables are missing.
 */
export function credentialsFromEnv(env: Env): TencentCredentials | undefined {
  const sets: Array<[string, string, string]> = [
    ['TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY', 'TENCENTCLOUD_SESSIONTOKEN'],
    ['TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'TENCENTCLOUD_SESSION_TOKEN'],
  ];
  for (const [idName, keyName, tokenName] of sets) {
    const secretId = nonEmpty(env[idName]);
    const secretKey = nonEmpty(env[keyName]);
    if (secretId && secretKey) {
      const token = nonEmpty(env[tokenName]);
      return token ? { secretId, secretKey, token } : { secretId, secretKey };
    }
  }
  return undefined;
}
