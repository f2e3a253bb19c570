import { cvm } from 'tencentcloud-sdk-nodejs-cvm';
import { ssm } from 'tencentcloud-sdk-nodejs-ssm';
import { expect } from 'vitest';
import { DEFAULT_CREDENTIAL, type Emulator } from '../../src/emulator';

export interface ClientOptions {
  region?: string;
  secretId?: string;
  secretKey?: string;
  token?: string;
  reqMethod?: 'POST' | 'GET';
  signMethod?: 'TC3-HMAC-SHA256' | 'HmacSHA256' | 'HmacSHA1';
}

function clientConfig(emulator: Emulator, options: ClientOptions) {
  return {
    credential: {
      secretId: options.secretId ?? DEFAULT_CREDENTIAL.secretId,
      secretKey: options.secretKey ?? DEFAULT_CREDENTIAL.secretKey,
      ...(options.token === undefined ? {} : { token: options.token }),
    },
    region: options.region ?? 'ap-guangzhou',
    profile: {
      ...(options.signMethod ? { signMethod: options.signMethod } : {}),
      httpProfile: {
        protocol: 'http://',
        endpoint: emulator.endpoint,
        reqMethod: options.reqMethod ?? 'POST',
        reqTimeout: 30,
      },
    },
  };
}

/** The real CVM SDK client, pointed at the emulator. */
export function cvmClient(emulator: Emulator, options: ClientOptions = {}) {
  return new cvm.v20170312.Client(clientConfig(emulator, options) as never);
}

/** The real SSM SDK client, pointed at the emulator. */
export function ssmClient(emulator: Emulator, options: ClientOptions = {}) {
  return new ssm.v20190923.Client(clientConfig(emulator, options) as never);
}

/** Asserts that a promise from the SDK rejects with the given Tencent error code. */
export async function expectTencentError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}, got success`).toBeDefined();
  expect((error as { code?: string }).code).toBe(code);
  expect((error as { requestId?: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
}
