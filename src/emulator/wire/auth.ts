import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../errors';
import type { Credential } from '../types';

/** Real Tencent allows five minutes of skew (AuthFailure.SignatureExpire, facts §5.2). */
export const MAX_SKEW_SECONDS = 300;

export interface SignedRequest {
  readonly method: string;
  /** Path as received, e.g. `/`. */
  readonly path: string;
  /** Raw query string without `?`. */
  readonly query: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) =>
  createHmac('sha256', key).update(data).digest();

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function findCredential(credentials: readonly Credential[], secretId: string): Credential {
  const credential = credentials.find((c) => c.secretId === secretId);
  if (!credential) {
    throw new ApiError(
      'AuthFailure.SecretIdNotFound',
      'The SecretId is not found, please ensure that your SecretId is correct.',
    );
  }
  return credential;
}

function checkTimestamp(raw: string | undefined, nowSeconds: number): number {
  if (raw === undefined || !/^\d{1,12}$/.test(raw)) {
    throw new ApiError(
      'MissingParameter',
      'The request is missing a valid timestamp (`X-TC-Timestamp`).',
    );
  }
  const timestamp = Number(raw);
  if (Math.abs(nowSeconds - timestamp) > MAX_SKEW_SECONDS) {
    throw new ApiError(
      'AuthFailure.SignatureExpire',
      'Signature expired. Timestamp and server time cannot differ by more than five minutes.',
    );
  }
  return timestamp;
}

function checkToken(credential: Credential, token: string | undefined): void {
  if (credential.token === undefined) {
    if (token !== undefined && token !== '') {
      throw new ApiError(
        'AuthFailure.TokenFailure',
        'Token error: the key is not a temporary key.',
      );
    }
    return;
  }
  if (token === undefined || !safeEqual(token, credential.token)) {
    throw new ApiError('AuthFailure.TokenFailure', 'Token error: missing or invalid X-TC-Token.');
  }
}

/**
 * Derived TC3 signing keys by (key, date, service): three HMACs saved per request. Bounded, as the
 * service part is whatever the client put in its scope.
 */
const signingKeys = new Map<string, Buffer>();
const SIGNING_KEY_CACHE_SIZE = 256;

function signingKey(secretKey: string, date: string, service: string): Buffer {
  const cacheKey = `${secretKey}\u0000${date}\u0000${service}`;
  let key = signingKeys.get(cacheKey);
  if (key === undefined) {
    key = hmac(hmac(hmac(`TC3${secretKey}`, date), service), 'tc3_request');
    if (signingKeys.size >= SIGNING_KEY_CACHE_SIZE) signingKeys.clear();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

const TC3_HEADER =
  /^TC3-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/,\s]+)\/tc3_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Verifies a TC3-HMAC-SHA256 request and returns the SecretId it was signed with.
 *
 * Two Node SDK quirks are honoured (facts/tencent-cloud-api.md §5.3): the SDK signs with the
 * service taken from the endpoint's first label (`127` for `127.0.0.1:PORT`), so the service is
 * read from the credential scope instead of being assumed; and it signs `host` without the
 * port while sending `Host: 127.0.0.1:PORT`, so both forms are tried (the Go SDK signs the
 * header as sent).
 */
