import type { Clock, SsmPort } from '../cloud/ports';
import { CloudError } from '../errors';

/**
 * A per-region lock so that two runs (a timer run and a manual one, a platform retry, two
 * fan-out sub-runs) never work on the same region at once: one could otherwise reconcile or
 * promote the other's unfinished version.
 *
 * SSM has no conditional write, but a VersionId can be created only once
 * (`ResourceInUse.VersionIdExists`, facts §3.1). The lock is the secret `<prefix>-lock` in the
 * region; each claim is a new version `lock-<epoch>` with the next epoch number, so exactly one
 * claimant wins an epoch. The holder of the highest epoch owns the region until its `expiresAt`
 * unless it released it. The owner renews `expiresAt` every third of the TTL; a run that died
 * frees the region one TTL after its last renewal. Every mutating call of the protocol is
 * checked against the lock right before it is sent (see `assertOwned`), and ownership ends
 * locally a safety margin before `expiresAt`, so a run that lost contact stops writing before
 * anyone else may claim the region.
 *
 * Two rules keep "one owner at a time" true when calls are slow (assuming the runs' clocks agree
 * within the margin, and a request reaches the API within the margin of being sent):
 * - a claimant judges a head expired with the time taken BEFORE it read the head, so a renewal
 *   that landed while its answer was on the way cannot be overlooked;
 * - once ownership has lapsed locally it is lost for good: a renewal that completes after the
 *   lapse (a slow or retried UpdateSecret) does not revive it, because another run may already
 *   have claimed the next epoch.
 */

interface LockContent {
  readonly schema: 1;
  readonly owner: string;
  readonly acquiredAt: string;
  readonly expiresAt: number;
  readonly released: boolean;
}

const EPOCH = /^lock-(\d{10})$/;
const versionFor = (epoch: number) => `lock-${String(epoch).padStart(10, '0')}`;
/** Claims lost in a row before giving up: two live runs settle in one or two. */
const MAX_LOST_RACES = 8;
/** Older epochs kept for forensics; SSM allows 10 versions per secret. */
const KEEP_EPOCHS = 4;

export class LockLostError extends CloudError {
  constructor(region: string, action: string) {
    super('the region lock is no longer held by this run; nothing more is written', {
      code: 'LockLost',
      action,
      region,
      transient: false,
    });
  }
}

export type AcquireResult =
  | { readonly acquired: true }
  | { readonly acquired: false; readonly holder: string; readonly expiresAt: number };

const isCode = (error: unknown, code: string) => error instanceof CloudError && error.code === code;

