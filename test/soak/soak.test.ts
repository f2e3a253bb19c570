/**
 * The short CI soak (`npm run soak:ci`): 8 rotation runs over 150 instances in 3 regions, each in
 * a child process, 20 % of them SIGKILLed at a random moment, random faults on every action and
 * someone else starting, stopping and deleting instances. The safety figures must be 0. A failure
 * prints the seed; replay it with `npm run soak:ci -- --seed N`. See docs/soak.md.
 */
import { describe, expect, it } from 'vitest';
import { runSoakScript } from '../../scripts/soak/script';

describe('soak (CI)', () => {
  it('loses no password, leaks none, and converges after a clean run', async () => {
    const { code, summary, stderr } = await runSoakScript(['--ci'], 170_000);
    const context = `seed ${String(summary.seed)}; progress and findings:\n${stderr.slice(-6000)}`;
    expect(summary.passwordsLost, context).toBe(0);
    expect(summary.outOfSyncAfterCleanRun, context).toBe(0);
    expect(summary.leaks, context).toBe(0);
    expect(code, context).toBe(0);
    // It really soaked: runs, kills, rotations and faults happened.
    expect(summary.runs).toBe(8);
    expect(summary.kills as number).toBeGreaterThanOrEqual(1);
    expect(summary.rotated as number).toBeGreaterThan(0);
    expect(summary.faults as number).toBeGreaterThan(0);
    expect(summary.maxRunsToConverge as number).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
