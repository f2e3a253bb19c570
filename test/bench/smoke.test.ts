/**
 * `npm run bench:smoke` as CI runs it: the benchmark's smoke size in a child process. It must
 * exit 0 and report a correct result (every rotated instance's newest secret version is its
 * actual password, and every eligible instance rotated). Timing is never asserted.
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
  it('rotates the smoke fleet correctly and ends with one JSON line', async () => {
    const { code, stdout, stderr } = await runSmoke();
    expect(code, stderr).toBe(0);
    const last = stdout.trimEnd().split('\n').pop() ?? '';
    const summary = JSON.parse(last) as { runs: SmokeRun[]; failures: string[] };
    expect(summary.failures).toEqual([]);
    expect(summary.runs).toHaveLength(1);
    const [run] = summary.runs;
    expect(run).toMatchObject({ instances: 200, regions: 2, mode: 'concurrent', correct: true });
    expect(run?.rotated).toBe(run?.eligible);
    expect(run?.eligible).toBe(200);
    expect(run?.emulatedSeconds).toBeGreaterThan(0);
    expect(run?.lowerBoundSeconds).toBeGreaterThan(0);
    expect(run?.peakRssMb).toBeGreaterThan(0);
    expect(run?.callsPerInstance.ResetInstancesPassword).toBeGreaterThan(0);
  }, 60_000);
});
