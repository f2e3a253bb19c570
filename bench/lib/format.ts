/** Plain-text tables for the benchmark's output. */
import type { ColdStart } from './coldstart';
import type { RunFigures } from './scenario';

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const ACTION_SHORT: Record<string, string> = {
  DescribeInstances: 'Describe',
  'DescribeInstances (polling)': 'Describe(poll)',
  ResetInstancesPassword: 'Reset',
  CreateSecret: 'Create',
  PutSecretValue: 'Put',
  UpdateSecret: 'Update',
  GetSecretValue: 'Get',
  ListSecretVersionIds: 'ListVer',
  ListSecrets: 'List',
  DeleteSecretVersion: 'DelVer',
  DescribeImages: 'Images',
};
const short = (action: string) => ACTION_SHORT[action] ?? action;

export function runsTable(runs: readonly RunFigures[]): string {
  return table(
    [
      'run',
      'scale',
      'real s',
      'emulated s',
      'bound s',
      'bottleneck (calls/rate)',
      'ratio',
      'fits 900 s',
      'peak RSS MB',
      'rotated/eligible',
      'result',
      'CPU rot/emu/machine',
      'p50 call ms',
    ],
    runs.map((r) => {
      const b = r.bound.bottleneck;
      return [
        r.label,
        `${fmt(r.scenario.timeScale)}x`,
        fmt(r.wallSeconds, 1),
        fmt(r.emulatedSeconds, 1),
        fmt(r.bound.seconds, 1),
        b ? `${short(b.action)}@${b.region} ${b.calls}/${b.rate} = ${fmt(b.seconds, 1)} s` : '-',
        `${fmt(r.ratio, 2)}x`,
        r.fits900 ? 'yes' : 'no',
        fmt(r.peakRssMb, 1),
        `${r.result.counts.rotated}/${r.eligible}`,
        r.correct ? 'ok' : 'WRONG',
        `${fmt(r.rotatorCpuPct)}/${fmt(r.emulatorCpuPct)}/${fmt(r.machineCpuPct)}%`,
        fmt(r.callP50EmulatedMs),
      ];
    }),
  );
}

export function callsTable(runs: readonly RunFigures[]): string {
  const actions = [...new Set(runs.flatMap((r) => Object.keys(r.callsPerInstance)))].sort();
  return table(
    ['calls per eligible instance', ...actions.map(short), 'all', 'throttled'],
    runs.map((r) => [
      r.label,
      ...actions.map((a) => {
        const v = r.callsPerInstance[a];
        return v === undefined ? '-' : fmt(v, 2);
      }),
      fmt(r.totalCalls / Math.max(1, r.eligible), 2),
      String(r.throttled),
    ]),
  );
}

/** When each action ran: first–last emulated second, calls, effective rate. */
export function phaseLines(r: RunFigures): string {
  const parts = r.phases.map((p) => {
    const rate = p.calls >= 20 * p.regions ? `, ${fmt(p.perRegionPerSecond, 1)}/s per region` : '';
    const refused = p.errors > 0 ? ` (${p.errors} refused)` : '';
    return `${short(p.action)} ${p.calls}${refused} @ ${fmt(p.first, 1)}–${fmt(p.last, 1)} s${rate}`;
  });
  const problems = [
    ...Object.entries(r.result.reasons).map(([reason, n]) => `${n}× ${reason}`),
    ...r.problems,
  ];
  const v = r.verification;
  const subRuns =
    r.subRuns.length === 0
      ? []
      : [
          `    sub-runs, one process each (emulated s since the fan-out run started; peak RSS is the largest of these): ${r.subRuns
            .map(
              (s) =>
                `${s.region} ${fmt(s.startSeconds, 1)}–${fmt(s.endSeconds, 1)} s ${fmt(s.peakRssMb, 1)} MB ${s.rotated} ${s.status}`,
            )
            .join('; ')}`,
          `    the fan-out run's own process (invokes only): peak RSS ${fmt(r.fanoutRunnerRssMb ?? 0, 1)} MB`,
        ];
  const secrets =
    r.scenario.layout === 'packed'
      ? `${v.secrets} pack secrets hold the passwords (largest value ${fmt(v.maxValueBytes)} bytes of 32 KB), ${v.pendingLeft} pending left; `
      : '';
  return [
    `${r.label} (scale ${r.scenario.timeScale}x, latency ${
      r.latency === 0 ? 'loopback only' : `${fmt(r.latency[0], 2)}–${fmt(r.latency[1], 2)} real ms`
    }, runner RSS ${fmt(r.baselineRssMb, 1)} MB after loading, V8 heap limit ${fmt(r.result.heapLimitMb)} MB, peak heap used ${fmt(r.peakHeapMb, 1)} MB, ${r.result.logLines} log lines):`,
    ...parts.map((p) => `    ${p}`),
    ...subRuns,
    `    bound: ${r.bound.bottleneck ? `${fmt(r.bound.bottleneck.seconds, 1)} s of ${r.bound.bottleneck.action} in ${r.bound.bottleneck.region}` : 'no call'} + ${fmt(r.bound.completionSeconds, 1)} s completion (${r.bound.completion})`,
    `    checked ${v.checked} rotated: ${secrets}${v.wrongPassword} wrong password, ${v.wrongVersion} wrong version, ${v.notCurrent} not current; status ${r.result.status}${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`,
  ].join('\n');
}

