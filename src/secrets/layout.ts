/**
 * The secret layout (issue [2], fixed interface): one secret per instance, named
 * `<prefix>-<instanceId>`, in the instance's own region. Each version's SecretString is a JSON
 * object with at least `password` and `userName`. SSM custom secrets have no "current" pointer
 * (facts/tencent-cloud-api.md §3.2), so the rule is: the newest version (greatest CreateTime,
 * ties broken by the greatest VersionId) is the current password once a run has completed.
 * VersionIds are built from the time so that they sort like CreateTime.
 */

export type VersionStatus =
  /** Stored before the reset call; the instance may or may not have it yet. */
  | 'pending'
  /** The reset call was accepted; `requestId` names it. Still unverified. */
  | 'applying'
  /** Verified through DescribeInstances: the instance's actual password. */
  | 'current';

export interface SecretContent {
  readonly schema: 1;
  readonly password: string;
  readonly userName: string;
  readonly instanceId: string;
  readonly region: string;
  readonly osFamily: 'linux' | 'windows';
  readonly status: VersionStatus;
  /** The run that generated the password. */
  readonly runId: string;
  /** ISO time the version was written. */
  readonly createdAt: string;
  /** RequestId of the ResetInstancesPassword call that applied (or is applying) it. */
  readonly requestId?: string;
  readonly verifiedAt?: string;
  /** Set when an operator rolled back to an older password (CLI `rollback`). */
  readonly rollbackOf?: string;
}

export const secretName = (prefix: string, instanceId: string): string => `${prefix}-${instanceId}`;

/** `<prefix>-ins-xxxxxxxx` → `ins-xxxxxxxx`, or undefined for other names under the prefix. */
export function instanceIdOf(prefix: string, name: string): string | undefined {
  const rest = name.startsWith(`${prefix}-`) ? name.slice(prefix.length + 1) : '';
  return /^ins-[a-z0-9]{8}$/.test(rest) ? rest : undefined;
}

/**
 * `20261129T030000123Z-<runTag>`: fixed width, so lexicographic order is time order, within
 * SSM's VersionId rule `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$` (facts §3.1).
 */
export function versionIdFor(time: number, runTag: string): string {
  const iso = new Date(time).toISOString(); // 2026-11-29T03:00:00.123Z
  const compact = iso.replace(/[-:]/g, '').replace('.', '');
  return `${compact}-${runTag}`;
}

export function encodeContent(content: SecretContent): string {
  return JSON.stringify(content);
}

const STATUSES = new Set<VersionStatus>(['pending', 'applying', 'current']);

/**
 * Parses a version written by this rotator; undefined for anything else (a version an operator
 * wrote by hand, or damage), which the protocol then refuses to build on.
 */
export function decodeContent(text: string): SecretContent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (
    v.schema !== 1 ||
    typeof v.password !== 'string' ||
    typeof v.userName !== 'string' ||
    typeof v.instanceId !== 'string' ||
    typeof v.region !== 'string' ||
    (v.osFamily !== 'linux' && v.osFamily !== 'windows') ||
    typeof v.status !== 'string' ||
    !STATUSES.has(v.status as VersionStatus) ||
    typeof v.runId !== 'string' ||
    typeof v.createdAt !== 'string' ||
    (v.requestId !== undefined && typeof v.requestId !== 'string')
  ) {
    return undefined;
  }
  return value as SecretContent;
}

/** Newest first: greatest CreateTime, ties broken by the greatest VersionId (the contract). */
export function newestFirst<T extends { versionId: string; createTime: number }>(
  versions: readonly T[],
): T[] {
  return [...versions].sort((a, b) =>
    b.createTime !== a.createTime
      ? b.createTime - a.createTime
      : b.versionId < a.versionId
        ? -1
        : b.versionId > a.versionId
          ? 1
          : 0,
  );
}
