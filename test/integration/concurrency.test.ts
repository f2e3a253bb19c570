/**
 * Concurrent runs against the emulator, through the real SDK (issue [5], "Concurrency").
 *
 * The mechanism under test is the region lock (src/protocol/lock.ts): one claim per VersionId
 * epoch of the secret `<prefix>-lock`, a TTL renewed by a heartbeat, and the handler's check of
 * ownership right before every mutating request leaves. What the design guarantees, and what is
 * asserted here:
 *
 * - two runs never send mutating requests for the same region at the same time: the second waits
 *   for the first (or, when its wait budget is too short, reports `RegionLocked` and changes
 *   nothing);
 * - no run updates, promotes or deletes a version another run is still working on;
 * - a dead run frees the region one TTL after its last renewal, and the next run reconciles what
 *   it left;
 * - a run that lost its lock sends no further mutating request;
 * - at every port call, each instance's actual password is stored in some version of its secret;
 *   afterwards the newest version holds it, and names the run (runId) and the reset (RequestId)
 *   that applied it.
 *
 * Every run's cloud calls are recorded through the handler's `wrapPorts` seam (secret names,
 * VersionIds, instance ids and RequestIds only, never a value). Times are emulated milliseconds:
 * the rotator's clock runs on the emulator's accelerated time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CvmPort, SsmPort } from '../../src/cloud/ports';
import type { Emulator } from '../../src/emulator';
import { CloudError } from '../../src/errors';
import { runFromEvent } from '../../src/handler';
import { Crash, emulatedClock } from '../helpers/crash';
import { expectNewestIsActual, instanceId, testFleet, versionsOf } from '../helpers/fleet';
import {
  context,
  envFor,
  type Invocation,
  invoke,
  startTestEmulator,
  timerEvent,
} from '../helpers/world';

const REGION = 'ap-guangzhou';
const PREFIX = 'cvm-password';
const LOCK = `${PREFIX}-lock`;
/** CentOS, Ubuntu, Debian, TencentOS, Windows, CentOS: three batches in group scope. */
const FLEET_SIZE = 6;
const IDS = Array.from({ length: FLEET_SIZE }, (_, i) => instanceId(i));
/** A TTL that a live run on a busy test machine never fails to renew, even accelerated. */
const SAFE_TTL = { ROTATION_LOCK_TTL_SECONDS: '30' };
/** The minimum TTL (src/config/env.ts); ownership then ends min(10 s, TTL / 4) before expiry. */
const SHORT_TTL_SECONDS = 5;
const SHORT_TTL_MARGIN_MS = 1_250;

const MUTATING = new Set([
  'resetPassword',
  'createSecret',
  'putValue',
  'updateValue',
  'deleteVersion',
]);
const ACTION_OF: Readonly<Record<string, string>> = {
  resetPassword: 'ResetInstancesPassword',
  createSecret: 'CreateSecret',
  putValue: 'PutSecretValue',
  updateValue: 'UpdateSecret',
  deleteVersion: 'DeleteSecretVersion',
};

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** One port call of one run: identifiers only. */
interface PortCall {
  readonly method: string;
  readonly secret: string | undefined;
  readonly versionId: string | undefined;
  readonly instanceIds: readonly string[];
  /** A call on the lock secret itself (the lock's own reads and writes). */
  readonly lock: boolean;
  /** Emulated ms when the rotator made the call, and when its answer came back. */
  readonly start: number;
  end?: number;
  /** The error code it ended with; `LockLost` means the handler's guard never let it leave. */
  error?: string;
  /** ResetInstancesPassword's RequestId. */
  requestId?: string;
}

interface RecorderOptions {
  /** Called before every port call: the place for an "at every moment" check. */
  readonly observe?: (call: PortCall) => void;
  /** An error to answer instead of sending the call (a simulated failure). */
  readonly refuse?: (call: PortCall) => Error | undefined;
}

