/**
 * The run's configuration: the environment (./env.ts) overridden by the invocation event
 * (./event.ts), validated once at the edge. The handler calls {@link resolveRunConfig} first and
 * passes the frozen {@link RunConfig} down; nothing else reads `process.env` or the raw event.
 *
 * @example
 * export const main_handler = async (event: unknown) => {
 *   const config = resolveRunConfig(process.env, event);
 *   logger.info('run.started', { config: summarizeConfig(config) });
 * };
 */
import type { TencentCredentials } from '../cloud/tencent/credentials';
import { ConfigError, type EventError, isEventError } from '../errors';
import { type Endpoints, type EnvConfig, loadEnvConfig, type SecretLayout } from './env';
import { parseEvent, type RunRequest } from './event';
import { formatForVariable, type PasswordScope, type TagMatcher } from './rules';

export type { EndpointOverride, Endpoints, EnvConfig, SecretLayout } from './env';
export { ENV_DEFAULTS, ENV_RANGES, ENV_VARIABLES, loadEnvConfig } from './env';
export type { ManualOverrides, RunRequest } from './event';
export { parseEvent } from './event';
export type { PasswordScope, TagMatcher } from './rules';

/** Everything one run needs, resolved and validated. Frozen. */
export interface RunConfig {
  /**
   * Keys for the Tencent SDK clients, SCF's variable names first (src/cloud/tencent/credentials.ts).
   * Register `secretKey` and `token` with the log redactor; never log this field.
   */
  readonly credentials: TencentCredentials;
  /** The function's own region (TENCENTCLOUD_REGION), or the first of `regions` when unset. */
  readonly region: string;
  /** Regions to rotate in: event `regions`, else ROTATION_REGIONS, else [TENCENTCLOUD_REGION]. Never empty. */
  readonly regions: readonly string[];
  /**
   * Instances must carry ALL these tags (a matcher without `value` only needs the key). Event `tags`,
   * else ROTATION_TAGS. Empty only when `instanceIds` is set. When both are set, `instanceIds`
   * selects and `tags` still scopes: a listed instance that lacks a tag is skipped, so a manual run
   * cannot reach outside the fleet the environment names.
   */
  readonly tags: readonly TagMatcher[];
  /** Explicit instances from the event (deduplicated), instead of a tag search. */
  readonly instanceIds?: readonly string[];
  /** Instances carrying this tag key (any value) are skipped. ROTATION_EXCLUDE_TAG, default `rotation-exclude`. */
  readonly excludeTag: string;
  /**
   * Reset RUNNING instances with `ForceStop: true` (a soft shutdown, then a forced power-off if it
   * fails: https://cloud.tencent.com/document/api/213/15736). Otherwise running instances are
   * skipped. Event `forceStop`, else ROTATION_FORCE_STOP, default false.
   */
  readonly forceStop: boolean;
  /** Plan and log only; change nothing. Event `dryRun`, else ROTATION_DRY_RUN, default false. */
  readonly dryRun: boolean;
  /**
   * `group`: one password per ResetInstancesPassword batch (all instances of a batch get the same
   * password anyway); `instance`: one password, and one reset call, per instance. Event
   * `passwordScope`, else ROTATION_PASSWORD_SCOPE, default `group`.
   */
  readonly passwordScope: PasswordScope;
  /** SSM secret names start with `<secretPrefix>-`. ROTATION_SECRET_PREFIX, default `cvm-password`, ≤ 64 chars. */
  readonly secretPrefix: string;
  /** SDK endpoint overrides (ROTATION_CVM_ENDPOINT / ROTATION_SSM_ENDPOINT), e.g. the local emulator. */
  readonly endpoints: Endpoints;
  /** Generated password length, 12–16. ROTATION_PASSWORD_LENGTH, default 16. */
  readonly passwordLength: number;
  /** Previous password versions kept per secret for rollback, 1–8. ROTATION_KEEP_VERSIONS, default 5. */
  readonly keepVersions: number;
  /** KMS key for new secrets (ROTATION_KMS_KEY_ID); undefined means SSM's default key. */
  readonly kmsKeyId?: string;
  /**
   * Blast-radius limit: a run that would touch more eligible instances refuses before any change.
   * ROTATION_MAX_INSTANCES, default 1000; 0 there means no limit, which is Infinity here.
   */
  readonly maxInstances: number;
  /** How long to wait for an asynchronous reset to reach SUCCESS/FAILED. ROTATION_VERIFY_TIMEOUT_SECONDS × 1000. */
  readonly verifyTimeoutMs: number;
  /** Stop starting work this long before the SCF time limit. ROTATION_DEADLINE_MARGIN_SECONDS × 1000. */
  readonly deadlineMarginMs: number;
  /** Region lock lifetime without renewal. ROTATION_LOCK_TTL_SECONDS × 1000, default 120 s. */
  readonly lockTtlMs: number;
  /**
   * Where passwords are stored: `instance` (default), one secret `<prefix>-<instanceId>` per
   * instance; `packed`, up to 50 instances per secret `<prefix>-pack-NNNN`, for regions beyond
   * SSM's 1000-secret quota. ROTATION_SECRET_LAYOUT.
   */
  readonly secretLayout: SecretLayout;
  /**
   * A run over several regions invokes one asynchronous run per region through SCF Invoke
   * instead of doing the work itself (issue [4]: beyond one invocation). ROTATION_FANOUT.
   */
  readonly fanout: boolean;
  /** What invoked the function. */
  readonly trigger: 'timer' | 'manual';
  /** The timer trigger's name (timer runs only). */
  readonly triggerName?: string;
  /** The timer's scheduled time, ISO 8601 UTC (timer runs only). */
  readonly time?: string;
  /** The event's `reason`, for the audit log. */
  readonly reason?: string;
}

