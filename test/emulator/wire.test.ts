/**
 * Contract tests of the emulator's wire layer: signatures (TC3 and legacy), temporary
 * credentials, the two encodings, the response envelope, routing and parameter errors, rate
 * limits, fault injection and the call log. Requests go through the real Tencent SDK wherever it
 * can send them, and otherwise through raw HTTP signed by the independent test-side signer in
 * test/helpers/signer.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFromEnv } from '../../src/cloud/tencent/credentials';
import { DEFAULT_CREDENTIAL, type Emulator, startEmulator } from '../../src/emulator';
import { MAX_BODY_BYTES } from '../../src/emulator/server';
import { cvmClient, expectTencentError, ssmClient } from '../helpers/sdk';
import {
  legacyCall,
  legacySignature,
  parseEnvelope,
  type RawResponse,
  rawRequest,
  tc3Authorization,
  tc3Call,
  utcDate,
} from '../helpers/signer';

const CVM_VERSION = '2017-03-12';
const SSM_VERSION = '2019-09-23';
const REGION = 'ap-guangzhou';
const { secretId: ID, secretKey: KEY } = DEFAULT_CREDENTIAL;
/** Well-formed but absent: DescribeInstances answers an empty page, which makes it a cheap probe. */
const ABSENT_ID = 'ins-00000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Outcome = { ok: true } | { ok: false; code: string | undefined; message: string };

/** Settles an SDK promise into ok / Tencent code (undefined for a transport failure). */
async function outcome(promise: Promise<unknown>): Promise<Outcome> {
  try {
    await promise;
    return { ok: true };
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    return { ok: false, code: code === '' ? undefined : code, message: message ?? '' };
  }
}