export function coldStartLines(bundleBytes: number | null, cold: ColdStart | null): string {
  const lines: string[] = [];
  if (bundleBytes !== null) {
    lines.push(
      `bundle dist/index.js: ${fmt(bundleBytes)} bytes (${fmt(bundleBytes / 1024 / 1024, 2)} MB)`,
    );
  }
  if (cold) {
    lines.push(
      `cold start (median of ${cold.samples.length} fresh processes): ${fmt(cold.medianMs, 1)} ms = require ${fmt(cold.requireMs, 1)} ms + first dry-run invocation ${fmt(cold.invokeMs, 1)} ms (node's own start-up, not included: ${fmt(cold.nodeBootMs, 1)} ms)`,
    );
  }
  return lines.join('\n');
}

export interface Speedup {
  readonly instances: number;
  readonly regions: number;
  readonly scope: string;
  readonly concurrentSeconds: number;
  readonly naiveSeconds: number;
  readonly speedup: number;
}

/** Concurrent vs naive emulated time, for every fleet and scope measured both ways. */
export function speedups(runs: readonly RunFigures[]): Speedup[] {
  const out: Speedup[] = [];
  for (const c of runs) {
    if (c.scenario.mode !== 'concurrent' || c.scenario.layout !== 'instance') continue;
    const n = runs.find(
      (r) =>
        r.scenario.mode === 'naive' &&
        r.scenario.layout === c.scenario.layout &&
        r.scenario.instances === c.scenario.instances &&
        r.scenario.regions === c.scenario.regions &&
        r.scenario.scope === c.scenario.scope,
    );
    if (!n) continue;
    out.push({
      instances: c.scenario.instances,
      regions: c.scenario.regions,
      scope: c.scenario.scope,
      concurrentSeconds: c.emulatedSeconds,
      naiveSeconds: n.emulatedSeconds,
      speedup: n.emulatedSeconds / Math.max(1e-9, c.emulatedSeconds),
    });
  }
  return out;
}

const yes = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** The issue's targets, as measured (reported only: the benchmark never fails on timing). */
export function targetLines(
  runs: readonly RunFigures[],
  bundleBytes: number | null,
  coldStartMs: number | null,
): string {
  const lines: string[] = ['Targets of issue [4] (reported, never enforced):'];
  for (const r of runs) {
    if (r.scenario.instances !== 5000 || r.scenario.mode === 'naive') continue;
    lines.push(
      `  ${r.label}: ratio ${fmt(r.ratio, 2)}x <= 1.25x ${yes(r.ratio <= 1.25)}; ${fmt(r.emulatedSeconds, 1)} s <= 900 s ${yes(r.fits900)}; peak RSS ${fmt(r.peakRssMb, 1)} MB < 256 MB ${yes(r.peakRssMb < 256)}`,
    );
  }
  for (const s of speedups(runs)) {
    lines.push(
      `  ${s.instances}/${s.regions} ${s.scope}: ${fmt(s.speedup, 1)}x faster than naive (${fmt(s.concurrentSeconds, 1)} s vs ${fmt(s.naiveSeconds, 1)} s) >= 5x ${yes(s.speedup >= 5)}`,
    );
  }
  if (runs.length > 0) {
    const peak = Math.max(...runs.map((r) => r.peakRssMb));
    lines.push(`  peak RSS ${fmt(peak, 1)} MB (largest of all runs) < 256 MB ${yes(peak < 256)}`);
    for (const r of runs.filter((x) => x.scenario.layout === 'packed')) {
      lines.push(
        `  ${r.label}: ${r.result.counts.rotated}/${r.eligible} rotated in ${r.verification.secrets} secrets (quota 1000), ${r.correct ? 'verified' : 'WRONG'}; ${fmt(r.emulatedSeconds, 1)} s <= 900 s ${yes(r.fits900)}`,
      );
    }
  }
  if (coldStartMs !== null)
    lines.push(`  cold start ${fmt(coldStartMs, 1)} ms < 300 ms ${yes(coldStartMs < 300)}`);
  if (bundleBytes !== null) {
    lines.push(
      `  bundle ${fmt(bundleBytes / 1024 / 1024, 2)} MB < 3 MB ${yes(bundleBytes < 3 * 1024 * 1024)}`,
    );
  }
  return lines.join('\n');
}
