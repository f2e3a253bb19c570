/**
 * The rotator's error hierarchy. Every error the function raises on purpose is a `RotatorError`,
 * so the handler can tell a known failure (bad configuration, a cloud call that failed, a password
 * that broke the policy) from a programming bug, and log it with its `code` and `cause` chain.
 *
 * Messages never contain a password or a credential: configuration problems name the variable and
 * the rule, never its value; cloud errors keep Tencent's code and RequestId, never the request.
 *
 * ```ts
 * try {
 *   await rotate(config);
 * } catch (error) {
 *   if (isCloudError(error) && error.transient) retryLater();
 *   else throw error;
 * }
 * ```
 */

/**
 * The rotator's own error codes.
 *
 * {@link CloudError} does not use these: its `code` is the Tencent API error code it carries
 * (for example `RequestLimitExceeded`), or `NetworkError` when no answer arrived.
 */
export type RotatorErrorCode =
  | 'ConfigInvalid' // the function's environment variables (or their merge with the event) are invalid
  | 'EventInvalid' // the invocation event (timer trigger or manual payload) is invalid
  | 'PasswordPolicyViolation' // a password breaks the CVM password policy (src/password/policy.ts)
  | 'PasswordGenerationFailed'; // the generator could not produce a compliant password within its attempt bound

/**
 * A Tencent Cloud API 3.0 error code (`Response.Error.Code`, e.g. `RequestLimitExceeded`,
 * `InvalidParameterValue.InvalidPassword`; facts/tencent-cloud-api.md §1.3, §3.4, §4.2), or
 * `NetworkError` when the request got no API answer (connection refused or reset, timeout, non-200
 * HTTP status). The set is open: Tencent adds codes over time.
 */
export type CloudErrorCode = 'NetworkError' | (string & Record<never, never>);

/** Marks rotator errors so that the guards also work across duplicated module copies (bundles). */
const BRAND = Symbol.for('cvm-password-rotator.RotatorError');

/** Base class of every error the rotator raises on purpose. */
export class RotatorError<Code extends string = RotatorErrorCode | CloudErrorCode> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotatorError';
    this.code = code;
  }

  /** Brand read by {@link isRotatorError}; a getter so it is not an own enumerable property. */
  get [BRAND](): true {
    return true;
  }
}

/**
 * The function's configuration is invalid. `problems` lists EVERY problem found, each naming the
 * variable (or `event.<field>` after the merge) and the rule it breaks, e.g.
 * `ROTATION_DRY_RUN: must be "true" or "false"`. A problem never quotes the value of a credential
 * or password variable.
 */
export class ConfigError extends RotatorError<'ConfigInvalid'> {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: ErrorOptions) {
    super('ConfigInvalid', formatProblems('Invalid configuration', problems), options);
    this.name = 'ConfigError';
    this.problems = [...problems];
  }
}

/**
 * The invocation event is invalid: a timer trigger's `Message` that is not a JSON object, an
 * unknown key in a manual payload, a malformed instance id. Same shape as {@link ConfigError}, but
 * a separate class (not a subclass): a ConfigError means "fix the function's environment", an
 * EventError means "fix the trigger argument or the payload of this invocation". Neither is worth
 * retrying. Use {@link isInputError} to catch both.
 */
export class EventError extends RotatorError<'EventInvalid'> {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: ErrorOptions) {
    super('EventInvalid', formatProblems('Invalid event', problems), options);
    this.name = 'EventError';
    this.problems = [...problems];
  }
}

/** Where a cloud call failed: the identifiers needed to find it in Tencent's logs. */
export interface CloudErrorDetails {
  /** Tencent's error code, or `NetworkError` when no API answer arrived. */
  readonly code: CloudErrorCode;
  /** The API action, e.g. `ResetInstancesPassword`. */
  readonly action: string;
  /** The region the request was sent to, e.g. `ap-guangzhou`. */
  readonly region: string;
  /** `Response.RequestId`; absent when no answer arrived. Quote it to Tencent support. */
  readonly requestId?: string;
  /**
   * True when the same request may succeed later (throttling, internal errors, network failures on
   * idempotent calls). The adapter decides; unknown errors are never transient (style.md §2.5).
   */
  readonly transient: boolean;
  /** The SDK exception or network error, kept for the log's cause chain. */
  readonly cause?: unknown;
}

/** A Tencent Cloud API call failed. Raised by the cloud adapters, never by the SDK itself. */
export class CloudError extends RotatorError<CloudErrorCode> {
  readonly requestId: string | undefined;
  readonly action: string;
  readonly region: string;
  readonly transient: boolean;

  /**
   * @param message Tencent's `Error.Message` or the network error's text. It must not contain the
   *   request parameters (a password is one of them); the logger redacts registered passwords anyway.
   */
  constructor(message: string, details: CloudErrorDetails) {
    super(
      details.code,
      `${details.action} in ${details.region} failed: ${details.code}: ${message}` +
        (details.requestId ? ` (RequestId ${details.requestId})` : ''),
      'cause' in details ? { cause: details.cause } : undefined,
    );
    this.name = 'CloudError';
    this.requestId = details.requestId;
    this.action = details.action;
    this.region = details.region;
    this.transient = details.transient;
  }
}

/**
 * A password breaks the CVM password policy, or the generator failed to produce a compliant one.
 * `violations` are the policy's sentences; like the message, they never contain the password.
 */
export class PasswordPolicyError extends RotatorError<
  'PasswordPolicyViolation' | 'PasswordGenerationFailed'
> {
  readonly violations: readonly string[];

  constructor(
    code: 'PasswordPolicyViolation' | 'PasswordGenerationFailed',
    violations: readonly string[],
    options?: ErrorOptions,
  ) {
    super(
      code,
      formatProblems(
        code === 'PasswordPolicyViolation'
          ? 'Password violates the CVM password policy'
          : 'Could not generate a compliant password',
        violations,
      ),
      options,
    );
    this.name = 'PasswordPolicyError';
    this.violations = [...violations];
  }
}

function formatProblems(title: string, problems: readonly string[]): string {
  return problems.length === 0 ? title : `${title}: ${problems.join('; ')}`;
}

/** True for any {@link RotatorError}, including one from another copy of this module. */
export function isRotatorError(error: unknown): error is RotatorError {
  return (
    error instanceof RotatorError ||
    (error instanceof Error && (error as unknown as Record<symbol, unknown>)[BRAND] === true)
  );
}

function hasName<T extends RotatorError>(error: unknown, name: string): error is T {
  return isRotatorError(error) && error.name === name;
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError || hasName<ConfigError>(error, 'ConfigError');
}

export function isEventError(error: unknown): error is EventError {
  return error instanceof EventError || hasName<EventError>(error, 'EventError');
}

/** A configuration or event problem: the invocation cannot succeed as given, so never retry it. */
export function isInputError(error: unknown): error is ConfigError | EventError {
  return isConfigError(error) || isEventError(error);
}

export function isCloudError(error: unknown): error is CloudError {
  return error instanceof CloudError || hasName<CloudError>(error, 'CloudError');
}

export function isPasswordPolicyError(error: unknown): error is PasswordPolicyError {
  return (
    error instanceof PasswordPolicyError ||
    hasName<PasswordPolicyError>(error, 'PasswordPolicyError')
  );
}