function codes(outcomes: readonly Outcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.ok ? 'ok' : (o.code ?? 'network');
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const describeAbsent = (emulator: Emulator, options: Parameters<typeof cvmClient>[1] = {}) =>
  cvmClient(emulator, options).DescribeInstances({ InstanceIds: [ABSENT_ID] });

/** A raw TC3 DescribeInstances with the default credential; options override anything. */
const rawDescribe = (emulator: Emulator, options: Partial<Parameters<typeof tc3Call>[0]> = {}) =>
  tc3Call({
    port: emulator.port,
    secretId: ID,
    secretKey: KEY,
    action: 'DescribeInstances',
    version: CVM_VERSION,
    region: REGION,
    body: { InstanceIds: [ABSENT_ID] },
    ...options,
  });

function expectSuccess(response: RawResponse): void {
  expect(response.status).toBe(200);
  const envelope = parseEnvelope(response);
  expect(envelope.Response.Error).toBeUndefined();
  expect(envelope.Response.RequestId).toMatch(UUID);
}

function expectErrorCode(response: RawResponse, code: string): void {
  expect(response.status).toBe(200);
  const envelope = parseEnvelope(response);
  expect(envelope.Response.Error?.Code).toBe(code);
  expect(envelope.Response.Error?.Message).toEqual(expect.any(String));
  expect(envelope.Response.RequestId).toMatch(UUID);
}

/** An instance that ResetInstancesPassword accepts without ForceStop. */
function addStoppedLinux(emulator: Emulator, region = REGION): string {
  return emulator.state.cvm.addInstance({
    region,
    OsName: 'CentOS 7.9 64bit',
    InstanceState: 'STOPPED',
  }).InstanceId;
}

describe('TC3-HMAC-SHA256 signatures', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ rateLimits: false });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('accepts a TC3-signed POST from the real SDK and answers with a RequestId', async () => {
    // Act
    const response = await describeAbsent(emulator);

    // Assess
    expect(response.TotalCount).toBe(0);
    expect(response.InstanceSet).toEqual([]);
    expect(response.RequestId).toMatch(UUID);
  });

  it('refuses a request signed with the wrong key with AuthFailure.SignatureFailure', async () => {
    await expectTencentError(
      describeAbsent(emulator, { secretKey: 'not-the-key' }),
      'AuthFailure.SignatureFailure',
    );
  });

  it('refuses an unknown SecretId with AuthFailure.SecretIdNotFound', async () => {
    await expectTencentError(
      describeAbsent(emulator, { secretId: 'AKIDunknown0000000000000000000000000' }),
      'AuthFailure.SecretIdNotFound',
    );
  });

  it('refuses a timestamp more than five minutes from the server clock with AuthFailure.SignatureExpire', async () => {
    // Prepare
    const now = Math.floor(Date.now() / 1000);

    // Act
    const past = await rawDescribe(emulator, { timestamp: now - 6 * 60 });
    const future = await rawDescribe(emulator, { timestamp: now + 6 * 60 });

    // Assess
    expectErrorCode(past, 'AuthFailure.SignatureExpire');
    expectErrorCode(future, 'AuthFailure.SignatureExpire');
  });

  it('accepts a timestamp four minutes from the server clock', async () => {
    const now = Math.floor(Date.now() / 1000);

    const past = await rawDescribe(emulator, { timestamp: now - 4 * 60 });
    const future = await rawDescribe(emulator, { timestamp: now + 4 * 60 });

    expectSuccess(past);
    expectSuccess(future);
  });

  it.each([
    ['a garbled TC3 header', 'TC3-HMAC-SHA256 this is not a credential'],
    [
      'a short signature',
      `TC3-HMAC-SHA256 Credential=${ID}/2026-01-01/127/tc3_request, SignedHeaders=content-type;host, Signature=abc`,
    ],
    [
      'a scope without tc3_request',
      `TC3-HMAC-SHA256 Credential=${ID}/2026-01-01/127, SignedHeaders=content-type;host, Signature=${'0'.repeat(64)}`,
    ],
    ['another scheme', 'Bearer abc.def.ghi'],
  ])(
    'refuses a malformed Authorization header (%s) with AuthFailure.InvalidAuthorization',
    async (_name, authorization) => {
      const response = await rawDescribe(emulator, { authorization });

      expectErrorCode(response, 'AuthFailure.InvalidAuthorization');
    },
  );

  it('refuses SignedHeaders without host with AuthFailure.InvalidAuthorization', async () => {
    // Prepare: a signature that is valid for what it covers, but covers only content-type
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ InstanceIds: [ABSENT_ID] });
    const authorization = tc3Authorization({
      secretId: ID,
      secretKey: KEY,
      method: 'POST',
      signedHeaders: { 'content-type': 'application/json' },
      body,
      timestamp,
      service: '127',
    });

    // Act
    const response = await rawDescribe(emulator, { body, timestamp, authorization });

    // Assess
    expectErrorCode(response, 'AuthFailure.InvalidAuthorization');
  });

  it.each(['127', 'cvm', 'ssm', 'anything'])(
    'verifies a signature whose credential scope names the service "%s"',
    async (service) => {
      const response = await rawDescribe(emulator, { service });

      expectSuccess(response);
    },
  );

  it.each([
    ['without the port, as the Node SDK signs it', false],
    ['with the port, as the Go SDK signs it', true],
  ])('verifies the host signed %s', async (_name, signHostWithPort) => {
    const response = await rawDescribe(emulator, { signHostWithPort, service: 'cvm' });

    expectSuccess(response);
  });

  it('refuses a body changed after signing with AuthFailure.SignatureFailure', async () => {
    // Prepare
    const timestamp = Math.floor(Date.now() / 1000);
    const authorization = tc3Authorization({
      secretId: ID,
      secretKey: KEY,
      method: 'POST',
      signedHeaders: { 'content-type': 'application/json', host: '127.0.0.1' },
      body: JSON.stringify({ InstanceIds: [ABSENT_ID] }),
      timestamp,
      service: '127',
    });

    // Act
    const response = await rawDescribe(emulator, {
      timestamp,
      authorization,
      body: { InstanceIds: ['ins-11111111'] },
    });

    // Assess
    expectErrorCode(response, 'AuthFailure.SignatureFailure');
  });

  it('refuses a credential scope dated another day than X-TC-Timestamp with AuthFailure.SignatureFailure', async () => {
    // Prepare: signed correctly for a timestamp a day ago, sent with the current one
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ InstanceIds: [ABSENT_ID] });
    const authorization = tc3Authorization({
      secretId: ID,
      secretKey: KEY,
      method: 'POST',
      signedHeaders: { 'content-type': 'application/json', host: '127.0.0.1' },
      body,
      timestamp: now - 86_400,
      service: '127',
    });
    expect(authorization).toContain(`/${utcDate(now - 86_400)}/`);

    // Act
    const response = await rawDescribe(emulator, { timestamp: now, authorization, body });

    // Assess
    expectErrorCode(response, 'AuthFailure.SignatureFailure');
  });

  it("accepts the SDK's GET form with flattened arrays (Filters.0.Values.1)", async () => {
    // Prepare
    const tagged = emulator.state.cvm.addInstance({
      region: REGION,
      OsName: 'Ubuntu Server 22.04 LTS 64bit',
      InstanceState: 'RUNNING',
      Tags: [{ Key: 'rotate', Value: 'weekly' }],
    });
    const client = cvmClient(emulator, { reqMethod: 'GET' });

    // Act
    const response = await client.DescribeInstances({
      Filters: [{ Name: 'tag:rotate', Values: ['daily', 'weekly'] }],
      Limit: 100,
    });

    // Assess
    expect(response.InstanceSet?.map((i) => i.InstanceId)).toContain(tagged.InstanceId);
    const call = emulator.state.calls().at(-1);
    expect(call?.params).toEqual({
      Filters: [{ Name: 'tag:rotate', Values: ['daily', 'weekly'] }],
      Limit: 100,
    });
  });

  it('verifies a raw GET against the query exactly as sent, with characters a URL parser would re-encode', async () => {
    // Prepare: querystring leaves ' ( ) ! * ~ bare; a client may sign and send them bare
    const query = "Filters.0.Name=instance-name&Filters.0.Values.0=it's(1)&Limit=1";

    // Act
    const response = await rawDescribe(emulator, { method: 'GET', query });

    // Assess
    expectSuccess(response);
    expect(emulator.state.calls().at(-1)?.params).toEqual({
      Filters: [{ Name: 'instance-name', Values: ["it's(1)"] }],
      Limit: 1,
    });
  });

  it('round-trips through the SDK GET form a value with quotes, brackets and other specials', async () => {
    // Prepare
    const client = ssmClient(emulator, { reqMethod: 'GET' });
    const value = `it's (fine)! *~ "quoted" <tag> #1`;

    // Act
    await client.CreateSecret({ SecretName: 'quote-test', VersionId: 'v1', SecretString: value });
    const read = await client.GetSecretValue({ SecretName: 'quote-test', VersionId: 'v1' });

    // Assess
    expect(read.SecretString).toBe(value);
  });
});

