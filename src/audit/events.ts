/**
 * The audit trail: the event names the rotator logs and the fields each one carries. Fields are
 * identifiers only (instance ids, regions, secret names, version ids, Tencent RequestIds), never a
 * password: the redactor is a safety net, not the plan.
 *
 * An operator answers "where is the working password of ins-…?" from these lines:
 * `batch.reset.requested` names the version holding the password being applied; `instance.rotated`
 * says it works; `instance.failed` says (through `reason`, and `passwordState` when known) whether
 * the old password still works.
 *
 * The names match what src/protocol and src/handler.ts emit; `audit()` checks the fields at
 * compile time, `logger.info(name, fields)` does not.
 *
 * @example
 * audit(logger, AuditEvent.InstanceRotated, {
 *   region: 'ap-guangzhou', instanceId: 'ins-abcd1234', userName: 'root',
 *   secretName: 'cvm-password-ins-abcd1234', versionId: 'v20261129T030000Z', requestId,
 * });
 */
import type { ConfigSummary } from '../config';
import type { OsFamily } from '../password/policy';
import type { Logger, LogLevel } from './logger';

export const AuditEvent = {
  /** The run began; carries the log-safe config summary. */
  RunStarted: 'run.started',
  /** The configuration or the event is invalid; nothing was called. */
  RunRejected: 'run.rejected',
  /** The run stopped before any change: too many eligible instances (blast radius), … */
  RunRefused: 'run.refused',
  /** Earlier runs' unfinished work (pending secret versions) was resolved. */
  RunReconciled: 'run.reconciled',
  /** A region could not be read (listing failed); other regions go on. */
  RegionFailed: 'region.failed',
  /** SSM's 1000-secrets-per-region quota leaves no room for some new secrets. */
  QuotaExceeded: 'quota.exceeded',
  /** One instance was left alone, with the reason. */
  InstanceSkipped: 'instance.skipped',
  /** An unfinished rotation from an earlier run (a pending version) is being judged. */
  InstanceReconciling: 'instance.reconciling',
  /** An instance left in an unknown state by an earlier run was brought back to a known password. */
  InstanceRecovered: 'instance.recovered',
  /** The new password was written to SSM as a pending version, before any reset. */
  SecretStaged: 'secret.staged',
  /** Reading an instance's secret failed; nothing is done to that instance. */
  SecretReadFailed: 'secret.read.failed',
  /** Recording the reset's RequestId on the pending version failed (the reset goes on). */
  SecretRecordFailed: 'secret.record.failed',
  /** A pending version whose password was never applied was deleted. */
  SecretVersionDiscarded: 'secret.version.discarded',
  /** Deleting such a version failed; it stays, marked pending. */
  SecretDiscardFailed: 'secret.discard.failed',
  /** An old secret version was deleted to stay within SSM's 10 versions. */
  SecretPruned: 'secret.pruned',
  /** ResetInstancesPassword was accepted for a batch; the reset runs asynchronously. */
  BatchResetRequested: 'batch.reset.requested',
  /** ResetInstancesPassword was refused or its outcome is unknown. */
  BatchResetFailed: 'batch.reset.failed',
  /** A DescribeInstances poll while verifying failed (polling goes on until the deadline). */
  VerifyPollFailed: 'verify.poll.failed',
  /** The reset succeeded (LatestOperationState SUCCESS) and the new version was promoted. */
  InstanceRotated: 'instance.rotated',
  /** The rotation of one instance failed; `passwordState` says which password works now. */
  InstanceFailed: 'instance.failed',
  /** The run ended (with or without per-instance failures). */
  RunFinished: 'run.finished',
  /** The run ended on an error outside any one instance (credentials, a bug). */
  RunFailed: 'run.failed',
} as const;

export type AuditEventName = (typeof AuditEvent)[keyof typeof AuditEvent];

/** An open set of strings with known values offered by the editor. */
type Open<Known extends string> = Known | (string & Record<never, never>);

/**
 * Why an instance was not rotated. The protocol may add detail after a colon
 * (`reset-refused: UnsupportedOperation.InstanceStateRunning`).
 */
