import type { InstanceInfo } from '../cloud/ports';
import { resetBlocker, SkipReason } from '../discovery/eligibility';
import type { OsFamily } from '../discovery/os';
import { CloudError } from '../errors';
import { type SecretContent, versionIdFor } from '../secrets/layout';
import { baseEntry, type ReportBuilder } from './report';
import type { RunDeps, RunPlan, Target } from './types';
import { type ResetOutcome, ResetWatcher } from './watcher';

/** ResetInstancesPassword takes at most 100 instances per call (seed; facts §1.1). */
export const MAX_BATCH = 100;
/** The documented 10 calls/s per region (facts §4.1), used to foresee the reset queue. */
const RESET_RATE_PER_SECOND = 10;
/** First guesses of how long a reset takes; replaced by what this run observes. */
const INITIAL_ESTIMATE_MS = { stopped: 20_000, running: 60_000 };
const MAX_BATCH_ATTEMPTS = 4;

/**
 * Codes that mean "an instance in the batch is not (or no longer) resettable". One such instance
 * fails the whole call (facts §1.2), so the batch is re-checked and retried without it.
 */
function isInstanceProblem(code: string): boolean {
  return (
    code.startsWith('UnsupportedOperation.') ||
    code === 'InvalidInstanceId.NotFound' ||
    code === 'OperationDenied.InstanceOperationInProgress' ||
    code === 'MutexOperation.TaskRunning' ||
    code === 'InvalidInstance.NotSupported' ||
    code === 'FailedOperation.InvalidInstanceApplicationRole'
  );
}

/** Errors after which nobody knows whether the reset started: the answer was lost or broken. */
function isAmbiguous(error: unknown): boolean {
  return (
    error instanceof CloudError &&
    (error.code === 'NetworkError' ||
      error.code === 'InternalServerError' ||
      error.code === 'InvalidResponse' ||
      error.code.startsWith('RequestLimitExceeded'))
  );
}

/**
 * Whether the batch's password may already be on the instances through an earlier call (an
 * unrecorded reset of an earlier run, or a lost answer in this run). Then only a verified
 * success settles it: a FAILED or refused call keeps the pending version, and that call's
 * RequestId is not recorded, so that a later run never reads its FAILED as "the pending password
 * was never applied" and deletes the only copy of the actual password.
 */
const mayBeApplied = (batch: {
  readonly reapply: boolean;
  readonly uncertain?: boolean;
}): boolean => batch.reapply || batch.uncertain === true;

interface Batch {
  readonly os: OsFamily;
  readonly userName: string;
  readonly password: string;
  targets: Target[];
  /** Re-applying a stored pending password: no new version, and a failure keeps the pending one. */
  readonly reapply: boolean;
  /**
   * An earlier call of this run with this password may have applied it (its answer was lost):
   * a later FAILED or refused call proves nothing about that one, so the pending version stays.
   */
  readonly uncertain?: boolean;
  /** The pending version per instance. */
  readonly versions: Map<string, { versionId: string; content: SecretContent }>;
  /** A rollback: the stored version whose password this batch applies again. */
  readonly rollbackOf?: string;
}

/** The protocol for one region: reconcile, then persist → reset → verify → promote. */
export class RegionRun {
  private readonly watcher: ResetWatcher;
  private readonly groupPasswords = new Map<string, string>();
  private resetsAhead = 0;
  private readonly estimateMs = { ...INITIAL_ESTIMATE_MS };
  private versionClock = 0;

  constructor(
    private readonly region: string,
    private readonly plan: RunPlan,
    private readonly deps: RunDeps,
    private readonly report: ReportBuilder,
  ) {
    this.watcher = new ResetWatcher(deps.cvm, region, deps.clock, (error) =>
      deps.log.warn('verify.poll.failed', { region, error }),
    );
  }

  private get runTag(): string {
    return this.plan.runId.slice(-12).replace(/[^A-Za-z0-9]/g, '');
  }