describe('temporary credentials (session token)', () => {
  const temporary = {
    secretId: 'AKIDtemporary000000000000000000000000',
    secretKey: 'temporary-secret-key-0000000000000',
    token: 'session-token-0123456789abcdef',
  };
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ rateLimits: false, credentials: [temporary] });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('accepts the SDK when it sends the session token', async () => {
    const response = await describeAbsent(emulator, temporary);

    expect(response.TotalCount).toBe(0);
  });

  it('refuses the SDK without the session token with AuthFailure.TokenFailure', async () => {
    await expectTencentError(
      describeAbsent(emulator, { secretId: temporary.secretId, secretKey: temporary.secretKey }),
      'AuthFailure.TokenFailure',
    );
  });

  it('refuses the SDK with a wrong session token with AuthFailure.TokenFailure', async () => {
    await expectTencentError(
      describeAbsent(emulator, { ...temporary, token: 'session-token-of-someone-else' }),
      'AuthFailure.TokenFailure',
    );
  });

  it('refuses the legacy signature without the token with AuthFailure.TokenFailure', async () => {
    await expectTencentError(
      describeAbsent(emulator, {
        secretId: temporary.secretId,
        secretKey: temporary.secretKey,
        signMethod: 'HmacSHA256',
      }),
      'AuthFailure.TokenFailure',
    );
    const withToken = await describeAbsent(emulator, { ...temporary, signMethod: 'HmacSHA256' });
    expect(withToken.TotalCount).toBe(0);
  });

  it("passes with the SCF role's TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN read by credentialsFromEnv, and fails without the token", async () => {
    // Prepare: an SCF-like environment, in a copy; the SDK's own names are absent
    const env: Record<string, string | undefined> = { ...process.env };
    for (const name of [
      'TENCENTCLOUD_SECRET_ID',
      'TENCENTCLOUD_SECRET_KEY',
      'TENCENTCLOUD_SESSION_TOKEN',
    ]) {
      delete env[name];
    }
    env.TENCENTCLOUD_SECRETID = temporary.secretId;
    env.TENCENTCLOUD_SECRETKEY = temporary.secretKey;
    env.TENCENTCLOUD_SESSIONTOKEN = temporary.token;

    // Act
    const credentials = credentialsFromEnv(env);
    if (credentials === undefined) throw new Error('credentialsFromEnv found no credentials');
    const withToken = await outcome(
      describeAbsent(emulator, {
        secretId: credentials.secretId,
        secretKey: credentials.secretKey,
        ...(credentials.token === undefined ? {} : { token: credentials.token }),
      }),
    );
    const withoutToken = await outcome(
      describeAbsent(emulator, {
        secretId: credentials.secretId,
        secretKey: credentials.secretKey,
      }),
    );

    // Assess
    expect(env.TENCENTCLOUD_SECRET_ID).toBeUndefined();
    expect(env.TENCENTCLOUD_SECRET_KEY).toBeUndefined();
    expect(env.TENCENTCLOUD_SESSION_TOKEN).toBeUndefined();
    expect(credentials.token).toBe(temporary.token);
    expect(withToken).toEqual({ ok: true });
    expect(withoutToken).toMatchObject({ ok: false, code: 'AuthFailure.TokenFailure' });
  });
});