/** Records every port call of one run, through the handler's `wrapPorts` seam. */
class Recorder {
  readonly calls: PortCall[] = [];

  constructor(
    private readonly emu: Emulator,
    private readonly options: RecorderOptions = {},
  ) {}

  readonly wrapPorts = (ports: { cvm: CvmPort; ssm: SsmPort }) => ({
    cvm: this.wrap(ports.cvm),
    ssm: this.wrap(ports.ssm),
  });

  /** Mutating calls on instance secrets or instances that actually left the process. */
  sent(): PortCall[] {
    return this.calls.filter((c) => MUTATING.has(c.method) && !c.lock && c.error !== 'LockLost');
  }

  /** Mutating calls the handler's lock guard stopped before they were sent. */
  refused(): PortCall[] {
    return this.calls.filter((c) => MUTATING.has(c.method) && !c.lock && c.error === 'LockLost');
  }

  /** The RequestIds of this run's resets that included `id`. */
  resetsOf(id: string): string[] {
    return this.calls
      .filter((c) => c.method === 'resetPassword' && c.requestId && c.instanceIds.includes(id))
      .map((c) => c.requestId as string);
  }

  /** Versions this run created (PutSecretValue / CreateSecret that left). */
  createdVersions(): Set<string> {
    return new Set(
      this.sent()
        .filter((c) => c.method === 'putValue' || c.method === 'createSecret')
        .map((c) => `${c.secret}/${c.versionId}`),
    );
  }

  /** [first mutating call made, last mutating answer received], emulated ms. */
  window(): { first: number; last: number } | undefined {
    const sent = this.sent();
    if (sent.length === 0) return undefined;
    return {
      first: Math.min(...sent.map((c) => c.start)),
      last: Math.max(...sent.map((c) => c.end ?? Number.POSITIVE_INFINITY)),
    };
  }

  private wrap<T extends object>(port: T): T {
    return new Proxy(port, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const method = value as (...args: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => this.call(property, args, () => method.apply(target, args));
      },
    });
  }

  private async call(method: string, args: unknown[], send: () => Promise<unknown>) {
    const subject = args[1];
    let secret: string | undefined;
    let versionId: string | undefined;
    let instanceIds: readonly string[] = [];
    if (typeof subject === 'string') {
      secret = subject;
      versionId = typeof args[2] === 'string' ? args[2] : undefined;
    } else if (typeof subject === 'object' && subject !== null && !Array.isArray(subject)) {
      const s = subject as { name?: unknown; versionId?: unknown; instanceIds?: unknown };
      secret = typeof s.name === 'string' ? s.name : undefined;
      versionId = typeof s.versionId === 'string' ? s.versionId : undefined;
      instanceIds = Array.isArray(s.instanceIds) ? (s.instanceIds as string[]) : [];
    }
    const call: PortCall = {
      method,
      secret,
      versionId,
      instanceIds,
      lock: secret === LOCK,
      start: this.emu.state.now(),
    };
    this.options.observe?.(call);
    this.calls.push(call);
    const refusal = this.options.refuse?.(call);
    try {
      if (refusal) throw refusal;
      const result = await send();
      if (method === 'resetPassword' && typeof result === 'string') call.requestId = result;
      return result;
    } catch (error) {
      call.error = error instanceof CloudError ? error.code : 'Error';
      throw error;
    } finally {
      call.end = this.emu.state.now();
    }
  }
}

/** Problems with "each instance's actual password is stored in some version of its secret". */
function invariantProblems(emu: Emulator, where: string): string[] {
  const problems: string[] = [];
  for (const id of IDS) {
    const user = emu.state.cvm.instance(id)?.DefaultLoginUser ?? undefined;
    const actual = emu.state.cvm.actualPassword(id, user);
    const stored = versionsOf(emu, REGION, id).some(
      (v) => v.content.userName === user && v.content.password === actual,
    );
    if (!stored) problems.push(`${where}: the actual password of ${id} is in no version`);
  }
  return problems;
}