/**
 * Loads the environment, parses the event and merges them (the event wins).
 *
 * @throws ConfigError for environment or merge problems. When the event is also invalid, its
 *   problems are appended to the same error, so one failed run shows everything to fix.
 * @throws EventError when only the event is invalid.
 */
export function resolveRunConfig(
  env: Readonly<Record<string, string | undefined>>,
  event: unknown,
): RunConfig {
  let envConfig: EnvConfig | undefined;
  let envError: ConfigError | undefined;
  try {
    envConfig = loadEnvConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    envError = error;
  }

  let request: RunRequest | undefined;
  let eventError: EventError | undefined;
  try {
    request = parseEvent(event);
  } catch (error) {
    if (!isEventError(error)) throw error;
    eventError = error;
  }

  if (envError) {
    if (!eventError) throw envError;
    throw new ConfigError([...envError.problems, ...eventError.problems], { cause: eventError });
  }
  if (eventError) throw eventError;
  if (!envConfig || !request)
    throw new Error('unreachable: configuration neither parsed nor failed');

  return merge(envConfig, request);
}

function merge(env: EnvConfig, request: RunRequest): RunConfig {
  const problems: string[] = [];
  const regions = request.regions ?? env.regions;
  if (regions.length === 0) {
    problems.push(
      'ROTATION_REGIONS: no region to rotate in; set TENCENTCLOUD_REGION or ROTATION_REGIONS, or pass "regions" in the event',
    );
  }
  const tags = request.tags ?? env.tags ?? [];
  if (tags.length === 0 && request.instanceIds === undefined) {
    problems.push(
      'ROTATION_TAGS: required unless the event names instanceIds; set ROTATION_TAGS (k=v,k2) or pass "tags" or "instanceIds" in the event',
    );
  }
  if (tags.some((tag) => tag.key === env.excludeTag)) {
    problems.push(
      ...formatForVariable(request.tags ? 'event.tags' : 'ROTATION_TAGS', [
        {
          message: `must not select on the exclude tag ROTATION_EXCLUDE_TAG (${env.excludeTag}); every match would be skipped`,
        },
      ]),
    );
  }
  const region = env.region ?? regions[0];
  if (problems.length > 0 || region === undefined) throw new ConfigError(problems);

  const config: RunConfig = {
    credentials: Object.freeze({ ...env.credentials }),
    region,
    regions: Object.freeze([...regions]),
    tags: Object.freeze(tags.map((tag) => Object.freeze({ ...tag }))),
    ...(request.instanceIds ? { instanceIds: Object.freeze([...request.instanceIds]) } : {}),
    excludeTag: env.excludeTag,
    forceStop: request.forceStop ?? env.forceStop,
    dryRun: request.dryRun ?? env.dryRun,
    passwordScope: request.passwordScope ?? env.passwordScope,
    secretPrefix: env.secretPrefix,
    endpoints: Object.freeze({ ...env.endpoints }),
    passwordLength: env.passwordLength,
    keepVersions: env.keepVersions,
    ...(env.kmsKeyId === undefined ? {} : { kmsKeyId: env.kmsKeyId }),
    maxInstances: env.maxInstances,
    verifyTimeoutMs: env.verifyTimeoutMs,
    deadlineMarginMs: env.deadlineMarginMs,
    lockTtlMs: env.lockTtlMs,
    secretLayout: env.secretLayout,
    fanout: env.fanout,
    trigger: request.trigger,
    ...(request.triggerName === undefined ? {} : { triggerName: request.triggerName }),
    ...(request.time === undefined ? {} : { time: request.time }),
    ...(request.reason === undefined ? {} : { reason: request.reason }),
  };
  return Object.freeze(config);
}