export class RegionLock {
  private epoch = 0;
  private expiresAt = 0;
  private lost = false;
  private stopped = true;
  private heartbeat: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly ssm: SsmPort,
    readonly region: string,
    private readonly name: string,
    private readonly owner: string,
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly onEvent: (event: string, fields: Record<string, unknown>) => void,
  ) {}

  /** Ownership ends this long before `expiresAt`, so clock skew and in-flight calls fit. */
  private get margin(): number {
    return Math.min(10_000, this.ttlMs / 4);
  }

  owned(): boolean {
    return this.epoch > 0 && !this.lost && this.clock.now() < this.expiresAt - this.margin;
  }

  /** Throws LockLostError unless the lock is held; called before every mutating request. */
  assertOwned(action: string): void {
    if (!this.owned()) throw new LockLostError(this.region, action);
  }

  private async head(): Promise<{ epoch: number; content: LockContent | undefined } | undefined> {
    let versions: readonly { versionId: string }[];
    try {
      versions = await this.ssm.listVersions(this.region, this.name);
    } catch (error) {
      if (isCode(error, 'ResourceNotFound') || isCode(error, 'ResourceNotFound.SecretNotExist'))
        return undefined;
      throw error;
    }
    let epoch = 0;
    for (const v of versions) {
      const m = EPOCH.exec(v.versionId);
      if (m) epoch = Math.max(epoch, Number(m[1]));
    }
    if (epoch === 0) return undefined;
    let content: LockContent | undefined;
    try {
      content = JSON.parse(
        await this.ssm.getValue(this.region, this.name, versionFor(epoch)),
      ) as LockContent;
    } catch (error) {
      if (!isCode(error, 'ResourceNotFound')) throw error;
    }
    return { epoch, content };
  }

  private body(expiresAt: number, released: boolean): string {
    const content: LockContent = {
      schema: 1,
      owner: this.owner,
      acquiredAt: new Date(this.clock.now()).toISOString(),
      expiresAt,
      released,
    };
    return JSON.stringify(content);
  }

  /**
   * Claims the region, waiting (until `waitUntil`) for a live holder to release or expire.
   * Never throws for a busy lock; cloud errors propagate.
   */
  async acquire(waitUntil: number): Promise<AcquireResult> {
    let lostRaces = 0;
    for (let attempt = 0; attempt < 1000; attempt++) {
      // The time before the read: a head judged expired was read after it expired.
      const now = this.clock.now();
      const head = await this.head();
      const held = head?.content && !head.content.released && head.content.expiresAt > now;
      if (held && head.content) {
        const holder = head.content.owner;
        const expiresAt = head.content.expiresAt;
        if (expiresAt >= waitUntil) return { acquired: false, holder, expiresAt };
        this.onEvent('lock.waiting', {
          region: this.region,
          holder,
          expiresAt: new Date(expiresAt).toISOString(),
        });
        const waitMs = expiresAt - this.clock.now() + 50;
        await this.clock.sleep(Math.max(50, Math.min(waitMs, Math.max(1000, this.ttlMs / 6))));
        continue;
      }
      const epoch = (head?.epoch ?? 0) + 1;
      const expiresAt = now + this.ttlMs;
      const value = this.body(expiresAt, false);
      try {
        if (head === undefined) {
          try {
            await this.ssm.createSecret(this.region, {
              name: this.name,
              versionId: versionFor(epoch),
              value,
              description: 'Region lock of cvm-password-rotator (no secret inside)',
            });
          } catch (error) {
            if (!isCode(error, 'ResourceInUse.SecretExists')) throw error;
            await this.ssm.putValue(this.region, {
              name: this.name,
              versionId: versionFor(epoch),
              value,
            });
          }
        } else {
          await this.ssm.putValue(this.region, {
            name: this.name,
            versionId: versionFor(epoch),
            value,
          });
        }
      } catch (error) {
        // Another run claimed this epoch first, or the answer to our own claim was lost and the
        // adapter's retry met our own version: only the content tells which, below.
        if (!isCode(error, 'ResourceInUse.VersionIdExists')) throw error;
      }
      const mine = await this.ssm.getValue(this.region, this.name, versionFor(epoch));
      if (mine !== value) {
        // Lost this epoch. Real races end in a round or two; a listing that keeps missing the
        // newest epoch (lagging, or a broken answer) must neither spin nor hammer SSM.
        if (++lostRaces >= MAX_LOST_RACES) {
          throw new CloudError(
            `the lock's version list kept missing epoch ${epoch} after ${lostRaces} claims`,
            {
              code: 'InvalidResponse',
              action: 'ListSecretVersionIds',
              region: this.region,
              transient: false,
            },
          );
        }
        await this.clock.sleep(Math.min(2_000, 100 * 2 ** lostRaces));
        continue;
      }
      this.epoch = epoch;
      this.expiresAt = expiresAt;
      this.lost = false;
      this.onEvent('lock.acquired', {
        region: this.region,
        epoch,
        expiresAt: new Date(expiresAt).toISOString(),
      });
      // Renewals first: pruning may be slow and must not eat into the TTL.
      this.startHeartbeat();
      await this.prune(epoch);
      return { acquired: true };
    }
    throw new Error(`could not settle the lock of ${this.region}`);
  }

  private async prune(epoch: number): Promise<void> {
    try {
      const versions = await this.ssm.listVersions(this.region, this.name);
      for (const v of versions) {
        const m = EPOCH.exec(v.versionId);
        if (m && Number(m[1]) <= epoch - KEEP_EPOCHS)
          await this.ssm.deleteVersion(this.region, this.name, v.versionId);
      }
    } catch (error) {
      this.onEvent('lock.prune.failed', { region: this.region, error });
    }
  }

  private startHeartbeat(): void {
    this.stopped = false;
    this.heartbeat = (async () => {
      while (!this.stopped && !this.lost) {
        await this.pause(this.ttlMs / 3);
        if (this.stopped) break;
        try {
          // A lapsed lock is never renewed: another run may hold the next epoch by now.
          if (!this.owned()) {
            this.markLost('lapsed');
            break;
          }
          const head = await this.head();
          if (!head || head.epoch !== this.epoch || head.content?.owner !== this.owner) {
            this.markLost('claimed-by-another');
            break;
          }
          const expiresAt = this.clock.now() + this.ttlMs;
          await this.ssm.updateValue(this.region, {
            name: this.name,
            versionId: versionFor(this.epoch),
            value: this.body(expiresAt, false),
          });
          if (this.stopped) break;
          // The renewal counts only if it landed while the lock was still ours: one that took
          // past the lapse (retries, a slow answer) may have landed after another run's claim.
          if (!this.owned()) {
            this.markLost('renewed-too-late');
            break;
          }
          this.expiresAt = Math.max(this.expiresAt, expiresAt);
        } catch (error) {
          // Keep trying; `owned()` still ends at the last known expiry.
          this.onEvent('lock.renew.failed', { region: this.region, error });
        }
      }
    })();
  }

  private markLost(why: string): void {
    this.lost = true;
    this.onEvent('lock.lost', { region: this.region, epoch: this.epoch, why });
  }

  /** A sleep that `release` can cut short and that never keeps the process alive by itself. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms / this.clock.scale);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Stops renewing and marks the lock released so the next run need not wait. */
  async release(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.heartbeat;
    if (this.epoch === 0) return;
    const epoch = this.epoch;
    const stillMine = this.owned();
    this.epoch = 0;
    if (!stillMine) return;
    try {
      await this.ssm.updateValue(this.region, {
        name: this.name,
        versionId: versionFor(epoch),
        value: this.body(this.clock.now(), true),
      });
      this.onEvent('lock.released', { region: this.region, epoch });
    } catch (error) {
      this.onEvent('lock.release.failed', { region: this.region, error });
    }
  }
}

export const lockSecretName = (prefix: string) => `${prefix}-lock`;