/**
 * The contract after the runs: each newest version holds the actual password and is `current`;
 * its `runId` names the run that wrote it (generated the password) and its `requestId` a reset
 * that one of the runs sent for this instance, which is the instance's latest operation. (The two
 * runs differ when a run re-applied the stored password of a run that died before its reset.) No
 * secret over 10 versions.
 */
function expectConverged(
  emu: Emulator,
  runs: ReadonlyArray<{ readonly runId: string; readonly recorder: Recorder }>,
): void {
  for (const id of IDS) {
    const newest = expectNewestIsActual(emu, id, PREFIX);
    expect(newest.content.status, id).toBe('current');
    const writer = runs.find((r) =>
      r.recorder.createdVersions().has(`${PREFIX}-${id}/${newest.versionId}`),
    );
    expect(writer, `a run wrote the newest version of ${id}`).toBeDefined();
    expect(newest.content.runId, id).toBe(writer?.runId);
    const requestId = newest.content.requestId as string;
    const resetter = runs.find((r) => r.recorder.resetsOf(id).includes(requestId));
    expect(resetter, `a run sent the reset recorded in the newest version of ${id}`).toBeDefined();
    expect(emu.state.cvm.instance(id)?.LatestOperationRequestId, id).toBe(requestId);
    expect(versionsOf(emu, REGION, id, PREFIX).length).toBeLessThanOrEqual(10);
  }
}

/** No update or delete of an instance version that another run created. */
function expectOwnVersionsOnly(recorder: Recorder): void {
  const own = recorder.createdVersions();
  const foreign = recorder
    .sent()
    .filter((c) => c.method === 'updateValue' || c.method === 'deleteVersion')
    .filter((c) => !own.has(`${c.secret}/${c.versionId}`))
    .map((c) => `${c.method} ${c.secret}/${c.versionId}`);
  expect(foreign).toEqual([]);
}

/** The lock's epoch versions in the emulator, oldest first, with their content. */
function lockEpochs(emu: Emulator): Array<{ versionId: string; owner: string; expiresAt: number }> {
  const secret = emu.state.ssm.secret(REGION, LOCK);
  if (!secret) return [];
  return [...secret.versions.values()]
    .map((v) => {
      const content = JSON.parse(v.SecretString ?? '{}') as { owner: string; expiresAt: number };
      return { versionId: v.VersionId, owner: content.owner, expiresAt: content.expiresAt };
    })
    .sort((a, b) => a.versionId.localeCompare(b.versionId));
}

/** When the emulator accepted the claim of a lock epoch (PutSecretValue / CreateSecret). */
function claimTime(emu: Emulator, versionId: string): number {
  const claim = emu.state
    .calls()
    .find(
      (c) =>
        (c.action === 'PutSecretValue' || c.action === 'CreateSecret') &&
        !c.error &&
        c.params.SecretName === LOCK &&
        c.params.VersionId === versionId,
    );
  expect(claim, `the claim of ${versionId}`).toBeDefined();
  return claim?.at ?? Number.NaN;
}

const eventsNamed = (run: Invocation, name: string) => run.events.filter((e) => e.event === name);

/**
 * No password or secret string the emulator received appears in any run's log lines or report
 * (counted, never printed).
 */