  /** A VersionId that sorts after every earlier one of this run, even within one millisecond. */
  private nextVersionId(): string {
    this.versionClock = Math.max(this.versionClock + 1, this.deps.clock.now());
    return versionIdFor(this.versionClock, this.runTag);
  }

  private fail(t: Target, reason: string, fields: Record<string, unknown> = {}): void {
    this.report.set({ ...baseEntry(t), result: 'failed', reason });
    this.deps.log.error('instance.failed', {
      instanceId: t.instance.instanceId,
      region: this.region,
      reason,
      ...fields,
    });
  }

  private skip(t: Target, reason: string): void {
    this.report.set({ ...baseEntry(t), result: 'skipped', reason });
    this.deps.log.info('instance.skipped', {
      instanceId: t.instance.instanceId,
      region: this.region,
      reason,
    });
  }

  private rotated(t: Target, versionId: string, recovered: boolean): void {
    this.report.set({
      ...baseEntry(t),
      result: 'rotated',
      versionId,
      ...(recovered ? { reason: 'recovered-unfinished-rotation' } : {}),
    });
    this.deps.log.info('instance.rotated', {
      instanceId: t.instance.instanceId,
      region: this.region,
      userName: t.userName,
      secretName: t.secretName,
      versionId,
      recovered,
    });
  }

  private until(): number {
    return Math.min(this.deps.clock.now() + this.plan.verifyTimeoutMs, this.plan.deadlineAt);
  }

  // ---------------------------------------------------------------- reconcile

  /**
   * Finishes what an earlier run left: a newest version that is `pending` or `applying`. Returns
   * the instances whose unfinished version turned out never applied (now deleted), which may be
   * rotated normally in this run.
   */
  async reconcile(targets: readonly Target[]): Promise<Target[]> {
    const freed: Target[] = [];
    const reapply: Array<{ target: Target; versionId: string; content: SecretContent }> = [];
    await Promise.all(
      targets.map(async (t) => {
        const newest = t.secret?.newest;
        if (!newest?.content) return;
        const pending = newest.content;
        this.deps.log.info('instance.reconciling', {
          instanceId: t.instance.instanceId,
          region: this.region,
          versionId: newest.versionId,
          status: pending.status,
          fromRun: pending.runId,
        });
        try {
          const decision = await this.judgePending(t, pending);
          if (decision.kind === 'promote') {
            await this.promote(
              t,
              newest.versionId,
              pending,
              decision.requestId ?? pending.requestId,
            );
            this.rotated(t, newest.versionId, true);
          } else if (decision.kind === 'discard') {
            await this.discard(t, newest.versionId);
            t.instance = decision.instance ?? t.instance;
            const blocker = resetBlocker(t.instance, this.plan.forceStop);
            if (blocker) this.skip(t, blocker);
            else freed.push(t);
          } else if (decision.kind === 'reapply') {
            reapply.push({ target: t, versionId: newest.versionId, content: pending });
          } else {
            this.fail(t, `pending-unresolved: ${decision.reason}`, { versionId: newest.versionId });
          }
        } catch (error) {
          this.fail(t, `pending-unresolved: ${describe(error)}`, { error });
        }
      }),
    );
    // Re-apply the stored password, grouped so one call serves every instance that shares it.
    const groups = new Map<string, Batch>();
    const batches: Batch[] = [];
    for (const r of reapply) {
      const key = `${r.content.osFamily}|${r.content.userName}|${r.content.password}`;
      let batch = groups.get(key);
      if (!batch || batch.targets.length >= MAX_BATCH) {
        batch = {
          os: r.content.osFamily,
          userName: r.content.userName,
          password: r.content.password,
          targets: [],
          reapply: true,
          versions: new Map(),
        };
        groups.set(key, batch);
        batches.push(batch);
      }
      batch.targets.push(r.target);
      batch.versions.set(r.target.instance.instanceId, {
        versionId: r.versionId,
        content: r.content,
      });
    }
    await this.runBatches(batches);
    return freed;
  }