describe('legacy HmacSHA1 / HmacSHA256 signatures', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ rateLimits: false });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it.each([
    ['HmacSHA256', 'GET'],
    ['HmacSHA256', 'POST'],
    ['HmacSHA1', 'GET'],
    ['HmacSHA1', 'POST'],
  ] as const)("accepts the SDK's legacy %s signature over %s", async (signMethod, reqMethod) => {
    // Prepare
    const client = cvmClient(emulator, { signMethod, reqMethod });

    // Act
    const response = await client.DescribeInstances({
      Filters: [{ Name: 'instance-name', Values: ['a', 'b'] }],
      Limit: 5,
    });

    // Assess
    expect(response.TotalCount).toBe(0);
    expect(emulator.state.calls().at(-1)?.params).toEqual({
      Filters: [{ Name: 'instance-name', Values: ['a', 'b'] }],
      Limit: 5,
    });
  });

  it("refuses the SDK's legacy signature made with the wrong key with AuthFailure.SignatureFailure", async () => {
    await expectTencentError(
      describeAbsent(emulator, { signMethod: 'HmacSHA1', secretKey: 'wrong', reqMethod: 'GET' }),
      'AuthFailure.SignatureFailure',
    );
  });

  it('refuses a legacy request whose parameters were changed after signing with AuthFailure.SignatureFailure', async () => {
    // Prepare: sign for one instance, send another
    const host = `127.0.0.1:${emulator.port}`;
    const params: Record<string, string> = {
      Action: 'DescribeInstances',
      Version: CVM_VERSION,
      Region: REGION,
      'InstanceIds.0': ABSENT_ID,
      Timestamp: String(Math.floor(Date.now() / 1000)),
      Nonce: '4242',
      SecretId: ID,
      SignatureMethod: 'HmacSHA1',
    };
    params.Signature = legacySignature({
      method: 'GET',
      host,
      params,
      secretKey: KEY,
      algorithm: 'HmacSHA1',
    });
    params['InstanceIds.0'] = 'ins-11111111';

    // Act
    const response = await rawRequest({
      port: emulator.port,
      method: 'GET',
      path: `/?${new URLSearchParams(params).toString()}`,
    });

    // Assess
    expectErrorCode(response, 'AuthFailure.SignatureFailure');
  });

  it("accepts the seed's raw GET ResetInstancesPassword form signed with HmacSHA1", async () => {
    // Prepare
    const instanceId = emulator.state.cvm.addInstance({
      region: REGION,
      OsName: 'CentOS 7.9 64bit',
      InstanceState: 'RUNNING',
    }).InstanceId;
    const password = 'Seed-Passw0rd';

    // Act
    const response = await legacyCall({
      port: emulator.port,
      secretId: ID,
      secretKey: KEY,
      algorithm: 'HmacSHA1',
      params: {
        Action: 'ResetInstancesPassword',
        'InstanceIds.0': instanceId,
        Password: password,
        ForceStop: 'TRUE',
        Version: CVM_VERSION,
        Region: REGION,
      },
    });

    // Assess
    expectSuccess(response);
    const requestId = parseEnvelope(response).Response.RequestId;
    expect(emulator.state.cvm.instance(instanceId)?.LatestOperationRequestId).toBe(requestId);
    expect(emulator.state.calls().at(-1)).toMatchObject({
      action: 'ResetInstancesPassword',
      region: REGION,
      params: { InstanceIds: [instanceId], Password: '***', ForceStop: true },
    });
    await emulator.state.cvm.settle();
    expect(emulator.state.cvm.actualPassword(instanceId)).toBe(password);
  });

  it.each([
    ['HmacSHA256', 'POST', false],
    ['HmacSHA1', 'GET', true],
  ] as const)(
    'accepts a raw legacy %s %s request whether the host was signed with its port (%s) or not',
    async (algorithm, method, signHostWithoutPort) => {
      const response = await legacyCall({
        port: emulator.port,
        secretId: ID,
        secretKey: KEY,
        algorithm,
        method,
        signHostWithoutPort,
        params: { Action: 'DescribeInstances', Version: CVM_VERSION, Region: REGION, Limit: '1' },
      });

      expectSuccess(response);
    },
  );

  it('refuses a legacy request with a skewed Timestamp with AuthFailure.SignatureExpire', async () => {
    const response = await legacyCall({
      port: emulator.port,
      secretId: ID,
      secretKey: KEY,
      algorithm: 'HmacSHA256',
      timestamp: Math.floor(Date.now() / 1000) - 600,
      params: { Action: 'DescribeInstances', Version: CVM_VERSION, Region: REGION },
    });

    expectErrorCode(response, 'AuthFailure.SignatureExpire');
  });

  it('refuses an unsigned request with AuthFailure.InvalidAuthorization', async () => {
    const response = await rawRequest({
      port: emulator.port,
      method: 'GET',
      path: `/?Action=DescribeInstances&Version=${CVM_VERSION}&Region=${REGION}`,
    });

    expectErrorCode(response, 'AuthFailure.InvalidAuthorization');
  });
});

