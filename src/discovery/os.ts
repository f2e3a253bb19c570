/** OS family and admin account of an instance. */

export type OsFamily = 'linux' | 'windows';

export interface OsIdentity {
  readonly os: OsFamily;
  /** The account ResetInstancesPassword changes by default. */
  readonly userName: string;
}

/**
 * The Instance model has no OS-type field (facts §2.2): the family comes from `OsName`, or from
 * the image's `Platform` when `OsName` is empty. The admin account follows the API doc:
 * `Administrator` on Windows, `ubuntu` on Ubuntu, `root` on every other system
 * (https://cloud.tencent.com/document/api/213/15736).
 */
export function classifyOs(osName: string, platform = ''): OsIdentity | undefined {
  const text = osName.trim() !== '' ? osName : platform;
  if (text.trim() === '') return undefined;
  if (/windows/i.test(text)) return { os: 'windows', userName: 'Administrator' };
  if (/ubuntu/i.test(text)) return { os: 'linux', userName: 'ubuntu' };
  return { os: 'linux', userName: 'root' };
}
