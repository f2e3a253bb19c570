import type { ScfPort } from '../cloud/ports';
import type { RunConfig } from '../config';
import { CloudError } from '../errors';
import { ReportBuilder, type RunReport } from './report';
import type { RunLogger } from './types';

export interface FanOutTarget {
  readonly functionName: string;
  readonly namespace: string;
  readonly qualifier: string;
  /** Where the function itself lives (SCF Invoke is sent there). */
  readonly region: string;
}

/**
 * Beyond one invocation (issue [4]): instead of rotating every region itself, the run invokes the
 * same function once per region, asynchronously (SCF `Invoke`, InvocationType `Event`), with a
 * manual event scoped to that region. SCF is the distributed engine: each sub-run gets its own
 * time limit (900 s, or 24 h in async-run mode), retries and logs, and takes its region's lock,
 * so two runs never work on one region. A sub-run names a single region, so it never fans out
 * again. The fan-out run itself changes nothing.
 */
export async function fanOut(
  config: RunConfig,
  runId: string,
  target: FanOutTarget,
  scf: ScfPort,
  log: RunLogger,
  now: () => number,
): Promise<RunReport> {
  const started = now();
  const report = new ReportBuilder();
  const tags = Object.fromEntries(config.tags.map((t) => [t.key, t.value ?? '']));
  const fanout: NonNullable<RunReport['fanout']> = [];
  await Promise.all(
    config.regions.map(async (region) => {
      const event = {
        regions: [region],
        ...(config.tags.length > 0 ? { tags } : {}),
        ...(config.instanceIds ? { instanceIds: [...config.instanceIds] } : {}),
        forceStop: config.forceStop,
        dryRun: config.dryRun,
        passwordScope: config.passwordScope,
        reason: `fan-out of run ${runId}${config.reason ? `: ${config.reason}` : ''}`.slice(0, 256),
      };
      try {
        const functionRequestId = await scf.invokeAsync(target.region, {
          functionName: target.functionName,
          namespace: target.namespace,
          qualifier: target.qualifier,
          event,
        });
        fanout.push({ region, functionRequestId });
        log.info('run.fanout.invoked', {
          region,
          functionRequestId,
          functionName: target.functionName,
        });
      } catch (error) {
        const code = error instanceof CloudError ? error.code : 'Error';
        report.errors.push({
          region,
          code,
          message: `could not invoke the run for ${region}: ${(error as Error).message}`,
        });
        log.error('run.fanout.failed', { region, error });
      }
    }),
  );
  fanout.sort((a, b) => a.region.localeCompare(b.region));
  const built = report.build(runId, config.dryRun, now() - started);
  const status =
    report.errors.length === 0 ? 'succeeded' : fanout.length > 0 ? 'partial' : 'failed';
  return { ...built, status, fanout };
}