function expectNoLeak(
  emu: Emulator,
  outputs: ReadonlyArray<{ lines: string[]; report?: unknown }>,
) {
  const text = outputs
    .map((o) => `${o.lines.join('\n')}\n${JSON.stringify(o.report ?? null)}`)
    .join('\n');
  const secrets = emu.state.receivedSecrets().filter((secret) => secret.length >= 6);
  expect(secrets.length).toBeGreaterThan(0);
  expect(secrets.filter((secret) => text.includes(secret)).length, 'secrets in the output').toBe(0);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface World {
  readonly emu: Emulator;
  readonly clock: ReturnType<typeof emulatedClock>;
  /** Invariant violations seen at any recorded port call. */
  readonly problems: string[];
  /** A recorder that also checks the invariant at every call (then runs `options.observe`). */
  recorder(options?: RecorderOptions): Recorder;
}

/** A fleet rotated once cleanly, so every instance has a stored password and a history. */
async function world(
  scale: number,
  resetTiming: readonly [number, number] = [100, 300],
): Promise<World> {
  const emu = await startTestEmulator({
    fleet: testFleet({ count: FLEET_SIZE, regions: [REGION] }),
    rateLimits: false,
    timeScale: scale,
    resetTiming: { stopped: resetTiming },
  });
  emulator = emu;
  const clock = emulatedClock(emu, scale);
  const { report } = await invoke(emu, timerEvent(), SAFE_TTL, { clock });
  expect(report.counts.rotated).toBe(FLEET_SIZE);
  const problems: string[] = [];
  return {
    emu,
    clock,
    problems,
    recorder: (options = {}) =>
      new Recorder(emu, {
        ...options,
        observe: (call) => {
          problems.push(...invariantProblems(emu, `${call.method} at ${call.start}`));
          options.observe?.(call);
        },
      }),
  };
}

/** Two runs that both did work: the second's mutating window starts after the first's ends. */
function expectSerial(first: Recorder, second: Recorder): void {
  const a = first.window();
  const b = second.window();
  expect(a && b, 'both runs sent mutating requests').toBeTruthy();
  expect(a?.last).toBeLessThanOrEqual(b?.first ?? Number.NaN);
}

describe('Two runs at once on the same region', () => {
  it('lets exactly one run rotate and reports RegionLocked, with no change, for the other when its wait budget is short', async () => {
    // Prepare: 90 s time limits leave no wait budget (waitUntil = deadline − 60 s = start).
    const { emu, clock, problems, recorder } = await world(10);
    const timer = recorder();
    const manual = recorder();
    const ctx = context({ time_limit_in_ms: 90_000 });

    // Act
    const [t, m] = await Promise.all([
      invoke(emu, timerEvent(), SAFE_TTL, { clock, wrapPorts: timer.wrapPorts }, ctx),
      invoke(
        emu,
        { reason: 'INC-7 by hand' },
        SAFE_TTL,
        { clock, wrapPorts: manual.wrapPorts },
        ctx,
      ),
    ]);

    // Assess
    const isLocked = (run: Invocation) => run.report.errors.some((e) => e.code === 'RegionLocked');
    expect([t, m].filter(isLocked)).toHaveLength(1);
    const [loser, loserCalls, winner, winnerCalls] = isLocked(t)
      ? [t, timer, m, manual]
      : [m, manual, t, timer];
    expect(loser.report.status).toBe('failed');
    expect(loser.report.instances).toEqual([]);
    expect(loser.report.errors).toEqual([
      expect.objectContaining({ region: REGION, code: 'RegionLocked' }),
    ]);
    expect(loser.report.errors[0]?.message).toContain(winner.report.runId);
    expect(eventsNamed(loser, 'region.locked')[0]?.holder).toBe(winner.report.runId);
    // Not one call beyond the lock: no discovery, no write; its claims of the lock all lost.
    expect(loserCalls.calls.filter((c) => !c.lock)).toEqual([]);
    const claims = loserCalls.calls.filter((c) => MUTATING.has(c.method));
    expect(claims.every((c) => c.error?.startsWith('ResourceInUse.'))).toBe(true);
    expect(winner.report.status).toBe('succeeded');
    expect(winner.report.counts.rotated).toBe(FLEET_SIZE);
    expectOwnVersionsOnly(winnerCalls);
    expectConverged(emu, [{ runId: winner.report.runId, recorder: winnerCalls }]);
    expect(lockEpochs(emu).at(-1)?.owner).toBe(winner.report.runId);
    expect(problems).toEqual([]);
    expectNoLeak(emu, [t, m]);
  });

  it('serialises a timer run and a manual run started together: the second waits for the first, then rotates on top of it', async () => {
    // Prepare: the default 900 s time limit leaves a long wait budget.
    const { emu, clock, problems, recorder } = await world(10);
    const timer = recorder();
    const manual = recorder();

    // Act
    const [t, m] = await Promise.all([
      invoke(emu, timerEvent(), SAFE_TTL, { clock, wrapPorts: timer.wrapPorts }),
      invoke(emu, { reason: 'INC-8 by hand' }, SAFE_TTL, { clock, wrapPorts: manual.wrapPorts }),
    ]);

    // Assess
    for (const run of [t, m]) {
      expect(run.report.status).toBe('succeeded');
      expect(run.report.counts.rotated).toBe(FLEET_SIZE);
      expect(run.report.instances.some((i) => i.reason === 'recovered-unfinished-rotation')).toBe(
        false,
      );
    }
    const timerFirst = (timer.window()?.first ?? 0) < (manual.window()?.first ?? 0);
    const [first, second] = timerFirst ? [timer, manual] : [manual, timer];
    const [firstRun, secondRun] = timerFirst ? [t, m] : [m, t];
    expectSerial(first, second);
    expect(eventsNamed(secondRun, 'lock.waiting')[0]?.holder).toBe(firstRun.report.runId);
    expectOwnVersionsOnly(first);
    expectOwnVersionsOnly(second);
    expectConverged(emu, [
      { runId: firstRun.report.runId, recorder: first },
      { runId: secondRun.report.runId, recorder: second },
    ]);
    for (const id of IDS) {
      const [newest, previous] = versionsOf(emu, REGION, id, PREFIX);
      expect(newest?.content.runId).toBe(secondRun.report.runId);
      expect(previous?.content.runId).toBe(firstRun.report.runId);
      expect(previous?.content.status).toBe('current');
    }
    expect(problems).toEqual([]);
    expectNoLeak(emu, [t, m]);
  });
});

describe('A platform retry while the first run is still working', () => {
  it.each(['pending.persisted', 'reset.requested'])(
    'never touches the first run’s unfinished versions when it starts at %s',
    async (step) => {
      // Prepare: resets slow enough that the first run is mid-way when the retry starts.
      const { emu, clock, problems, recorder } = await world(10, [2_000, 3_000]);
      const original = recorder();
      let firstWriteSeen = false;
      const retry = recorder({
        observe: (call) => {
          // At the retry's first mutating call, the first run must be completely done.
          if (firstWriteSeen || !MUTATING.has(call.method) || call.lock) return;
          firstWriteSeen = true;
          for (const id of IDS) {
            const newest = versionsOf(emu, REGION, id, PREFIX)[0];
            if (newest?.content.status !== 'current')
              problems.push(`the retry wrote while ${id} had an unfinished version`);
          }
        },
      });
      let retried: Promise<Invocation> | undefined;

      // Act
      const first = await invoke(emu, timerEvent(), SAFE_TTL, {
        clock,
        wrapPorts: original.wrapPorts,
        checkpoint: (at) => {
          if (at === step && !retried)
            retried = invoke(emu, timerEvent(), SAFE_TTL, { clock, wrapPorts: retry.wrapPorts });
        },
      });
      expect(retried, `the retry started at ${step}`).toBeDefined();
      const second = await (retried as Promise<Invocation>);

      // Assess
      expect(first.report.status).toBe('succeeded');
      expect(second.report.status).toBe('succeeded');
      expect(eventsNamed(second, 'lock.waiting')[0]?.holder).toBe(first.report.runId);
      expect(
        second.report.instances.some((i) => i.reason === 'recovered-unfinished-rotation'),
      ).toBe(false);
      expectSerial(original, retry);
      expectOwnVersionsOnly(original);
      expectOwnVersionsOnly(retry);
      for (const id of IDS) {
        const [newest, previous] = versionsOf(emu, REGION, id, PREFIX);
        expect(newest?.content.runId).toBe(second.report.runId);
        expect(previous?.content.runId).toBe(first.report.runId);
        expect(previous?.content.status).toBe('current');
      }
      expectConverged(emu, [
        { runId: first.report.runId, recorder: original },
        { runId: second.report.runId, recorder: retry },
      ]);
      expect(problems).toEqual([]);
      expectNoLeak(emu, [first, second]);
    },
  );
});

describe('A run that died holding the lock', () => {
  it('frees the region one TTL after its last renewal; the next run waits for it, then reconciles and converges', async () => {
    // Prepare: a run with the minimum TTL dies right after recording its first reset's RequestId.
    const { emu, clock, problems, recorder } = await world(5, [300, 600]);
    const crash = new Crash({ kill: { kind: 'step', step: 'requestId.recorded', occurrence: 1 } });
    // The recorder sits inside the crash: it sees exactly the calls that left before the death.
    const dead = recorder();
    const seams = crash.seams;
    const dyingLines: string[] = [];
    const dying = runFromEvent(timerEvent(), context(), {
      env: envFor(emu, { ROTATION_LOCK_TTL_SECONDS: String(SHORT_TTL_SECONDS) }),
      write: (line) => dyingLines.push(line),
      clock,
      ...seams,
      wrapPorts: (ports) => seams.wrapPorts?.(dead.wrapPorts(ports)) ?? ports,
    });
    dying.catch(() => undefined);
    await crash.died;
    await crash.drain();
    const deadClaim = lockEpochs(emu).at(-1);
    expect(deadClaim).toBeDefined();
    const expiry = deadClaim?.expiresAt ?? Number.NaN;
    expect(emu.state.now()).toBeLessThan(expiry);
    const next = recorder();

    // Act
    const run = await invoke(emu, timerEvent(), SAFE_TTL, { clock, wrapPorts: next.wrapPorts });

    // Assess: it waited for the dead run's claim to expire before claiming and writing.
    const waiting = eventsNamed(run, 'lock.waiting');
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting[0]?.holder).toBe(deadClaim?.owner);
    const ownClaim = lockEpochs(emu).at(-1);
    expect(ownClaim?.owner).toBe(run.report.runId);
    expect(claimTime(emu, ownClaim?.versionId ?? '')).toBeGreaterThanOrEqual(expiry);
    expect(next.window()?.first).toBeGreaterThanOrEqual(expiry);
    expect(run.report.status).toBe('succeeded');
    expect(run.report.counts.rotated).toBe(FLEET_SIZE);
    expect(run.report.instances.some((i) => i.reason === 'recovered-unfinished-rotation')).toBe(
      true,
    );
    await emu.state.cvm.settle();
    expectConverged(emu, [
      { runId: run.report.runId, recorder: next },
      { runId: deadClaim?.owner ?? '', recorder: dead },
    ]);
    expect(problems).toEqual([]);
    expectNoLeak(emu, [{ lines: dyingLines }, run]);
  });
});

