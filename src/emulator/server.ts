import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { URLSearchParams } from 'node:url';
import type { CallRecord } from './calllog';
import { redactParams, type SecretSink } from './calllog';
import type { ChaosEngine } from './chaos';
import type { Clock } from './clock';
import { ApiError, DropConnection } from './errors';
import { type Encoding, unflatten, validateParams } from './params';
import type { Random } from './random';
import type { RateLimiter } from './ratelimit';
import type { ActionDef, Credential, FaultOptions, ServiceDef } from './types';
import { verifyLegacy, verifyTc3 } from './wire/auth';
import { errorBody, newRequestId, successBody } from './wire/envelope';

/** Bodies above this are refused (`RequestSizeLimitExceeded`) before parsing. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Common parameters of the legacy form; never passed to an action. */
const LEGACY_COMMON = new Set([
  'Action',
  'Version',
  'Region',
  'Timestamp',
  'Nonce',
  'SecretId',
  'Signature',
  'SignatureMethod',
  'Token',
  'RequestClient',
  'Language',
]);

/** Loose shape check: real regions look like `ap-guangzhou`, `na-siliconvalley`, `ap-shanghai-fsi`. */
const REGION_PATTERN = /^[a-z]{2,}-[a-z]+(?:-[a-z0-9]+)*$/;

export interface PipelineDeps {
  readonly services: readonly ServiceDef[];
  readonly credentials: () => readonly Credential[];
  readonly clock: Clock;
  readonly random: Random;
  readonly rateLimiter: () => RateLimiter | undefined;
  readonly faults: () => FaultOptions;
  /** Real milliseconds added to each call: [min, max]. */
  readonly latencyMs: () => readonly [number, number];
  readonly sink: SecretSink;
  readonly record: (call: Omit<CallRecord, 'seq'>) => void;
  /** The misbehaving mode (./chaos.ts): corrupts success answers; undefined when off. */
  readonly chaos?: () => ChaosEngine | undefined;
}

interface Decoded {
  action: string;
  version: string;
  region: string;
  raw: unknown;
  encoding: Encoding;
  secretId: string;
}