  private async judgePending(
    t: Target,
    pending: SecretContent,
  ): Promise<
    | { kind: 'promote'; requestId?: string }
    | { kind: 'discard'; instance?: InstanceInfo }
    | { kind: 'reapply' }
    | { kind: 'unresolved'; reason: string }
  > {
    let instance = t.instance;
    const recorded = pending.requestId;
    if (recorded && instance.latestOperationRequestId === recorded) {
      let outcome: ResetOutcome | undefined;
      if (instance.latestOperationState === 'OPERATING') {
        outcome = await this.watcher.wait(instance.instanceId, recorded, recorded, this.until());
      } else if (instance.latestOperationState === 'SUCCESS') {
        outcome = { kind: 'success', instance };
      } else if (instance.latestOperationState === 'FAILED') {
        outcome = { kind: 'failed', instance, message: instance.latestOperationErrorMsg ?? '' };
      }
      if (outcome?.kind === 'success') return { kind: 'promote', requestId: recorded };
      // FAILED keeps the old password (facts §1.2): the pending one was never applied.
      if (outcome?.kind === 'failed') return { kind: 'discard', instance: outcome.instance };
      if (outcome?.kind === 'gone') return { kind: 'unresolved', reason: 'instance-gone' };
      if (outcome?.kind === 'timeout')
        return { kind: 'unresolved', reason: 'reset-still-in-progress' };
      if (outcome?.kind === 'overwritten') instance = outcome.instance;
    } else {
      // If the instance's latest operation is still the reset that applied the previous
      // (current) version, nothing has happened to it since: the pending one never applied.
      const previous = t.secret?.versions[1];
      if (previous && instance.latestOperationRequestId) {
        const content = await this.deps.store.readContent(
          this.region,
          t.secretName,
          previous.versionId,
        );
        if (
          content?.status === 'current' &&
          content.requestId === instance.latestOperationRequestId
        ) {
          return { kind: 'discard' };
        }
      }
    }
    // Unknown whether the pending password applied: make it certain by applying it again.
    if (instance.latestOperationState === 'OPERATING') {
      const settled = await this.watcher.wait(instance.instanceId, undefined, null, this.until());
      if (settled.kind !== 'success')
        return { kind: 'unresolved', reason: 'operation-in-progress' };
      instance = settled.instance;
    }
    t.instance = instance;
    const blocker = resetBlocker(instance, this.plan.forceStop);
    if (blocker) return { kind: 'unresolved', reason: `cannot re-apply (${blocker})` };
    return { kind: 'reapply' };
  }

  // ---------------------------------------------------------------- rotate

  /** Rotates eligible instances: groups them, then runs the batches concurrently. */
  async rotate(targets: readonly Target[]): Promise<void> {
    const groups = new Map<string, Target[]>();
    const batches: Batch[] = [];
    const rollback = this.plan.rollback;
    for (const t of targets) {
      if (rollback && t.instance.instanceId === rollback.instanceId) {
        const batch = await this.rollbackBatch(t, rollback.versionId);
        if (batch) batches.push(batch);
        continue;
      }
      // RUNNING and STOPPED instances go in separate batches: a batch finishes with its slowest
      // instance, and a force-stopped one takes 20–40 s against 5–10 s (facts §1.2).
      const key = this.passwordKey(t);
      const batchKey = `${key}|${t.instance.state === 'RUNNING' ? 'running' : 'stopped'}`;
      const list = groups.get(batchKey) ?? [];
      list.push(t);
      groups.set(batchKey, list);
    }
    for (const list of groups.values()) {
      list.sort((a, b) => a.instance.instanceId.localeCompare(b.instance.instanceId));
      const first = list[0] as Target;
      const password = this.passwordFor(this.passwordKey(first), first);
      for (let i = 0; i < list.length; i += MAX_BATCH) {
        batches.push({
          os: first.os,
          userName: first.userName,
          password,
          targets: list.slice(i, i + MAX_BATCH),
          reapply: false,
          versions: new Map(),
        });
      }
    }
    // The slow (force-stop) resets first, so the run's tail is a fast one: with resets paced at
    // 10/s per region, the last batch started decides when the run ends.
    const running = (b: Batch) => (b.targets.some((t) => t.instance.state === 'RUNNING') ? 0 : 1);
    batches.sort((a, b) => running(a) - running(b));
    await this.runBatches(batches);
  }