export function verifyTc3(
  request: SignedRequest,
  credentials: readonly Credential[],
  nowSeconds: number,
): string {
  const authorization = request.headers.authorization ?? '';
  const match = TC3_HEADER.exec(authorization);
  if (!match) {
    throw new ApiError(
      'AuthFailure.InvalidAuthorization',
      'Authorization in the request header is invalid.',
    );
  }
  const [, secretId, date, service, signedHeaderList, signature] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const credential = findCredential(credentials, secretId);
  const timestamp = checkTimestamp(request.headers['x-tc-timestamp'], nowSeconds);
  const expectedDate = new Date(timestamp * 1000).toISOString().slice(0, 10);
  if (date !== expectedDate) {
    throw new ApiError(
      'AuthFailure.SignatureFailure',
      'The provided credentials could not be validated: the credential scope date does not match X-TC-Timestamp.',
    );
  }
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('content-type') || !signedHeaders.includes('host')) {
    throw new ApiError(
      'AuthFailure.InvalidAuthorization',
      'SignedHeaders must include content-type and host.',
    );
  }
  const payloadHash =
    request.headers['x-tc-content-sha256'] === 'UNSIGNED-PAYLOAD'
      ? sha256Hex('UNSIGNED-PAYLOAD')
      : sha256Hex(request.body);
  const host = request.headers.host ?? '';
  // The Node SDK's form (no port) first: it is the common case, and each try costs a hash.
  const hostCandidates = [host.replace(/:\d+$/, ''), host];
  const kSigning = signingKey(credential.secretKey, date, service);
  let valid = false;
  for (const hostValue of new Set(hostCandidates)) {
    const canonicalHeaders = signedHeaders
      .map((name) => {
        const value = name === 'host' ? hostValue : (request.headers[name] ?? '');
        return `${name}:${value.trim().toLowerCase()}\n`;
      })
      .join('');
    const canonicalRequest = [
      request.method,
      request.path,
      request.method === 'GET' ? request.query : '',
      canonicalHeaders,
      signedHeaderList,
      payloadHash,
    ].join('\n');
    const stringToSign = [
      'TC3-HMAC-SHA256',
      String(timestamp),
      `${date}/${service}/tc3_request`,
      sha256Hex(canonicalRequest),
    ].join('\n');
    const expected = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
    if (safeEqual(expected, signature)) {
      valid = true;
      break;
    }
  }
  if (!valid) {
    throw new ApiError(
      'AuthFailure.SignatureFailure',
      'The provided credentials could not be validated. Please check your signature is correct.',
    );
  }
  checkToken(credential, request.headers['x-tc-token']);
  return secretId;
}

/**
 * Verifies the legacy (API 2.0-style) signature of the seed's GET form: every parameter,
 * including `Action`, `Nonce`, `SecretId`, `Timestamp` and `SignatureMethod`, in the query (or a
 * form body), signed as `METHOD + host + path + "?" + sorted k=v&…` with HmacSHA1 or HmacSHA256,
 * base64. The Node SDK sends exactly this with `signMethod: 'HmacSHA256'` and signs the endpoint
 * with its port, so both host forms are tried here too.
 */
export function verifyLegacy(
  method: string,
  host: string,
  path: string,
  params: Readonly<Record<string, string>>,
  credentials: readonly Credential[],
  nowSeconds: number,
): string {
  const secretId = params.SecretId;
  const signature = params.Signature;
  if (!secretId || !signature) {
    throw new ApiError(
      'AuthFailure.InvalidAuthorization',
      'The request carries no SecretId or Signature.',
    );
  }
  const credential = findCredential(credentials, secretId);
  checkTimestamp(params.Timestamp, nowSeconds);
  const methodName = params.SignatureMethod ?? 'HmacSHA1';
  const algorithm =
    methodName === 'HmacSHA256' ? 'sha256' : methodName === 'HmacSHA1' ? 'sha1' : undefined;
  if (!algorithm) {
    throw new ApiError(
      'AuthFailure.InvalidAuthorization',
      `Unsupported SignatureMethod \`${methodName}\`.`,
    );
  }
  const signString = Object.keys(params)
    .filter((key) => key !== 'Signature')
    .sort()
    .map((key) => `${key}=${params[key]}`)
    .join('&');
  let valid = false;
  for (const hostValue of new Set([host, host.replace(/:\d+$/, '')])) {
    const expected = createHmac(algorithm, credential.secretKey)
      .update(`${method}${hostValue}${path}?${signString}`)
      .digest('base64');
    if (safeEqual(expected, signature)) {
      valid = true;
      break;
    }
  }
  if (!valid) {
    throw new ApiError(
      'AuthFailure.SignatureFailure',
      'The provided credentials could not be validated. Please check your signature is correct.',
    );
  }
  checkToken(credential, params.Token);
  return secretId;
}