describe('the response envelope, routing and parameters', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ rateLimits: false });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('answers success and errors alike with HTTP 200, a JSON envelope with a RequestId, and the X-TC-TraceId echoed', async () => {
    // Prepare
    const traceIds = ['trace-success-1', 'trace-error-2', 'trace-auth-3'];

    // Act
    const success = await rawDescribe(emulator, { traceId: traceIds[0] });
    const error = await rawDescribe(emulator, { traceId: traceIds[1], action: 'NoSuchAction' });
    const auth = await rawDescribe(emulator, { traceId: traceIds[2], secretKey: 'wrong' });

    // Assess
    for (const [response, traceId] of [
      [success, traceIds[0]],
      [error, traceIds[1]],
      [auth, traceIds[2]],
    ] as const) {
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['x-tc-traceid']).toBe(traceId);
      const envelope = parseEnvelope(response);
      expect(Object.keys(envelope)).toEqual(['Response']);
      expect(envelope.Response.RequestId).toMatch(UUID);
    }
    expect(parseEnvelope(success).Response.Error).toBeUndefined();
    expect(Object.keys(parseEnvelope(error).Response.Error ?? {})).toEqual(['Code', 'Message']);
  });

  it("gives the SDK's exception the code, the RequestId and the echoed trace id", async () => {
    // Act
    const result = await describeAbsent(emulator, { secretKey: 'wrong' }).then(
      () => undefined,
      (e: unknown) => e as { code?: string; requestId?: string; traceId?: string },
    );

    // Assess
    expect(result?.code).toBe('AuthFailure.SignatureFailure');
    expect(result?.requestId).toMatch(UUID);
    expect(result?.traceId).toMatch(UUID);
  });

  it('answers a malformed JSON body with InvalidParameter and keeps serving', async () => {
    // Act
    const broken = await rawDescribe(emulator, { body: '{"InstanceIds": [' });
    const after = await describeAbsent(emulator);

    // Assess
    expectErrorCode(broken, 'InvalidParameter');
    expect(parseEnvelope(broken).Response.Error?.Message).toMatch(/JSON/);
    expect(after.TotalCount).toBe(0);
  });

  it.each([
    ['a JSON array', '[1,2,3]'],
    ['a JSON number', '42'],
    ['a JSON string', '"InstanceIds"'],
    ['JSON null', 'null'],
  ])('answers a body that is %s with InvalidParameter', async (_name, body) => {
    const response = await rawDescribe(emulator, { body });

    expectErrorCode(response, 'InvalidParameter');
  });

  it('accepts an empty POST body as no parameters', async () => {
    const response = await rawDescribe(emulator, { body: '' });

    expectSuccess(response);
  });

  it('answers an unknown action with InvalidAction', async () => {
    await expectTencentError(cvmClient(emulator).request('DescribeUnicorns', {}), 'InvalidAction');
  });

  it('answers a known action with a version that does not exist with NoSuchVersion', async () => {
    const unknownVersion = await rawDescribe(emulator, { version: '2099-01-01' });
    const ssmVersion = await rawDescribe(emulator, { version: SSM_VERSION });

    expectErrorCode(unknownVersion, 'NoSuchVersion');
    expectErrorCode(ssmVersion, 'NoSuchVersion');
  });

  it('answers a request without X-TC-Action with MissingParameter', async () => {
    const response = await rawDescribe(emulator, { action: undefined });

    expectErrorCode(response, 'MissingParameter');
  });

  it('answers a regional action without a region with MissingParameter', async () => {
    await expectTencentError(describeAbsent(emulator, { region: '' }), 'MissingParameter');
  });

  it('answers a region that is not region-shaped with UnsupportedRegion', async () => {
    await expectTencentError(describeAbsent(emulator, { region: 'Mars/1' }), 'UnsupportedRegion');
  });

  it('answers a parameter the action does not define with UnknownParameter', async () => {
    await expectTencentError(
      cvmClient(emulator).DescribeInstances({ InstanceIds: [ABSENT_ID], Bogus: 1 } as never),
      'UnknownParameter',
    );
  });

  it('answers a missing required parameter with MissingParameter', async () => {
    await expectTencentError(
      ssmClient(emulator).GetSecretValue({ SecretName: 'x' } as never),
      'MissingParameter',
    );
  });

  it('answers a parameter of the wrong JSON type with InvalidParameter', async () => {
    await expectTencentError(
      cvmClient(emulator).DescribeInstances({ Limit: 'ten' } as never),
      'InvalidParameter',
    );
    await expectTencentError(
      cvmClient(emulator).DescribeInstances({ InstanceIds: ABSENT_ID } as never),
      'InvalidParameter',
    );
  });

  it('answers a PUT with UnsupportedProtocol', async () => {
    const response = await rawDescribe(emulator, { method: 'PUT' });

    expectErrorCode(response, 'UnsupportedProtocol');
  });

  it('answers a body over the size limit with RequestSizeLimitExceeded and keeps serving', async () => {
    // Prepare
    const body = JSON.stringify({ InstanceIds: [ABSENT_ID], Pad: 'x'.repeat(MAX_BODY_BYTES) });

    // Act
    const response = await rawDescribe(emulator, { body });
    const after = await describeAbsent(emulator);

    // Assess
    expectErrorCode(response, 'RequestSizeLimitExceeded');
    expect(after.TotalCount).toBe(0);
  });
});

