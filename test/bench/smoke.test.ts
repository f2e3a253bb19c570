/**
 * `npm run bench:smoke` as CI runs it: the benchmark's smoke size in a child process, then the
 * same fleet through fan-out (each sub-run in its own runner process) and 200 instances in one
 * region in the packed layout. It must exit 0 and report a correct result for each (every
 * rotated instance's newest secret version is its actual password, and every eligible instance
 * rotated). Timing is never asserted.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..', '..');

interface SmokeRun {
  instances: number;
  regions: number;
  scope: string;
  mode: string;
  layout: string;
  heapLimitMb: number;
  secrets: number;
  subRuns?: Array<{ region: string; rotated: number; peakRssMb: number }>;
  eligible: number;
  rotated: number;
  correct: boolean;
  emulatedSeconds: number;
  lowerBoundSeconds: number;
  peakRssMb: number;
  callsPerInstance: Record<string, number>;
}

function runSmoke(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--json'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill(), 55_000);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('bench:smoke', () => {
  it('rotates the smoke fleets correctly and ends with one JSON line', async () => {
    const { code, stdout, stderr } = await runSmoke();
    expect(code, stderr).toBe(0);
    const last = stdout.trimEnd().split('\n').pop() ?? '';
    const summary = JSON.parse(last) as {
      runs: SmokeRun[];
      failures: string[];
      nodeOptions: string;
    };
    expect(summary.failures).toEqual([]);
    expect(summary.runs).toHaveLength(3);
    const [run, fanout, packed] = summary.runs;
    expect(run).toMatchObject({
      instances: 200,
      regions: 2,
      mode: 'concurrent',
      layout: 'instance',
      correct: true,
    });
    for (const r of summary.runs) {
      expect(r.correct, `${r.mode} ${r.layout}`).toBe(true);
      expect(r.rotated).toBe(r.eligible);
      expect(r.eligible).toBe(200);
      expect(r.emulatedSeconds).toBeGreaterThan(0);
      expect(r.lowerBoundSeconds).toBeGreaterThan(0);
      expect(r.peakRssMb).toBeGreaterThan(0);
      expect(r.callsPerInstance.ResetInstancesPassword).toBeGreaterThan(0);
    }
    // The runners ran with the deployed function's NODE_OPTIONS (serverless.yml).
    if (/--max-old-space-size=\d+/.test(summary.nodeOptions)) {
      const cap = Number(/--max-old-space-size=(\d+)/.exec(summary.nodeOptions)?.[1]);
      for (const r of summary.runs) expect(r.heapLimitMb).toBeLessThan(cap + 100);
    }
    // Fan-out: one sub-run per region, each in its own process, together every instance.
    expect(fanout).toMatchObject({ mode: 'fanout', regions: 2 });
    expect(fanout?.subRuns?.map((s) => s.region).sort()).toEqual(['ap-guangzhou', 'ap-shanghai']);
    expect(fanout?.subRuns?.reduce((n, s) => n + s.rotated, 0)).toBe(200);
    // Packed: 200 instances in 4 packs of 50.
    expect(packed).toMatchObject({ layout: 'packed', regions: 1, secrets: 4 });
  }, 60_000);
});
