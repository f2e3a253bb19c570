/**
 * What a run's call log says: the lower bound the documented rate limits allow for the calls the
 * run had to make, API calls per instance, and when each action ran (the phases).
 */
import type { CallRecord, EmulatorState } from '../../src/emulator';
import { DEFAULT_RATE_LIMITS } from '../../src/emulator/ratelimit';
import { decodeContent, newestFirst } from '../../src/secrets/layout';
import { decodePack, type PackContent } from '../../src/secrets/packed';
import type { RotatedEntry, SecretLayout } from './types';

/** Emulated ms, [min, max], as passed to the emulator's `resetTiming`. */
export interface ResetRanges {
  readonly running: readonly [number, number];
  readonly stopped: readonly [number, number];
}

export interface Bottleneck {
  readonly action: string;
  readonly region: string;
  readonly calls: number;
  readonly rate: number;
  readonly seconds: number;
}

export interface LowerBound {
  readonly seconds: number;
  readonly bottleneck: Bottleneck | undefined;
  /** The one reset completion added, emulated seconds, and which one. */
  readonly completionSeconds: number;
  readonly completion: 'running-mean' | 'stopped-mean' | 'none';
}

/**
 * Verification polling: DescribeInstances by InstanceIds (the watcher, and the re-check before a
 * retried batch). Discovery pages by tag filters and is counted.
 */
export function isPolling(call: CallRecord): boolean {
  return call.action === 'DescribeInstances' && Array.isArray(call.params.InstanceIds);
}

/** Successful, non-polling calls per (action, region): the calls the run had to make. */
export function requiredCalls(calls: readonly CallRecord[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const call of calls) {
    if (call.error !== undefined || isPolling(call)) continue;
    const byRegion = out.get(call.action) ?? new Map<string, number>();
    byRegion.set(call.region, (byRegion.get(call.region) ?? 0) + 1);
    out.set(call.action, byRegion);
  }
  return out;
}

const mean = ([min, max]: readonly [number, number]) => (min + max) / 2;

/**
 * lowerBound = max over (action, region) of calls / documented rate, plus one reset completion:
 * the mean of the RUNNING range when any RUNNING instance was reset (a force-stop reset), else the
 * mean of the STOPPED range; nothing when no reset was made.
 */
export function lowerBound(
  calls: readonly CallRecord[],
  anyRunning: boolean,
  timing: ResetRanges,
  rates: Readonly<Record<string, number>> = DEFAULT_RATE_LIMITS,
): LowerBound {
  let bottleneck: Bottleneck | undefined;
  for (const [action, byRegion] of requiredCalls(calls)) {
    const rate = rates[action];
    if (rate === undefined || rate <= 0) continue;
    for (const [region, n] of byRegion) {
      const seconds = n / rate;
      if (!bottleneck || seconds > bottleneck.seconds) {
        bottleneck = { action, region, calls: n, rate, seconds };
      }
    }
  }
  const resets = calls.some((c) => c.action === 'ResetInstancesPassword' && c.error === undefined);
  const completion = !resets ? 'none' : anyRunning ? 'running-mean' : 'stopped-mean';
  const completionSeconds =
    completion === 'none'
      ? 0
      : (completion === 'running-mean' ? mean(timing.running) : mean(timing.stopped)) / 1000;
  return {
    seconds: (bottleneck?.seconds ?? 0) + completionSeconds,
    bottleneck,
    completionSeconds,
    completion,
  };
}

/** Every call (failed and throttled ones too) per action, divided by `instances`. */
export function callsPerInstance(
  calls: readonly CallRecord[],
  instances: number,
): Record<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.action, (counts.get(call.action) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const [action, n] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    out[action] = Number((n / Math.max(1, instances)).toFixed(3));
  }
  return out;
}

export interface Phase {
  readonly action: string;
  /** All calls of the action, polling included; `errors` of them were refused or failed. */
  readonly calls: number;
  readonly errors: number;
  readonly regions: number;
  /** Emulated seconds since the run started: first and last call. */
  readonly first: number;
  readonly last: number;
  /** calls / regions / (last - first): the mean rate in one region while the action ran. */
  readonly perRegionPerSecond: number;
}

/** When each action ran, relative to the start of the run. Polling is its own row. */
export function phases(calls: readonly CallRecord[], start: number): Phase[] {
  const rows = new Map<
    string,
    { calls: number; errors: number; regions: Set<string>; first: number; last: number }
  >();
  for (const call of calls) {
    const key = isPolling(call) ? 'DescribeInstances (polling)' : call.action;
    const t = (call.at - start) / 1000;
    const row = rows.get(key) ?? { calls: 0, errors: 0, regions: new Set(), first: t, last: t };
    row.calls++;
    if (call.error !== undefined) row.errors++;
    row.regions.add(call.region);
    row.first = Math.min(row.first, t);
    row.last = Math.max(row.last, t);
    rows.set(key, row);
  }
  return [...rows]
    .map(([action, r]) => ({
      action,
      calls: r.calls,
      errors: r.errors,
      regions: r.regions.size,
      first: r.first,
      last: r.last,
      perRegionPerSecond: r.last > r.first ? r.calls / r.regions.size / (r.last - r.first) : 0,
    }))
    .sort((a, b) => a.first - b.first);
}

/** Calls answered `RequestLimitExceeded` (the client outran the documented limit). */
export function throttled(calls: readonly CallRecord[]): number {
  return calls.filter((c) => c.error?.startsWith('RequestLimitExceeded')).length;
}

export interface EligibleInfo {
  readonly count: number;
  readonly running: number;
}

/**
 * The instances a run must rotate, read from the fleet before the run: tagged, not excluded,
 * RUNNING (ForceStop is on) or STOPPED and still charging, no operation in progress.
 */
