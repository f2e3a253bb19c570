import type { Clock } from './clock';
import type { ParamSpec } from './params';
import type { Random } from './random';

/** What an action sees besides its parameters. */
export interface ActionContext {
  /** `X-TC-Region` (or `Region` in the GET form); empty when the request named none. */
  readonly region: string;
  readonly requestId: string;
  readonly secretId: string;
  readonly clock: Clock;
  readonly random: Random;
}

export interface ActionDef {
  readonly params: ParamSpec;
  /** Whether the action needs `X-TC-Region` (`MissingParameter` otherwise). */
  readonly regional: boolean;
  /**
   * Returns the response fields (the server adds `RequestId`), or throws `ApiError`. Only SCF's
   * synchronous `Invoke` answers asynchronously (it waits for the function); CVM and SSM actions
   * are synchronous, so their state changes happen in request order.
   */
  run(
    params: Record<string, unknown>,
    ctx: ActionContext,
  ): Record<string, unknown> | Promise<Record<string, unknown>>;
}

export interface ServiceDef {
  /** The `X-TC-Version` this service answers, e.g. `2017-03-12` for CVM. */
  readonly version: string;
  readonly name: string;
  /** CVM answers `InternalServerError` where most products (SSM) answer `InternalError` (facts §4.2). */
  readonly internalErrorCode: string;
  readonly actions: Readonly<Record<string, ActionDef>>;
}

export interface Credential {
  readonly secretId: string;
  readonly secretKey: string;
  /**
   * When set, requests signed with this key must carry this `X-TC-Token`, as temporary
   * credentials (SCF's execution-role keys) do; otherwise `AuthFailure.TokenFailure`.
   */
  readonly token?: string;
}

/** Fault injection; every field can be changed at run time through `state.faults`. */
export interface FaultOptions {
  /** Probability per action of an internal error (`InternalServerError` on CVM, `InternalError` on SSM). */
  errorRate?: Record<string, number>;
  /** Probability per action of a dropped connection (socket destroyed before any answer). */
  dropRate?: Record<string, number>;
  /** Probability per action that the request is processed but the answer is lost (socket destroyed after). */
  dropAfterRate?: Record<string, number>;
  /** Fail the Nth call (1-based, counted per action over the emulator's life) with an error or a drop. */
  failNth?: Array<{
    action: string;
    n: number;
    fault: 'internal' | 'drop' | { code: string; message: string };
  }>;
  /** Probability that a reset of an instance ends `FAILED` (old password kept). */
  resetFailureRate?: number;
  /** Instance IDs whose next resets end `FAILED`. */
  failResetFor?: string[];
  /** Extra latency spikes: probability per call of adding `spikeMs` (real ms). */
  latencySpike?: { probability: number; ms: number };
}

/** Emulated durations of the asynchronous reset, in emulated milliseconds: [min, max]. */
export interface ResetTiming {
  /** A STOPPED instance: OPERATING → SUCCESS. */
  stopped: readonly [number, number];
  /** A RUNNING instance with ForceStop: STOPPING → STOPPED → STARTING → RUNNING → SUCCESS. */
  running: readonly [number, number];
  /** Whether a force-stopped instance is started again afterwards (Terraform's account; configurable). */
  restartAfterForceStop: boolean;
}
