/**
 * The soak's fleet and the emulator-side facts the checks need: which instances the rotator is
 * meant to manage, which are resettable right now, and the passwords they started with.
 */
import type { FleetSpec, InstanceRecord } from '../../src/emulator';

export const ROTATION_TAG = { Key: 'rotation', Value: 'enabled' } as const;
export const EXCLUDE_TAG = 'rotation-exclude';

const REGION_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['ap-guangzhou', 0.4],
  ['ap-shanghai', 0.35],
  ['ap-beijing', 0.25],
];

/** 2 or 3 regions. */
export function soakRegions(count: number): string[] {
  return REGION_WEIGHTS.slice(0, count).map(([region]) => region);
}

/**
 * A mixed fleet: Linux (CentOS, Ubuntu, Debian, TencentOS) and Windows, half STOPPED and half
 * RUNNING, a few excluded or untagged instances the rotator must never touch, and a few with an
 * empty OsName so the rotator has to ask DescribeImages.
 */
export function soakFleet(count: number, regions: readonly string[]): FleetSpec {
  return {
    count,
    regions: Object.fromEntries(REGION_WEIGHTS.filter(([r]) => regions.includes(r))),
    os: {
      'CentOS 7.9 64bit': 0.25,
      'Ubuntu Server 22.04 LTS 64bit': 0.2,
      'Debian 12.0 64bit': 0.1,
      'TencentOS Server 3.1 (TK4)': 0.2,
      'Windows Server 2022 DataCenter 64bit': 0.15,
      'Windows Server 2019 DataCenter 64bit': 0.1,
    },
    states: { STOPPED: 0.5, RUNNING: 0.5 },
    rotationTag: { ...ROTATION_TAG },
    extraTags: { env: ['prod', 'staging'] },
    untaggedFraction: 0.02,
    excludedFraction: 0.02,
    emptyOsNameFraction: 0.02,
  };
}

/** Tagged for rotation and not excluded: the instances whose passwords the soak follows. */
export function isManaged(record: InstanceRecord): boolean {
  return (
    record.Tags.some((t) => t.Key === ROTATION_TAG.Key && t.Value === ROTATION_TAG.Value) &&
    !record.Tags.some((t) => t.Key === EXCLUDE_TAG)
  );
}

/** Managed and resettable now (forceStop is on, so RUNNING counts): a clean run must rotate it. */
export function isEligible(record: InstanceRecord): boolean {
  return (
    isManaged(record) &&
    (record.InstanceState === 'RUNNING' || record.InstanceState === 'STOPPED') &&
    record.StopChargingMode !== 'STOP_CHARGING' &&
    record.LatestOperationState !== 'OPERATING'
  );
}

/** Per instance, per user: the password it had before any rotation (held in memory only). */
export type InitialPasswords = Map<string, Map<string, string>>;

export function snapshotPasswords(records: readonly InstanceRecord[]): InitialPasswords {
  return new Map(records.map((r) => [r.InstanceId, new Map(r.passwords)]));
}