/**
 * Reads the whole body. An oversized one is drained without being kept (up to a hard cap, after
 * which the connection is cut) so that the client still receives the
 * `RequestSizeLimitExceeded` envelope instead of a reset connection.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES * 4) {
        req.destroy();
        return;
      }
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError('RequestSizeLimitExceeded', 'The request body is too large.'));
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', reject);
    req.on('close', () => {
      // The client gave up (or was cut off above): nothing to answer.
      if (!req.complete) reject(new DropConnection());
    });
  });
}

function lowerHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function formParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(out, key)) {
      throw new ApiError('InvalidParameter', `The parameter \`${key}\` is given twice.`);
    }
    out[key] = value;
  }
  return out;
}

function decode(req: IncomingMessage, body: Buffer, credentials: readonly Credential[]): Decoded {
  const method = req.method ?? '';
  if (method !== 'GET' && method !== 'POST') {
    throw new ApiError('UnsupportedProtocol', 'Only GET and POST requests are supported.');
  }
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://emulator');
  } catch {
    throw new ApiError('InvalidParameter', 'The request URL is malformed.');
  }
  // The query exactly as sent: `url.search` re-encodes characters such as `'`, which Node's
  // querystring (and so the SDK's GET form) leaves bare and signs bare.
  const rawUrl = req.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  const rawQuery = queryStart < 0 ? '' : rawUrl.slice(queryStart + 1);
  const headers = lowerHeaders(req);
  const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const nowSeconds = Math.floor(Date.now() / 1000);
  const authorization = headers.authorization ?? '';

  if (authorization.startsWith('TC3-HMAC-SHA256')) {
    const secretId = verifyTc3(
      { method, path: url.pathname, query: rawQuery, headers, body },
      credentials,
      nowSeconds,
    );
    let raw: unknown;
    let encoding: Encoding = 'json';
    if (method === 'GET') {
      raw = unflatten(formParams(rawQuery));
      encoding = 'query';
    } else if (contentType === 'application/x-www-form-urlencoded') {
      raw = unflatten(formParams(body.toString('utf8')));
      encoding = 'query';
    } else {
      const text = body.toString('utf8');
      try {
        raw = text.trim() === '' ? {} : JSON.parse(text);
      } catch {
        throw new ApiError('InvalidParameter', 'The request body is not valid JSON.');
      }
    }
    return {
      action: headers['x-tc-action'] ?? '',
      version: headers['x-tc-version'] ?? '',
      region: headers['x-tc-region'] ?? '',
      raw,
      encoding,
      secretId,
    };
  }

  // Legacy form (the seed's `https://cvm.tencentcloudapi.com/?Action=…&InstanceIds.0=…`).
  const params = method === 'GET' ? formParams(rawQuery) : formParams(body.toString('utf8'));
  if (!params.Signature && authorization === '') {
    throw new ApiError('AuthFailure.InvalidAuthorization', 'The request is not signed.');
  }
  const secretId = verifyLegacy(
    method,
    headers.host ?? '',
    url.pathname,
    params,
    credentials,
    nowSeconds,
  );
  const own: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (!LEGACY_COMMON.has(key)) own[key] = value;
  }
  return {
    action: params.Action ?? '',
    version: params.Version ?? '',
    region: params.Region ?? '',
    raw: unflatten(own),
    encoding: 'query',
    secretId,
  };
}

function route(
  services: readonly ServiceDef[],
  action: string,
  version: string,
): [ServiceDef, ActionDef] {
  if (action === '')
    throw new ApiError('MissingParameter', 'The request is missing `X-TC-Action`.');
  if (version === '')
    throw new ApiError('MissingParameter', 'The request is missing `X-TC-Version`.');
  const service = services.find((s) => s.version === version);
  if (!service) {
    const elsewhere = services.some((s) => Object.hasOwn(s.actions, action));
    if (elsewhere)
      throw new ApiError('NoSuchVersion', `The API version \`${version}\` does not exist.`);
    throw new ApiError('InvalidAction', `The action \`${action}\` does not exist.`);
  }
  if (!Object.hasOwn(service.actions, action)) {
    // The real API routes by host first, so `DescribeInstances` sent with SSM's version is a
    // CVM call with a version CVM does not have.
    if (services.some((s) => Object.hasOwn(s.actions, action))) {
      throw new ApiError(
        'NoSuchVersion',
        `The API version \`${version}\` does not exist for \`${action}\`.`,
      );
    }
    throw new ApiError(
      'InvalidAction',
      `The action \`${action}\` does not exist in ${service.name} ${version}.`,
    );
  }
  return [service, service.actions[action] as ActionDef];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects secret values from the parameters so tests can scan output for them. */
function sinkSecrets(sink: SecretSink, raw: unknown): void {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return;
  const params = raw as Record<string, unknown>;
  if (typeof params.Password === 'string') sink.addPassword(params.Password);
  if (typeof params.SecretString === 'string') sink.addSecretString(params.SecretString);
}

function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return typeof value === 'string' ? value : '';
}

/**
 * The fixed request pipeline: body → decode + authenticate → route (action + version) →
 * region → rate limit → latency → faults → parameters → run → envelope. Every failure becomes an
 * HTTP 200 error envelope except injected drops, which destroy the socket.
 */