describe('rate limits', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('refuses part of a burst of 30 ResetInstancesPassword calls (10/s) with RequestLimitExceeded, and passes again a second later', async () => {
    // Prepare
    emulator = await startEmulator();
    const running = emulator;
    const instanceId = addStoppedLinux(running);
    const client = cvmClient(running);
    // Each call is refused by the limiter or reaches the action, which refuses the absent
    // instance; only the limiter's refusals matter here.
    const reset = () =>
      outcome(
        client.ResetInstancesPassword({
          InstanceIds: ['ins-absent00'],
          Password: 'Burst-Passw0rd!',
          ForceStop: true,
        }),
      );

    // Act
    const started = performance.now();
    const burst = await Promise.all(Array.from({ length: 30 }, reset));
    const burstSeconds = (performance.now() - started) / 1000;
    await sleep(1_100);
    const later = await outcome(
      client.ResetInstancesPassword({ InstanceIds: [instanceId], Password: 'Later-Passw0rd!' }),
    );

    // Assess: a full bucket of 10, plus what refilled at 10/s while the burst ran
    const refused = codes(burst).RequestLimitExceeded ?? 0;
    expect(refused).toBeGreaterThanOrEqual(30 - 10 - Math.ceil(burstSeconds * 10));
    expect(30 - refused).toBeGreaterThanOrEqual(10);
    expect(later).toEqual({ ok: true });
  });

  it('refuses part of a burst of 60 DescribeInstances calls (40/s) with RequestLimitExceeded, and passes again a second later', async () => {
    emulator = await startEmulator();
    const running = emulator;

    const started = performance.now();
    const burst = await Promise.all(
      Array.from({ length: 60 }, () => outcome(describeAbsent(running))),
    );
    const burstSeconds = (performance.now() - started) / 1000;
    await sleep(1_100);
    const later = await outcome(describeAbsent(running));

    const tally = codes(burst);
    expect(tally.RequestLimitExceeded ?? 0).toBeGreaterThanOrEqual(
      60 - 40 - Math.ceil(burstSeconds * 40),
    );
    expect(tally.RequestLimitExceeded ?? 0).toBeGreaterThan(0);
    expect(tally.ok ?? 0).toBeGreaterThanOrEqual(40);
    expect(later).toEqual({ ok: true });
  });

  it('counts the limits per emulated second when emulated time runs 100 times faster', async () => {
    // Prepare
    emulator = await startEmulator({ timeScale: 100 });
    const client = cvmClient(emulator);
    const reset = () =>
      outcome(
        client.ResetInstancesPassword({ InstanceIds: ['ins-absent00'], Password: 'Scale-Pw0rd!' }),
      );

    // Act: 30 calls one after another take a few real milliseconds each, i.e. several tenths of
    // an emulated second, in which the bucket refills more than one token per call.
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await reset());

    // Assess: refilled on real time, 10/s would have refused about 20 of these
    expect(codes(results).RequestLimitExceeded ?? 0).toBe(0);
  });

  it('keeps a separate budget per region and per SecretId', async () => {
    // Prepare: one call a second, so the budget of (ap-guangzhou, first key) stays spent
    const other = {
      secretId: 'AKIDsecond0000000000000000000000000',
      secretKey: 'second-key-000000000',
    };
    emulator = await startEmulator({
      credentials: [DEFAULT_CREDENTIAL, other],
      rateLimits: { ResetInstancesPassword: 1 },
    });
    const running = emulator;
    const reset = (options: Parameters<typeof cvmClient>[1]) =>
      outcome(
        cvmClient(running, options).ResetInstancesPassword({
          InstanceIds: ['ins-absent00'],
          Password: 'Budget-Passw0rd!',
        }),
      );
    const first = await reset({});

    // Act
    const sameAgain = await reset({});
    const otherRegion = await reset({ region: 'ap-shanghai' });
    const otherKey = await reset(other);

    // Assess: the action itself refuses the absent instance; only the limiter's code matters
    expect(first).not.toMatchObject({ code: 'RequestLimitExceeded' });
    expect(sameAgain).toMatchObject({ ok: false, code: 'RequestLimitExceeded' });
    expect(otherRegion).toMatchObject({ ok: false, code: 'InvalidInstanceId.NotFound' });
    expect(otherKey).toMatchObject({ ok: false, code: 'InvalidInstanceId.NotFound' });
  });

  it('refuses nothing when rateLimits is false', async () => {
    emulator = await startEmulator({ rateLimits: false });
    const running = emulator;

    const burst = await Promise.all(
      Array.from({ length: 100 }, () => outcome(describeAbsent(running))),
    );

    expect(codes(burst)).toEqual({ ok: 100 });
  });
});