export type SkipReason = Open<
  | 'excluded-tag' // carries ROTATION_EXCLUDE_TAG
  | 'tags-mismatch' // named in instanceIds but lacks a ROTATION_TAGS tag
  | 'instance-not-found' // named in instanceIds but DescribeInstances does not return it
  | 'running' // RUNNING and forceStop is false
  | 'state' // a state ResetInstancesPassword rejects (PENDING, SHUTDOWN, TERMINATING, …)
  | 'stop-charging' // STOPPED in STOP_CHARGING mode (UnsupportedOperation.StoppedModeStopCharging)
  | 'operation-in-progress' // LatestOperationState is OPERATING
  | 'unknown-os' // the OS family could not be determined
  | 'deadline' // not started: too close to the SCF time limit
  | 'dry-run' // would be rotated; dry run
>;

/**
 * Which password the instance accepts after a failure:
 * `old`: the reset never started (or was refused), the previous version works;
 * `new`: the reset succeeded but a later step failed, the pending version works;
 * `unknown`: the outcome could not be observed (timeout, deadline); both versions are kept.
 */
export type PasswordState = 'old' | 'new' | 'unknown';

/** An error as the audit trail records it; the logger serialises Error objects to this shape. */
export type AuditError =
  | Error
  | { readonly code: string; readonly message: string; readonly requestId?: string };

export type RunStartedFields = {
  readonly trigger: 'timer' | 'manual';
  readonly triggerName?: string;
  readonly reason?: string;
  readonly config: ConfigSummary;
  /** SCF's `context.time_limit_in_ms`. */
  readonly timeLimitMs?: number;
};

export type RunRejectedFields = { readonly error: AuditError };

export type RunRefusedFields = {
  readonly reason: Open<'blast-radius-limit'>;
  readonly eligible?: number;
  readonly limit?: number;
  readonly region?: string;
};

export type RunReconciledFields = {
  readonly region: string;
  readonly promoted: number;
  readonly discarded: number;
  readonly unresolved: number;
};

export type RegionFailedFields = { readonly region: string; readonly error: AuditError };

export type QuotaExceededFields = {
  readonly region: string;
  readonly existing: number;
  readonly needed: number;
  readonly refused: number;
};

export type InstanceSkippedFields = {
  readonly region: string;
  readonly instanceId: string;
  readonly reason: SkipReason;
  /** CVM InstanceState, e.g. `RUNNING`. */
  readonly state?: string;
};

export type InstanceReconcilingFields = {
  readonly region: string;
  readonly instanceId: string;
  readonly versionId: string;
  /** The pending version's recorded status, e.g. `pending` or `applying`. */
  readonly status?: string;
  /** The runId that wrote the pending version. */
  readonly fromRun?: string;
};

export type InstanceRecoveredFields = {
  readonly region: string;
  readonly instanceId: string;
  readonly secretName: string;
  readonly versionId: string;
  readonly requestId?: string;
};

export type SecretStagedFields = {
  readonly region: string;
  readonly secretName: string;
  readonly versionId: string;
  readonly instanceIds: readonly string[];
};

export type SecretErrorFields = {
  readonly region?: string;
  readonly secretName: string;
  readonly versionId?: string;
  readonly error: AuditError;
};

export type SecretVersionFields = {
  readonly region: string;
  readonly secretName: string;
  readonly versionId: string;
};

export type BatchResetRequestedFields = {
  readonly region: string;
  /** RequestId of ResetInstancesPassword, matched against LatestOperationRequestId to verify. */
  readonly requestId: string;
  readonly instanceIds: readonly string[];
  readonly os: OsFamily;
  readonly userName?: string;
  readonly forceStop: boolean;
  /** True when the same stored password is applied again after an ambiguous failure. */
  readonly reapply?: boolean;
  readonly secretName?: string;
  readonly versionId?: string;
};

export type BatchResetFailedFields = {
  readonly region: string;
  readonly instanceIds: readonly string[];
  /** Tencent's error code, `NetworkError`, or `Error` for a non-cloud error. */
  readonly code: string;
  readonly attempt: number;
  readonly error: AuditError;
};