  /**
   * Rollback (operator CLI): the password of an older stored version is applied again through the
   * same protocol — stored first as a new pending version (marked `rollbackOf`), reset, verified,
   * promoted — so the rolled-back password becomes the newest version like any rotation.
   */
  private async rollbackBatch(t: Target, versionId: string): Promise<Batch | undefined> {
    const content = await this.deps.store.readContent(this.region, t.secretName, versionId);
    if (!content || content.instanceId !== t.instance.instanceId) {
      this.fail(t, `rollback-version-not-found: ${versionId}`);
      return undefined;
    }
    if (content.userName !== t.userName || content.osFamily !== t.os) {
      this.fail(
        t,
        `rollback-version-unusable: it is for user ${content.userName}, the instance's admin is ${t.userName}`,
      );
      return undefined;
    }
    this.deps.registerSecret(content.password);
    return {
      os: t.os,
      userName: t.userName,
      password: content.password,
      targets: [t],
      reapply: false,
      versions: new Map(),
      rollbackOf: versionId,
    };
  }

  /** Scope `group`: one password per (region, OS family, user) per run; `instance`: one each. */
  private passwordKey(t: Target): string {
    return this.plan.passwordScope === 'instance' ? t.instance.instanceId : `${t.os}|${t.userName}`;
  }

  private passwordFor(key: string, t: Target): string {
    let password = this.groupPasswords.get(key);
    if (!password) {
      password = this.deps.generatePassword({
        os: t.os,
        userName: t.userName,
        length: this.plan.passwordLength,
      });
      this.deps.registerSecret(password);
      this.groupPasswords.set(key, password);
    }
    return password;
  }

  private async runBatches(batches: Batch[]): Promise<void> {
    if (this.plan.sequential) {
      for (const batch of batches) await this.runBatch(batch, 1);
      return;
    }
    await Promise.all(batches.map((batch) => this.runBatch(batch, 1)));
  }

  /** Would a batch started now finish before the deadline, given the resets queued ahead of it? */
  private fitsDeadline(batch: Batch): boolean {
    const queueMs = (this.resetsAhead / RESET_RATE_PER_SECOND) * 1000;
    const running = batch.targets.some((t) => t.instance.state === 'RUNNING');
    const completion = running ? this.estimateMs.running : this.estimateMs.stopped;
    return this.deps.clock.now() + queueMs + completion < this.plan.deadlineAt;
  }

  private async runBatch(batch: Batch, attempt: number): Promise<void> {
    if (batch.targets.length === 0) return;
    if (!this.fitsDeadline(batch)) {
      for (const t of batch.targets) {
        if (batch.reapply) this.fail(t, 'pending-unresolved: deferred past the deadline');
        else this.skip(t, SkipReason.deferred);
      }
      return;
    }
    this.resetsAhead++;
    try {
      if (!batch.reapply && attempt === 1) await this.persistAll(batch);
      if (batch.targets.length === 0) return;
      await this.resetAndVerify(batch, attempt);
    } finally {
      this.resetsAhead--;
    }
  }

