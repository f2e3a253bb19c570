/**
 * RegionLock (src/protocol/lock.ts) against a plain in-memory SsmPort and a hand-driven clock.
 *
 * The fake keeps SSM's one rule the lock relies on: a VersionId can be created only once
 * (`ResourceInUse.VersionIdExists`). The clock moves only when a test (or the lock's own wait)
 * moves it; the heartbeat's timer is a vitest fake timer, advanced together with the clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock, SecretVersion, SsmPort } from '../../src/cloud/ports';
import { CloudError } from '../../src/errors';
import { LockLostError, lockSecretName, RegionLock } from '../../src/protocol/lock';

const REGION = 'ap-guangzhou';
const NAME = lockSecretName('cvm-password');
const TTL = 30_000;
/** min(10 s, TTL / 4): ownership ends this long before the stored expiry. */
const MARGIN = 7_500;
const T0 = Date.UTC(2026, 10, 29, 3, 0, 0);

const epochId = (epoch: number) => `lock-${String(epoch).padStart(10, '0')}`;

interface LockContent {
  schema: number;
  owner: string;
  acquiredAt: string;
  expiresAt: number;
  released: boolean;
}

class FakeClock implements Clock {
  t = T0;
  slept = 0;
  readonly scale = 1;
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
    this.slept += ms;
  }
}

interface Call {
  readonly method: string;
  readonly name: string;
  readonly versionId?: string;
}

const cloudError = (code: string, action: string) =>
  new CloudError('fake SSM refused', { code, action, region: REGION, transient: false });

/** An SSM with one region, the 10-version limit and unique VersionIds; every call is recorded. */
class FakeSsm implements SsmPort {
  readonly secrets = new Map<string, Map<string, { value: string; createTime: number }>>();
  readonly calls: Call[] = [];
  /** Runs before each call is served; may wait (a slow request) or throw (a refused one). */
  before: ((call: Call) => Promise<void> | void) | undefined;
  /** Runs after a call was served and before its answer is delivered; may throw (a lost answer). */
  after: ((call: Call) => Promise<void> | void) | undefined;

  constructor(private readonly clock: FakeClock) {}

  private async serve<T>(call: Call, op: () => T): Promise<T> {
    this.calls.push(call);
    await this.before?.(call);
    const result = op();
    await this.after?.(call);
    return result;
  }

  private secret(name: string, action: string) {
    const versions = this.secrets.get(name);
    if (!versions) throw cloudError('ResourceNotFound', action);
    return versions;
  }

  private add(name: string, versionId: string, value: string, action: string): void {
    const versions = this.secret(name, action);
    if (versions.has(versionId)) throw cloudError('ResourceInUse.VersionIdExists', action);
    if (versions.size >= 10) throw cloudError('LimitExceeded', action);
    versions.set(versionId, { value, createTime: Math.floor(this.clock.now() / 1000) });
  }

  /** Writes a version directly, as another claimant would. */
  seed(versionId: string, content: LockContent): void {
    if (!this.secrets.has(NAME)) this.secrets.set(NAME, new Map());
    this.add(NAME, versionId, JSON.stringify(content), 'seed');
  }

  content(versionId: string): LockContent | undefined {
    const stored = this.secrets.get(NAME)?.get(versionId);
    return stored ? (JSON.parse(stored.value) as LockContent) : undefined;
  }

  epochs(): string[] {
    return [...(this.secrets.get(NAME)?.keys() ?? [])].sort();
  }

  writes(): Call[] {
    return this.calls.filter((c) => c.method !== 'listVersions' && c.method !== 'getValue');
  }

  listSecrets(): Promise<readonly { name: string; status: string }[]> {
    return this.serve({ method: 'listSecrets', name: '' }, () =>
      [...this.secrets.keys()].map((name) => ({ name, status: 'Enabled' })),
    );
  }

  countSecrets(): Promise<number> {
    return this.serve({ method: 'countSecrets', name: '' }, () => this.secrets.size);
  }