export function eligible(state: EmulatorState, tagKey: string, tagValue: string): EligibleInfo {
  let count = 0;
  let running = 0;
  for (const i of state.cvm.instances()) {
    const tagged = i.Tags.some((t) => t.Key === tagKey && t.Value === tagValue);
    const excluded = i.Tags.some((t) => t.Key === 'rotation-exclude');
    const resettable =
      i.InstanceState === 'RUNNING' ||
      (i.InstanceState === 'STOPPED' && i.StopChargingMode !== 'STOP_CHARGING');
    if (!tagged || excluded || !resettable || i.LatestOperationState === 'OPERATING') continue;
    count++;
    if (i.InstanceState === 'RUNNING') running++;
  }
  return { count, running };
}

export interface Verification {
  readonly checked: number;
  /** Rotated instances whose newest secret version is not the instance's actual password. */
  readonly wrongPassword: number;
  /** Rotated instances whose newest version is not the one the report names. */
  readonly wrongVersion: number;
  /** Rotated instances whose newest version is not marked `current` (a deferred promote). */
  readonly notCurrent: number;
  /** Packed layout: rotated instances whose entry in the newest pack version still has `pending`. */
  readonly pendingLeft: number;
  /** Distinct secrets the rotated instances' passwords are in (packs, in the packed layout). */
  readonly secrets: number;
  /** The largest SecretString among those secrets' versions, bytes (SSM's limit: 32 KB). */
  readonly maxValueBytes: number;
}

interface Candidate {
  readonly VersionId: string;
  readonly CreateTime: number;
  readonly SecretString?: string;
}

/** The newest version by the layout's rule: greatest CreateTime, then VersionId. */
function newestOf(versions: readonly Candidate[]): Candidate | undefined {
  return newestFirst(
    versions.map((v) => ({ versionId: v.VersionId, createTime: v.CreateTime, v })),
  )[0]?.v;
}

function maxBytes(versions: readonly Candidate[]): number {
  let max = 0;
  for (const v of versions) max = Math.max(max, Buffer.byteLength(v.SecretString ?? ''));
  return max;
}

/**
 * For every rotated instance: the newest version of its secret (greatest CreateTime, then
 * VersionId: the layout's rule) must hold the emulator's actual password, be the version the
 * report names (and is expected to be marked current). Counts only; no password leaves this function.
 */
export function verify(
  state: EmulatorState,
  rotated: readonly RotatedEntry[],
  prefix: string,
  layout: SecretLayout = 'instance',
): Verification {
  return layout === 'packed'
    ? verifyPacked(state, rotated)
    : verifyInstance(state, rotated, prefix);
}

function verifyInstance(
  state: EmulatorState,
  rotated: readonly RotatedEntry[],
  prefix: string,
): Verification {
  let wrongPassword = 0;
  let wrongVersion = 0;
  let notCurrent = 0;
  let maxValueBytes = 0;
  for (const entry of rotated) {
    const secret = state.ssm.secret(entry.region, `${prefix}-${entry.instanceId}`);
    const versions = [...(secret?.versions.values() ?? [])];
    maxValueBytes = Math.max(maxValueBytes, maxBytes(versions));
    const newest = newestOf(versions);
    const content = newest ? decodeContent(newest.SecretString ?? '') : undefined;
    const actual = content
      ? state.cvm.actualPassword(entry.instanceId, content.userName)
      : undefined;
    if (!content || actual === undefined || content.password !== actual) wrongPassword++;
    if (!newest || newest.VersionId !== entry.versionId) wrongVersion++;
    if (content?.status !== 'current') notCurrent++;
  }
  return {
    checked: rotated.length,
    wrongPassword,
    wrongVersion,
    notCurrent,
    pendingLeft: 0,
    secrets: rotated.length,
    maxValueBytes,
  };
}

/**
 * The packed layout (test/integration/packed.test.ts): the newest version of the pack the report
 * names must hold, for the instance, `current.password` equal to its actual password, no
 * `pending`, and be the version the report names.
 */
function verifyPacked(state: EmulatorState, rotated: readonly RotatedEntry[]): Verification {
  const packs = new Map<string, { versionId: string; content: PackContent | undefined }>();
  let maxValueBytes = 0;
  const packOf = (region: string, name: string) => {
    const key = `${region}/${name}`;
    let pack = packs.get(key);
    if (!pack) {
      const versions = [...(state.ssm.secret(region, name)?.versions.values() ?? [])];
      maxValueBytes = Math.max(maxValueBytes, maxBytes(versions));
      const newest = newestOf(versions);
      pack = {
        versionId: newest?.VersionId ?? '',
        content: newest ? decodePack(newest.SecretString ?? '') : undefined,
      };
      packs.set(key, pack);
    }
    return pack;
  };
  let wrongPassword = 0;
  let wrongVersion = 0;
  let notCurrent = 0;
  let pendingLeft = 0;
  for (const entry of rotated) {
    const pack = packOf(entry.region, entry.secretName);
    const item = pack.content?.entries[entry.instanceId];
    const actual = item ? state.cvm.actualPassword(entry.instanceId, item.userName) : undefined;
    if (!item?.current || actual === undefined || item.current.password !== actual) {
      wrongPassword++;
    }
    if (pack.versionId === '' || pack.versionId !== entry.versionId) wrongVersion++;
    if (item?.current?.status !== 'current') notCurrent++;
    if (item?.pending !== undefined) pendingLeft++;
  }
  return {
    checked: rotated.length,
    wrongPassword,
    wrongVersion,
    notCurrent,
    pendingLeft,
    secrets: packs.size,
    maxValueBytes,
  };
}