describe('fault injection', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ rateLimits: false });
  });
  afterEach(() => {
    emulator.state.faults = {};
    emulator.state.latencyMs = [0, 0];
  });
  afterAll(async () => {
    await emulator.close();
  });

  it("answers CVM calls with InternalServerError under errorRate, CVM's code for an internal error", async () => {
    emulator.state.faults = { errorRate: { DescribeInstances: 1 } };

    await expectTencentError(describeAbsent(emulator), 'InternalServerError');
  });

  it('answers SSM calls with InternalError under errorRate', async () => {
    emulator.state.faults = { errorRate: { GetSecretValue: 1 } };

    await expectTencentError(
      ssmClient(emulator).GetSecretValue({ SecretName: 'any', VersionId: 'v1' }),
      'InternalError',
    );
  });

  it('makes the SDK fail with a network error and no Tencent code under dropRate', async () => {
    // Prepare
    emulator.state.faults = { dropRate: { DescribeInstances: 1 } };

    // Act
    const result = await outcome(describeAbsent(emulator));

    // Assess
    expect(result).toMatchObject({ ok: false, code: undefined });
    expect(emulator.state.calls().at(-1)).toMatchObject({
      action: 'DescribeInstances',
      error: 'DroppedConnection',
    });
  });

  it('stores a PutSecretValue version although the SDK sees a network error under dropAfterRate', async () => {
    // Prepare
    const client = ssmClient(emulator);
    await client.CreateSecret({ SecretName: 'drop-after', VersionId: 'v1', SecretString: 'first' });
    emulator.state.faults = { dropAfterRate: { PutSecretValue: 1 } };

    // Act
    const result = await outcome(
      client.PutSecretValue({ SecretName: 'drop-after', VersionId: 'v2', SecretString: 'second' }),
    );

    // Assess
    expect(result).toMatchObject({ ok: false, code: undefined });
    const secret = emulator.state.ssm.secret(REGION, 'drop-after');
    expect(secret?.versions.get('v2')?.SecretString).toBe('second');
    const call = emulator.state.calls().at(-1);
    expect(call).toMatchObject({ action: 'PutSecretValue', responseDropped: true });
    expect(call?.error).toBeUndefined();
  });

  it('fails exactly the Nth call of an action with an internal error, a drop or a custom code', async () => {
    // Prepare: counts are per action over the emulator's life
    const before = emulator.state.calls().filter((c) => c.action === 'DescribeImages').length;
    emulator.state.faults = {
      failNth: [
        { action: 'DescribeImages', n: before + 2, fault: 'internal' },
        { action: 'DescribeImages', n: before + 3, fault: 'drop' },
        {
          action: 'DescribeImages',
          n: before + 4,
          fault: { code: 'ResourceUnavailable', message: 'Injected.' },
        },
      ],
    };
    const client = cvmClient(emulator);

    // Act
    const results: Outcome[] = [];
    for (let i = 0; i < 5; i++) results.push(await outcome(client.DescribeImages({})));

    // Assess
    expect(results.map((r) => (r.ok ? 'ok' : (r.code ?? 'network')))).toEqual([
      'ok',
      'InternalServerError',
      'network',
      'ResourceUnavailable',
      'ok',
    ]);
  });

  it('delays calls by latencySpike.ms when the spike fires', async () => {
    emulator.state.faults = { latencySpike: { probability: 1, ms: 300 } };

    const started = performance.now();
    await describeAbsent(emulator);
    const elapsed = performance.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(290);
  });

  it('delays every call by latencyMs', async () => {
    emulator.state.latencyMs = [200, 200];

    const started = performance.now();
    await describeAbsent(emulator);
    const elapsed = performance.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(190);
  });
});