  /** Step 1: prune old versions, then store the new password as `pending` before any reset. */
  private async persistAll(batch: Batch): Promise<void> {
    const ok: Target[] = [];
    await Promise.all(
      batch.targets.map(async (t) => {
        try {
          await this.prune(t);
          const versionId = this.nextVersionId();
          const content: SecretContent = {
            schema: 1,
            password: batch.password,
            userName: t.userName,
            instanceId: t.instance.instanceId,
            region: this.region,
            osFamily: t.os,
            status: 'pending',
            runId: this.plan.runId,
            createdAt: new Date(this.deps.clock.now()).toISOString(),
            ...(batch.rollbackOf ? { rollbackOf: batch.rollbackOf } : {}),
          };
          await this.deps.store.put(this.region, t.secretName, versionId, content, t.secretExists);
          t.secretExists = true;
          batch.versions.set(t.instance.instanceId, { versionId, content });
          ok.push(t);
        } catch (error) {
          this.fail(t, `persist-failed: ${describe(error)}`, { error });
        }
      }),
    );
    batch.targets = ok.sort((a, b) => a.instance.instanceId.localeCompare(b.instance.instanceId));
    this.deps.checkpoint?.('pending.persisted', { region: this.region, count: ok.length });
  }

  /**
   * Makes room before a new version: keeps the newest `keepVersions` (the current one among
   * them), so after the rotation the secret holds the new current plus `keepVersions` previous
   * passwords for rollback, and never more than 9 versions (SSM refuses an 11th, facts §3.1).
   */
  private async prune(t: Target): Promise<void> {
    const versions = t.secret?.versions ?? [];
    const keep = this.plan.keepVersions;
    const doomed = versions.slice(keep);
    for (const v of doomed) {
      await this.deps.store.remove(this.region, t.secretName, v.versionId);
      this.deps.log.info('secret.pruned', {
        secretName: t.secretName,
        region: this.region,
        versionId: v.versionId,
      });
    }
    if (doomed.length > 0 && t.secret)
      t.secret = { ...t.secret, versions: versions.slice(0, keep) };
    if (doomed.length > 0) this.deps.checkpoint?.('pruned', { secretName: t.secretName });
  }

  /** Steps 2–4: reset, record the RequestId, verify, then promote or discard per instance. */
  private async resetAndVerify(batch: Batch, attempt: number): Promise<void> {
    const ids = batch.targets.map((t) => t.instance.instanceId);
    const forceStop =
      this.plan.forceStop && batch.targets.some((t) => t.instance.state === 'RUNNING');
    const before = new Map(
      batch.targets.map((t) => [t.instance.instanceId, t.instance.latestOperationRequestId]),
    );
    let requestId: string;
    const startedAt = this.deps.clock.now();
    try {
      requestId = await this.deps.cvm.resetPassword(this.region, {
        instanceIds: ids,
        password: batch.password,
        userName: batch.userName,
        forceStop,
      });
    } catch (error) {
      await this.onResetError(batch, attempt, error);
      return;
    }
    this.deps.log.info('batch.reset.requested', {
      region: this.region,
      requestId,
      instanceIds: ids,
      os: batch.os,
      userName: batch.userName,
      forceStop,
      reapply: batch.reapply,
    });
    this.deps.checkpoint?.('reset.requested', { region: this.region, requestId });

    // Record which call applies each pending version, so a crash while waiting can be resumed
    // without a second reset. Best effort: without it the next run re-applies instead. Never for
    // a password an earlier call may have applied (see mayBeApplied).
    await Promise.all(
      batch.targets.map(async (t) => {
        const v = batch.versions.get(t.instance.instanceId);
        if (!v || mayBeApplied(batch)) return;
        const content: SecretContent = { ...v.content, status: 'applying', requestId };
        try {
          await this.deps.store.update(this.region, t.secretName, v.versionId, content);
          batch.versions.set(t.instance.instanceId, { versionId: v.versionId, content });
        } catch (error) {
          this.deps.log.warn('secret.record.failed', {
            secretName: t.secretName,
            region: this.region,
            error,
          });
        }
      }),
    );
    this.deps.checkpoint?.('requestId.recorded', { region: this.region, requestId });

    await Promise.all(
      batch.targets.map(async (t) => {
        const id = t.instance.instanceId;
        const v = batch.versions.get(id);
        if (!v) return;
        const outcome = await this.watcher.wait(
          id,
          requestId,
          before.get(id) ?? null,
          this.until(),
        );
        this.deps.checkpoint?.('verified', { instanceId: id, outcome: outcome.kind });
        await this.finish(t, batch, v, outcome, requestId, startedAt);
      }),
    );
  }