export function createEmulatorServer(deps: PipelineDeps): Server {
  const callCounts = new Map<string, number>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const traceId = req.headers['x-tc-traceid'];
    // From the headers until the request is decoded, so that the call log names the action of a
    // TC3 request refused before routing (a bad signature, a missing token).
    let action = headerValue(req, 'x-tc-action');
    let version = headerValue(req, 'x-tc-version');
    let region = headerValue(req, 'x-tc-region');
    let logged: Record<string, unknown> = {};
    /** One call-log entry per request, whatever its outcome. */
    const record = (outcome: { error?: string; responseDropped?: boolean }) =>
      deps.record({
        at: deps.clock.now(),
        action,
        version,
        region,
        requestId,
        params: logged,
        ...outcome,
      });
    const answer = (text: string) => {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        ...(typeof traceId === 'string' ? { 'X-TC-TraceId': traceId } : {}),
      });
      res.end(text);
    };
    try {
      const body = await readBody(req);
      const decoded = decode(req, body, deps.credentials());
      ({ action, version, region } = decoded);
      const [service, def] = route(deps.services, action, version);
      if (def.regional && region === '') {
        throw new ApiError(
          'MissingParameter',
          'The request is missing the region (`X-TC-Region`).',
        );
      }
      if (region !== '' && !REGION_PATTERN.test(region)) {
        throw new ApiError('UnsupportedRegion', `The region \`${region}\` is not supported.`);
      }
      const limiter = deps.rateLimiter();
      if (limiter && !limiter.take(action, region, decoded.secretId)) {
        throw new ApiError(
          'RequestLimitExceeded',
          'Your current request times exceeds the limit. Please try again later.',
        );
      }
      const [minLatency, maxLatency] = deps.latencyMs();
      const faults = deps.faults();
      let delay = maxLatency > 0 ? deps.random.int(minLatency, maxLatency) : 0;
      if (faults.latencySpike && deps.random.next() < faults.latencySpike.probability) {
        delay += faults.latencySpike.ms;
      }
      if (delay > 0) await sleep(delay);

      const n = (callCounts.get(action) ?? 0) + 1;
      callCounts.set(action, n);
      const nth = faults.failNth?.find((f) => f.action === action && f.n === n);
      if (nth?.fault === 'drop' || deps.random.next() < (faults.dropRate?.[action] ?? 0)) {
        throw new DropConnection();
      }
      if (nth?.fault === 'internal' || deps.random.next() < (faults.errorRate?.[action] ?? 0)) {
        throw new ApiError(service.internalErrorCode, 'Internal error (injected fault).');
      }
      if (nth && typeof nth.fault === 'object')
        throw new ApiError(nth.fault.code, nth.fault.message);

      // Collected before validation: a password in a refused request can leak just the same.
      sinkSecrets(deps.sink, decoded.raw);
      const params = validateParams(def.params, decoded.raw, decoded.encoding);
      logged = redactParams(params) as Record<string, unknown>;
      const fields = await def.run(params, {
        region,
        requestId,
        secretId: decoded.secretId,
        clock: deps.clock,
        random: deps.random,
      });
      // Processed, but the client may never hear back: the hardest case for a rotator.
      const dropAnswer = deps.random.next() < (faults.dropAfterRate?.[action] ?? 0);
      record(dropAnswer ? { responseDropped: true } : {});
      if (dropAnswer) {
        req.socket.destroy();
        return;
      }
      const chaotic = deps.chaos?.()?.corrupt(action, requestId, fields);
      if (chaotic) {
        if (chaotic.delayMs > 0) await sleep(chaotic.delayMs);
        res.writeHead(chaotic.status, {
          'Content-Type': chaotic.contentType,
          ...(typeof traceId === 'string' ? { 'X-TC-TraceId': traceId } : {}),
        });
        res.end(chaotic.body);
        return;
      }
      answer(successBody(requestId, fields));
    } catch (error) {
      if (error instanceof DropConnection) {
        record({ error: 'DroppedConnection' });
        req.socket.destroy();
        return;
      }
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError('InternalError', 'The emulator failed to process the request.');
      if (!(error instanceof ApiError)) {
        // An emulator bug must be visible, never silently a success.
        process.stderr.write(
          `emulator: unexpected error in ${action || 'request'}: ${String(error)}\n`,
        );
      }
      record({ error: apiError.code });
      answer(errorBody(requestId, apiError.code, apiError.message));
    }
  }

  return createServer((req, res) => {
    handle(req, res).catch(() => {
      res.destroy();
    });
  });
}
