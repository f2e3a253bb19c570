import type { InstanceInfo } from '../cloud/ports';
import { classifyInstances, discoverByIds, discoverByTags } from '../discovery/discover';
import { isExcluded, resetBlocker, SkipReason } from '../discovery/eligibility';
import { CloudError } from '../errors';
import { secretName } from '../secrets/layout';
import type { RegionLock } from './lock';
import { RegionRun } from './region';
import { baseEntry, ReportBuilder, type RunReport } from './report';
import type { RunDeps, RunPlan, Target } from './types';

/** SSM allows 1000 secrets per region (CreateSecret doc, facts §3.1). */
export const SECRETS_PER_REGION = 1000;

interface RegionScan {
  readonly region: string;
  readonly targets: Target[];
}

const isAuthFailure = (error: unknown): boolean =>
  error instanceof CloudError &&
  (error.code.startsWith('AuthFailure') || error.code.startsWith('UnauthorizedOperation'));

/**
 * One rotation run: read everything first (discovery, OS, secret state — no mutating call), then
 * check the blast-radius limit and the secret quota, then per region reconcile what earlier runs
 * left unfinished and rotate the rest. See README "Safety protocol".
 */
export async function runRotation(plan: RunPlan, deps: RunDeps): Promise<RunReport> {
  const started = deps.clock.now();
  const report = new ReportBuilder();

  // Phase 0: the region locks, before reading anything a concurrent run could be changing.
  const locks: RegionLock[] = [];
  let regions = [...plan.regions];
  if (!plan.dryRun && deps.lockFor) {
    const lockFor = deps.lockFor;
    const results = await Promise.all(
      regions.map(async (region) => {
        const lock = lockFor(region);
        try {
          const result = await lock.acquire(plan.deadlineAt - 60_000);
          if (result.acquired) locks.push(lock);
          return { region, result };
        } catch (error) {
          if (isAuthFailure(error)) throw error;
          return { region, error: error as Error };
        }
      }),
    ).catch(async (error: unknown) => {
      await Promise.all(locks.map((l) => l.release()));
      throw error;
    });
    regions = [];
    for (const r of results) {
      if ('error' in r && r.error) {
        const code = r.error instanceof CloudError ? r.error.code : 'Error';
        report.errors.push({
          region: r.region,
          code,
          message: `could not take the region lock: ${r.error.message}`,
        });
      } else if ('result' in r && r.result && !r.result.acquired) {
        const message = `another run (${r.result.holder}) holds the region lock until ${new Date(r.result.expiresAt).toISOString()}`;
        report.errors.push({ region: r.region, code: 'RegionLocked', message });
        deps.log.warn('region.locked', { region: r.region, holder: r.result.holder });
      } else {
        regions.push(r.region);
      }
    }
  }
  try {
    return await rotateRegions(regions, plan, deps, report, started);
  } finally {
    await Promise.all(locks.map((l) => l.release()));
  }
}