  private async finish(
    t: Target,
    batch: Batch,
    v: { versionId: string; content: SecretContent },
    outcome: ResetOutcome,
    requestId: string,
    startedAt: number,
  ): Promise<void> {
    try {
      if (outcome.kind === 'success') {
        const took = this.deps.clock.now() - startedAt;
        const kind = t.instance.state === 'RUNNING' ? 'running' : 'stopped';
        this.estimateMs[kind] = Math.max(this.estimateMs[kind] * 0.5, took * 1.2);
        await this.promote(t, v.versionId, v.content, requestId);
        this.rotated(t, v.versionId, batch.reapply);
      } else if (outcome.kind === 'failed' && !mayBeApplied(batch)) {
        // FAILED keeps the old password (facts §1.2), so the pending one must not stay newest.
        await this.discard(t, v.versionId);
        this.fail(t, `reset-failed: ${outcome.message}`, { requestId });
      } else {
        // Unknown whether it applied (or a re-apply failed): keep the pending version, which the
        // next run reconciles; the previous version stays too, so the actual one is stored.
        const why = outcome.kind === 'failed' ? `reset-failed: ${outcome.message}` : outcome.kind;
        this.fail(t, `unverified (${why}); pending version kept for the next run`, {
          requestId,
          versionId: v.versionId,
        });
      }
    } catch (error) {
      if (outcome.kind === 'success') {
        // The password is applied and stored as the newest version (status `applying`, with the
        // RequestId), so the contract holds; the next run sees the SUCCESS and marks it current.
        this.deps.log.warn('secret.promote.failed', {
          secretName: t.secretName,
          region: this.region,
          error,
        });
        this.rotated(t, v.versionId, batch.reapply);
        const entry = this.report.get(t.instance.instanceId);
        if (entry) entry.reason = `promote-deferred: ${describe(error)}`;
      } else {
        this.fail(t, `discard-failed: ${describe(error)}; pending version kept for the next run`, {
          error,
        });
      }
    }
  }

  private async promote(
    t: Target,
    versionId: string,
    content: SecretContent,
    requestId: string | undefined,
  ): Promise<void> {
    const current: SecretContent = {
      ...content,
      status: 'current',
      ...(requestId ? { requestId } : {}),
      verifiedAt: new Date(this.deps.clock.now()).toISOString(),
    };
    await this.deps.store.update(this.region, t.secretName, versionId, current);
    this.deps.checkpoint?.('promoted', { instanceId: t.instance.instanceId });
  }

  private async discard(t: Target, versionId: string): Promise<void> {
    await this.deps.store.remove(this.region, t.secretName, versionId);
    if (t.secret) {
      t.secret = {
        ...t.secret,
        versions: t.secret.versions.filter((v) => v.versionId !== versionId),
      };
    }
    this.deps.log.info('secret.version.discarded', {
      secretName: t.secretName,
      region: this.region,
      versionId,
    });
    this.deps.checkpoint?.('pending.discarded', { instanceId: t.instance.instanceId });
  }

