import { expect } from 'vitest';
import type { Emulator, InstanceSeed } from '../../src/emulator';

const OS = [
  'CentOS 7.9 64bit',
  'Ubuntu Server 22.04 LTS 64bit',
  'Debian 12.0 64bit',
  'TencentOS Server 3.1 (TK4)',
  'Windows Server 2022 DataCenter 64bit',
] as const;

/** A deterministic instance id: `ins-` + 8 chars from the number. */
export function instanceId(n: number): string {
  return `ins-${n.toString(36).padStart(8, '0')}`;
}

export interface TestFleetSpec {
  count: number;
  regions?: string[];
  /** Every nth instance RUNNING (others STOPPED). */
  runningEvery?: number;
  /** Every nth instance carries the exclusion tag. */
  excludeEvery?: number;
  /** Every nth instance is STOPPED in STOP_CHARGING mode. */
  stopChargingEvery?: number;
  /** Every nth instance has an operation in progress. */
  busyEvery?: number;
  /** Every nth instance is in SHUTDOWN. */
  shutdownEvery?: number;
  /** Every nth instance is untagged. */
  untaggedEvery?: number;
  start?: number;
}

const every = (n: number | undefined, i: number) => n !== undefined && n > 0 && i % n === n - 1;

/** A mixed fleet, spread round-robin over the regions and OSes. */
export function testFleet(spec: TestFleetSpec): InstanceSeed[] {
  const regions = spec.regions ?? ['ap-guangzhou', 'ap-shanghai'];
  const seeds: InstanceSeed[] = [];
  for (let i = 0; i < spec.count; i++) {
    const tags: Record<string, string> = every(spec.untaggedEvery, i)
      ? {}
      : { rotation: 'enabled' };
    if (every(spec.excludeEvery, i)) tags['rotation-exclude'] = 'true';
    let state: InstanceSeed['InstanceState'] = every(spec.runningEvery, i) ? 'RUNNING' : 'STOPPED';
    if (every(spec.shutdownEvery, i)) state = 'SHUTDOWN';
    seeds.push({
      InstanceId: instanceId((spec.start ?? 0) + i),
      region: regions[i % regions.length] as string,
      OsName: OS[i % OS.length] as string,
      InstanceState: state,
      Tags: tags,
      StopChargingMode:
        every(spec.stopChargingEvery, i) && state === 'STOPPED' ? 'STOP_CHARGING' : 'KEEP_CHARGING',
      ...(every(spec.busyEvery, i)
        ? { LatestOperation: 'StartInstances', LatestOperationState: 'OPERATING' as const }
        : {}),
    });
  }
  return seeds;
}

export interface StoredVersion {
  versionId: string;
  createTime: number;
  content: Record<string, unknown>;
}

/** The versions of an instance's secret, newest first by the contract's rule. */
export function versionsOf(
  emulator: Emulator,
  region: string,
  instance: string,
  prefix = 'cvm-password',
): StoredVersion[] {
  const secret = emulator.state.ssm.secret(region, `${prefix}-${instance}`);
  if (!secret) return [];
  return [...secret.versions.values()]
    .map((v) => ({
      versionId: v.VersionId,
      createTime: v.CreateTime,
      content: JSON.parse(v.SecretString ?? '{}') as Record<string, unknown>,
    }))
    .sort(
      (a, b) =>
        b.createTime - a.createTime ||
        (b.versionId > a.versionId ? 1 : b.versionId < a.versionId ? -1 : 0),
    );
}

/**
 * The contract after a completed run: the newest version of the instance's secret holds the
 * instance's actual password for the user it names.
 */
export function expectNewestIsActual(
  emulator: Emulator,
  instance: string,
  prefix = 'cvm-password',
): StoredVersion {
  const record = emulator.state.cvm.instance(instance);
  expect(record, instance).toBeDefined();
  const region = record?.region as string;
  const newest = versionsOf(emulator, region, instance, prefix)[0];
  expect(newest, `secret of ${instance}`).toBeDefined();
  const userName = newest?.content.userName as string;
  const actual = emulator.state.cvm.actualPassword(instance, userName);
  // Compare without printing either value on failure.
  expect(
    newest?.content.password === actual,
    `newest version of ${instance} holds its actual password`,
  ).toBe(true);
  return newest as StoredVersion;
}

/** The weaker invariant that holds at every moment: some stored version holds the password. */
export function expectSomeVersionIsActual(
  emulator: Emulator,
  instance: string,
  prefix = 'cvm-password',
): void {
  const record = emulator.state.cvm.instance(instance);
  const region = record?.region as string;
  const versions = versionsOf(emulator, region, instance, prefix);
  const user = (versions[0]?.content.userName as string | undefined) ?? undefined;
  const actual = emulator.state.cvm.actualPassword(instance, user);
  expect(
    versions.some((v) => v.content.password === actual),
    `a stored version of ${instance} holds its actual password`,
  ).toBe(true);
}

export type Layout = 'instance' | 'packed';

interface PackSlot {
  password: string;
  versionId: string;
  status: string;
}

/**
 * An instance's stored versions, newest first, in either layout. For the packed layout these are
 * the instance's slots across the pack's versions (newest pack version first; in each, the
 * pending slot before the current one), each slot once: the same view the protocol has.
 */
export function instanceVersions(
  emulator: Emulator,
  region: string,
  instance: string,
  layout: Layout,
  prefix = 'cvm-password',
): StoredVersion[] {
  if (layout === 'instance') return versionsOf(emulator, region, instance, prefix);
  const out: StoredVersion[] = [];
  const seen = new Set<string>();
  for (const secret of emulator.state.ssm.secrets(region)) {
    if (!secret.SecretName.startsWith(`${prefix}-pack-`)) continue;
    const versions = [...secret.versions.values()].sort(
      (a, b) =>
        b.CreateTime - a.CreateTime ||
        (b.VersionId > a.VersionId ? 1 : b.VersionId < a.VersionId ? -1 : 0),
    );
    for (const v of versions) {
      const content = JSON.parse(v.SecretString ?? '{}') as {
        entries?: Record<string, { userName: string; current?: PackSlot; pending?: PackSlot }>;
      };
      const entry = content.entries?.[instance];
      if (!entry) continue;
      for (const slot of [entry.pending, entry.current]) {
        if (!slot || seen.has(slot.versionId)) continue;
        seen.add(slot.versionId);
        out.push({
          versionId: slot.versionId,
          createTime: v.CreateTime,
          content: { password: slot.password, userName: entry.userName, status: slot.status },
        });
      }
    }
  }
  return out;
}
