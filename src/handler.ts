import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from './audit/logger';
import { Redactor } from './audit/redact';
import { ApiLimiter } from './cloud/limiter';
import { type Clock, type CvmPort, type SsmPort, systemClock } from './cloud/ports';
import { TencentClients } from './cloud/tencent/clients';
import { TencentCvm } from './cloud/tencent/cvm';
import { TencentScf } from './cloud/tencent/scf';
import { TencentSsm } from './cloud/tencent/ssm';
import { type RunConfig, resolveRunConfig, summarizeConfig } from './config';
import { ConfigError, isInputError } from './errors';
import { generatePassword } from './password/generate';
import { fanOut } from './protocol/fanout';
import { LockLostError, lockSecretName, RegionLock } from './protocol/lock';
import type { RunReport } from './protocol/report';
import { runRotation } from './protocol/rotate';
import type { RunDeps, RunPlan } from './protocol/types';
import { PackedSecretStore } from './secrets/packed';
import { redactingStore, SecretStore } from './secrets/store';

/** Requests that change something: each must hold the region lock when it leaves. */
const MUTATING_ACTIONS = new Set([
  'ResetInstancesPassword',
  'CreateSecret',
  'PutSecretValue',
  'UpdateSecret',
  'DeleteSecretVersion',
]);

/** The parts of SCF's context the function reads (SCF has no getRemainingTimeInMillis, facts §6). */
export interface ScfContext {
  readonly request_id?: string;
  readonly function_name?: string;
  readonly time_limit_in_ms?: number;
  readonly memory_limit_in_mb?: number;
  readonly tencentcloud_region?: string;
  readonly namespace?: string;
  readonly function_version?: string;
}

/** SCF's maximum timeout; used when the context does not say (a local run). */
const DEFAULT_TIME_LIMIT_MS = 900_000;

/** Seams for tests, the CLI and the benchmark. Production passes none of them. */
export interface RunOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
  /** Where log lines go (default stdout, which SCF ships to CLS). */
  readonly write?: (line: string) => void;
  /** Wraps the cloud ports, e.g. to simulate the process dying mid-run in crash tests. */
  readonly wrapPorts?: (ports: { cvm: CvmPort; ssm: SsmPort }) => { cvm: CvmPort; ssm: SsmPort };
  readonly checkpoint?: RunDeps['checkpoint'];
  /** The benchmark's naive baseline: one batch at a time. */
  readonly sequential?: boolean;
  /**
   * Operator rollback (CLI only, never from an event): apply the password of this stored version
   * of this instance again. The event must name exactly that instance.
   */
  readonly rollback?: { readonly instanceId: string; readonly versionId: string };
}

