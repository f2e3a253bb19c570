/**
 * `rollback <instanceId>`: puts an older stored password back on the instance, through the
 * function's own protocol (stored first as a new pending version marked `rollbackOf`, reset,
 * verified, promoted), so the rolled-back password becomes the newest version like any rotation.
 * For when something outside the rotator still depends on the previous password.
 */
import { runFromEvent } from '../../handler';
import type { RunReport } from '../../protocol/report';
import { type CliIo, EXIT, type ExitCode } from '../io';
import { functionEnv, UsageError } from '../options';
import { cliContext, rotateExitCode } from './rotation';
import { previousCurrent, type ReadFlags, withSecret } from './secrets';

export interface RollbackFlags extends ReadFlags {
  readonly versionId?: string;
  readonly reason?: string;
  readonly forceStop?: boolean;
}

export async function rollback(
  instanceId: string,
  flags: RollbackFlags,
  io: CliIo,
): Promise<ExitCode> {
  return withSecret(instanceId, flags, io, async (found) => {
    const versionId = flags.versionId ?? (await previousCurrent(found));
    if (!versionId) {
      throw new UsageError([
        `${found.name} in ${found.region} keeps no previous verified version to roll back to; name one with --version-id (see history)`,
      ]);
    }
    if (!found.versions.some((v) => v.versionId === versionId)) {
      throw new UsageError([
        `--version-id: ${found.name} in ${found.region} has no version ${versionId}`,
      ]);
    }
    if (versionId === found.versions[0]?.versionId) {
      throw new UsageError([`--version-id: ${versionId} is already the newest version`]);
    }
    const event = {
      instanceIds: [instanceId],
      regions: [found.region],
      reason: flags.reason ?? `rollback of ${instanceId} to version ${versionId}`,
      forceStop: flags.forceStop === true,
      dryRun: false,
    };
    const report: RunReport = await runFromEvent(event, cliContext(), {
      env: functionEnv(io.env, flags.endpoint),
      write: (line) => io.stderr.write(`${line}\n`),
      rollback: { instanceId, versionId },
    });
    const code = rotateExitCode(report, true);
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return code;
    }
    const entry = report.instances.find((i) => i.instanceId === instanceId);
    io.stdout.write(
      code === EXIT.ok
        ? `Rolled back ${instanceId} to the password of version ${versionId}; it is now stored as version ${entry?.versionId ?? '?'} of ${entry?.secretName ?? found.name}.\n`
        : `Rollback of ${instanceId} did not complete: ${entry?.result ?? 'not reached'}${entry?.reason ? ` (${entry.reason})` : ''}. The previous password stays current unless the reset was applied; the next run reconciles.\n`,
    );
    return code;
  });
}
