/**
 * The emulated SCF (Serverless Cloud Function 2018-04-16): functions registered in-process by the
 * test or the operator CLI, invoked over the wire through `Invoke` exactly as the real
 * `tencentcloud-sdk-nodejs-scf` client (or `tccli scf Invoke`) would invoke a deployed function.
 */

/**
 * The context SCF hands a Node.js handler (facts/tencent-cloud-api.md §6: a production dump and
 * CloudBase's docs agree on these keys; SCF has no `getRemainingTimeInMillis`).
 */
export interface ScfInvocationContext {
  readonly request_id: string;
  readonly function_name: string;
  readonly function_version: string;
  readonly namespace: string;
  readonly time_limit_in_ms: number;
  readonly memory_limit_in_mb: number;
  readonly tencentcloud_region: string;
  /** `{"SCF_NAMESPACE":"default"}`, a JSON string as in the production dump. */
  readonly environment: string;
  readonly callbackWaitsForEmptyEventLoop: boolean;
}

/** A function the emulator can invoke. */
export interface ScfFunction {
  /** The async `main_handler(event, context)`: its value is the result, a rejection the error. */
  readonly handler: (event: unknown, context: ScfInvocationContext) => Promise<unknown>;
  /** `context.time_limit_in_ms`; also when the emulator marks the invocation `timeout`. Default 3000 (SCF's default timeout). */
  readonly timeLimitMs?: number;
  /** `context.memory_limit_in_mb`. Default 128 (SCF's default). */
  readonly memoryMb?: number;
  /**
   * Versions and aliases that resolve to this function. Default `$LATEST` and `$DEFAULT`: every
   * SCF function has both (`$DEFAULT` is the alias timers use; facts/serverless-deploy.md §3).
   */
  readonly qualifiers?: readonly string[];
}

/** Functions keyed by name (namespace `default`) or `namespace/name`. */
export type ScfFunctions = Readonly<Record<string, ScfFunction>>;

export type InvocationType = 'Event' | 'RequestResponse';

export type InvocationStatus = 'running' | 'succeeded' | 'failed' | 'timeout';

/**
 * One invocation as tests see it. It holds identifiers and the event's top-level KEYS, never the
 * event's values or the handler's result: a manual event may one day carry something sensitive,
 * and this record ends up in assertion messages.
 */
export interface ScfInvocation {
  /** `Result.FunctionRequestId`, also the handler's `context.request_id`. */
  readonly functionRequestId: string;
  /** The API call's `RequestId`. */
  readonly requestId: string;
  readonly region: string;
  readonly namespace: string;
  readonly functionName: string;
  readonly qualifier: string;
  readonly invocationType: InvocationType;
  /** Top-level keys of the event (ClientContext), sorted; empty for a non-object event. */
  readonly eventKeys: readonly string[];
  readonly status: InvocationStatus;
  /** The result's `status` field when it is a string (the rotator's report: succeeded|partial|failed). */
  readonly resultStatus?: string;
  /** The error's name and code (`ConfigError: ConfigInvalid`), never its message. */
  readonly error?: string;
  /** Real ms (Date.now()). */
  readonly startedAt: number;
  readonly finishedAt?: number;
}

/** Test-side view of the SCF emulator. */
export interface ScfState {
  /** Every invocation so far, oldest first (copies). */
  invocations(): ScfInvocation[];
  /** Resolves once no invocation is running (including ones started while waiting). */
  settle(): Promise<void>;
}