async function rotateRegions(
  regions: readonly string[],
  plan: RunPlan,
  deps: RunDeps,
  report: ReportBuilder,
  started: number,
): Promise<RunReport> {
  // Phase 1: read-only. Credentials errors reject the whole run before any change.
  const scans: RegionScan[] = [];
  await Promise.all(
    regions.map(async (region) => {
      try {
        scans.push(await scanRegion(region, plan, deps));
      } catch (error) {
        if (isAuthFailure(error)) throw error;
        const e = error instanceof CloudError ? error : undefined;
        report.errors.push({ region, code: e?.code ?? 'Error', message: (error as Error).message });
        deps.log.error('region.failed', { region, error });
      }
    }),
  );
  scans.sort((a, b) => a.region.localeCompare(b.region));
  deps.checkpoint?.('discovered', {});

  if (plan.instanceIds) {
    const found = new Set(scans.flatMap((s) => s.targets.map((t) => t.instance.instanceId)));
    const failedRegions = report.errors.length > 0;
    for (const id of plan.instanceIds) {
      if (!found.has(id)) {
        // With a region unreadable the instance may well exist there: say so.
        const reason = failedRegions
          ? 'instance-not-found (some regions could not be read)'
          : 'instance-not-found';
        report.set({ instanceId: id, region: '', result: 'failed', reason });
        deps.log.warn('instance.failed', {
          instanceId: id,
          code: 'InstanceNotFound',
          message: 'not found in any scanned region',
        });
      }
    }
  }

  // Phase 2: decide, still without changing anything.
  const work = new Map<string, { reconcile: Target[]; rotate: Target[] }>();
  for (const scan of scans) {
    report.discovered += scan.targets.length;
    const bucket = { reconcile: [] as Target[], rotate: [] as Target[] };
    work.set(scan.region, bucket);
    for (const target of scan.targets) {
      const route = routeTarget(target, plan);
      if (route === 'reconcile') bucket.reconcile.push(target);
      else if (route === 'rotate') bucket.rotate.push(target);
      else report.set({ ...baseEntry(target), ...route });
      if (route !== 'reconcile' && route !== 'rotate') {
        const event = route.result === 'skipped' ? 'instance.skipped' : 'instance.failed';
        deps.log.info(event, {
          instanceId: target.instance.instanceId,
          region: scan.region,
          reason: route.reason,
        });
      }
    }
  }

  const eligible = [...work.values()].reduce((n, w) => n + w.rotate.length, 0);
  if (plan.maxInstances > 0 && eligible > plan.maxInstances) {
    const reason = `blast-radius-limit: ${eligible} eligible instances exceed ROTATION_MAX_INSTANCES=${plan.maxInstances}`;
    deps.log.error('run.refused', { reason, eligible, limit: plan.maxInstances });
    for (const w of work.values()) {
      for (const t of [...w.rotate, ...w.reconcile])
        report.set({ ...baseEntry(t), result: 'failed', reason });
    }
    return report.build(plan.runId, plan.dryRun, deps.clock.now() - started);
  }

  // The 1000-secret quota: instances that would need a secret beyond it fail before any reset.
  for (const [region, w] of work) {
    const needNew = w.rotate
      .filter((t) => !t.secretExists)
      .sort((a, b) => a.instance.instanceId.localeCompare(b.instance.instanceId));
    if (needNew.length === 0) continue;
    let existing: number;
    try {
      existing = await deps.ssm.countSecrets(region);
    } catch (error) {
      if (isAuthFailure(error)) throw error;
      report.errors.push({
        region,
        code: (error as CloudError).code ?? 'Error',
        message: (error as Error).message,
      });
      for (const t of w.rotate)
        report.set({ ...baseEntry(t), result: 'failed', reason: 'secret-quota-unknown' });
      w.rotate = [];
      continue;
    }
    const room = Math.max(0, SECRETS_PER_REGION - existing);
    // In the packed layout many instances share one secret: find how many fit.
    let fit = needNew.length;
    while (fit > 0 && deps.store.secretsNeeded(region, fit) > room) fit--;
    const overflow = new Set(needNew.slice(fit).map((t) => t.instance.instanceId));
    if (overflow.size > 0) {
      const reason = `secret-quota-exceeded: region ${region} holds ${existing} of ${SECRETS_PER_REGION} secrets; ${needNew.length} new needed`;
      deps.log.error('quota.exceeded', {
        region,
        existing,
        needed: needNew.length,
        refused: overflow.size,
      });
      for (const t of w.rotate) {
        if (overflow.has(t.instance.instanceId))
          report.set({ ...baseEntry(t), result: 'failed', reason });
      }
      w.rotate = w.rotate.filter((t) => !overflow.has(t.instance.instanceId));
    }
  }

  if (plan.dryRun) {
    for (const w of work.values()) {
      for (const t of w.reconcile)
        report.set({
          ...baseEntry(t),
          result: 'planned',
          reason: 'would-reconcile-unfinished-rotation',
        });
      for (const t of w.rotate) {
        const reason =
          t.instance.state === 'RUNNING' ? 'would-reset-with-force-stop' : 'would-reset';
        report.set({ ...baseEntry(t), result: 'planned', reason });
      }
    }
    return report.build(plan.runId, plan.dryRun, deps.clock.now() - started);
  }

  // Phase 3: per region, reconcile first, then rotate.
  await Promise.all(
    [...work].map(async ([region, w]) => {
      const run = new RegionRun(region, plan, deps, report);
      const freed = await run.reconcile(w.reconcile);
      await run.rotate([...w.rotate, ...freed]);
    }),
  );
  // Name the real SSM secret and version of every entry (the packed layout shares secrets).
  for (const entry of report.all()) {
    if (!entry.secretName || !entry.region) continue;
    const where = deps.store.locate(entry.region, entry.secretName, entry.versionId);
    if (where.secretName) entry.secretName = where.secretName;
    else delete entry.secretName;
    if (where.versionId) entry.versionId = where.versionId;
  }
  return report.build(plan.runId, plan.dryRun, deps.clock.now() - started);
}

