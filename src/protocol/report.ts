/** The run report (issue [2], fixed interface; fields may be added, none changed). */

export type InstanceResult = 'rotated' | 'failed' | 'skipped' | 'planned';

export interface InstanceReport {
  instanceId: string;
  region: string;
  result: InstanceResult;
  userName?: string;
  reason?: string;
  secretName?: string;
  versionId?: string;
}

export interface RunReport {
  runId: string;
  status: 'succeeded' | 'partial' | 'failed';
  dryRun: boolean;
  counts: { discovered: number; rotated: number; failed: number; skipped: number; planned: number };
  instances: InstanceReport[];
  /** Problems that concern a whole region rather than one instance. */
  errors: Array<{ region: string; code: string; message: string }>;
  durationMs: number;
  /** A fan-out run: the region runs it started (SCF FunctionRequestIds); it rotates nothing itself. */
  fanout?: Array<{ region: string; functionRequestId: string }>;
}

/** The identifying fields of an instance's report entry. */
export function baseEntry(t: {
  instance: { instanceId: string; region: string };
  userName: string;
  secretName: string;
  unknownOs?: boolean;
}) {
  return {
    instanceId: t.instance.instanceId,
    region: t.instance.region,
    ...(t.unknownOs ? {} : { userName: t.userName }),
    secretName: t.secretName,
  };
}

/** Collects one entry per instance; a later entry for the same instance replaces the earlier. */
export class ReportBuilder {
  private readonly entries = new Map<string, InstanceReport>();
  readonly errors: RunReport['errors'] = [];
  discovered = 0;

  set(entry: InstanceReport): void {
    this.entries.set(entry.instanceId, entry);
  }

  get(instanceId: string): InstanceReport | undefined {
    return this.entries.get(instanceId);
  }

  all(): IterableIterator<InstanceReport> {
    return this.entries.values();
  }

  build(runId: string, dryRun: boolean, durationMs: number): RunReport {
    const instances = [...this.entries.values()].sort((a, b) =>
      a.region === b.region
        ? a.instanceId.localeCompare(b.instanceId)
        : a.region.localeCompare(b.region),
    );
    const count = (result: InstanceResult) => instances.filter((i) => i.result === result).length;
    const counts = {
      discovered: this.discovered,
      rotated: count('rotated'),
      failed: count('failed'),
      skipped: count('skipped'),
      planned: count('planned'),
    };
    const problems = counts.failed + this.errors.length;
    const progress = counts.rotated + counts.planned;
    const status = problems === 0 ? 'succeeded' : progress > 0 ? 'partial' : 'failed';
    return { runId, status, dryRun, counts, instances, errors: this.errors, durationMs };
  }
}
