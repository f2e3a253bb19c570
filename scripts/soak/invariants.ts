/**
 * The invariants of issue [2], checked against the emulator's actual passwords:
 *
 * - at every moment, each password the rotator set on an instance (every user whose actual
 *   password differs from the one it started with) is stored, with that user name, in some
 *   version of the instance's secret — otherwise the password is LOST;
 * - after a completed run, the newest version (greatest CreateTime, ties by greatest VersionId)
 *   holds the actual password of the admin user it names — otherwise the secret is OUT OF SYNC.
 *
 * Nothing here returns or prints a password: only booleans and version metadata.
 */
import type { Emulator, InstanceRecord } from '../../src/emulator';
import type { InitialPasswords } from './fleet';

export const SECRET_PREFIX = 'cvm-password';

interface StoredVersion {
  readonly versionId: string;
  readonly createTime: number;
  readonly password: string | undefined;
  readonly userName: string | undefined;
  readonly status: string | undefined;
  readonly runId: string | undefined;
  readonly requestId: string | undefined;
}

/** What a report may say about a version: never the password, only whether it matches. */
export interface VersionSummary {
  readonly versionId: string;
  readonly createTime: number;
  readonly status: string | undefined;
  readonly runId: string | undefined;
  readonly requestId: string | undefined;
  readonly userName: string | undefined;
  readonly holdsActualPassword: boolean;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** The versions of an instance's secret, newest first by the contract's rule. */
export function storedVersions(emulator: Emulator, record: InstanceRecord): StoredVersion[] {
  const secret = emulator.state.ssm.secret(record.region, `${SECRET_PREFIX}-${record.InstanceId}`);
  if (!secret) return [];
  const out: StoredVersion[] = [];
  for (const v of secret.versions.values()) {
    let content: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(v.SecretString ?? '{}');
      if (typeof parsed === 'object' && parsed !== null)
        content = parsed as Record<string, unknown>;
    } catch {
      // Not JSON: holds no password the checks can recognise.
    }
    out.push({
      versionId: v.VersionId,
      createTime: v.CreateTime,
      password: text(content.password),
      userName: text(content.userName),
      status: text(content.status),
      runId: text(content.runId),
      requestId: text(content.requestId),
    });
  }
  return out.sort(
    (a, b) =>
      b.createTime - a.createTime ||
      (b.versionId > a.versionId ? 1 : b.versionId < a.versionId ? -1 : 0),
  );
}

/**
 * Users of the instance whose actual password the rotator set (it differs from the initial one)
 * but that no version of the secret holds for that user.
 */
export function lostUsers(
  emulator: Emulator,
  record: InstanceRecord,
  initial: InitialPasswords,
): string[] {
  const start = initial.get(record.InstanceId);
  const lost: string[] = [];
  let versions: StoredVersion[] | undefined;
  for (const [user, actual] of record.passwords) {
    if (start?.get(user) === actual) continue;
    versions ??= storedVersions(emulator, record);
    if (!versions.some((v) => v.userName === user && v.password === actual)) lost.push(user);
  }
  return lost;
}

/** The newest version holds the admin user's actual password and names that user. */
export function inSync(emulator: Emulator, record: InstanceRecord): boolean {
  const newest = storedVersions(emulator, record)[0];
  if (!newest?.userName || newest.userName !== record.DefaultLoginUser) return false;
  const actual = record.passwords.get(newest.userName);
  return actual !== undefined && newest.password === actual;
}

/** The secret's versions as a failure report may show them. */
export function summarizeVersions(emulator: Emulator, record: InstanceRecord): VersionSummary[] {
  return storedVersions(emulator, record).map((v) => ({
    versionId: v.versionId,
    createTime: v.createTime,
    status: v.status,
    runId: v.runId,
    requestId: v.requestId,
    userName: v.userName,
    holdsActualPassword:
      v.userName !== undefined &&
      v.password !== undefined &&
      record.passwords.get(v.userName) === v.password,
  }));
}
