/**
 * The weather of a fault run and how the soak counts what was injected.
 *
 * Every fault run sets, on every CVM and SSM action: 5 % internal errors, 0.5 % connections
 * dropped before the request is processed and 0.5 % dropped after it was processed (the answer
 * is lost: 1 % dropped connections in all), 3 % of instance resets ending FAILED, and 1 % of
 * calls delayed by a latency spike. Throttling bursts (the rate limits cut to a fraction for a
 * moment) come on top, at random times.
 */
import type { CallRecord, Emulator, FaultOptions } from '../../src/emulator';
import { DEFAULT_RATE_LIMITS } from '../../src/emulator/ratelimit';

export const FAULT_RATES = {
  internalError: 0.05,
  dropBefore: 0.005,
  dropAfter: 0.005,
  resetFailure: 0.03,
  latencySpike: { probability: 0.01, ms: 150 },
} as const;

/** Throttling bursts: limits cut to this fraction (at least 1/s) for a moment. */
export const THROTTLE = { fraction: 0.15, minMs: 200, maxMs: 800 } as const;

/** The CVM and SSM actions of the emulator (SCF's Invoke is not the rotator's). */
export const CLOUD_ACTIONS = Object.keys(DEFAULT_RATE_LIMITS).filter((a) => a !== 'Invoke');

const perAction = (rate: number): Record<string, number> =>
  Object.fromEntries(CLOUD_ACTIONS.map((action) => [action, rate]));

export function faultRunFaults(): FaultOptions {
  return {
    errorRate: perAction(FAULT_RATES.internalError),
    dropRate: perAction(FAULT_RATES.dropBefore),
    dropAfterRate: perAction(FAULT_RATES.dropAfter),
    resetFailureRate: FAULT_RATES.resetFailure,
    latencySpike: { ...FAULT_RATES.latencySpike },
  };
}

export function normalLimits(): Record<string, number> {
  return { ...DEFAULT_RATE_LIMITS };
}

export function throttledLimits(): Record<string, number> {
  return Object.fromEntries(
    Object.entries(DEFAULT_RATE_LIMITS).map(([action, rate]) => [
      action,
      Math.max(1, Math.floor(rate * THROTTLE.fraction)),
    ]),
  );
}

export interface FaultCounts {
  /** Injected `InternalServerError` (CVM) / `InternalError` (SSM) answers. */
  internalErrors: number;
  /** Connections dropped before the request was processed. */
  droppedBefore: number;
  /** Requests processed whose answer was dropped. */
  droppedAfter: number;
  /** `RequestLimitExceeded` answers (mostly during throttling bursts). */
  throttled: number;
  /** Instance resets that ended FAILED (injected). */
  resetFailures: number;
  /** Instances started, stopped or rebooted by "someone else" during a run. */
  externalOperations: number;
  /** Instances deleted by "someone else" during a run. */
  deletions: number;
  /** Throttling bursts. */
  throttleBursts: number;
}

export const emptyFaultCounts = (): FaultCounts => ({
  internalErrors: 0,
  droppedBefore: 0,
  droppedAfter: 0,
  throttled: 0,
  resetFailures: 0,
  externalOperations: 0,
  deletions: 0,
  throttleBursts: 0,
});

/** Every injected fault once: a burst counts through the throttled answers it caused. */
export const totalFaults = (c: FaultCounts): number =>
  c.internalErrors +
  c.droppedBefore +
  c.droppedAfter +
  c.throttled +
  c.resetFailures +
  c.externalOperations +
  c.deletions;

/** Reads the emulator's call log incrementally and counts the injected faults per kind. */
export class CallLogTally {
  private lastSeq = 0;

  constructor(private readonly emulator: Emulator) {}

  /** Counts the calls recorded since the previous call to `take`. */
  take(into: FaultCounts): number {
    const calls = this.emulator.state.calls();
    let i = calls.length;
    // The log is in seq order; walk back to the first unseen record.
    while (i > 0 && (calls[i - 1] as CallRecord).seq > this.lastSeq) i--;
    let seen = 0;
    for (; i < calls.length; i++) {
      const call = calls[i] as CallRecord;
      this.lastSeq = call.seq;
      seen++;
      if (call.responseDropped) into.droppedAfter++;
      if (call.error === 'DroppedConnection') into.droppedBefore++;
      else if (call.error === 'InternalServerError' || call.error === 'InternalError')
        into.internalErrors++;
      else if (call.error?.startsWith('RequestLimitExceeded')) into.throttled++;
    }
    return seen;
  }
}

/**
 * Finds resets that ended FAILED. The emulator records no history of operations, only each
 * instance's `LatestOperation*`, so the soak looks often (every few ms while a run goes, and
 * before anything it does to an instance itself) and remembers each (instance, RequestId) seen
 * FAILED. A FAILED state is only replaced by the next operation on the instance, which the
 * rotator starts no sooner than its next verification poll (1 emulated second later).
 */
export class ResetFailureWatch {
  private readonly seen = new Set<string>();

  constructor(private readonly emulator: Emulator) {}

  /** Returns the instances with a newly seen injected reset failure. */
  scan(ids?: readonly string[]): string[] {
    const found: string[] = [];
    const cvm = this.emulator.state.cvm;
    const records = ids ? ids.flatMap((id) => cvm.instance(id) ?? []) : cvm.instances();
    for (const r of records) {
      if (
        r.LatestOperation === 'ResetInstancesPassword' &&
        r.LatestOperationState === 'FAILED' &&
        r.LatestOperationRequestId
      ) {
        const key = `${r.InstanceId}|${r.LatestOperationRequestId}`;
        if (!this.seen.has(key)) {
          this.seen.add(key);
          found.push(r.InstanceId);
        }
      }
    }
    return found;
  }
}