describe('the call log and the received-secrets sink', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ rateLimits: false });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('records action, region and error of each call, with passwords and secret strings redacted', async () => {
    // Prepare
    const instanceId = addStoppedLinux(emulator);
    const password = 'Logged-Passw0rd!';

    // Act
    await cvmClient(emulator).ResetInstancesPassword({
      InstanceIds: [instanceId],
      Password: password,
    });
    await outcome(
      cvmClient(emulator, { region: 'ap-shanghai' }).DescribeInstances({ Limit: 'x' } as never),
    );
    await ssmClient(emulator).CreateSecret({
      SecretName: 'logged',
      VersionId: 'v1',
      SecretString: JSON.stringify({ password }),
    });

    // Assess
    const [reset, describeCall, create] = emulator.state.calls().slice(-3);
    expect(reset).toMatchObject({
      action: 'ResetInstancesPassword',
      version: CVM_VERSION,
      region: REGION,
      params: { InstanceIds: [instanceId], Password: '***' },
    });
    expect(reset?.error).toBeUndefined();
    expect(describeCall).toMatchObject({
      action: 'DescribeInstances',
      region: 'ap-shanghai',
      error: 'InvalidParameter',
    });
    expect(create).toMatchObject({ action: 'CreateSecret', params: { SecretString: '***' } });
    expect(JSON.stringify(emulator.state.calls())).not.toContain(password);
  });

  it('names the action and region of a call refused for its signature', async () => {
    await outcome(describeAbsent(emulator, { secretKey: 'wrong', region: 'ap-beijing' }));

    expect(emulator.state.calls().at(-1)).toMatchObject({
      action: 'DescribeInstances',
      version: CVM_VERSION,
      region: 'ap-beijing',
      error: 'AuthFailure.SignatureFailure',
    });
  });

  it('collects the ResetInstancesPassword password and the password field of a JSON SecretString', async () => {
    // Prepare
    const instanceId = addStoppedLinux(emulator);
    const resetPassword = 'SinkReset-Pw0rd';
    const storedPassword = 'Sink-Stored-Passw0rd-Long!';

    // Act
    await cvmClient(emulator).ResetInstancesPassword({
      InstanceIds: [instanceId],
      Password: resetPassword,
    });
    await ssmClient(emulator).CreateSecret({
      SecretName: 'sink',
      VersionId: 'v1',
      SecretString: JSON.stringify({ user: 'root', password: storedPassword }),
    });

    // Assess
    const secrets = emulator.state.receivedSecrets();
    expect(secrets).toContain(resetPassword);
    expect(secrets).toContain(storedPassword);
  });

  it('collects a password even from a request the action refuses', async () => {
    const password = 'Refused-Passw0rd!';

    await outcome(
      cvmClient(emulator).ResetInstancesPassword({
        InstanceIds: ['ins-absent00'],
        Password: password,
        Unexpected: true,
      } as never),
    );

    expect(emulator.state.receivedSecrets()).toContain(password);
  });
});