  listVersions(_region: string, name: string): Promise<readonly SecretVersion[]> {
    return this.serve({ method: 'listVersions', name }, () =>
      [...this.secret(name, 'ListSecretVersionIds')].map(([versionId, v]) => ({
        versionId,
        createTime: v.createTime,
      })),
    );
  }

  getValue(_region: string, name: string, versionId: string): Promise<string> {
    return this.serve({ method: 'getValue', name, versionId }, () => {
      const stored = this.secret(name, 'GetSecretValue').get(versionId);
      if (!stored) throw cloudError('ResourceNotFound', 'GetSecretValue');
      return stored.value;
    });
  }

  createSecret(
    _region: string,
    input: { name: string; versionId: string; value: string; description: string },
  ): Promise<void> {
    return this.serve(
      { method: 'createSecret', name: input.name, versionId: input.versionId },
      () => {
        if (this.secrets.has(input.name))
          throw cloudError('ResourceInUse.SecretExists', 'CreateSecret');
        this.secrets.set(input.name, new Map());
        this.add(input.name, input.versionId, input.value, 'CreateSecret');
      },
    );
  }

  putValue(_region: string, input: { name: string; versionId: string; value: string }) {
    return this.serve({ method: 'putValue', name: input.name, versionId: input.versionId }, () =>
      this.add(input.name, input.versionId, input.value, 'PutSecretValue'),
    );
  }

  updateValue(_region: string, input: { name: string; versionId: string; value: string }) {
    return this.serve(
      { method: 'updateValue', name: input.name, versionId: input.versionId },
      () => {
        const versions = this.secret(input.name, 'UpdateSecret');
        const stored = versions.get(input.versionId);
        if (!stored) throw cloudError('ResourceNotFound', 'UpdateSecret');
        versions.set(input.versionId, { ...stored, value: input.value });
      },
    );
  }

  deleteVersion(_region: string, name: string, versionId: string): Promise<void> {
    return this.serve({ method: 'deleteVersion', name, versionId }, () => {
      if (!this.secret(name, 'DeleteSecretVersion').delete(versionId))
        throw cloudError('ResourceNotFound', 'DeleteSecretVersion');
    });
  }
}

let clock: FakeClock;
let ssm: FakeSsm;
let events: Array<{ owner: string; event: string; fields: Record<string, unknown> }>;
const locks: RegionLock[] = [];

function lockFor(owner: string, ttl = TTL): RegionLock {
  const lock = new RegionLock(ssm, REGION, NAME, owner, clock, ttl, (event, fields) =>
    events.push({ owner, event, fields }),
  );
  locks.push(lock);
  return lock;
}

const eventsOf = (owner: string, event: string) =>
  events.filter((e) => e.owner === owner && e.event === event);

