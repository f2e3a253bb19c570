/**
 * The benchmark's correctness check (bench/lib/analysis.ts `verify`) in both secret layouts: it
 * passes a real rotation, and it catches a wrong password, a wrong version and a pending entry
 * left behind. And the deployed Node configuration the runners get (bench/lib/deploy.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verify } from '../../bench/lib/analysis';
import { deployedNode } from '../../bench/lib/deploy';
import type { RotatedEntry, SecretLayout } from '../../bench/lib/types';
import type { Emulator } from '../../src/emulator';
import type { SecretVersionRecord } from '../../src/emulator/ssm/model';
import { testFleet } from '../helpers/fleet';
import { invoke, startTestEmulator } from '../helpers/world';

let emulator: Emulator;
afterEach(async () => {
  await emulator?.close();
});

const REGION = 'ap-guangzhou';
const PREFIX = 'cvm-password';

async function rotate(layout: SecretLayout): Promise<RotatedEntry[]> {
  emulator = await startTestEmulator({
    fleet: testFleet({ count: 60, regions: [REGION] }),
    rateLimits: false,
  });
  const { report } = await invoke(emulator, {}, { ROTATION_SECRET_LAYOUT: layout });
  expect(report.counts.rotated).toBe(60);
  return report.instances
    .filter((i) => i.result === 'rotated')
    .map((i) => ({
      instanceId: i.instanceId,
      region: i.region,
      secretName: i.secretName ?? '',
      versionId: i.versionId ?? '',
    }));
}

/** The newest version of a secret by the contract's rule (CreateTime, then VersionId). */
function newest(name: string): SecretVersionRecord {
  const versions = [...(emulator.state.ssm.secret(REGION, name)?.versions.values() ?? [])];
  const [first] = versions.sort(
    (a, b) => b.CreateTime - a.CreateTime || (b.VersionId > a.VersionId ? 1 : -1),
  );
  if (!first) throw new Error(`no version of ${name}`);
  return first;
}

/** Rewrites a stored value in place, as a broken rotator would have left it. */
function tamper(name: string, change: (value: Record<string, unknown>) => void): void {
  const version = newest(name);
  const value = JSON.parse(version.SecretString ?? '{}') as Record<string, unknown>;
  change(value);
  version.SecretString = JSON.stringify(value);
}

describe('benchmark verification', () => {
  it('passes a rotation in the default layout and catches a wrong password or version', async () => {
    // Prepare
    const rotated = await rotate('instance');

    // Act / Assess: a correct run.
    expect(verify(emulator.state, rotated, PREFIX, 'instance')).toEqual({
      checked: 60,
      wrongPassword: 0,
      wrongVersion: 0,
      notCurrent: 0,
      pendingLeft: 0,
      secrets: 60,
      maxValueBytes: expect.any(Number),
    });

    // A stored password that is not the actual one, and a report naming another version.
    const [first, second] = rotated;
    if (!first || !second) throw new Error('two rotated instances expected');
    tamper(first.secretName, (v) => {
      v.password = `${String(v.password)}x`;
    });
    const wrong = [{ ...second, versionId: 'not-the-newest' }, ...rotated.slice(2), first];
    const result = verify(emulator.state, wrong, PREFIX, 'instance');
    expect(result).toMatchObject({ checked: 60, wrongPassword: 1, wrongVersion: 1 });
  });

  it('passes a rotation in the packed layout and catches a wrong password, version or pending entry', async () => {
    // Prepare
    const rotated = await rotate('packed');
    expect(new Set(rotated.map((r) => r.secretName)).size).toBe(2);

    // Act / Assess: a correct run, 60 instances in 2 packs.
    expect(verify(emulator.state, rotated, PREFIX, 'packed')).toMatchObject({
      checked: 60,
      wrongPassword: 0,
      wrongVersion: 0,
      notCurrent: 0,
      pendingLeft: 0,
      secrets: 2,
    });

    const [first, second, third] = rotated;
    if (!first || !second || !third) throw new Error('three rotated instances expected');
    tamper(first.secretName, (v) => {
      const entries = v.entries as Record<string, { current: { password: string } }>;
      const a = entries[first.instanceId];
      const c = entries[third.instanceId];
      if (!a || !c) throw new Error('instances missing from their pack');
      a.current.password = `${a.current.password}x`;
      Object.assign(c, { pending: { ...c.current, status: 'pending' } });
    });
    const wrong = rotated.map((r) => (r === second ? { ...r, versionId: 'not-the-newest' } : r));
    const result = verify(emulator.state, wrong, PREFIX, 'packed');
    expect(result).toMatchObject({ wrongPassword: 1, wrongVersion: 1, pendingLeft: 1 });
  });
});

describe('deployed Node configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-deploy-'));
  afterEach(() => rmSync(join(dir, 'serverless.yml'), { force: true }));
  const yml = (variables: string) =>
    writeFileSync(
      join(dir, 'serverless.yml'),
      `component: scf\ninputs:\n  memorySize: 256\n  environment:\n    variables:\n${variables}`,
    );

  it('reads NODE_OPTIONS and the memory size from serverless.yml', () => {
    yml('      NODE_OPTIONS: --max-old-space-size=160\n      ROTATION_TAGS: x\n');
    expect(deployedNode(dir)).toMatchObject({
      nodeOptions: '--max-old-space-size=160',
      memoryMb: 256,
    });
  });

  it('runs the runners with no NODE_OPTIONS when the function sets none', () => {
    yml('      ROTATION_TAGS: x\n');
    expect(deployedNode(dir).nodeOptions).toBe('');
  });

  it('refuses a NODE_OPTIONS that is not a string', () => {
    yml('      NODE_OPTIONS: [1, 2]\n');
    expect(() => deployedNode(dir)).toThrow(/NODE_OPTIONS is not a string/);
  });
});