export type VerifyPollFailedFields = { readonly region: string; readonly error: AuditError };

export type InstanceRotatedFields = {
  readonly region: string;
  readonly instanceId: string;
  readonly userName?: string;
  readonly secretName: string;
  readonly versionId: string;
  readonly requestId?: string;
  /** True when this run finished an earlier run's rotation instead of starting a new one. */
  readonly recovered?: boolean;
  readonly durationMs?: number;
};

export type InstanceFailedFields = {
  /** Empty when the instance was not found in any region. */
  readonly region: string;
  readonly instanceId: string;
  readonly reason?: string;
  readonly code?: string;
  readonly message?: string;
  readonly passwordState?: PasswordState;
  readonly secretName?: string;
  /** The version holding the password that works now (the pending one when `unknown`). */
  readonly versionId?: string;
  readonly requestId?: string;
  readonly error?: AuditError;
};

export type RunFinishedFields = {
  readonly status: 'succeeded' | 'partial' | 'failed';
  readonly counts: {
    readonly discovered: number;
    readonly rotated: number;
    readonly failed: number;
    readonly skipped: number;
    readonly planned: number;
  };
  /** How many run-level errors (e.g. unreadable regions) the report lists. */
  readonly errors: number;
  readonly durationMs: number;
};

export type RunFailedFields = {
  readonly durationMs?: number;
  readonly error: AuditError;
};

/** The fields each audit event carries. */
export type AuditFields = {
  readonly 'run.started': RunStartedFields;
  readonly 'run.rejected': RunRejectedFields;
  readonly 'run.refused': RunRefusedFields;
  readonly 'run.reconciled': RunReconciledFields;
  readonly 'region.failed': RegionFailedFields;
  readonly 'quota.exceeded': QuotaExceededFields;
  readonly 'instance.skipped': InstanceSkippedFields;
  readonly 'instance.reconciling': InstanceReconcilingFields;
  readonly 'instance.recovered': InstanceRecoveredFields;
  readonly 'secret.staged': SecretStagedFields;
  readonly 'secret.read.failed': SecretErrorFields;
  readonly 'secret.record.failed': SecretErrorFields;
  readonly 'secret.version.discarded': SecretVersionFields;
  readonly 'secret.discard.failed': SecretErrorFields;
  readonly 'secret.pruned': SecretVersionFields;
  readonly 'batch.reset.requested': BatchResetRequestedFields;
  readonly 'batch.reset.failed': BatchResetFailedFields;
  readonly 'verify.poll.failed': VerifyPollFailedFields;
  readonly 'instance.rotated': InstanceRotatedFields;
  readonly 'instance.failed': InstanceFailedFields;
  readonly 'run.finished': RunFinishedFields;
  readonly 'run.failed': RunFailedFields;
};

/** The level each event is logged at. */
export const AUDIT_LEVELS: Readonly<Record<AuditEventName, LogLevel>> = {
  'run.started': 'info',
  'run.rejected': 'error',
  'run.refused': 'error',
  'run.reconciled': 'info',
  'region.failed': 'error',
  'quota.exceeded': 'error',
  'instance.skipped': 'info',
  'instance.reconciling': 'info',
  'instance.recovered': 'warn',
  'secret.staged': 'info',
  'secret.read.failed': 'warn',
  'secret.record.failed': 'warn',
  'secret.version.discarded': 'info',
  'secret.discard.failed': 'warn',
  'secret.pruned': 'info',
  'batch.reset.requested': 'info',
  'batch.reset.failed': 'warn',
  'verify.poll.failed': 'warn',
  'instance.rotated': 'info',
  'instance.failed': 'error',
  'run.finished': 'info',
  'run.failed': 'error',
};

/** Logs one audit event with its typed fields at its level. */
export function audit<E extends AuditEventName>(
  logger: Logger,
  event: E,
  fields: AuditFields[E],
): void {
  logger.log(AUDIT_LEVELS[event], event, fields);
}
