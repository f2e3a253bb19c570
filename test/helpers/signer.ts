/**
 * A test-side Tencent Cloud request signer and raw HTTP client, written from the algorithm in
 * /work/shared/facts/tencent-cloud-api.md §5.2 (TC3-HMAC-SHA256) and the legacy
 * `METHOD + host + path + "?" + sorted k=v` HmacSHA1/HmacSHA256 form. It deliberately does not
 * import the emulator's verifier (src/emulator/wire/auth.ts): the contract tests need two
 * independent implementations to agree, and they let a test send what the SDK cannot (a skewed
 * timestamp, the Go SDK's service name, the host with its port, a PUT, a broken body).
 */
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';

const sha256Hex = (data: string | Buffer): string =>
  createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data).digest();

/** `YYYY-MM-DD` (UTC) of a Unix timestamp in seconds. */
export function utcDate(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

export interface Tc3Input {
  readonly secretId: string;
  readonly secretKey: string;
  readonly method: string;
  /** URL path, `/` by default. */
  readonly path?: string;
  /** Raw query string without `?` (GET only; POST signs an empty one). */
  readonly query?: string;
  /**
   * The headers to sign, lower-case names, e.g. `{ 'content-type': …, host: … }`. The `host`
   * value is whatever the test wants signed (with or without the port).
   */
  readonly signedHeaders: Readonly<Record<string, string>>;
  /** Exact body bytes; `''` for GET. */
  readonly body: string | Buffer;
  /** Unix seconds. */
  readonly timestamp: number;
  /** The service in the credential scope (`127` as the Node SDK sends it, `cvm` as the Go SDK). */
  readonly service: string;
}

/** The `Authorization` header value for a TC3-HMAC-SHA256 request (facts §5.2 steps 1–4). */
export function tc3Authorization(input: Tc3Input): string {
  const names = Object.keys(input.signedHeaders)
    .map((name) => name.toLowerCase())
    .sort();
  const lowered: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.signedHeaders))
    lowered[name.toLowerCase()] = value;
  const canonicalHeaders = names
    .map((name) => `${name}:${(lowered[name] ?? '').trim().toLowerCase()}\n`)
    .join('');
  const signedHeaderList = names.join(';');
  const canonicalRequest = [
    input.method,
    input.path ?? '/',
    input.method === 'GET' ? (input.query ?? '') : '',
    canonicalHeaders,
    signedHeaderList,
    sha256Hex(input.body),
  ].join('\n');
  const date = utcDate(input.timestamp);
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = [
    'TC3-HMAC-SHA256',
    String(input.timestamp),
    scope,
    sha256Hex(canonicalRequest),
  ].join('\n');
  const kDate = hmac(`TC3${input.secretKey}`, date);
  const kService = hmac(kDate, input.service);
  const kSigning = hmac(kService, 'tc3_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  return `TC3-HMAC-SHA256 Credential=${input.secretId}/${scope}, SignedHeaders=${signedHeaderList}, Signature=${signature}`;
}

export type LegacyAlgorithm = 'HmacSHA1' | 'HmacSHA256';

/**
 * The legacy signature: base64(HMAC(key, METHOD + host + path + "?" + k=v&… sorted by key)),
 * over the unencoded values, every parameter but `Signature` included.
 */