/** Lets every pending promise chain of the fake (which never waits on a timer) run to its end. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Moves the clock and the heartbeat's timers together. */
async function elapse(ms: number): Promise<void> {
  clock.t += ms;
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

const held = (owner: string, expiresAt: number): LockContent => ({
  schema: 1,
  owner,
  acquiredAt: new Date(T0).toISOString(),
  expiresAt,
  released: false,
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  clock = new FakeClock();
  ssm = new FakeSsm(clock);
  events = [];
  locks.length = 0;
});

afterEach(async () => {
  ssm.before = undefined;
  ssm.after = undefined;
  await Promise.all(locks.map((l) => l.release()));
  vi.useRealTimers();
});

describe('RegionLock: claiming an epoch', () => {
  it('claims a region that never had a lock by creating the lock secret at epoch 1', async () => {
    // Prepare
    const lock = lockFor('run-a');

    // Act
    const result = await lock.acquire(T0 + 600_000);

    // Assess
    expect(result).toEqual({ acquired: true });
    expect(lock.owned()).toBe(true);
    expect(ssm.epochs()).toEqual([epochId(1)]);
    expect(ssm.content(epochId(1))).toMatchObject({
      owner: 'run-a',
      expiresAt: T0 + TTL,
      released: false,
    });
    expect(eventsOf('run-a', 'lock.acquired')[0]?.fields).toMatchObject({ epoch: 1 });
  });

  it('gives a fresh region to exactly one of two claimants that read it empty at the same time', async () => {
    // Prepare: neither claimant writes before both have read the empty head.
    const a = lockFor('run-a');
    const b = lockFor('run-b');
    let reads = 0;
    let bothRead: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    ssm.before = async (call) => {
      if (call.method !== 'listVersions' || reads >= 2) return;
      if (++reads === 2) bothRead();
      await barrier;
    };

    // Act
    const [ra, rb] = await Promise.all([a.acquire(T0), b.acquire(T0)]);

    // Assess
    const results = [ra, rb];
    expect(results.filter((r) => r.acquired)).toHaveLength(1);
    const winner = ra.acquired ? 'run-a' : 'run-b';
    const loser = results.find((r) => !r.acquired);
    expect(loser).toMatchObject({ acquired: false, holder: winner, expiresAt: T0 + TTL });
    expect(ssm.epochs()).toEqual([epochId(1)]);
    expect(ssm.content(epochId(1))?.owner).toBe(winner);
    expect([a.owned(), b.owned()].filter(Boolean)).toHaveLength(1);
  });

  it('gives the next epoch after an expired one to exactly one of two racing claimants', async () => {
    // Prepare: epoch 3 expired; both claimants read it before either claims epoch 4.
    ssm.seed(epochId(3), held('run-dead', T0 - 1));
    const a = lockFor('run-a');
    const b = lockFor('run-b');
    let reads = 0;
    let bothRead: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    ssm.before = async (call) => {
      if (call.method !== 'getValue' || reads >= 2) return;
      if (++reads === 2) bothRead();
      await barrier;
    };

    // Act
    const [ra, rb] = await Promise.all([a.acquire(T0), b.acquire(T0)]);

    // Assess
    expect([ra, rb].filter((r) => r.acquired)).toHaveLength(1);
    const winner = ra.acquired ? 'run-a' : 'run-b';
    expect(ssm.content(epochId(4))?.owner).toBe(winner);
    expect(
      ssm.calls.filter((c) => c.method === 'putValue' && c.versionId === epochId(4)),
    ).toHaveLength(2);
    expect([a.owned(), b.owned()].filter(Boolean)).toHaveLength(1);
  });

  it('reports a live holder that outlasts the wait budget as busy, without writing anything', async () => {
    // Prepare
    ssm.seed(epochId(7), held('run-other', T0 + 90_000));
    const lock = lockFor('run-a');

    // Act
    const result = await lock.acquire(T0 + 60_000);

    // Assess
    expect(result).toEqual({ acquired: false, holder: 'run-other', expiresAt: T0 + 90_000 });
    expect(ssm.writes()).toEqual([]);
    expect(lock.owned()).toBe(false);
    expect(() => lock.assertOwned('ResetInstancesPassword')).toThrow(LockLostError);
    expect(clock.slept).toBe(0);
  });

  it('waits for a live holder that expires within the budget, then claims the next epoch', async () => {
    // Prepare
    ssm.seed(epochId(2), held('run-other', T0 + 5_000));
    const lock = lockFor('run-a');

    // Act
    const result = await lock.acquire(T0 + 60_000);

    // Assess
    expect(result).toEqual({ acquired: true });
    expect(clock.now()).toBeGreaterThanOrEqual(T0 + 5_000);
    expect(eventsOf('run-a', 'lock.waiting')[0]?.fields).toMatchObject({ holder: 'run-other' });
    expect(ssm.content(epochId(3))?.owner).toBe('run-a');
    expect(ssm.content(epochId(2))?.owner).toBe('run-other');
  });

  it('claims at once over an expired head', async () => {
    // Prepare
    ssm.seed(epochId(1), held('run-dead', T0 - 1_000));
    const lock = lockFor('run-a');

    // Act
    const result = await lock.acquire(T0);

    // Assess
    expect(result).toEqual({ acquired: true });
    expect(clock.slept).toBe(0);
    expect(ssm.content(epochId(2))?.owner).toBe('run-a');
  });

  it('claims at once over a head its holder released, even before it would have expired', async () => {
    // Prepare
    ssm.seed(epochId(1), { ...held('run-done', T0 + 100_000), released: true });
    const lock = lockFor('run-a');

    // Act
    const result = await lock.acquire(T0);

    // Assess
    expect(result).toEqual({ acquired: true });
    expect(clock.slept).toBe(0);
    expect(ssm.content(epochId(2))?.owner).toBe('run-a');
  });

  it('claims over a head version that vanished between the listing and the read', async () => {
    // Prepare: the listing shows epoch 5, whose content is gone when read.
    ssm.seed(epochId(5), held('run-other', T0 + 100_000));
    ssm.before = (call) => {
      if (call.method === 'getValue' && call.versionId === epochId(5))
        ssm.secrets.get(NAME)?.delete(epochId(5));
    };
    const lock = lockFor('run-a');

    // Act
    const result = await lock.acquire(T0);

    // Assess
    expect(result).toEqual({ acquired: true });
    expect(ssm.content(epochId(6))?.owner).toBe('run-a');
  });

  it('recognises its own claim when the answer was lost and the retry met VersionIdExists', async () => {
    // Prepare: the claim is stored, but its answer is lost; the adapter's retry then meets the
    // version it just wrote (what TencentSsm's retry of a dropped PutSecretValue does).
    ssm.seed(epochId(1), held('run-dead', T0 - 1));
    ssm.after = (call) => {
      if (call.method === 'putValue' && call.versionId === epochId(2))
        throw cloudError('ResourceInUse.VersionIdExists', 'PutSecretValue');
    };
    const lock = lockFor('run-a');

    // Act
    const result = await lock.acquire(T0 + 600_000);

    // Assess: epoch 2 is ours at once; no wait for our own claim to expire, no epoch 3.
    expect(result).toEqual({ acquired: true });
    expect(clock.slept).toBe(0);
    expect(ssm.epochs()).toEqual([epochId(1), epochId(2)]);
    expect(ssm.content(epochId(2))?.owner).toBe('run-a');
    expect(lock.owned()).toBe(true);
  });

  it('judges expiry with the time from before its read, so a renewal landing during a slow read is honoured', async () => {
    // Prepare: the holder's claim expires at T0 + 1 s. The claimant reads it at T0; the answer
    // is slow (2 s), and meanwhile the holder's renewal lands (expiry T0 + 31 s).
    ssm.seed(epochId(1), held('run-holder', T0 + 1_000));
    ssm.after = (call) => {
      if (call.method !== 'getValue' || call.versionId !== epochId(1) || clock.now() > T0) return;
      const versions = ssm.secrets.get(NAME);
      const stored = versions?.get(epochId(1));
      if (stored)
        versions?.set(epochId(1), {
          ...stored,
          value: JSON.stringify(held('run-holder', T0 + 31_000)),
        });
      clock.t += 2_000;
    };
    const lock = lockFor('run-a');

    // Act
    const result = await lock.acquire(T0);

    // Assess: the holder renewed in time, so no second owner.
    expect(result).toMatchObject({ acquired: false, holder: 'run-holder' });
    expect(ssm.epochs()).toEqual([epochId(1)]);
  });

  it('propagates a cloud error other than a busy lock', async () => {
    // Prepare
    ssm.before = () => {
      throw cloudError('UnauthorizedOperation', 'ListSecretVersionIds');
    };
    const lock = lockFor('run-a');

    // Act
    const attempt = lock.acquire(T0);

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UnauthorizedOperation' });
    expect(lock.owned()).toBe(false);
  });
  it('gives up with a clear error, without spinning, when the version list keeps missing the newest epoch', async () => {
    // Prepare: another run holds epoch 1, but the listing (lagging, or broken) never shows it.
    ssm.seed(epochId(1), held('run-b', T0 + TTL));
    ssm.listVersions = async () => [];
    const lock = lockFor('run-a');

    // Act
    const outcome = lock.acquire(T0 + 600_000).then(
      () => undefined,
      (error: unknown) => error,
    );
    for (let i = 0; i < 20; i++) await elapse(2_000);
    const error = await outcome;

    // Assess: a bounded number of claims, with backoff between them, then InvalidResponse.
    expect((error as { code?: string }).code).toBe('InvalidResponse');
    expect(ssm.writes().length).toBeLessThanOrEqual(2 * 8);
    expect(lock.owned()).toBe(false);
  });
});

describe('RegionLock: holding, renewing and losing', () => {
  it('renews its claim every third of the TTL and stays owner long past the first TTL', async () => {
    // Prepare
    const lock = lockFor('run-a');
    await lock.acquire(T0);

    // Act
    for (let i = 0; i < 9; i++) await elapse(TTL / 3);

    // Assess: 3 TTLs later, still owner; the stored expiry moved with each renewal.
    expect(lock.owned()).toBe(true);
    const renewals = ssm.calls.filter((c) => c.method === 'updateValue');
    expect(renewals).toHaveLength(9);
    expect(renewals.every((c) => c.versionId === epochId(1))).toBe(true);
    expect(ssm.content(epochId(1))?.expiresAt).toBe(T0 + 3 * TTL + TTL);
  });

  it('stops owning a safety margin before the stored expiry when renewals keep failing', async () => {
    // Prepare
    const lock = lockFor('run-a');
    await lock.acquire(T0);
    ssm.before = (call) => {
      if (call.method === 'updateValue') throw cloudError('InternalError', 'UpdateSecret');
    };

    // Act
    await elapse(TTL / 3);
    await elapse(TTL / 3);
    const beforeLapse = lock.owned();
    await elapse(TTL - MARGIN - (2 * TTL) / 3);

    // Assess
    expect(beforeLapse).toBe(true);
    expect(lock.owned()).toBe(false);
    let refusal: unknown;
    try {
      lock.assertOwned('PutSecretValue');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(LockLostError);
    expect(refusal).toMatchObject({ code: 'LockLost', region: REGION });
    expect(eventsOf('run-a', 'lock.renew.failed')).toHaveLength(2);
  });

  it('never revives a lapsed claim, even when a later renewal would succeed', async () => {
    // Prepare: renewals fail until the claim has lapsed, then the API recovers.
    const lock = lockFor('run-a');
    await lock.acquire(T0);
    let failing = true;
    ssm.before = (call) => {
      if (failing && call.method === 'updateValue')
        throw cloudError('InternalError', 'UpdateSecret');
    };
    await elapse(TTL / 3);
    await elapse(TTL / 3);
    await elapse(TTL / 3); // lapsed: T0 + TTL > T0 + TTL - MARGIN

    // Act
    failing = false;
    await elapse(TTL / 3);

    // Assess
    expect(lock.owned()).toBe(false);
    expect(eventsOf('run-a', 'lock.lost')[0]?.fields).toMatchObject({ why: 'lapsed' });
    const updates = ssm.calls.filter((c) => c.method === 'updateValue');
    expect(updates).toHaveLength(2);
  });

  it('loses the region at the next renewal when another run claimed a newer epoch, and writes no more', async () => {
    // Prepare
    const lock = lockFor('run-a');
    await lock.acquire(T0);
    ssm.seed(epochId(2), held('run-b', T0 + TTL));
    const writesBefore = ssm.writes().length;

    // Act
    await elapse(TTL / 3);
    await elapse(TTL / 3);
    await lock.release();

    // Assess
    expect(lock.owned()).toBe(false);
    expect(eventsOf('run-a', 'lock.lost')[0]?.fields).toMatchObject({
      epoch: 1,
      why: 'claimed-by-another',
    });
    expect(ssm.writes().length).toBe(writesBefore);
    expect(ssm.content(epochId(2))).toMatchObject({ owner: 'run-b', released: false });
  });

  it('does not regain ownership when a renewal lands after its claim lapsed and another run claimed', async () => {
    // Prepare: the first renewal checks the head, then its UpdateSecret hangs (retries, a slow
    // answer) past the claim's expiry; meanwhile run B finds the claim expired and takes epoch 2.
    const a = lockFor('run-a');
    await a.acquire(T0);
    let release: () => void = () => undefined;
    const slowUpdate = new Promise<void>((resolve) => {
      release = resolve;
    });
    ssm.before = async (call) => {
      if (call.method === 'updateValue' && call.versionId === epochId(1)) await slowUpdate;
    };
    await elapse(TTL / 3); // the renewal is now in flight
    clock.t = T0 + TTL + 1_000;
    const b = lockFor('run-b');
    const claimed = await b.acquire(clock.now());

    // Act: the late renewal completes.
    release();
    await settle();

    // Assess: one owner only.
    expect(claimed).toEqual({ acquired: true });
    expect(b.owned()).toBe(true);
    expect(a.owned()).toBe(false);
    expect(eventsOf('run-a', 'lock.lost')[0]?.fields).toMatchObject({ why: 'renewed-too-late' });
  });
});

describe('RegionLock: pruning and release', () => {
  it('keeps the newest four epochs after a claim and deletes the older ones', async () => {
    // Prepare
    for (let epoch = 1; epoch <= 6; epoch++) ssm.seed(epochId(epoch), held('run-old', T0 - 1));
    const lock = lockFor('run-a');

    // Act
    await lock.acquire(T0);

    // Assess
    expect(ssm.epochs()).toEqual([epochId(4), epochId(5), epochId(6), epochId(7)]);
    expect(ssm.content(epochId(7))?.owner).toBe('run-a');
  });

  it('keeps the claim when pruning fails', async () => {
    // Prepare
    for (let epoch = 1; epoch <= 5; epoch++) ssm.seed(epochId(epoch), held('run-old', T0 - 1));
    ssm.before = (call) => {
      if (call.method === 'deleteVersion') throw cloudError('InternalError', 'DeleteSecretVersion');
    };
    const lock = lockFor('run-a');

    // Act
    const result = await lock.acquire(T0);

    // Assess
    expect(result).toEqual({ acquired: true });
    expect(lock.owned()).toBe(true);
    expect(eventsOf('run-a', 'lock.prune.failed')).toHaveLength(1);
  });

  it('marks its claim released so that the next run claims at once, and stops renewing', async () => {
    // Prepare
    const a = lockFor('run-a');
    await a.acquire(T0);
    await elapse(TTL / 3);

    // Act
    await a.release();
    const updatesAfterRelease = ssm.calls.filter((c) => c.method === 'updateValue').length;
    await elapse(TTL);
    const b = lockFor('run-b');
    const result = await b.acquire(clock.now());

    // Assess
    expect(a.owned()).toBe(false);
    expect(ssm.content(epochId(1))).toMatchObject({ owner: 'run-a', released: true });
    expect(ssm.calls.filter((c) => c.method === 'updateValue').length).toBe(updatesAfterRelease);
    expect(result).toEqual({ acquired: true });
    expect(ssm.content(epochId(2))?.owner).toBe('run-b');
  });

  it('releases nothing after its claim lapsed', async () => {
    // Prepare
    const lock = lockFor('run-a');
    await lock.acquire(T0);
    ssm.before = (call) => {
      if (call.method === 'updateValue') throw cloudError('InternalError', 'UpdateSecret');
    };
    await elapse(TTL / 3);
    await elapse(TTL / 3);
    await elapse(TTL / 3);
    ssm.before = undefined;
    const writes = ssm.writes().length;

    // Act
    await lock.release();

    // Assess
    expect(ssm.writes().length).toBe(writes);
    expect(ssm.content(epochId(1))?.released).toBe(false);
  });

  it('releases a region it never claimed without any call', async () => {
    // Prepare
    const lock = lockFor('run-a');

    // Act
    await lock.release();

    // Assess
    expect(ssm.calls).toEqual([]);
  });
});