/** `20261129T030000Z-1a2b3c4d`: sortable, unique enough, and safe inside a VersionId. */
export function newRunId(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/**
 * Runs one rotation for an SCF event. Rejects (with an error naming the problem, and before any
 * cloud call) on invalid configuration or event; otherwise resolves to the report, whatever
 * happened to individual instances. Nothing secret ever reaches the log, the report or an error.
 */
export async function runFromEvent(
  event: unknown,
  context: ScfContext = {},
  options: RunOptions = {},
): Promise<RunReport> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const redactor = new Redactor();
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const bootLog = createLogger({ write, redactor, base: { requestId: context.request_id } });

  let config: RunConfig;
  try {
    config = resolveRunConfig(options.env ?? process.env, event);
  } catch (error) {
    bootLog.error('run.rejected', { error });
    throw redactor.sanitizeError(error);
  }
  redactor.register(config.credentials.secretKey);
  if (config.credentials.token) redactor.register(config.credentials.token);

  const runId = newRunId(started);
  const log = createLogger({ write, redactor, base: { runId, requestId: context.request_id } });
  const timeLimit = context.time_limit_in_ms ?? DEFAULT_TIME_LIMIT_MS;
  const plan: RunPlan = {
    runId,
    regions: config.regions,
    tags: config.tags,
    ...(config.instanceIds ? { instanceIds: config.instanceIds } : {}),
    excludeTag: config.excludeTag,
    forceStop: config.forceStop,
    dryRun: config.dryRun,
    passwordScope: config.passwordScope,
    secretPrefix: config.secretPrefix,
    passwordLength: config.passwordLength,
    keepVersions: config.keepVersions,
    maxInstances: config.maxInstances,
    verifyTimeoutMs: config.verifyTimeoutMs,
    deadlineAt: started + timeLimit - config.deadlineMarginMs,
    ...(options.sequential ? { sequential: true } : {}),
    ...(options.rollback ? { rollback: options.rollback } : {}),
  };
  if (options.rollback) {
    const problems: string[] = [];
    if (config.instanceIds?.length !== 1 || config.instanceIds[0] !== options.rollback.instanceId) {
      problems.push('rollback: the event must name exactly the instance to roll back');
    }
    if (config.secretLayout !== 'instance') {
      problems.push(
        'rollback: only the default secret layout (ROTATION_SECRET_LAYOUT=instance) keeps per-instance versions',
      );
    }
    if (config.dryRun) problems.push('rollback: a dry run cannot roll back');
    if (problems.length > 0) throw new ConfigError(problems);
  }

  const clients = new TencentClients({
    credentials: config.credentials,
    ...(config.endpoints.cvm ? { cvmEndpoint: config.endpoints.cvm } : {}),
    ...(config.endpoints.ssm ? { ssmEndpoint: config.endpoints.ssm } : {}),
    ...(config.endpoints.scf ? { scfEndpoint: config.endpoints.scf } : {}),
  });
  const limiter = new ApiLimiter(clock);
  // Every mutating request is checked against the region lock right before it is sent.
  const locks = new Map<string, RegionLock>();
  const guard = (action: string, region: string) => {
    if (!MUTATING_ACTIONS.has(action)) return;
    const lock = locks.get(region);
    if (!lock) throw new LockLostError(region, action);
    lock.assertOwned(action);
  };
  const wrap = options.wrapPorts ?? ((p: { cvm: CvmPort; ssm: SsmPort }) => p);
  const ports = wrap({
    cvm: new TencentCvm(clients, limiter, clock, guard),
    ssm: new TencentSsm(clients, limiter, clock, guard),
  });
  // The lock's own writes are not guarded by the lock, and have their own pacing queue: renewals
  // must not wait behind thousands of the run's own UpdateSecret calls (they are a few per
  // minute, well inside the documented rate).
  const lockSsm = wrap({
    cvm: ports.cvm,
    ssm: new TencentSsm(clients, new ApiLimiter(clock), clock),
  }).ssm;
  const lockFor = (region: string) => {
    const lock = new RegionLock(
      lockSsm,
      region,
      lockSecretName(config.secretPrefix),
      runId,
      clock,
      config.lockTtlMs,
      (event, fields) => log.info(event, fields),
    );
    locks.set(region, lock);
    return lock;
  };

  if (config.fanout && config.regions.length > 1 && !options.rollback) {
    log.info('run.started', {
      trigger: config.trigger,
      ...(config.reason ? { reason: config.reason } : {}),
      config: summarizeConfig(config),
      mode: 'fanout',
    });
    try {
      if (!context.function_name) {
        throw new ConfigError([
          'ROTATION_FANOUT: the SCF context names no function_name, so the run cannot invoke itself per region',
        ]);
      }
      const scf = new TencentScf(clients, limiter, clock);
      const report = await fanOut(
        config,
        runId,
        {
          functionName: context.function_name,
          namespace: context.namespace ?? 'default',
          qualifier: context.function_version ?? '$DEFAULT',
          region: context.tencentcloud_region ?? config.region,
        },
        scf,
        log,
        () => clock.now(),
      );
      log.info('run.finished', {
        status: report.status,
        fanout: report.fanout?.length ?? 0,
        durationMs: report.durationMs,
      });
      return report;
    } catch (error) {
      log.error('run.failed', { error });
      throw redactor.sanitizeError(error);
    } finally {
      clients.close();
    }
  }

  log.info('run.started', {
    trigger: config.trigger,
    ...(config.triggerName ? { triggerName: config.triggerName } : {}),
    ...(config.reason ? { reason: config.reason } : {}),
    config: summarizeConfig(config),
    timeLimitMs: timeLimit,
  });
  try {
    const report = await runRotation(plan, {
      cvm: ports.cvm,
      ssm: ports.ssm,
      store: redactingStore(
        config.secretLayout === 'packed'
          ? new PackedSecretStore(
              ports.ssm,
              config.secretPrefix,
              runId,
              clock,
              config.keepVersions,
              config.kmsKeyId,
            )
          : new SecretStore(ports.ssm, config.kmsKeyId, config.secretPrefix),
        (value) => redactor.register(value),
      ),
      clock,
      log,
      registerSecret: (value) => redactor.register(value),
      generatePassword,
      lockFor,
      ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
    });
    log.info('run.finished', {
      status: report.status,
      counts: report.counts,
      errors: report.errors.length,
      durationMs: report.durationMs,
    });
    return redactor.redact(report) as RunReport;
  } catch (error) {
    log.error('run.failed', { error, durationMs: clock.now() - started });
    throw redactor.sanitizeError(error);
  } finally {
    clients.close();
  }
}

/** The SCF entry point: `index.main_handler` (facts/serverless-deploy.md §5). */
export async function main_handler(event: unknown, context: ScfContext): Promise<RunReport> {
  return runFromEvent(event, context);
}

export type { Logger };
export { isInputError };