export function legacySignature(input: {
  readonly method: string;
  readonly host: string;
  readonly path?: string;
  readonly params: Readonly<Record<string, string>>;
  readonly secretKey: string;
  readonly algorithm: LegacyAlgorithm;
}): string {
  const signString = Object.keys(input.params)
    .filter((key) => key !== 'Signature')
    .sort()
    .map((key) => `${key}=${input.params[key]}`)
    .join('&');
  return createHmac(input.algorithm === 'HmacSHA1' ? 'sha1' : 'sha256', input.secretKey)
    .update(`${input.method}${input.host}${input.path ?? '/'}?${signString}`)
    .digest('base64');
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/** One HTTP request to 127.0.0.1 on a fresh connection (no keep-alive, no proxy). */
export function rawRequest(options: {
  readonly port: number;
  readonly method: string;
  /** Path and query, e.g. `/?Action=…`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: options.port,
        method: options.method,
        path: options.path,
        headers: {
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : { 'Content-Length': Buffer.byteLength(options.body) }),
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface Tc3CallOptions {
  readonly port: number;
  readonly secretId: string;
  readonly secretKey: string;
  /** `X-TC-Action`; omitted from the headers when undefined. */
  readonly action?: string;
  readonly version?: string;
  readonly region?: string;
  readonly token?: string;
  readonly method?: string;
  /** Body for POST: an object is JSON-encoded, a string is sent as is. */
  readonly body?: unknown;
  /** Query string for GET (already encoded). */
  readonly query?: string;
  readonly contentType?: string;
  /** Unix seconds; default now. */
  readonly timestamp?: number;
  /** Scope service; default `127` as the Node SDK derives it from `127.0.0.1:PORT`. */
  readonly service?: string;
  /** Sign `host` with the port (as the Go SDK does) instead of without (as the Node SDK does). */
  readonly signHostWithPort?: boolean;
  /** Replace the computed `Authorization` header. */
  readonly authorization?: string;
  readonly traceId?: string;
}

/** Sends a TC3-signed request built and signed entirely on the test side. */
export function tc3Call(options: Tc3CallOptions): Promise<RawResponse> {
  const method = options.method ?? 'POST';
  const body =
    method === 'GET'
      ? ''
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body ?? {});
  const contentType =
    options.contentType ??
    (method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json');
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const host = `127.0.0.1:${options.port}`;
  const query = options.query ?? '';
  const authorization =
    options.authorization ??
    tc3Authorization({
      secretId: options.secretId,
      secretKey: options.secretKey,
      method,
      path: '/',
      query,
      signedHeaders: {
        'content-type': contentType,
        host: options.signHostWithPort ? host : '127.0.0.1',
      },
      body,
      timestamp,
      service: options.service ?? '127',
    });
  const headers: Record<string, string> = {
    Host: host,
    'Content-Type': contentType,
    'X-TC-Timestamp': String(timestamp),
    Authorization: authorization,
  };
  if (options.action !== undefined) headers['X-TC-Action'] = options.action;
  if (options.version !== undefined) headers['X-TC-Version'] = options.version;
  if (options.region !== undefined) headers['X-TC-Region'] = options.region;
  if (options.token !== undefined) headers['X-TC-Token'] = options.token;
  if (options.traceId !== undefined) headers['X-TC-TraceId'] = options.traceId;
  return rawRequest({
    port: options.port,
    method,
    path: query === '' ? '/' : `/?${query}`,
    headers,
    ...(method === 'GET' ? {} : { body }),
  });
}

export interface LegacyCallOptions {
  readonly port: number;
  readonly secretId: string;
  readonly secretKey: string;
  readonly algorithm: LegacyAlgorithm;
  readonly method?: 'GET' | 'POST';
  /** Action parameters and common parameters except the signing ones, as strings. */
  readonly params: Readonly<Record<string, string>>;
  readonly timestamp?: number;
  /** Sign the host without its port (the emulator accepts both). */
  readonly signHostWithoutPort?: boolean;
}

/**
 * Sends the legacy form (the seed's `/?Action=…&InstanceIds.0=…&Signature=…`) signed here:
 * adds `Timestamp`, `Nonce`, `SecretId`, `SignatureMethod` and `Signature`.
 */
export function legacyCall(options: LegacyCallOptions): Promise<RawResponse> {
  const method = options.method ?? 'GET';
  const host = `127.0.0.1:${options.port}`;
  const params: Record<string, string> = {
    ...options.params,
    Timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    Nonce: String(Math.floor(Math.random() * 65_535) + 1),
    SecretId: options.secretId,
    SignatureMethod: options.algorithm,
  };
  params.Signature = legacySignature({
    method,
    host: options.signHostWithoutPort ? '127.0.0.1' : host,
    params,
    secretKey: options.secretKey,
    algorithm: options.algorithm,
  });
  const encoded = new URLSearchParams(params).toString();
  if (method === 'GET') {
    return rawRequest({
      port: options.port,
      method,
      path: `/?${encoded}`,
      headers: { Host: host },
    });
  }
  return rawRequest({
    port: options.port,
    method,
    path: '/',
    headers: { Host: host, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: encoded,
  });
}

/** The `{Response:{…}}` envelope of a raw answer, parsed. */
export interface Envelope {
  Response: {
    RequestId: string;
    Error?: { Code: string; Message: string };
    [field: string]: unknown;
  };
}

export function parseEnvelope(response: RawResponse): Envelope {
  return JSON.parse(response.text) as Envelope;
}
