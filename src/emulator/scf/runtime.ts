import { randomUUID } from 'node:crypto';
import type {
  InvocationStatus,
  InvocationType,
  ScfFunction,
  ScfFunctions,
  ScfInvocation,
  ScfInvocationContext,
  ScfState,
} from './model';

/** SCF's defaults when the function's configuration does not say (facts §6). */
export const DEFAULT_TIME_LIMIT_MS = 3_000;
export const DEFAULT_MEMORY_MB = 128;
export const DEFAULT_QUALIFIERS: readonly string[] = ['$LATEST', '$DEFAULT'];

/** The `Result` object of an Invoke answer (InvokeResponse.Result in scf_models.d.ts). */
export interface InvokeResult {
  readonly FunctionRequestId: string;
  readonly InvokeResult: number;
  readonly RetMsg?: string;
  readonly ErrMsg?: string;
  readonly Log?: string;
  readonly MemUsage?: number;
  readonly Duration?: number;
  readonly BillDuration?: number;
}

export interface InvocationRequest {
  readonly fn: ScfFunction;
  readonly requestId: string;
  readonly region: string;
  readonly namespace: string;
  readonly functionName: string;
  readonly qualifier: string;
  readonly invocationType: InvocationType;
  readonly event: unknown;
}

type MutableInvocation = { -readonly [K in keyof ScfInvocation]: ScfInvocation[K] };

function eventKeys(event: unknown): string[] {
  return typeof event === 'object' && event !== null && !Array.isArray(event)
    ? Object.keys(event).sort()
    : [];
}

/** `ConfigError: ConfigInvalid`: enough to tell failures apart, nothing a message could leak. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name}: ${code}` : error.name;
}

/**
 * Runs handlers the way SCF does: each invocation gets a FunctionRequestId and an SCF-like
 * context, starts after the API has answered (an Event caller never waits for it), and is marked
 * `timeout` when it outlives its time limit. The emulator cannot kill a JavaScript promise, so a
 * timed-out handler still finishes in the background; `settle()` waits for it.
 */
export class ScfRuntime implements ScfState {
  private readonly records: MutableInvocation[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly functions: ScfFunctions) {}

  /** `namespace/name`, or the bare name in the `default` namespace. */
  lookup(namespace: string, name: string): ScfFunction | undefined {
    const qualified = this.functions[`${namespace}/${name}`];
    if (qualified) return qualified;
    return namespace === 'default' ? this.functions[name] : undefined;
  }

  /**
   * Starts an invocation. Resolves, when the function finishes or times out, to the `Result` a
   * synchronous caller receives; an Event caller is answered before that and ignores it.
   */
  start(request: InvocationRequest): { functionRequestId: string; result: Promise<InvokeResult> } {
    const functionRequestId = randomUUID();
    const timeLimitMs = request.fn.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
    const context: ScfInvocationContext = {
      request_id: functionRequestId,
      function_name: request.functionName,
      function_version: request.qualifier,
      namespace: request.namespace,
      time_limit_in_ms: timeLimitMs,
      memory_limit_in_mb: request.fn.memoryMb ?? DEFAULT_MEMORY_MB,
      tencentcloud_region: request.region,
      environment: JSON.stringify({ SCF_NAMESPACE: request.namespace }),
      callbackWaitsForEmptyEventLoop: true,
    };
    const record: MutableInvocation = {
      functionRequestId,
      requestId: request.requestId,
      region: request.region,
      namespace: request.namespace,
      functionName: request.functionName,
      qualifier: request.qualifier,
      invocationType: request.invocationType,
      eventKeys: eventKeys(request.event),
      status: 'running',
      startedAt: Date.now(),
    };
    this.records.push(record);

    const finish = (status: InvocationStatus, fields: Partial<MutableInvocation> = {}) => {
      if (record.status !== 'running') return false;
      Object.assign(record, { status, finishedAt: Date.now(), ...fields });
      return true;
    };
    const duration = () => Date.now() - record.startedAt;

    // setImmediate: the API answer is written in the current turn, so an Event caller is
    // answered before any of the handler's code runs, as with the real asynchronous invocation.
    const handled = new Promise<unknown>((resolve, reject) => {
      setImmediate(() => {
        request.fn.handler(request.event, context).then(resolve, reject);
      });
    });
    const result = new Promise<InvokeResult>((resolve) => {
      const timer = setTimeout(() => {
        if (finish('timeout')) {
          resolve({
            FunctionRequestId: functionRequestId,
            InvokeResult: -1,
            RetMsg: '',
            ErrMsg: `Invoking task timed out after ${Math.ceil(timeLimitMs / 1000)} seconds`,
            Log: '',
            MemUsage: 0,
            Duration: timeLimitMs,
            BillDuration: timeLimitMs,
          });
        }
      }, timeLimitMs);
      // A pending time limit must not keep a test process (or the CLI) alive.
      timer.unref();
      handled.then(
        (value) => {
          clearTimeout(timer);
          const status = (value as { status?: unknown } | null | undefined)?.status;
          if (finish('succeeded', typeof status === 'string' ? { resultStatus: status } : {})) {
            const ms = duration();
            resolve({
              FunctionRequestId: functionRequestId,
              InvokeResult: 0,
              RetMsg: JSON.stringify(value ?? null),
              ErrMsg: '',
              Log: '',
              MemUsage: 0,
              Duration: ms,
              BillDuration: Math.max(1, Math.ceil(ms)),
            });
          }
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (finish('failed', { error: describeError(error) })) {
            const ms = duration();
            // [I] The shape of ErrMsg and the failing InvokeResult value are undocumented; the
            // Node runtime reports errorMessage/errorType, and any non-zero value means failure.
            resolve({
              FunctionRequestId: functionRequestId,
              InvokeResult: -1,
              RetMsg: '',
              ErrMsg: JSON.stringify({
                errorMessage: error instanceof Error ? error.message : String(error),
                errorType: error instanceof Error ? error.name : typeof error,
              }),
              Log: '',
              MemUsage: 0,
              Duration: ms,
              BillDuration: Math.max(1, Math.ceil(ms)),
            });
          }
        },
      );
    });

    const tracked = handled.catch(() => undefined);
    this.running.add(tracked);
    void tracked.then(() => this.running.delete(tracked));
    return { functionRequestId, result };
  }

  invocations(): ScfInvocation[] {
    return this.records.map((record) => ({ ...record }));
  }

  async settle(): Promise<void> {
    // A handler may invoke another function while we wait: loop until nothing is running.
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
