/** The run report's counts and status rules (src/protocol/report.ts). */
import { describe, expect, it } from 'vitest';
import { baseEntry, type InstanceResult, ReportBuilder } from '../../../src/protocol/report';

const entry = (n: number, result: InstanceResult, region = 'ap-guangzhou') => ({
  instanceId: `ins-0000000${n}`,
  region,
  result,
});

function build(results: InstanceResult[], regionErrors = 0) {
  const report = new ReportBuilder();
  for (const [i, result] of results.entries()) report.set(entry(i, result));
  for (let i = 0; i < regionErrors; i++)
    report.errors.push({ region: 'ap-shanghai', code: 'InternalError', message: 'x' });
  report.discovered = results.length;
  return report.build('run-1', false, 1234);
}

describe('ReportBuilder status', () => {
  it.each<[string, InstanceResult[], number, 'succeeded' | 'partial' | 'failed']>([
    ['nothing to do', [], 0, 'succeeded'],
    ['everything rotated', ['rotated', 'rotated'], 0, 'succeeded'],
    ['rotated and skipped', ['rotated', 'skipped'], 0, 'succeeded'],
    ['only skipped', ['skipped', 'skipped'], 0, 'succeeded'],
    ['a dry run that planned', ['planned', 'skipped'], 0, 'succeeded'],
    ['one failed among rotated', ['rotated', 'failed'], 0, 'partial'],
    ['one failed among planned', ['planned', 'failed'], 0, 'partial'],
    ['only failed', ['failed', 'failed'], 0, 'failed'],
    ['failed and skipped', ['failed', 'skipped'], 0, 'failed'],
    ['a region error with rotations elsewhere', ['rotated'], 1, 'partial'],
    ['a region error and nothing else', [], 1, 'failed'],
    ['a region error with skips only', ['skipped'], 1, 'failed'],
  ])('is right for %s', (_name, results, regionErrors, status) => {
    // Act
    const report = build(results, regionErrors);

    // Assess
    expect(report.status).toBe(status);
  });
});

describe('ReportBuilder entries and counts', () => {
  it('counts each result and keeps one entry per instance, the later replacing the earlier', () => {
    // Prepare
    const builder = new ReportBuilder();
    builder.discovered = 4;
    builder.set(entry(1, 'failed'));
    builder.set(entry(2, 'skipped'));
    builder.set(entry(3, 'planned'));
    builder.set({ ...entry(1, 'rotated'), versionId: 'v2' });

    // Act
    const report = builder.build('run-1', true, 99);

    // Assess
    expect(report.counts).toEqual({ discovered: 4, rotated: 1, failed: 0, skipped: 1, planned: 1 });
    expect(report.instances).toHaveLength(3);
    expect(report.instances.find((i) => i.instanceId === 'ins-00000001')).toMatchObject({
      result: 'rotated',
      versionId: 'v2',
    });
    expect(report).toMatchObject({
      runId: 'run-1',
      dryRun: true,
      durationMs: 99,
      status: 'succeeded',
    });
  });

  it('lists instances by region, then by instance id', () => {
    // Prepare
    const builder = new ReportBuilder();
    builder.set(entry(3, 'rotated', 'ap-shanghai'));
    builder.set(entry(2, 'rotated', 'ap-guangzhou'));
    builder.set(entry(1, 'rotated', 'ap-shanghai'));

    // Act
    const report = builder.build('run-1', false, 1);

    // Assess
    expect(report.instances.map((i) => `${i.region}/${i.instanceId}`)).toEqual([
      'ap-guangzhou/ins-00000002',
      'ap-shanghai/ins-00000001',
      'ap-shanghai/ins-00000003',
    ]);
  });

  it('names the instance, user and secret of a target, and no user when the OS is unknown', () => {
    // Prepare
    const target = {
      instance: { instanceId: 'ins-00000001', region: 'ap-guangzhou' },
      userName: 'root',
      secretName: 'cvm-password-ins-00000001',
    };

    // Act / Assess
    expect(baseEntry(target)).toEqual({
      instanceId: 'ins-00000001',
      region: 'ap-guangzhou',
      userName: 'root',
      secretName: 'cvm-password-ins-00000001',
    });
    expect(baseEntry({ ...target, userName: '', unknownOs: true })).toEqual({
      instanceId: 'ins-00000001',
      region: 'ap-guangzhou',
      secretName: 'cvm-password-ins-00000001',
    });
  });
});