type Route = 'reconcile' | 'rotate' | { result: 'skipped' | 'failed'; reason: string };

function routeTarget(target: Target, plan: RunPlan): Route {
  const { instance, secret } = target;
  if (isExcluded(instance, plan.excludeTag))
    return { result: 'skipped', reason: SkipReason.excluded };
  // Named instances are still scoped by the configured tags, so a manual run cannot reach
  // outside the fleet the environment names.
  if (
    plan.instanceIds &&
    !plan.tags.every((sel) =>
      instance.tags.some(
        (t) => t.key === sel.key && (sel.value === undefined || t.value === sel.value),
      ),
    )
  ) {
    return { result: 'skipped', reason: SkipReason.notTagged };
  }
  if (target.unknownOs) {
    return {
      result: 'failed',
      reason: 'unknown-os: neither OsName nor the image Platform names the OS',
    };
  }
  if (target.readError)
    return { result: 'failed', reason: `secret-read-failed: ${target.readError}` };
  const newest = secret?.newest;
  if (newest && newest.content === undefined) {
    // A version we did not write (or cannot read) is the newest: building on it could store a
    // password over one an operator relies on. Refuse and say so.
    const blocker = resetBlocker(instance, plan.forceStop);
    return blocker
      ? { result: 'skipped', reason: blocker }
      : {
          result: 'failed',
          reason: 'unrecognised-secret-content: the newest version was not written by this rotator',
        };
  }
  if (newest?.content && newest.content.status !== 'current') return 'reconcile';
  const blocker = resetBlocker(instance, plan.forceStop);
  return blocker ? { result: 'skipped', reason: blocker } : 'rotate';
}

async function scanRegion(region: string, plan: RunPlan, deps: RunDeps): Promise<RegionScan> {
  const instances: InstanceInfo[] = plan.instanceIds
    ? await discoverByIds(deps.cvm, region, plan.instanceIds)
    : await discoverByTags(deps.cvm, region, plan.tags);
  const identities = await classifyInstances(deps.cvm, region, instances);
  const prefix = plan.secretPrefix;
  const names = await deps.store.existing(region);
  const targets: Target[] = [];
  const unknownOs: InstanceInfo[] = [];
  for (const instance of instances) {
    const identity = identities.get(instance.instanceId);
    if (!identity) {
      unknownOs.push(instance);
      continue;
    }
    const name = secretName(prefix, instance.instanceId);
    targets.push({
      instance,
      os: identity.os,
      userName: identity.userName,
      secretName: name,
      secretExists: names.has(name),
    });
  }
  // Secret state for every instance that has a secret and is not excluded: an unfinished
  // rotation must be found even when the instance would be skipped now.
  await Promise.all(
    targets
      .filter((t) => t.secretExists && !isExcluded(t.instance, plan.excludeTag))
      .map(async (t) => {
        try {
          t.secret = await deps.store.read(region, t.secretName);
        } catch (error) {
          if (isAuthFailure(error)) throw error;
          t.readError = error instanceof CloudError ? error.code : 'Error';
          deps.log.warn('secret.read.failed', { region, secretName: t.secretName, error });
        }
      }),
  );
  for (const t of targets) if (!t.secret) t.secret = { name: t.secretName, region, versions: [] };
  return {
    region,
    targets: [
      ...targets,
      ...unknownOs.map((instance) => ({
        instance,
        os: 'linux' as const,
        userName: '',
        secretName: secretName(prefix, instance.instanceId),
        secretExists: false,
        unknownOs: true,
      })),
    ],
  };
}