describe('A run that loses its lock', () => {
  it('sends no mutating request after the loss; the run that claims the region next reconciles its work and converges', async () => {
    // Prepare: run A's renewals all fail and its resets outlast its 5 s TTL, so its claim lapses
    // while it waits to verify. Run B starts once A's claim has expired.
    const { emu, clock, problems, recorder } = await world(5, [7_000, 8_000]);
    const a = recorder({
      refuse: (call) =>
        call.lock && call.method === 'updateValue'
          ? new CloudError('simulated renewal failure', {
              code: 'InternalError',
              action: 'UpdateSecret',
              region: REGION,
              transient: true,
            })
          : undefined,
    });
    const b = recorder();
    const epochsBefore = lockEpochs(emu).length;
    const runA = invoke(
      emu,
      timerEvent(),
      { ROTATION_LOCK_TTL_SECONDS: String(SHORT_TTL_SECONDS) },
      { clock, wrapPorts: a.wrapPorts },
    );
    await waitFor(() => lockEpochs(emu).length > epochsBefore, 'run A to claim the region');
    const claimA = lockEpochs(emu).at(-1);
    const expiry = claimA?.expiresAt ?? Number.NaN;
    const lapse = expiry - SHORT_TTL_MARGIN_MS;

    // Act
    await waitFor(() => emu.state.now() > expiry, 'run A’s claim to expire');
    const [doneA, doneB] = await Promise.all([
      runA,
      invoke(emu, { reason: 'takeover' }, SAFE_TTL, { clock, wrapPorts: b.wrapPorts }),
    ]);

    // Assess: A lost the region and was stopped by its own guard.
    expect(eventsNamed(doneA, 'lock.renew.failed').length).toBeGreaterThan(0);
    expect(eventsNamed(doneA, 'lock.lost')[0]?.why).toBe('lapsed');
    expect(claimA?.owner).toBe(doneA.report.runId);
    const claimB = lockEpochs(emu).at(-1);
    expect(claimB?.owner).toBe(doneB.report.runId);
    const claimedAt = claimTime(emu, claimB?.versionId ?? '');
    expect(claimedAt).toBeGreaterThanOrEqual(expiry);
    // Everything A sent left before its lapse and was answered before B's claim; what it tried
    // after (promoting its verified versions) never left.
    expect(a.sent().length).toBeGreaterThan(0);
    for (const call of a.sent()) {
      expect(call.start, `${call.method} ${call.secret}`).toBeLessThan(lapse);
      expect(call.end ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(claimedAt);
    }
    expect(a.refused().length).toBeGreaterThan(0);
    // In the emulator's call log: no mutating request between A's lapse and B's claim, and every
    // one after B's claim is one of B's.
    const mutatingLog = emu.state
      .calls()
      .filter((c) => Object.values(ACTION_OF).includes(c.action) && c.params.SecretName !== LOCK);
    expect(mutatingLog.filter((c) => c.at >= lapse && c.at < claimedAt)).toEqual([]);
    const ofB = b
      .sent()
      .map(
        (c) => `${ACTION_OF[c.method]} ${c.secret ?? c.instanceIds.join(',')} ${c.versionId ?? ''}`,
      );
    for (const c of mutatingLog.filter((entry) => entry.at >= claimedAt)) {
      const label =
        c.action === 'ResetInstancesPassword'
          ? `${c.action} ${(c.params.InstanceIds as string[]).join(',')} `
          : `${c.action} ${String(c.params.SecretName)} ${String(c.params.VersionId)}`;
      expect(ofB, 'a mutating request after B’s claim').toContain(label);
    }
    // B finished A's verified rotations: the newest versions are A's passwords, A's resets.
    expect(doneB.report.status).toBe('succeeded');
    expect(
      doneB.report.instances.every(
        (i) => i.result === 'rotated' && i.reason === 'recovered-unfinished-rotation',
      ),
    ).toBe(true);
    expect(b.calls.some((c) => c.method === 'resetPassword')).toBe(false);
    expectConverged(emu, [
      { runId: doneA.report.runId, recorder: a },
      { runId: doneB.report.runId, recorder: b },
    ]);
    for (const id of IDS) {
      const newest = versionsOf(emu, REGION, id, PREFIX)[0];
      expect(newest?.content.runId).toBe(doneA.report.runId);
      expect(a.resetsOf(id)).toContain(newest?.content.requestId);
    }
    expect(problems).toEqual([]);
    expectNoLeak(emu, [doneA, doneB]);
  });
});