  private async onResetError(batch: Batch, attempt: number, error: unknown): Promise<void> {
    const code = error instanceof CloudError ? error.code : 'Error';
    const ids = batch.targets.map((t) => t.instance.instanceId);
    this.deps.log.warn('batch.reset.failed', {
      region: this.region,
      instanceIds: ids,
      code,
      attempt,
      error,
    });
    if (isAmbiguous(error) && attempt < MAX_BATCH_ATTEMPTS) {
      // The reset may have started. Wait until no operation runs on these instances, then apply
      // the same stored password again. Only a verified success makes the outcome certain: from
      // now on a FAILED or refused call keeps the pending version.
      await Promise.all(ids.map((id) => this.watcher.wait(id, undefined, null, this.until())));
      await this.retryWith({ ...batch, uncertain: true }, attempt + 1);
      return;
    }
    // Splitting halves the batch each time, so it ends even past the attempt limit.
    if (
      error instanceof CloudError &&
      isInstanceProblem(code) &&
      (attempt < MAX_BATCH_ATTEMPTS || batch.targets.length > 1)
    ) {
      // The call was refused as a whole: nothing applied. Re-check, drop the instances that
      // changed since discovery, and retry the rest (or split to find the culprit).
      await this.retryWith(batch, attempt + 1, code);
      return;
    }
    for (const t of batch.targets) {
      const v = batch.versions.get(t.instance.instanceId);
      if (!mayBeApplied(batch) && v && !isAmbiguous(error)) {
        try {
          await this.discard(t, v.versionId);
        } catch (discardError) {
          this.deps.log.warn('secret.discard.failed', {
            secretName: t.secretName,
            error: discardError,
          });
        }
      }
      this.fail(
        t,
        isAmbiguous(error)
          ? `reset-outcome-unknown: ${code}; pending version kept`
          : `reset-refused: ${code}${mayBeApplied(batch) ? '; pending version kept' : ''}`,
        {
          code,
          requestId: error instanceof CloudError ? error.requestId : undefined,
        },
      );
    }
  }

  private async retryWith(batch: Batch, attempt: number, refusal?: string): Promise<void> {
    let fresh: readonly InstanceInfo[];
    try {
      fresh = await this.deps.cvm.describeByIds(
        this.region,
        batch.targets.map((t) => t.instance.instanceId),
      );
    } catch (error) {
      await this.onResetError(batch, MAX_BATCH_ATTEMPTS, error);
      return;
    }
    const byId = new Map(fresh.map((i) => [i.instanceId, i]));
    const keep: Target[] = [];
    for (const t of batch.targets) {
      const now = byId.get(t.instance.instanceId);
      const v = batch.versions.get(t.instance.instanceId);
      const blocker = now ? resetBlocker(now, this.plan.forceStop) : 'instance-gone';
      if (now) t.instance = now;
      if (blocker && refusal) {
        // A refused call applied nothing, so this instance's pending version can go, unless an
        // earlier call may have applied it.
        if (v && !mayBeApplied(batch)) await this.discard(t, v.versionId).catch(() => undefined);
        if (mayBeApplied(batch)) this.fail(t, `pending-unresolved: ${blocker}`);
        else if (blocker === 'instance-gone') this.fail(t, 'instance-gone');
        else this.skip(t, `${blocker} (changed since discovery)`);
      } else {
        keep.push(t);
      }
    }
    if (refusal && keep.length === batch.targets.length && keep.length > 1) {
      // Nothing visible changed: split the batch so the refused instance is isolated.
      const half = Math.ceil(keep.length / 2);
      const halves = [keep.slice(0, half), keep.slice(half)].map((targets) => ({
        ...batch,
        targets,
      }));
      await Promise.all(halves.map((b) => this.resetAndVerify(b, attempt)));
      return;
    }
    if (refusal && keep.length === batch.targets.length) {
      const refused = new CloudError('refused again with no visible change', {
        code: refusal,
        action: 'ResetInstancesPassword',
        region: this.region,
        transient: false,
      });
      await this.onResetError(batch, MAX_BATCH_ATTEMPTS, refused);
      return;
    }
    batch.targets = keep;
    if (keep.length > 0) await this.resetAndVerify(batch, attempt);
  }
}

function describe(error: unknown): string {
  if (error instanceof CloudError) return error.code;
  return error instanceof Error ? error.name : 'error';
}