/** How many instance ids {@link summarizeConfig} lists before it only counts them. */
export const SUMMARY_MAX_INSTANCE_IDS = 50;

/** {@link RunConfig} without credentials, safe to log (e.g. in `run.started`). */
export interface ConfigSummary {
  readonly region: string;
  readonly regions: readonly string[];
  readonly tags: readonly TagMatcher[];
  readonly instanceIdCount?: number;
  /** The first {@link SUMMARY_MAX_INSTANCE_IDS} ids. */
  readonly instanceIds?: readonly string[];
  readonly excludeTag: string;
  readonly forceStop: boolean;
  readonly dryRun: boolean;
  readonly passwordScope: PasswordScope;
  readonly secretPrefix: string;
  readonly secretLayout: SecretLayout;
  readonly endpoints: { readonly cvm?: string; readonly ssm?: string; readonly scf?: string };
  readonly fanout: boolean;
  readonly passwordLength: number;
  readonly keepVersions: number;
  readonly kmsKeyId?: string;
  /** `null` means no limit (JSON has no Infinity). */
  readonly maxInstances: number | null;
  readonly verifyTimeoutMs: number;
  readonly deadlineMarginMs: number;
  readonly trigger: 'timer' | 'manual';
  readonly triggerName?: string;
  readonly time?: string;
  readonly reason?: string;
}

/**
 * A log-safe summary: every setting except the credentials, of which nothing is included, not
 * even the SecretId (it identifies the key that an attacker would then look for).
 */
export function summarizeConfig(config: RunConfig): ConfigSummary {
  const endpoint = (e: { protocol: string; endpoint: string } | undefined) =>
    e ? `${e.protocol}${e.endpoint}` : undefined;
  const cvm = endpoint(config.endpoints.cvm);
  const ssm = endpoint(config.endpoints.ssm);
  const scf = endpoint(config.endpoints.scf);
  return {
    region: config.region,
    regions: [...config.regions],
    tags: config.tags.map((tag) => ({ ...tag })),
    ...(config.instanceIds
      ? {
          instanceIdCount: config.instanceIds.length,
          instanceIds: config.instanceIds.slice(0, SUMMARY_MAX_INSTANCE_IDS),
        }
      : {}),
    excludeTag: config.excludeTag,
    forceStop: config.forceStop,
    dryRun: config.dryRun,
    passwordScope: config.passwordScope,
    secretPrefix: config.secretPrefix,
    secretLayout: config.secretLayout,
    endpoints: { ...(cvm ? { cvm } : {}), ...(ssm ? { ssm } : {}), ...(scf ? { scf } : {}) },
    fanout: config.fanout,
    passwordLength: config.passwordLength,
    keepVersions: config.keepVersions,
    ...(config.kmsKeyId === undefined ? {} : { kmsKeyId: config.kmsKeyId }),
    maxInstances: Number.isFinite(config.maxInstances) ? config.maxInstances : null,
    verifyTimeoutMs: config.verifyTimeoutMs,
    deadlineMarginMs: config.deadlineMarginMs,
    trigger: config.trigger,
    ...(config.triggerName === undefined ? {} : { triggerName: config.triggerName }),
    ...(config.time === undefined ? {} : { time: config.time }),
    ...(config.reason === undefined ? {} : { reason: config.reason }),
  };
}
